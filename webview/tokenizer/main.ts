import './style.css';
// The Tokenization panel: the text as token chips (virtualised rows, so 50,000 tokens stay fluid),
// details on hover and keyboard focus, click-to-select in the editor, stats, every tokenizer compared,
// the NFD notice, and BPE laid open (merge replay, train-on-this-text stepper). It only draws: every
// token, count and merge comes from the host's snapshot.
import type { BpeTrainerView, MergeReplayView, ReplayPieceView, TokenizationView, TokenizerSnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { announce } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { checkbox, dropdown, button, slider } from '../common/ui';

/** UI state kept across hide/show and reloads (plus the host's restore data). */
interface UiState {
  showIds: boolean;
}

const init = initData();
const strings = init.strings as StringsOf<'tokenizer'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = { showIds: saved?.showIds ?? false };
const CHIP_COLOURS = 7; // Okabe–Ito without black (webview/common/theme.ts), as CSS classes c0..c6
const ROW_HEIGHT = 28; // px, fixed so rows can be virtualised
const MAX_ROW_TOKENS = 40; // long lines wrap into continued rows
const OVERSCAN_ROWS = 4;
const MAX_RESTORE_CHARS = 100_000;
const MAX_REPLAY_STEPS_LISTED = 200;

let snapshot: TokenizerSnapshot | undefined;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Fills {0}, {1}… in a localized template. */
function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString(init.language, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Whitespace made visible: · space, → tab, ↵ line feed, ␍ carriage return; invisible marks as U+XXXX. */
function visible(text: string): string {
  const shown = text.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r/g, '␍').replace(/\n/g, '↵');
  if (shown.length > 0 && /^[\p{M}\p{Cf}\p{Cc}\p{Zl}\p{Zp}\u{FE00}-\u{FE0F}]+$/u.test(shown)) {
    return Array.from(shown, (c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
  }
  return shown;
}

function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Bytes decoded as text, or undefined when they are only part of a character. */
function decodeWhole(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A piece as a short label: its text with visible whitespace, or its bytes in hex when a fragment. */
function pieceLabel(bytes: ArrayLike<number>): { text: string; fragment: boolean } {
  const text = decodeWhole(Uint8Array.from(bytes));
  return text === undefined ? { text: hex(bytes), fragment: true } : { text: visible(text), fragment: false };
}

// ---------------------------------------------------------------------------------------------
// The token model derived from one tokenization (rebuilt only when its revision changes).

interface RowSpan {
  first: number;
  last: number; // exclusive
  continued: boolean;
}

interface TokenModel {
  view: TokenizationView;
  /** UTF-8 offset of each token's first byte (and the total at the end): the running sum of piece lengths. */
  byteStarts: Int32Array;
  text: string;
  pieces: Map<number, Uint8Array>;
  rows: RowSpan[];
  /** Row of each token. */
  rowOf: Int32Array;
  /** First token of the group of tokens sharing a character (or the token itself). */
  groupStart: Int32Array;
  /** Offsets where lines start (for line:column in the details). */
  lineStarts: number[];
  /** The row width the rows were cut for (px). */
  layoutWidth: number;
}

function buildModel(view: TokenizationView, text: string): TokenModel {
  const pieces = new Map<number, Uint8Array>();
  for (let k = 0; k < view.pieceIds.length; k++) {
    pieces.set(view.pieceIds[k], view.pieceBytes.subarray(view.pieceOffsets[k], view.pieceOffsets[k + 1]));
  }
  const n = view.ids.length;
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) lengths[i] = pieces.get(view.ids[i])?.length ?? 0;
  // Tokens whose range in the text differs from their bytes (SentencePiece's dummy-prefix space has none).
  const fixes = view.byteLengthFixes;
  if (fixes) for (let k = 0; k + 1 < fixes.length; k += 2) if (fixes[k] < n) lengths[fixes[k]] = fixes[k + 1];
  const byteStarts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) byteStarts[i + 1] = byteStarts[i] + lengths[i];
  const groupStart = new Int32Array(n);
  for (let i = 0; i < n; i++) groupStart[i] = i > 0 && view.starts[i] < view.ends[i - 1] ? groupStart[i - 1] : i;
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const m: TokenModel = { view, byteStarts, text, pieces, rows: [], rowOf: new Int32Array(n), groupStart, lineStarts, layoutWidth: -1 };
  layoutRows(m);
  return m;
}

// Rows are cut to the token view's width (estimated from each chip's text width), so a panel 480 px wide
// shows whole rows instead of rows cut off at the right edge; 40 tokens at most per row either way.
const measure = document.createElement('canvas').getContext('2d');
const chipWidths = new Map<string, number>();
const CHIP_EXTRA_PX = 10; // padding 2×3, border 2×1, gap 2
const ROW_PADDING_PX = 12 + 16; // the row's padding and room for a vertical scroll bar

/** The width a chip's text takes in the token view's font (cached per text). */
function textWidth(text: string): number {
  let w = chipWidths.get(text);
  if (w === undefined) {
    w = measure ? measure.measureText(text).width : text.length * 8;
    chipWidths.set(text, w);
  }
  return w;
}

/** The width the rows may take: the token view's inner width (a fallback before it is laid out). */
function rowBudget(): number {
  return Math.max(160, (viewport.clientWidth || 600) - ROW_PADDING_PX);
}

/** Splits the tokens into rows: at line ends, at MAX_ROW_TOKENS, and where the next chip would pass the width. */
function layoutRows(m: TokenModel): void {
  const v = m.view;
  const n = v.ids.length;
  if (measure) measure.font = getComputedStyle(viewport).font;
  const budget = rowBudget();
  m.layoutWidth = budget;
  chipWidths.clear();
  const rows: RowSpan[] = [];
  let first = 0;
  let continued = false;
  let width = 0;
  let nextNewline = m.text.indexOf('\n');
  for (let i = 0; i < n; i++) {
    const fragment = isFragment(m, i);
    let chipPx = textWidth(chipText(m, i, fragment)) * (fragment ? 0.85 : 1) + CHIP_EXTRA_PX;
    if (fragment && m.groupStart[i] === i) chipPx += textWidth(visible(m.text.slice(v.starts[i], v.ends[i]))) + 12;
    width += chipPx;
    const sharesNext = i + 1 < n && v.starts[i + 1] < v.ends[i];
    if (sharesNext) continue; // never break a row inside a split character
    while (nextNewline >= 0 && nextNewline < v.starts[i]) nextNewline = m.text.indexOf('\n', nextNewline + 1);
    const endsLine = nextNewline >= 0 && nextNewline < v.ends[i];
    const nextPx = i + 1 < n ? textWidth(chipText(m, i + 1, isFragment(m, i + 1))) + CHIP_EXTRA_PX : 0;
    if (endsLine || i + 1 - first >= MAX_ROW_TOKENS || i + 1 === n || width + nextPx > budget) {
      rows.push({ first, last: i + 1, continued });
      continued = !endsLine;
      first = i + 1;
      width = continued ? textWidth('↪') + 4 : 0;
    }
  }
  m.rows = rows;
  m.rowOf = new Int32Array(n);
  rows.forEach((r, k) => m.rowOf.fill(k, r.first, r.last));
}

/** Re-cuts the rows after the view's width or the chip texts changed, keeping the focused token in view. */
function relayout(): void {
  const m = model;
  if (!m) return;
  layoutRows(m);
  if (active >= 0) viewport.scrollTop = Math.max(0, m.rowOf[active] * ROW_HEIGHT - viewport.clientHeight / 2);
  renderRows(true);
}

let model: TokenModel | undefined;
let active = -1; // the focused token
let hovered = -1;

// ---------------------------------------------------------------------------------------------
// Page skeleton: built once; sections are refreshed from each snapshot.

const heading = el('h1', { text: strings.heading });
const controls = el('div', { className: 'controls' });
const sourceLine = el('p', { className: 'muted source' });
const notices = el('div', { className: 'notices' });
const statsBox = el('div', { className: 'stats', attrs: { role: 'group', 'aria-label': strings.heading } });
const details = el('div', { className: 'details', attrs: { 'aria-live': 'off' } });
const spacer = el('div', { className: 'token-spacer' });
const rowsLayer = el('div', { className: 'token-rows' });
const viewport = el('div', {
  className: 'token-viewport',
  attrs: { tabindex: '0', role: 'listbox', 'aria-label': strings.tokensLabel },
  children: [spacer, rowsLayer],
});
const tokensSection = el('section', {
  className: 'tokens',
  children: [el('h2', { text: strings.tokensHeading }), el('p', { className: 'muted help', text: strings.tokensHelp }), details, viewport],
});
const comparisonSection = el('section', { className: 'comparison' });
const chatSection = el('section', { className: 'chat', attrs: { 'aria-label': strings.chatHeading } });
const replaySection = el('section', { className: 'replay' });
const trainerSection = el('section', { className: 'trainer' });
const bpeSection = el('section', { className: 'bpe', children: [el('h2', { text: strings.bpeHeading }), replaySection, trainerSection] });
const emptyHint = el('p', { className: 'muted empty', text: strings.emptyHint });

replaceChildren(root, status.element, heading, controls, sourceLine, notices, statsBox, chatSection, tokensSection, comparisonSection, bpeSection, emptyHint);

// ---------------------------------------------------------------------------------------------
// Controls

let builtTokenizerId: string | undefined;
let builtLive: boolean | undefined;
let builtChat: boolean | undefined;

function renderControls(s: TokenizerSnapshot): void {
  const chatOn = s.chat !== null;
  if (builtTokenizerId === s.tokenizerId && builtLive === s.live && builtChat === chatOn && controls.childElementCount > 0) return;
  builtTokenizerId = s.tokenizerId;
  builtLive = s.live;
  builtChat = chatOn;
  const picker = dropdown(
    s.tokenizers.map((t) => ({ value: t.id, label: t.label })),
    s.tokenizerId,
    (tokenizerId) => send({ type: 'setTokenizer', tokenizerId }),
    strings.tokenizerLabel,
  );
  picker.classList.add('tokenizer-picker');
  replaceChildren(
    controls,
    el('label', { className: 'control', children: [el('span', { text: strings.tokenizerLabel }), picker] }),
    checkbox(strings.liveMode, s.live, (live) => send({ type: 'setLive', live })),
    checkbox(strings.chatMode, chatOn, (chat) => send({ type: 'setChat', chat })),
    checkbox(strings.showIds, ui.showIds, (on) => {
      ui.showIds = on;
      persist();
      relayout();
    }),
  );
}

function renderSource(s: TokenizerSnapshot): void {
  const src = s.source;
  sourceLine.textContent = src && src.label ? fmt(src.selection ? strings.sourceSelection : strings.sourceDocument, src.label) : '';
  const items: HTMLElement[] = [];
  if (src?.truncated) items.push(el('p', { className: 'notice', text: fmt(strings.truncated, formatNumber(src.totalChars), formatNumber(s.limit)) }));
  if (s.nfd) {
    items.push(
      el('p', {
        className: 'notice nfd',
        text: fmt(strings.nfdNotice, formatNumber(s.nfd.decomposedSyllables), formatNumber(s.nfd.nfcTokens), formatNumber(s.nfd.tokens)),
      }),
    );
  }
  replaceChildren(notices, ...items);
}

function renderStats(s: TokenizerSnapshot): void {
  const st = s.stats;
  if (!st) {
    replaceChildren(statsBox);
    return;
  }
  const stat = (label: string, value: string, key: string) =>
    el('div', { className: 'stat', attrs: { 'data-stat': key }, children: [el('div', { className: 'stat-value', text: value }), el('div', { className: 'muted', text: label })] });
  replaceChildren(
    statsBox,
    stat(strings.statTokens, formatNumber(st.tokens), 'tokens'),
    stat(strings.statCharacters, formatNumber(st.characters), 'characters'),
    stat(strings.statBytes, formatNumber(st.bytes), 'bytes'),
    stat(strings.statCharsPerToken, formatNumber(st.charactersPerToken, 2), 'charsPerToken'),
    s.tokenization ? el('div', { className: 'muted elapsed', text: fmt(strings.elapsed, formatNumber(s.tokenization.elapsedMs)) }) : undefined,
  );
}

// ---------------------------------------------------------------------------------------------
// Token rows (virtualised)

let renderedRange = { from: -1, to: -1, ids: false };

/** The text a token's chip shows. */
function chipText(m: TokenModel, i: number, fragment: boolean): string {
  if (ui.showIds) return String(m.view.ids[i]);
  if (fragment) return hex(m.pieces.get(m.view.ids[i]) ?? []);
  return visible(m.text.slice(m.view.starts[i], m.view.ends[i])) || '∅';
}

function isFragment(m: TokenModel, i: number): boolean {
  const v = m.view;
  return (i > 0 && v.starts[i] < v.ends[i - 1]) || (i + 1 < v.ids.length && v.starts[i + 1] < v.ends[i]);
}

function chip(m: TokenModel, i: number): HTMLElement {
  const fragment = isFragment(m, i);
  const element = el('span', {
    className: `chip c${i % CHIP_COLOURS}${fragment ? ' fragment' : ''}${i === active ? ' active' : ''}`,
    text: chipText(m, i, fragment),
    attrs: { id: `tok-${i}`, role: 'option', 'data-index': String(i), 'aria-selected': i === active ? 'true' : 'false' },
  });
  return element;
}

function renderRow(m: TokenModel, r: number): HTMLElement {
  const row = m.rows[r];
  const children: HTMLElement[] = [];
  if (row.continued) children.push(el('span', { className: 'continued muted', text: '↪', attrs: { title: strings.continuedRow } }));
  let i = row.first;
  while (i < row.last) {
    const v = m.view;
    if (i + 1 < row.last && v.starts[i + 1] < v.ends[i]) {
      // Tokens sharing a character: one group showing the character once, then its byte fragments.
      const groupChips: HTMLElement[] = [];
      const start = v.starts[i];
      let end = v.ends[i];
      groupChips.push(chip(m, i));
      while (i + 1 < row.last && v.starts[i + 1] < v.ends[i]) {
        i++;
        groupChips.push(chip(m, i));
        end = Math.max(end, v.ends[i]);
      }
      children.push(el('span', { className: 'group', children: [el('span', { className: 'group-char', text: visible(m.text.slice(start, end)) }), ...groupChips] }));
    } else {
      children.push(chip(m, i));
    }
    i++;
  }
  const element = el('div', { className: 'row', children });
  element.style.top = `${r * ROW_HEIGHT}px`;
  return element;
}

function renderRows(force = false): void {
  const m = model;
  if (!m) {
    replaceChildren(rowsLayer);
    spacer.style.height = '0px';
    renderedRange = { from: -1, to: -1, ids: false };
    return;
  }
  spacer.style.height = `${m.rows.length * ROW_HEIGHT}px`;
  const from = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN_ROWS);
  const to = Math.min(m.rows.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN_ROWS);
  if (!force && renderedRange.from === from && renderedRange.to === to && renderedRange.ids === ui.showIds) return;
  renderedRange = { from, to, ids: ui.showIds };
  const rows: HTMLElement[] = [];
  for (let r = from; r < to; r++) rows.push(renderRow(m, r));
  replaceChildren(rowsLayer, ...rows);
  if (active >= 0 && document.getElementById(`tok-${active}`)) viewport.setAttribute('aria-activedescendant', `tok-${active}`);
  else viewport.removeAttribute('aria-activedescendant');
}

let scrollFrame = 0;
viewport.addEventListener('scroll', () => {
  if (scrollFrame) return;
  scrollFrame = requestAnimationFrame(() => {
    scrollFrame = 0;
    renderRows();
  });
});
new ResizeObserver(() => {
  // A width change of more than a few characters re-cuts the rows; any resize redraws what is visible.
  if (model && Math.abs(rowBudget() - model.layoutWidth) > 24) relayout();
  else renderRows();
}).observe(viewport);

function tokenAt(target: EventTarget | null): number | undefined {
  const element = (target as HTMLElement | null)?.closest?.('.chip');
  const index = element?.getAttribute('data-index');
  return index === undefined || index === null ? undefined : Number(index);
}

// Hovering a chip shows its details and, once the pointer rests there, replays its word's merges (the help
// text promises it); a pointer sweeping across the chips sends nothing until it stops.
const HOVER_REPLAY_MS = 250;
let hoverTimer = 0;
let replayRequested = -1;

/** Asks the host for token `i`'s merge replay after `delayMs`, unless another request replaces it first. */
function requestReplay(i: number, delayMs: number): void {
  window.clearTimeout(replayTimer);
  window.clearTimeout(hoverTimer);
  const timer = window.setTimeout(() => {
    if (replayRequested === i) return;
    replayRequested = i;
    send({ type: 'focusToken', index: i });
  }, delayMs);
  if (delayMs === HOVER_REPLAY_MS) hoverTimer = timer;
  else replayTimer = timer;
}

viewport.addEventListener('mouseover', (event) => {
  const i = tokenAt(event.target);
  if (i === undefined || i === hovered) return;
  hovered = i;
  renderDetails(i);
  requestReplay(i, HOVER_REPLAY_MS);
});
viewport.addEventListener('mouseleave', () => {
  hovered = -1;
  window.clearTimeout(hoverTimer);
  renderDetails(active);
});
// A focus that comes from a pointer press must not redraw the rows under the pointer (the press's click
// would then land on a replaced chip and be lost): only keyboard focus picks a first token.
let pointerDown = false;
viewport.addEventListener('pointerdown', () => {
  pointerDown = true;
});
window.addEventListener('pointerup', () => {
  pointerDown = false;
});
viewport.addEventListener('click', (event) => {
  const i = tokenAt(event.target);
  if (i === undefined) return;
  setActive(i, false);
  send({ type: 'selectToken', index: i });
});
viewport.addEventListener('focus', () => {
  if (pointerDown) return;
  if (active < 0 && model && model.view.ids.length > 0) setActive(firstVisibleToken(), false);
});
viewport.addEventListener('keydown', (event) => {
  const m = model;
  if (!m || m.view.ids.length === 0) return;
  const n = m.view.ids.length;
  const at = active < 0 ? 0 : active;
  const row = m.rowOf[at];
  const column = at - m.rows[row].first;
  const inRow = (r: number) => {
    const target = m.rows[Math.max(0, Math.min(m.rows.length - 1, r))];
    return Math.min(target.last - 1, target.first + column);
  };
  let next: number | undefined;
  switch (event.key) {
    case 'ArrowRight':
      next = Math.min(n - 1, at + 1);
      break;
    case 'ArrowLeft':
      next = Math.max(0, at - 1);
      break;
    case 'ArrowDown':
      next = inRow(row + 1);
      break;
    case 'ArrowUp':
      next = inRow(row - 1);
      break;
    case 'PageDown':
      next = inRow(row + 10);
      break;
    case 'PageUp':
      next = inRow(row - 10);
      break;
    case 'Home':
      next = event.ctrlKey ? 0 : m.rows[row].first;
      break;
    case 'End':
      next = event.ctrlKey ? n - 1 : m.rows[row].last - 1;
      break;
    case 'Enter':
    case ' ':
      event.preventDefault();
      if (active >= 0) send({ type: 'selectToken', index: active });
      return;
    default:
      return;
  }
  event.preventDefault();
  setActive(next, true);
});

function firstVisibleToken(): number {
  const m = model;
  if (!m) return 0;
  const r = Math.min(m.rows.length - 1, Math.floor(viewport.scrollTop / ROW_HEIGHT));
  return r >= 0 ? m.rows[r].first : 0;
}

let replayTimer = 0;

/** Marks token `i` as the active one on the chips already drawn (no redraw: a click may be under way). */
function markActive(previous: number, i: number): void {
  const old = previous >= 0 ? document.getElementById(`tok-${previous}`) : null;
  old?.classList.remove('active');
  old?.setAttribute('aria-selected', 'false');
  const now = document.getElementById(`tok-${i}`);
  now?.classList.add('active');
  now?.setAttribute('aria-selected', 'true');
  if (now) viewport.setAttribute('aria-activedescendant', `tok-${i}`);
}

/** Focuses token `i`: scrolls it into view, shows its details, reads them out, asks for its replay. */
function setActive(i: number, fromKeyboard: boolean): void {
  const m = model;
  if (!m) return;
  const previous = active;
  active = i;
  const top = m.rowOf[i] * ROW_HEIGHT;
  if (top < viewport.scrollTop) viewport.scrollTop = top;
  else if (top + ROW_HEIGHT > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = top + ROW_HEIGHT - viewport.clientHeight;
  // Rows are redrawn only when scrolling brought others into view; otherwise the chips stay the same nodes.
  renderRows();
  markActive(previous, i);
  renderDetails(i);
  if (fromKeyboard) announce(readout(m, i));
  requestReplay(i, 150);
}

/** The token's piece: decoded text, or a byte fragment of the character it belongs to. */
function pieceText(m: TokenModel, i: number): string {
  const bytes = m.pieces.get(m.view.ids[i]) ?? new Uint8Array(0);
  const text = decodeWhole(bytes);
  if (text !== undefined) return `“${visible(text)}”`;
  return fmt(strings.fragmentOf, visible(m.text.slice(m.view.starts[i], m.view.ends[i])));
}

function lineColumn(m: TokenModel, offset: number): string {
  let lo = 0;
  let hi = m.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (m.lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return `${lo + 1}:${offset - m.lineStarts[lo] + 1}`;
}

function readout(m: TokenModel, i: number): string {
  return fmt(strings.tokenReadout, formatNumber(i + 1), formatNumber(m.view.ids.length), m.view.ids[i], pieceText(m, i));
}

function renderDetails(i: number): void {
  const m = model;
  if (!m || i < 0 || i >= m.view.ids.length) {
    replaceChildren(details, el('p', { className: 'muted', text: strings.detailsHint }));
    return;
  }
  const v = m.view;
  const bytes = m.pieces.get(v.ids[i]) ?? new Uint8Array(0);
  const row = (label: string, value: string, mono = false) =>
    el('div', { className: 'detail', children: [el('span', { className: 'muted', text: label }), el('span', { className: mono ? 'mono' : '', text: value })] });
  replaceChildren(
    details,
    el('div', { className: 'detail-title', text: fmt(strings.tokenReadout, formatNumber(i + 1), formatNumber(v.ids.length), v.ids[i], '').replace(/,\s*$/, '') }),
    row(strings.detailsId, String(v.ids[i]), true),
    row(strings.detailsPiece, pieceText(m, i), true),
    row(strings.detailsBytes, hex(bytes), true),
    row(strings.detailsPosition, `${lineColumn(m, v.starts[i])} · ${fmt(strings.positionValue, v.starts[i], v.ends[i], m.byteStarts[i], m.byteStarts[i + 1])}`),
  );
}

// ---------------------------------------------------------------------------------------------
// Comparison

function renderComparison(s: TokenizerSnapshot): void {
  const c = s.comparison;
  if (!c) {
    replaceChildren(comparisonSection);
    return;
  }
  const head = el('tr', { children: [strings.colTokenizer, strings.colTokens, strings.colRatio, strings.colBytesPerToken].map((t) => el('th', { text: t, attrs: { scope: 'col' } })) });
  const rows = c.rows.map((r) =>
    el('tr', {
      className: r.id === s.tokenizerId ? 'current' : '',
      attrs: { 'data-tokenizer': r.id },
      children: [
        el('th', { text: r.label, attrs: { scope: 'row' } }),
        el('td', { text: r.tokens === null ? '—' : formatNumber(r.tokens) }),
        el('td', { text: r.ratioToCheapest === null ? (r.error ?? '—') : `${formatNumber(r.ratioToCheapest, 2)}×` }),
        el('td', { text: r.bytesPerToken === null ? '—' : formatNumber(r.bytesPerToken, 2) }),
      ],
    }),
  );
  replaceChildren(
    comparisonSection,
    el('h2', { text: strings.comparisonHeading }),
    c.pending
      ? el('p', { className: 'muted', text: strings.comparisonPending })
      : el('table', { className: 'data comparison-table', children: [el('thead', { children: [head] }), el('tbody', { children: rows })] }),
  );
}

// ---------------------------------------------------------------------------------------------
// Chat mode: the text as messages under every tokenizer's chat format

function renderChat(s: TokenizerSnapshot): void {
  const c = s.chat;
  chatSection.hidden = !c;
  if (!c) {
    replaceChildren(chatSection);
    return;
  }
  const intro = c.from === 'json' ? fmt(strings.chatFromJson, formatNumber(c.roles.length)) : strings.chatFromText;
  const cards = c.rows.map((r) => {
    const counts: string[] = [];
    if (r.total !== null) {
      r.perMessage.forEach((n, i) => counts.push(fmt(strings.chatMessageCount, c.roles[i] ?? '?', formatNumber(n))));
      if (r.overhead !== null) counts.push(fmt(strings.chatOverhead, formatNumber(r.overhead)));
    }
    const shown = r.pieces.length;
    const more = r.total !== null && r.total > shown ? r.total - shown : 0;
    const chips = r.pieces.map((p, i) =>
      el('span', {
        // Special tokens (chat markers) get their own style, not a colour of the cycle.
        className: p.special ? 'chip special' : `chip c${i % CHIP_COLOURS}`,
        text: visible(p.text) || '∅',
      }),
    );
    return el('article', {
      className: `chat-card${r.id === s.tokenizerId ? ' current' : ''}`,
      attrs: { 'data-tokenizer': r.id },
      children: [
        el('h3', {
          children: [
            el('span', { text: r.label }),
            el('span', { className: 'chat-total', text: r.total === null ? '—' : fmt(strings.chatTotal, formatNumber(r.total)) }),
          ],
        }),
        r.total === null
          ? el('p', { className: 'muted', text: r.error ?? '' })
          : el('p', { className: 'muted chat-counts', text: counts.join(' · ') }),
        r.format ? el('p', { className: 'muted chat-format', text: r.format === 'openaiChatml' ? strings.chatFormatOpenai : strings.chatFormatTemplate }) : undefined,
        chips.length > 0 ? el('div', { className: 'piece-row chat-pieces', children: chips }) : undefined,
        more > 0 ? el('p', { className: 'muted', text: fmt(strings.chatMorePieces, formatNumber(more)) }) : undefined,
      ],
    });
  });
  replaceChildren(
    chatSection,
    el('h2', { text: strings.chatHeading }),
    el('p', { className: 'muted', text: intro }),
    c.pending ? el('p', { className: 'muted', text: strings.chatPending }) : el('p', { className: 'muted', text: strings.chatSpecialLegend }),
    ...(c.pending ? [] : cards),
  );
}

// ---------------------------------------------------------------------------------------------
// BPE: merge replay and trainer

function pieceChip(p: ReplayPieceView, index: number, extra = ''): HTMLElement {
  const label = pieceLabel(p.bytes);
  return el('span', {
    className: `chip c${index % CHIP_COLOURS}${label.fragment ? ' fragment' : ''}${extra}`,
    text: ui.showIds ? String(p.id) : label.text || '∅',
    attrs: { title: `${p.id}: ${hex(p.bytes)}` },
  });
}

let replayStep: { key: string; step: number } = { key: '', step: 0 };

function replayKey(r: MergeReplayView): string {
  return `${r.tokenIndex}:${r.word}:${r.steps.length}`;
}

function replayPiecesAfter(r: MergeReplayView, k: number): ReplayPieceView[] {
  const pieces = r.start.slice();
  for (let i = 0; i < k; i++) pieces.splice(r.steps[i].position, 2, r.steps[i].merged);
  return pieces;
}

function renderReplay(s: TokenizerSnapshot): void {
  const r = s.replay;
  const intro = [el('h3', { text: strings.replayHeading }), el('p', { className: 'muted', text: strings.replayHelp })];
  if (!r) {
    replaceChildren(replaySection, ...intro, s.tokenization ? el('p', { className: 'muted', text: strings.replayNone }) : undefined);
    return;
  }
  if ('error' in r) {
    replaceChildren(replaySection, ...intro, el('p', { className: 'field-error', text: r.error }));
    return;
  }
  const key = replayKey(r);
  if (replayStep.key !== key) replayStep = { key, step: r.steps.length };
  const sequence = el('div', { className: 'piece-row replay-sequence' });
  const stepText = el('p', { className: 'replay-step' });
  const draw = () => {
    const k = replayStep.step;
    replaceChildren(sequence, ...replayPiecesAfter(r, k).map((p, i) => pieceChip(p, i)));
    if (k === 0) stepText.textContent = strings.replayStart;
    else {
      const st = r.steps[k - 1];
      stepText.textContent = fmt(strings.replayStep, k, r.steps.length, pieceLabel(st.left.bytes).text, pieceLabel(st.right.bytes).text, pieceLabel(st.merged.bytes).text, formatNumber(st.rank));
    }
  };
  const control = slider(0, r.steps.length, 1, replayStep.step, (k) => {
    replayStep.step = k;
    draw();
  }, strings.replaySlider);
  draw();
  const finish =
    r.finish === 'addedToken' ? strings.replayFinishAdded : r.finish === 'wholeWord' ? (r.mergesReachTokens ? strings.replayFinishWhole : strings.replayFinishWholeDiffers) : strings.replayFinishMerges;
  const listed = r.steps.slice(0, MAX_REPLAY_STEPS_LISTED).map((st, k) =>
    el('li', {
      children: [pieceChip(st.left, 0), ' + ', pieceChip(st.right, 1), ' → ', pieceChip(st.merged, 2), el('span', { className: 'muted', text: ` #${formatNumber(st.rank)}` })],
      attrs: { 'data-step': String(k + 1) },
    }),
  );
  replaceChildren(
    replaySection,
    ...intro,
    el('p', { className: 'replay-word', text: fmt(strings.replayWord, visible(r.word), formatNumber(r.start.length)) }),
    r.steps.length > 0 && el('label', { className: 'slider-row', children: [el('span', { text: strings.replaySlider }), control] }),
    stepText,
    sequence,
    el('p', { className: 'muted', text: finish }),
    el('div', { className: 'piece-row', children: r.tokens.map((p, i) => pieceChip(p, i, ' final')) }),
    listed.length > 0 && el('ol', { className: 'replay-steps', children: listed }),
  );
}

let trainerTimer = 0;

function renderTrainer(s: TokenizerSnapshot): void {
  const t: BpeTrainerView | null = s.trainer;
  const intro = [el('h3', { text: strings.trainerHeading }), el('p', { className: 'muted', text: strings.trainerHelp })];
  if (!s.tokenization) {
    replaceChildren(trainerSection);
    return;
  }
  if (!t) {
    replaceChildren(trainerSection, ...intro, button(strings.trainButton, () => send({ type: 'trainBpe' })));
    return;
  }
  const total = t.merges.length;
  const control = slider(0, total, 1, t.step, (k) => {
    window.clearTimeout(trainerTimer);
    trainerTimer = window.setTimeout(() => send({ type: 'trainStep', step: k }), 40);
  }, strings.trainerSlider);
  const merge = t.step > 0 ? t.merges[t.step - 1] : undefined;
  const bytes = t.tokenCounts[0];
  const previewChips: HTMLElement[] = [];
  for (let i = 0; i < t.preview.ids.length; i++) {
    const fragment = (i > 0 && t.preview.starts[i] < t.preview.ends[i - 1]) || (i + 1 < t.preview.ids.length && t.preview.starts[i + 1] < t.preview.ends[i]);
    const text = fragment ? `${t.preview.lengths[i]}B` : visible(t.preview.text.slice(t.preview.starts[i], t.preview.ends[i]));
    previewChips.push(el('span', { className: `chip c${i % CHIP_COLOURS}${fragment ? ' fragment' : ''}`, text: ui.showIds ? String(t.preview.ids[i]) : text || '∅' }));
  }
  replaceChildren(
    trainerSection,
    ...intro,
    t.truncated && el('p', { className: 'muted', text: fmt(strings.trainerTruncated, formatNumber(t.trainedChars)) }),
    el('label', { className: 'slider-row', children: [el('span', { text: strings.trainerSlider }), control] }),
    el('p', { className: 'trainer-step', text: fmt(strings.trainerStep, formatNumber(t.step), formatNumber(total), formatNumber(t.tokenCounts[t.step] ?? 0), formatNumber(bytes)) }),
    el('p', {
      className: 'trainer-merge',
      text: merge
        ? fmt(strings.trainerMerge, formatNumber(t.step), pieceLabel(merge.left).text, pieceLabel(merge.right).text, pieceLabel(merge.merged).text, formatNumber(merge.count))
        : strings.trainerNoMerge,
    }),
    el('p', { className: 'muted', text: strings.previewCaption }),
    el('div', { className: 'piece-row trainer-preview', children: previewChips }),
  );
}

// ---------------------------------------------------------------------------------------------
// Snapshots

let persisted = '';

/** Saves UI state and the restore data (the text only when it changed: it can be 100,000 characters). */
function persist(): void {
  const s = snapshot;
  const chat = s?.chat !== null && s?.chat !== undefined;
  const key = s ? `${ui.showIds}|${s.tokenizerId}|${s.live}|${chat}|${s.text.length}|${s.tokenization?.revision ?? -1}` : '';
  if (key === persisted) return;
  persisted = key;
  // Chat mode is part of what the host restores: after a window reload the panel comes back in Chat mode.
  const restore = s && s.text.length > 0 && s.text.length <= MAX_RESTORE_CHARS ? { text: s.text, tokenizerId: s.tokenizerId, live: s.live, chat } : s ? { tokenizerId: s.tokenizerId, live: s.live, chat } : undefined;
  saveState<UiState>({ showIds: ui.showIds, restore });
}

function render(s: TokenizerSnapshot): void {
  const received = performance.now();
  const previous = snapshot;
  snapshot = s;
  // A new text or tokenizer clears an old error; progress and errors otherwise stay until the host's idle.
  if (previous && previous.tokenization?.revision !== s.tokenization?.revision && s.tokenization) status.clear();
  renderControls(s);
  renderSource(s);
  renderStats(s);
  const revision = s.tokenization?.revision;
  if (revision !== model?.view.revision || s.tokenization?.tokenizerId !== model?.view.tokenizerId) {
    model = s.tokenization ? buildModel(s.tokenization, s.text) : undefined;
    active = -1;
    hovered = -1;
    replayRequested = -1;
    viewport.scrollTop = 0;
    renderRows(true);
    renderDetails(-1);
    if (s.tokenization) {
      const painted = s.tokenization.revision;
      // Reported after the frame is drawn: the host measures command-to-first-paint with it.
      requestAnimationFrame(() =>
        window.setTimeout(() => {
          const now = performance.now();
          send({ type: 'rendered', revision: painted, renderMs: now - received, paintedAt: performance.timeOrigin + now });
        }, 0),
      );
    }
  }
  tokensSection.hidden = !s.tokenization;
  emptyHint.hidden = s.text.length > 0;
  renderChat(s);
  renderComparison(s);
  renderReplay(s);
  renderTrainer(s);
  persist();
}

const send = connect<'tokenizer'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
