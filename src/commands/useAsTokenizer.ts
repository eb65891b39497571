import * as vscode from 'vscode';
import type { Jobs } from '../compute/jobs';
import type { JobRunner } from '../compute/pool';
import { addTokenizerToCatalog, fileTokenizerId, fileTokenizerLabel } from '../core/tokenizers/catalog';
import type { PanelManager } from '../panels/panel';
import { TokenizerPanel } from '../panels/tokenizerPanel';
import type { TokenizerInfo } from '../core/tokenizers/types';

/**
 * "LLM Lens: Use as Tokenizer" (explorer and editor context menu of a tokenizer.json): loads the file in
 * the compute worker (which checks it), adds it to the Tokenization panel's list and comparison as
 * `file:<absolute path>`, switches the panel to it and offers to count the status bar with it.
 * Returns the tokenizer added, or undefined when the file cannot be used (the user was told why).
 */
export async function useAsTokenizer(panels: PanelManager, pool: JobRunner<Jobs>, uri?: unknown): Promise<TokenizerInfo | undefined> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target || target.scheme !== 'file') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Right-click a tokenizer.json file on disk to use it as a tokenizer.'));
    return undefined;
  }
  const id = fileTokenizerId(target.fsPath);
  const info: TokenizerInfo = { id, label: fileTokenizerLabel(target.fsPath) };
  try {
    // Loading it once in the worker checks the file (JSON, a byte-level BPE or SentencePiece-kind model) before it joins the list.
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading {0}…', info.label) }, () =>
      pool.run('countTokens', { tokenizerId: id, texts: [''] }, { affinity: 'tokenizer' }),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(vscode.l10n.t('LLM Lens cannot use {0} as a tokenizer: {1}', target.fsPath, message));
    return undefined;
  }
  addTokenizerToCatalog(info);
  const panel = panels.show(TokenizerPanel.definition);
  if (panel instanceof TokenizerPanel) await panel.useTokenizer(id);
  const makeDefault = vscode.l10n.t('Count the status bar with it');
  void vscode.window
    .showInformationMessage(vscode.l10n.t('{0} is now in the Tokenization panel and its comparison.', info.label), makeDefault)
    .then(async (choice) => {
      if (choice === makeDefault) await vscode.workspace.getConfiguration('llmLens').update('defaultTokenizer', id, vscode.ConfigurationTarget.Global);
    });
  return info;
}
