import * as vscode from 'vscode';
import { CommandId } from '../shared/protocol';
import { openCodeSample } from './learnChapter';

/** Commands that read the active editor's text (the others need no file). */
const editorCommands: readonly string[] = [CommandId.tokenizeSelection, CommandId.showAttention];

/**
 * Runs `command` from a panel button (Welcome). Commands that read an editor get one: the active editor, else
 * a visible one (a focused panel leaves no active editor), else an untitled copy of the shipped sample
 * (media/samples/attention.ts, its `attend` function selected) — a new user with no file open sees the
 * feature at work instead of a warning. Returns what was used.
 */
export async function runWithEditorOrSample(context: vscode.ExtensionContext, command: string): Promise<'active' | 'visible' | 'sample' | 'none'> {
  let used: 'active' | 'visible' | 'sample' | 'none' = 'none';
  if (editorCommands.includes(command)) {
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.getText().trim().length > 0);
    if (vscode.window.activeTextEditor) used = 'active';
    else if (visible) {
      await vscode.window.showTextDocument(visible.document, { viewColumn: visible.viewColumn, preserveFocus: false });
      used = 'visible';
    } else {
      await openCodeSample(context);
      used = 'sample';
      void vscode.window.showInformationMessage(vscode.l10n.t('No file was open, so LLM Lens opened a sample (an untitled copy you can edit freely) to show you.'));
    }
  }
  await vscode.commands.executeCommand(command);
  return used;
}
