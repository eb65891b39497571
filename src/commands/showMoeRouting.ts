import * as vscode from 'vscode';
import { MoePanel } from '../panels/moePanel';
import { maxInputChars } from '../shared/limits';
import type { PanelManager } from '../panels/panel';

/**
 * "LLM Lens: Show MoE Routing": runs a mixture-of-experts model (the chosen one, else the embedded MoE model)
 * on the selection, or the whole document when nothing is selected, and opens the MoE routing view.
 */
export async function showMoeRouting(panels: PanelManager): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a file and select some code to see which experts its tokens go to.'));
    return;
  }
  const text = editor.document.getText(editor.selection.isEmpty ? undefined : editor.selection);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The selection is empty: select some code to see which experts its tokens go to.'));
    return;
  }
  const panel = panels.show(MoePanel.definition);
  if (panel instanceof MoePanel) await panel.analyze(text.slice(0, maxInputChars));
}
