// Shared helpers of the integration tests (inside the real extension host).
import * as vscode from 'vscode';
import type { LlmLensApi } from '../../src/extension';

/** Activates LLM Lens (the development build under test) and returns its API. */
export async function llmLens(): Promise<LlmLensApi> {
  const extension = vscode.extensions.getExtension<LlmLensApi>('llm-lens.llm-lens');
  if (!extension) throw new Error('LLM Lens is not loaded in this extension host');
  return extension.activate();
}

/** Polls `check` until it returns a defined value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens an untitled document with `content` in `language` and selects `selection` (default: all). */
export async function openText(content: string, language = 'plaintext', selection?: vscode.Selection): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ content, language });
  const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
  editor.selection = selection ?? new vscode.Selection(document.positionAt(0), document.positionAt(content.length));
  return editor;
}

/** Closes every editor and panel, and waits until LLM Lens has seen its panels go. */
export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const api = await llmLens();
  // The host hears of a closed webview a little after the command resolves.
  await waitFor('every LLM Lens panel to be disposed', () => api.openPanels().length === 0 || undefined);
}
