// The glossary hover (issue 7): explains LLM terms in any file type, in English and/or Korean, with links to
// the glossary and to the panel that shows the idea. The matching itself is the pure core (a trie built once).
import * as vscode from 'vscode';
import { findTermAt } from '../core/glossary/glossary';
import { commandUri, glossaryHoverMarkdown, resolveGlossaryLanguage, type GlossaryHoverLabels } from '../core/glossary/markdown';
import { DocumentRegions, languageSyntax } from '../core/glossary/textRegions';
import { CommandId, glossaryPanelCommand } from '../shared/protocol';
import { conceptPageOfTerm } from '../core/concepts/pages';

/** The only commands a glossary hover's links may run (MarkdownString.isTrusted allow-list). */
export const glossaryHoverCommands: readonly string[] = [CommandId.openGlossary, ...Object.values(glossaryPanelCommand), CommandId.openConceptLab];

/** The glossary language setting, resolved ("auto" follows VS Code's display language). */
export function glossaryLanguage(scope?: vscode.ConfigurationScope): ReturnType<typeof resolveGlossaryLanguage> {
  return resolveGlossaryLanguage(vscode.workspace.getConfiguration('llmLens', scope).get('glossaryLanguage'), vscode.env.language);
}

function hoverLabels(): GlossaryHoverLabels {
  return {
    example: vscode.l10n.t('Example:'),
    related: vscode.l10n.t('Related:'),
    openGlossary: vscode.l10n.t('Open in Glossary'),
    openPanel: {
      tokenize: vscode.l10n.t('Open the Tokenization panel'),
      attention: vscode.l10n.t('Open the Attention panel'),
      kvcache: vscode.l10n.t('Open the KV cache panel'),
    },
    openConceptLab: vscode.l10n.t('Compute it in the Concept Lab'),
  };
}

// Documents that are not the user's text (output channels, debug consoles): no hovers there.
const SKIPPED_SCHEMES = new Set(['output', 'debug', 'vscode-scm']);

/** Hovers glossary terms in every file type, within the languages and regions the settings allow. */
export class GlossaryHoverProvider implements vscode.HoverProvider, vscode.Disposable {
  /** Comment/string regions per open document, kept across edits (invalidated from the edited line on). */
  private readonly regions = new Map<string, DocumentRegions>();
  private registeredCommands: Promise<Set<string>> | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.workspace.onDidChangeTextDocument((event) => {
        const regions = this.regions.get(event.document.uri.toString());
        if (!regions || event.contentChanges.length === 0) return;
        regions.invalidateFrom(Math.min(...event.contentChanges.map((c) => c.range.start.line)));
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.regions.delete(document.uri.toString())),
    ];
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    if (SKIPPED_SCHEMES.has(document.uri.scheme)) return undefined;
    const config = vscode.workspace.getConfiguration('llmLens', document);
    if (!config.get<boolean>('glossaryHover.enabled', true)) return undefined;
    const languages = config.get<unknown>('glossaryHover.languages', ['*']);
    if (Array.isArray(languages) && !languages.includes('*') && !languages.includes(document.languageId)) return undefined;
    const match = findTermAt(document.lineAt(position.line).text, position.character);
    if (!match) return undefined;
    if (config.get<boolean>('glossaryHover.onlyInCommentsAndStrings', true) && this.regionOf(document, position.line, match.start) === 'code') {
      return undefined;
    }
    const registered = await this.commands();
    const markdown = glossaryHoverMarkdown(match.entry, glossaryLanguage(document), hoverLabels(), {
      glossary: (id) => commandUri(CommandId.openGlossary, [{ term: id }]),
      panel: (panel) => (registered.has(glossaryPanelCommand[panel]) ? commandUri(glossaryPanelCommand[panel]) : undefined),
      concept: (id) => {
        const page = conceptPageOfTerm(id);
        return page && registered.has(CommandId.openConceptLab) ? commandUri(CommandId.openConceptLab, [{ page }]) : undefined;
      },
    });
    const contents = new vscode.MarkdownString(markdown, true);
    contents.isTrusted = { enabledCommands: glossaryHoverCommands };
    return new vscode.Hover(contents, new vscode.Range(position.line, match.start, position.line, match.end));
  }

  /** 'code', 'comment' or 'string'; every position of prose (Markdown, plain text, unknown languages) is prose. */
  private regionOf(document: vscode.TextDocument, line: number, character: number): string {
    const syntax = languageSyntax(document.languageId);
    if (!syntax) return 'prose';
    const key = document.uri.toString();
    let regions = this.regions.get(key);
    if (!regions) {
      regions = new DocumentRegions(syntax, (i) => document.lineAt(i).text);
      this.regions.set(key, regions);
    }
    return regions.regionAt(line, character);
  }

  /** LLM Lens's commands are all registered in activate(), before any hover: ask once. */
  private commands(): Promise<Set<string>> {
    this.registeredCommands ??= Promise.resolve(vscode.commands.getCommands(true)).then((all) => new Set(all.filter((c) => c.startsWith('llmLens.'))));
    return this.registeredCommands;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.regions.clear();
  }
}

/** Registers the glossary hover for every document. */
export function registerGlossaryHover(): vscode.Disposable {
  const provider = new GlossaryHoverProvider();
  return vscode.Disposable.from(vscode.languages.registerHoverProvider('*', provider), provider);
}
