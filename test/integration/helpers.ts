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

/**
 * The documents openText handed out: one of them coming back for new content is a stale, just-closed one. Kept on
 * globalThis because each test file bundles its own copy of these helpers, and a stale document can come from the
 * previous file.
 */
const shared = globalThis as { llmLensOpenedDocuments?: WeakSet<vscode.TextDocument> };
const returnedDocuments = (shared.llmLensOpenedDocuments ??= new WeakSet<vscode.TextDocument>());

/** Opens an untitled document with `content` in `language` and selects `selection` (default: all). */
export async function openText(content: string, language = 'plaintext', selection?: vscode.Selection): Promise<vscode.TextEditor> {
  // A just-closed untitled document can still be known to the extension host under the name VS Code reuses
  // ("Untitled-1"), and openTextDocument then hands back the stale document: wait until it is really new.
  // (The text alone cannot tell: VS Code may normalise it, e.g. a lone surrogate becomes U+FFFD.)
  const document = await waitFor('a fresh untitled document', async () => {
    const candidate = await vscode.workspace.openTextDocument({ content, language });
    if (candidate.getText() === content || !returnedDocuments.has(candidate)) return candidate;
    await new Promise((r) => setTimeout(r, 200));
    return undefined;
  }, 10_000);
  returnedDocuments.add(document);
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
  // Likewise the untitled documents of the test (their names are reused by the next test's documents).
  await waitFor('the closed untitled documents to be disposed', () => !vscode.workspace.textDocuments.some((d) => d.isUntitled && !d.isClosed) || undefined, 5_000).catch(() => undefined);
}

/**
 * With the Tokenization panel open: waits until the two model tokenizers `ids` are in its list, chooses the
 * first (as the webview's picker does) and waits until it has tokenized and the comparison with the second is
 * done. Returns the snapshot with the list, and the one with the result.
 */
export async function tokenizeWithModel(api: LlmLensApi, [chosen, other]: readonly [string, string]) {
  const listed = await waitFor('the models to join the tokenizer list', () => {
    const s = api.snapshotOf('tokenizer');
    return s && s.tokenizers.some((t) => t.id === chosen) && s.tokenizers.some((t) => t.id === other) ? s : undefined;
  }, 60_000);
  if (!api.postFromWebview('tokenizer', { type: 'setTokenizer', tokenizerId: chosen })) throw new Error('the Tokenization panel took no message');
  const result = await waitFor('the model to tokenize and the comparison to finish', () => {
    const x = api.snapshotOf('tokenizer');
    return x && x.tokenization?.tokenizerId === chosen && x.comparison?.pending === false && x.comparison.rows.some((r) => r.id === other) ? x : undefined;
  }, 240_000);
  return { listed, result };
}
