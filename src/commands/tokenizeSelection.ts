import * as vscode from 'vscode';
import type { PanelManager } from '../panels/panel';
import { TokenizerPanel, maxTokenizeChars, sourceOf } from '../panels/tokenizerPanel';

/**
 * "LLM Lens: Tokenize Selection": tokenizes the selection, or the whole document when nothing is
 * selected (cut at the panel's limit, which the panel reports), and opens the Tokenization panel.
 * From a context menu VS Code passes the document's URI; a URI of a document that is not the active
 * editor's is opened and tokenized whole.
 */
export async function tokenizeSelection(panels: PanelManager, uri?: unknown): Promise<void> {
  let editor = vscode.window.activeTextEditor;
  if (uri instanceof vscode.Uri && editor?.document.uri.toString() !== uri.toString()) {
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      editor = await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: false });
    } catch (error) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Cannot open {0}: {1}', uri.toString(true), error instanceof Error ? error.message : String(error)));
      return;
    }
  }
  if (!editor) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a file or select some text to tokenize it.'));
    return;
  }
  const range = editor.selection.isEmpty ? undefined : editor.selection;
  const text = editor.document.getText(range);
  if (text.length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('There is no text to tokenize: the document is empty.'));
    return;
  }
  if (text.length > maxTokenizeChars) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('The text has {0} characters; LLM Lens tokenizes the first {1}.', text.length.toLocaleString(), maxTokenizeChars.toLocaleString()),
    );
  }
  const panel = panels.show(TokenizerPanel.definition);
  if (panel instanceof TokenizerPanel) await panel.tokenize(text, sourceOf(editor, range));
}
