import * as vscode from 'vscode';
import { AttentionPanel, maxAttentionTextLength } from '../panels/attentionPanel';
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
  const text = editor.document.getText(range);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The selection is empty: select some code to see its attention.'));
    return;
  }
  if (text.length > maxAttentionTextLength) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Only the first {0} characters of the selection are used.', maxAttentionTextLength));
  }
  const panel = panels.show(AttentionPanel.definition);
  if (panel instanceof AttentionPanel) await panel.analyze(text);
}
