import * as vscode from 'vscode';
import { glossaryChapters, glossaryEntries, glossaryEntry } from '../core/glossary/glossary';
import { resolveGlossaryLanguage } from '../core/glossary/markdown';
import { searchGlossary } from '../core/glossary/search';
import { CommandId, glossaryPanelCommand, glossaryPanelKinds, type GlossaryFocus, type GlossaryPanelKind, type GlossaryRequest, type GlossarySearchResult } from '../shared/protocol';
import { Panel, type PanelDefinition, type Services } from './panel';

/** The Glossary panel: every term by chapter, searchable, in English and/or Korean, with links to the panels. */
export class GlossaryPanel extends Panel<'glossary'> {
  private focus: GlossaryFocus | null = null;
  private seq = 0;
  /** The panels whose commands are registered (read once the panel opens). */
  private linkedPanels: GlossaryPanelKind[] | undefined;
  private search: GlossarySearchResult = { query: '', ids: searchGlossary('').map((h) => h.entry.id) };

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('glossary', webviewPanel, services);
    this.track(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('llmLens.glossaryLanguage')) void this.refresh();
      }),
    );
    void this.refresh();
  }

  /** How Glossary panels are made and restored (the snapshot is rebuilt from the core, nothing to restore). */
  static readonly definition: PanelDefinition<'glossary'> = {
    kind: 'glossary',
    title: () => vscode.l10n.t('LLM Lens: Glossary'),
    create: (webviewPanel, services) => new GlossaryPanel(webviewPanel, services),
  };

  /** Scrolls the panel to a term or a chapter and highlights it. */
  focusOn(target: { term?: string; chapter?: string }): void {
    this.focus = target.term || target.chapter ? { ...target, seq: ++this.seq } : null;
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    const registered = new Set(await vscode.commands.getCommands(true));
    this.linkedPanels = glossaryPanelKinds.filter((p) => registered.has(glossaryPanelCommand[p]));
    this.publish();
  }

  /** Posts the complete state as it is now (so the last snapshot posted always holds the latest search). */
  private publish(): void {
    if (!this.linkedPanels) return;
    this.setSnapshot({
      language: resolveGlossaryLanguage(vscode.workspace.getConfiguration('llmLens').get('glossaryLanguage'), vscode.env.language),
      chapters: [...glossaryChapters()],
      entries: [...glossaryEntries()],
      panels: this.linkedPanels,
      focus: this.focus,
      search: this.search,
    });
  }

  protected async handleRequest(request: GlossaryRequest): Promise<void> {
    switch (request.type) {
      case 'search':
        // The webview shows these ids only while its field still holds this query: the field itself is
        // never rewritten from a snapshot, so a reply that arrives mid-typing cannot eat keystrokes.
        this.search = { query: request.query, ids: searchGlossary(request.query).map((h) => h.entry.id) };
        this.publish();
        break;
      case 'openPanel': {
        // The walkthrough's chapter command opens the panel on a sample file shipped with LLM Lens.
        const entry = glossaryEntry(request.term);
        if (entry && entry.panel === request.panel) await vscode.commands.executeCommand(CommandId.learnChapter, entry.chapter);
        break;
      }
    }
  }
}
