import { glossaryChapters, glossaryEntry, lookupTerm } from '../core/glossary/glossary';
import { GlossaryPanel } from '../panels/glossaryPanel';
import type { PanelManager } from '../panels/panel';
import { asRecord } from '../shared/protocol';

/**
 * "LLM Lens: Open Glossary": opens (or reveals) the Glossary panel. Hover links pass `{ term: id }`, the
 * walkthrough `{ chapter: id }`; a plain string is looked up as a term name. Unknown values are ignored.
 */
export function openGlossary(panels: PanelManager, arg?: unknown): void {
  const record = asRecord(arg);
  const term =
    typeof record?.term === 'string' && glossaryEntry(record.term) ? record.term : typeof arg === 'string' ? lookupTerm(arg)?.id : undefined;
  const chapter = typeof record?.chapter === 'string' && glossaryChapters().some((c) => c.id === record.chapter) ? record.chapter : undefined;
  const panel = panels.show(GlossaryPanel.definition);
  if (panel instanceof GlossaryPanel) panel.focusOn({ term, chapter });
}
