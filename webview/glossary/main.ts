import './style.css';
// The Glossary panel: every term of the study note by chapter, searchable, in English, Korean or both.
// Filtering and language switching are display only; the data comes complete in the host's snapshot.
import type { GlossaryChapterInfo, GlossaryEntry, GlossaryLanguage } from '../../src/core/glossary/types';
import type { GlossaryPanelKind, GlossarySnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { announce } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { button, dropdown, link, textField } from '../common/ui';

type ShownLanguage = GlossarySnapshot['language'];

interface UiState {
  query: string;
  /** The language the user picked here; null = the setting's. */
  language: ShownLanguage | null;
}

const init = initData();
const strings = init.strings as StringsOf<'glossary'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = { query: typeof saved?.query === 'string' ? saved.query : '', language: saved?.language ?? null };

let snapshot: GlossarySnapshot | undefined;
let handledFocus = 0;
/** Each rendered term and the lower-cased text a search looks in. */
let articles: { entry: GlossaryEntry; element: HTMLElement; haystack: string }[] = [];
let sections: { chapter: GlossaryChapterInfo; element: HTMLElement }[] = [];
let countLine: HTMLElement | undefined;
let noMatches: HTMLElement | undefined;

function format(template: string, ...values: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(values[Number(i)] ?? ''));
}

function languagesOf(language: ShownLanguage): GlossaryLanguage[] {
  return language === 'both' ? ['en', 'ko'] : [language];
}

const panelLabel: Record<GlossaryPanelKind, string> = {
  tokenize: strings.openTokenize,
  attention: strings.openAttention,
  kvcache: strings.openKvcache,
};

function abbreviations(entry: GlossaryEntry): string[] {
  // Short aliases with a capital after the first letter or all capitals (GQA, RoPE, BERT), as in the hover.
  return entry.aliases.en.filter((a) => a.length <= 6 && !/\s/.test(a) && /[A-Z]/.test(a.slice(1)) && a !== entry.name.en);
}

function reveal(id: string): void {
  const target = articles.find((a) => a.entry.id === id);
  if (!target) return;
  if (target.element.hidden) setQuery('');
  for (const a of articles) a.element.classList.toggle('highlight', a === target);
  target.element.scrollIntoView({ block: 'start' });
  target.element.focus({ preventScroll: true });
}

function renderEntry(entry: GlossaryEntry, language: ShownLanguage, byId: Map<string, GlossaryEntry>, panels: readonly GlossaryPanelKind[]): HTMLElement {
  const langs = languagesOf(language);
  const first: GlossaryLanguage = language === 'ko' ? 'ko' : 'en';
  const second: GlossaryLanguage = first === 'en' ? 'ko' : 'en';
  const abbr = abbreviations(entry);
  const aliases = langs.flatMap((l) => entry.aliases[l]).filter((a) => !abbr.includes(a));
  const related = entry.related
    .map((id) => byId.get(id))
    .filter((e): e is GlossaryEntry => e !== undefined)
    .map((e) => link(e.name[first], () => reveal(e.id)));
  const panel = entry.panel && panels.includes(entry.panel) ? entry.panel : undefined;
  return el('article', {
    className: 'term',
    attrs: { id: `term-${entry.id}`, tabindex: '-1', 'data-term': entry.id, 'aria-labelledby': `title-${entry.id}` },
    children: [
      el('h3', {
        attrs: { id: `title-${entry.id}` },
        children: [
          el('span', { className: 'name', text: entry.name[first] + (abbr.length > 0 ? ` (${abbr.join(', ')})` : '') }),
          el('span', { className: 'other-name muted', text: entry.name[second], attrs: { lang: second } }),
        ],
      }),
      aliases.length > 0 && el('p', { className: 'aliases muted', text: `${strings.aliases}: ${aliases.join(' · ')}` }),
      ...langs.map((l) => el('p', { className: 'definition', text: entry.definition[l], attrs: { lang: l } })),
      entry.formula !== null &&
        el('p', { className: 'formula', children: [el('span', { className: 'label', text: `${strings.formula}: ` }), el('code', { text: entry.formula })] }),
      ...langs.map((l) =>
        el('p', { className: 'example', attrs: { lang: l }, children: [el('span', { className: 'label', text: `${strings.example}: ` }), entry.example[l]] }),
      ),
      el('div', {
        className: 'links',
        children: [
          related.length > 0 && el('span', { className: 'label', text: `${strings.related}: ` }),
          ...related.flatMap((r, i) => (i === 0 ? [r] : [el('span', { className: 'muted', text: ' · ' }), r])),
          panel && button(panelLabel[panel], () => send({ type: 'openPanel', panel, term: entry.id }), 'secondary'),
        ],
      }),
    ],
  });
}

function applyFilter(): void {
  const terms = ui.query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const a of articles) {
    const visible = terms.every((t) => a.haystack.includes(t));
    a.element.hidden = !visible;
    if (visible) shown++;
  }
  for (const s of sections) s.element.hidden = !articles.some((a) => a.entry.chapter === s.chapter.id && !a.element.hidden);
  if (countLine) countLine.textContent = format(strings.count, shown, articles.length);
  if (noMatches) {
    noMatches.hidden = shown > 0;
    noMatches.textContent = format(strings.noMatches, ui.query.trim());
  }
}

let searchField: HTMLElement | undefined;

function setQuery(query: string): void {
  ui.query = query;
  saveState(ui);
  if (searchField && (searchField as HTMLElement & { value: string }).value !== query) (searchField as HTMLElement & { value: string }).value = query;
  applyFilter();
}

function render(next: GlossarySnapshot): void {
  snapshot = next;
  status.clear();
  const language = ui.language ?? next.language;
  const byId = new Map(next.entries.map((e) => [e.id, e]));
  const chapterTitle = (c: GlossaryChapterInfo) => languagesOf(language).map((l) => c.title[l]).join(' · ');
  articles = [];
  sections = next.chapters.map((chapter) => {
    const items = next.entries
      .filter((e) => e.chapter === chapter.id)
      .map((entry) => {
        const element = renderEntry(entry, language, byId, next.panels);
        const haystack = [entry.id, entry.name.en, entry.name.ko, ...entry.aliases.en, ...entry.aliases.ko, entry.definition.en, entry.definition.ko]
          .join('\n')
          .toLowerCase();
        articles.push({ entry, element, haystack });
        return element;
      });
    const element = el('section', {
      className: 'chapter',
      attrs: { id: `chapter-${chapter.id}`, 'data-chapter': chapter.id, tabindex: '-1' },
      children: [el('h2', { text: chapterTitle(chapter) }), ...items],
    });
    return { chapter, element };
  });
  searchField = textField(strings.searchLabel, ui.query, (value) => setQuery(value), strings.searchPlaceholder);
  searchField.classList.add('search');
  const languagePicker = dropdown(
    [
      { value: 'en', label: strings.languageEn },
      { value: 'ko', label: strings.languageKo },
      { value: 'both', label: strings.languageBoth },
    ],
    language,
    (value) => {
      ui.language = value === 'en' || value === 'ko' || value === 'both' ? value : null;
      saveState(ui);
      if (snapshot) render(snapshot);
    },
    strings.languageLabel,
  );
  countLine = el('p', { className: 'count muted', attrs: { 'aria-live': 'polite' } });
  noMatches = el('p', { className: 'no-matches', attrs: { hidden: '' } });
  const nav = el('nav', {
    className: 'chapters',
    attrs: { 'aria-label': strings.chaptersLabel },
    children: sections.map((s) => link(chapterTitle(s.chapter), () => s.element.scrollIntoView({ block: 'start' }))),
  });
  replaceChildren(
    root,
    status.element,
    el('h1', { text: strings.heading }),
    el('p', { className: 'muted', text: strings.intro }),
    el('div', {
      className: 'controls',
      children: [searchField, el('label', { className: 'language', children: [el('span', { text: `${strings.languageLabel} ` }), languagePicker] })],
    }),
    nav,
    countLine,
    noMatches,
    ...sections.map((s) => s.element),
  );
  applyFilter();
  const focus = next.focus;
  if (focus && focus.seq !== handledFocus) {
    handledFocus = focus.seq;
    if (focus.term) reveal(focus.term);
    else if (focus.chapter) {
      const section = sections.find((s) => s.chapter.id === focus.chapter);
      if (section) {
        setQuery('');
        section.element.scrollIntoView({ block: 'start' });
        section.element.focus({ preventScroll: true });
        announce(chapterTitle(section.chapter));
      }
    }
  }
}

const send = connect<'glossary'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
