import * as vscode from 'vscode';
import { glossaryChapters } from '../core/glossary/glossary';
import type { GlossaryChapterInfo } from '../core/glossary/types';
import type { PanelManager } from '../panels/panel';
import { asRecord, glossaryPanelCommand, type GlossaryPanelKind } from '../shared/protocol';
import { openGlossary } from './openGlossary';

/** The context key the walkthrough step of `chapter` completes on. */
export function learnedContextKey(chapter: string): string {
  return `llmLens.learned.${chapter}`;
}

/** The language of each sample file, for its untitled copy. */
const sampleLanguages: Record<string, string> = { 'attention.ts': 'typescript', 'config.json': 'json', 'notes.md': 'markdown' };

/**
 * An untitled copy of media/samples/<name> (same text, same language). The extension's own files are never
 * opened in an editor: a learner may type in the sample, and edits must not land in the installed extension.
 */
export async function openSampleCopy(context: vscode.ExtensionContext, name: string): Promise<vscode.TextDocument> {
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'samples', name));
  return vscode.workspace.openTextDocument({ content: new TextDecoder('utf-8').decode(bytes), language: sampleLanguages[name] ?? 'plaintext' });
}

/** Opens a copy of media/samples/attention.ts with its `attend` function selected (what the panels then read). */
export async function openCodeSample(context: vscode.ExtensionContext): Promise<void> {
  const document = await openSampleCopy(context, 'attention.ts');
  const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preview: true });
  const text = document.getText();
  const start = text.indexOf('export function attend');
  const end = start >= 0 ? text.indexOf('\n}', start) : -1;
  editor.selection =
    start >= 0 && end >= 0
      ? new vscode.Selection(document.positionAt(start), document.positionAt(end + 2))
      : new vscode.Selection(document.positionAt(0), document.positionAt(text.length));
  editor.revealRange(editor.selection, vscode.TextEditorRevealType.AtTop);
}

/** Opens the panel that shows a chapter, on an untitled copy of a sample file shipped with LLM Lens. */
async function openPanelOnSample(context: vscode.ExtensionContext, panel: GlossaryPanelKind): Promise<void> {
  if (panel === 'kvcache') {
    const config = await openSampleCopy(context, 'config.json');
    await vscode.window.showTextDocument(config, { viewColumn: vscode.ViewColumn.One, preview: true });
    await vscode.commands.executeCommand(glossaryPanelCommand.kvcache, config.uri);
    return;
  }
  await openCodeSample(context);
  await vscode.commands.executeCommand(glossaryPanelCommand[panel]);
}

async function pickChapter(): Promise<GlossaryChapterInfo | undefined> {
  const language = vscode.env.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
  const picked = await vscode.window.showQuickPick(
    glossaryChapters().map((chapter) => ({ label: chapter.title[language], chapter })),
    { placeHolder: vscode.l10n.t('Pick a chapter of LLM basics') },
  );
  return picked?.chapter;
}

/**
 * "LLM Lens: Learn LLM Basics by Chapter" (and the walkthrough's step buttons): opens the chapter's panel on an
 * untitled copy of a sample file, or, for chapters no panel shows, the sample notes and the glossary at that chapter. The
 * argument is a chapter id (or `{ chapter }`); without one a quick pick asks.
 */
export async function learnChapter(context: vscode.ExtensionContext, panels: PanelManager, arg?: unknown): Promise<void> {
  const id = typeof arg === 'string' ? arg : asRecord(arg)?.chapter;
  const chapter = glossaryChapters().find((c) => c.id === id) ?? (arg === undefined ? await pickChapter() : undefined);
  if (!chapter) return;
  await vscode.commands.executeCommand('setContext', learnedContextKey(chapter.id), true);
  const command = chapter.panel ? glossaryPanelCommand[chapter.panel] : undefined;
  if (chapter.panel && command && (await vscode.commands.getCommands(true)).includes(command)) {
    await openPanelOnSample(context, chapter.panel);
    return;
  }
  // No panel for this chapter (or its panel is not available): the notes to hover, and the glossary beside.
  const notes = await openSampleCopy(context, 'notes.md');
  await vscode.window.showTextDocument(notes, { viewColumn: vscode.ViewColumn.One, preview: true });
  openGlossary(panels, { chapter: chapter.id });
}
