import './style.css';
// The Glossary panel: every term of the study note by chapter, searchable, in English, Korean or both.
// The host searches (the core's ranking) and posts the ranked ids; language switching is display only.
import type { GlossaryChapterInfo, GlossaryEntry, GlossaryLanguage } from '../../src/core/glossary/types';
import { maxGlossarySearchChars, type GlossaryPanelKind, type GlossarySnapshot } from '../../src/shared/protocol';
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
/** Each rendered term. */
let articles: { entry: GlossaryEntry; element: HTMLElement }[] = [];
let sections: { chapter: GlossaryChapterInfo; element: HTMLElement }[] = [];

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
  if (ui.query.trim() && !resultsList.contains(target.element)) setQuery('');
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

/** The search as the user typed it, cut to what the host accepts (the host answers for exactly this). */
function sentQuery(query: string): string {
  return query.slice(0, maxGlossarySearchChars);
}

/**
 * Shows the host's ranked results when they answer the query in the field now; an answer to an older
 * query (the user kept typing) is ignored until the newer one arrives. Never touches the field itself.
 */
function applySearch(): void {
  const query = ui.query.trim();
  const result = snapshot?.search;
  if (query.length === 0) {
    // No search: every term in its chapter, in chapter order.
    for (const s of sections) {
      const list = s.element.querySelector('.chapter-terms');
      if (list) replaceChildren(list as HTMLElement, ...articles.filter((a) => a.entry.chapter === s.chapter.id).map((a) => a.element));
      s.element.hidden = false;
    }
    for (const a of articles) a.element.hidden = false;
    replaceChildren(resultsList);
    resultsBox.hidden = true;
    countLine.textContent = format(strings.count, articles.length, articles.length);
    noMatches.hidden = true;
    return;
  }
  if (!result || result.query !== sentQuery(ui.query)) return;
  const byId = new Map(articles.map((a) => [a.entry.id, a]));
  const found = result.ids.map((id) => byId.get(id)).filter((a): a is (typeof articles)[number] => a !== undefined);
  for (const s of sections) s.element.hidden = true;
  for (const a of articles) a.element.hidden = false;
  replaceChildren(resultsList, ...found.map((a) => a.element));
  resultsBox.hidden = found.length === 0;
  countLine.textContent = format(strings.count, found.length, articles.length);
  noMatches.hidden = found.length > 0;
  noMatches.textContent = format(strings.noMatches, query);
}

/** The user typed in the field: remember it, and ask the host to search (its answer re-renders the results). */
function onSearchInput(value: string): void {
  ui.query = value;
  saveState(ui);
  send({ type: 'search', query: sentQuery(value) });
  applySearch();
}

/** Sets the query from code (a related link to a hidden term clears it); the field follows. */
function setQuery(query: string): void {
  searchField.value = query;
  onSearchInput(query);
}

// The page skeleton is built once: a snapshot never replaces the search field, so what the user is typing
// (and where the caret is) survives every answer from the host.
const searchField = textField(strings.searchLabel, ui.query, onSearchInput, strings.searchPlaceholder) as HTMLElement & { value: string };
searchField.classList.add('search');
searchField.setAttribute('maxlength', String(maxGlossarySearchChars));
const languageSlot = el('label', { className: 'language' });
const nav = el('nav', { className: 'chapters', attrs: { 'aria-label': strings.chaptersLabel } });
const countLine = el('p', { className: 'count muted', attrs: { 'aria-live': 'polite' } });
const noMatches = el('p', { className: 'no-matches', attrs: { hidden: '' } });
const resultsList = el('div', { className: 'results-list' });
const resultsBox = el('section', { className: 'results', attrs: { hidden: '', 'aria-label': strings.resultsLabel }, children: [resultsList] });
const chaptersBox = el('div', { className: 'chapters-box' });
replaceChildren(
  root,
  status.element,
  el('h1', { text: strings.heading }),
  el('p', { className: 'muted', text: strings.intro }),
  el('div', { className: 'controls', children: [searchField, languageSlot] }),
  nav,
  countLine,
  noMatches,
  resultsBox,
  chaptersBox,
);

/** What the drawn terms were built from: rebuilt only when this changes, not on every search answer. */
let builtKey = '';

function renderTerms(next: GlossarySnapshot, language: ShownLanguage): void {
  const key = JSON.stringify([language, next.panels, next.entries.length, next.chapters.length]);
  if (key === builtKey) return;
  builtKey = key;
  const byId = new Map(next.entries.map((e) => [e.id, e]));
  const chapterTitle = (c: GlossaryChapterInfo) => languagesOf(language).map((l) => c.title[l]).join(' · ');
  articles = [];
  sections = next.chapters.map((chapter) => {
    const items = next.entries
      .filter((e) => e.chapter === chapter.id)
      .map((entry) => {
        const element = renderEntry(entry, language, byId, next.panels);
        articles.push({ entry, element });
        return element;
      });
    const element = el('section', {
      className: 'chapter',
      attrs: { id: `chapter-${chapter.id}`, 'data-chapter': chapter.id, tabindex: '-1' },
      children: [el('h2', { text: chapterTitle(chapter) }), el('div', { className: 'chapter-terms', children: items })],
    });
    return { chapter, element };
  });
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
  replaceChildren(languageSlot, el('span', { text: `${strings.languageLabel} ` }), languagePicker);
  replaceChildren(
    nav,
    ...sections.map((s) =>
      link(chapterTitle(s.chapter), () => {
        if (ui.query.trim()) setQuery('');
        s.element.scrollIntoView({ block: 'start' });
      }),
    ),
  );
  replaceChildren(chaptersBox, ...sections.map((s) => s.element));
}

function render(next: GlossarySnapshot): void {
  snapshot = next;
  status.clear();
  const language = ui.language ?? next.language;
  renderTerms(next, language);
  applySearch();
  const focus = next.focus;
  if (focus && focus.seq !== handledFocus) {
    handledFocus = focus.seq;
    if (focus.term) reveal(focus.term);
    else if (focus.chapter) {
      const section = sections.find((s) => s.chapter.id === focus.chapter);
      if (section) {
        if (ui.query.trim()) setQuery('');
        section.element.scrollIntoView({ block: 'start' });
        section.element.focus({ preventScroll: true });
        announce(languagesOf(language).map((l) => section.chapter.title[l]).join(' · '));
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
// A query kept from before a reload is searched again (the host starts with an empty one).
if (ui.query.trim()) send({ type: 'search', query: sentQuery(ui.query) });
