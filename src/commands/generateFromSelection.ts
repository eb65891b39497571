import * as vscode from 'vscode';
import { DecodingPanel, maxPromptLength } from '../panels/decodingPanel';
import type { PanelManager } from '../panels/panel';

/**
 * "LLM Lens: Generate from Selection": the selection is the prompt; the current model (the embedded one by
 * default, see Choose Model) continues it in the Decoding panel, token by token.
 */
export async function generateFromSelection(panels: PanelManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a file and select the text the model should continue.'));
    return;
  }
  const text = editor.document.getText(editor.selection);
  if (text.trim().length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The selection is empty: select the text the model should continue (it is the prompt).'));
    return;
  }
  if (text.length > maxPromptLength) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The selection has {0} characters; a prompt can have at most {1}. Select less text.', text.length, maxPromptLength));
    return;
  }
  const panel = panels.show(DecodingPanel.definition);
  if (panel instanceof DecodingPanel) await panel.start(text, editor.document.uri);
}
