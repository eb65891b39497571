import * as vscode from 'vscode';
import { ConceptLabPanel } from '../panels/conceptLabPanel';
import type { PanelManager } from '../panels/panel';
import { isConceptPage, type ConceptPage } from '../shared/conceptLabProtocol';
import { maxInputChars } from '../shared/limits';

/**
 * The page a command argument names: 'rope', { page: 'rope' } (hover and walkthrough links), or nothing. Anything
 * else (a URI from a context menu, a malformed link) opens the first page: arguments are never trusted.
 */
export function conceptPageArg(arg: unknown): ConceptPage | undefined {
  if (isConceptPage(arg)) return arg;
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
    const page = (arg as { page?: unknown }).page;
    if (isConceptPage(page)) return page;
  }
  return undefined;
}

/**
 * "LLM Lens: Open Concept Lab": RoPE, RMSNorm and SwiGLU, masks and live training computed on the current model
 * (the embedded one by default) over the editor's selection, or over a built-in sample when nothing is selected.
 */
export async function openConceptLab(panels: PanelManager, arg?: unknown): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const selected = editor ? editor.document.getText(editor.selection) : '';
  const text = selected.trim().length > 0 ? selected.slice(0, maxInputChars) : undefined;
  const label = text !== undefined && editor ? vscode.l10n.t('Selection in {0}', vscode.workspace.asRelativePath(editor.document.uri)) : undefined;
  const panel = panels.show(ConceptLabPanel.definition);
  if (panel instanceof ConceptLabPanel) await panel.open(conceptPageArg(arg), text, label);
}
