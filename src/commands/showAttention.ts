import * as vscode from 'vscode';
import { basename } from 'node:path';
import { AttentionPanel } from '../panels/attentionPanel';
import { maxInputChars } from '../shared/limits';
import type { AttentionInput } from '../shared/protocol';
import type { PanelManager } from '../panels/panel';

/**
 * "LLM Lens: Show Attention for Selection": runs the chosen model on the selection (or the whole
 * document when nothing is selected) and opens the Attention panel.
 */
export async function showAttention(panels: PanelManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a file and select some code to see its attention.'));
    return;
  }
  const range = editor.selection.isEmpty ? undefined : editor.selection;
  const document = editor.document;
  const text = document.getText(range);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage(
      range
        ? vscode.l10n.t('The selection is only whitespace: select some code to see its attention.')
        : vscode.l10n.t('The document is empty: type or open some code to see its attention.'),
    );
    return;
  }
  // The panel names the character cap when it cuts the text (and what it ran: the selection or the whole document).
  const input: AttentionInput = {
    scope: range ? 'selection' : 'document',
    label: basename(document.uri.path) || document.uri.toString(true),
    totalChars: text.length,
    readChars: Math.min(text.length, maxInputChars),
  };
  const panel = panels.show(AttentionPanel.definition);
  if (panel instanceof AttentionPanel) await panel.analyze(text.slice(0, maxInputChars), input);
}
