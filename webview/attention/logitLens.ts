// The logit lens (issue 18): layers × positions, each cell the top next-token guess of that layer's residual
// stream and its probability (coloured by it), ★ where the final answer first appears; a detail line with the
// top candidates and the entropy of the focused cell. Keyboard: roving focus over the cells.
import type { AttentionSnapshot } from './drawn';
import type { LogitLensView } from '../../src/shared/attentionAnalysisProtocol';
import { announce, gridKeyMove, type GridPosition } from '../common/a11y';
import { el, replaceChildren } from '../common/dom';
import { sequentialRgb, textOn } from '../common/theme';
import { dropdown } from '../common/ui';
import { analysisRunKey, analysisUi, fmt, LENS_COUNTS, percent, tokenLabel, type AnalysisContext } from './analysisCommon';

let lastRequest = '';
let focus: GridPosition = { row: 0, col: 0 };

/** The positions the lens shows now (ending at analysisUi.lensEnd, or the last token). */
function wantedPositions(s: AttentionSnapshot): { end: number; count: number } {
  const end = analysisUi.lensEnd >= 0 && analysisUi.lensEnd < s.seqLen ? analysisUi.lensEnd : s.seqLen - 1;
  return { end, count: Math.min(analysisUi.lensCount, end + 1) };
}

function requestLens(s: AttentionSnapshot, ctx: AnalysisContext): void {
  const { end, count } = wantedPositions(s);
  const lens = s.analysis?.lens;
  if (lens && lens.positions.length === count && lens.positions[count - 1] === end) return;
  const key = [analysisRunKey(s), end, count].join('|');
  if (key === lastRequest) return;
  lastRequest = key;
  ctx.send({ type: 'logitLens', end, count });
}

/** Renders the logit lens section (and asks for the positions it shows when they are missing). */
export function renderLogitLens(s: AttentionSnapshot, container: HTMLElement, ctx: AnalysisContext): void {
  const { strings } = ctx;
  requestLens(s, ctx);
  const { end, count } = wantedPositions(s);
  const endPicker = dropdown(s.tokens.map((t, i) => ({ value: String(i), label: `${i}: ${tokenLabel(t.text, 20)}` })), String(end), (v) => {
    analysisUi.lensEnd = Number(v);
    ctx.saveSettings();
    renderLogitLens(s, container, ctx);
  }, strings.lensEnd);
  const countPicker = dropdown(LENS_COUNTS.map((n) => ({ value: String(n), label: String(n) })), String(analysisUi.lensCount), (v) => {
    analysisUi.lensCount = Number(v);
    ctx.saveSettings();
    renderLogitLens(s, container, ctx);
  }, strings.lensCount);
  const lens = s.analysis?.lens;
  const ready = lens && lens.positions.length === count && lens.positions[count - 1] === end;
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.lensHelp }),
    el('div', { className: 'analysis-controls', children: [el('label', { text: strings.lensEnd }), endPicker, el('label', { text: strings.lensCount }), countPicker] }),
    ready ? lensTable(s, lens, ctx) : el('p', { className: 'muted lens-pending', text: strings.working }),
  );
}

function lensTable(s: AttentionSnapshot, lens: LogitLensView, ctx: AnalysisContext): HTMLElement {
  const { strings } = ctx;
  const L = lens.ids.length;
  const R = lens.positions.length;
  const k = lens.topK;
  focus = { row: Math.min(focus.row, L - 1), col: Math.min(focus.col, R - 1) };
  const detail = el('div', { className: 'lens-detail', attrs: { 'aria-live': 'off' } });
  const describe = (l: number, r: number): string => {
    const pos = lens.positions[r];
    return fmt(strings.lensCell, l, pos, tokenLabel(s.tokens[pos].text, 24), `“${tokenLabel(lens.texts[l][r * k], 24)}”`, percent(lens.probs[l][r * k]), lens.entropy[l][r].toFixed(2));
  };
  const showDetail = (l: number, r: number): void => {
    const pos = lens.positions[r];
    const items = Array.from({ length: k }, (_, j) => el('li', { className: 'mono', text: `${tokenLabel(lens.texts[l][r * k + j], 24)}  ${percent(lens.probs[l][r * k + j])}` }));
    const answer = lens.texts[L - 1][r * k];
    replaceChildren(
      detail,
      el('h4', { text: fmt(strings.lensDetail, l, pos, tokenLabel(s.tokens[pos].text, 24)) }),
      el('ol', { children: items }),
      el('p', { className: 'muted', text: `${fmt(strings.lensEntropy, lens.entropy[l][r].toFixed(2))} · ${fmt(strings.lensAnswer, `“${tokenLabel(answer, 24)}”`, lens.answerLayer[r])}` }),
    );
  };
  const cells: HTMLElement[][] = [];
  const headRow = el('tr', {
    children: [el('th', { text: strings.layer, attrs: { scope: 'col' } }), ...lens.positions.map((p) => el('th', { className: 'mono', text: `${p}: ${tokenLabel(s.tokens[p].text, 10)}`, attrs: { scope: 'col', title: s.tokens[p].text } }))],
  });
  const rows = Array.from({ length: L }, (_, l) => {
    const row = Array.from({ length: R }, (_, r) => {
      const p = lens.probs[l][r * k];
      const rgb = sequentialRgb(Math.sqrt(Math.max(0, p)));
      const answer = lens.answerLayer[r] === l;
      const td = el('td', {
        className: `lens-cell mono${answer ? ' answer' : ''}`,
        children: [el('span', { className: 'lens-token', text: `${answer ? '★ ' : ''}${tokenLabel(lens.texts[l][r * k], 10)}` }), el('span', { className: 'lens-prob', text: percent(p) })],
        attrs: { tabindex: l === focus.row && r === focus.col ? '0' : '-1', 'aria-label': describe(l, r), title: describe(l, r), 'data-layer': String(l), 'data-col': String(r) },
      });
      td.style.background = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
      td.style.color = textOn(rgb);
      return td;
    });
    cells.push(row);
    const name = l === L - 1 ? fmt(strings.lensOutput, `L${l}`) : `L${l}`;
    return el('tr', { children: [el('th', { text: name, attrs: { scope: 'row' } }), ...row] });
  });
  const table = el('table', {
    className: 'data lens-table',
    attrs: { role: 'grid', 'aria-labelledby': 'lens-caption' },
    children: [el('thead', { children: [headRow] }), el('tbody', { children: rows })],
  });
  const moveTo = (next: GridPosition, focusCell: boolean): void => {
    cells[focus.row][focus.col].setAttribute('tabindex', '-1');
    focus = next;
    const cell = cells[next.row][next.col];
    cell.setAttribute('tabindex', '0');
    if (focusCell) cell.focus();
    showDetail(next.row, next.col);
  };
  table.addEventListener('click', (event) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('td.lens-cell');
    if (cell) moveTo({ row: Number(cell.dataset.layer), col: Number(cell.dataset.col) }, true);
  });
  table.addEventListener('keydown', (event) => {
    const next = gridKeyMove(event.key, focus, L, R, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    moveTo(next, true);
    announce(describe(next.row, next.col));
  });
  showDetail(focus.row, focus.col);
  // A 16-bit unembedding's error is labelled only where it could change a digit shown: half the last digit of a
  // percentage under 10% (0.01% → 5·10⁻⁵) or of an entropy (0.01 → 0.005 nats).
  const probError = lens.maxProbError ?? 0;
  const entropyError = lens.maxEntropyError ?? 0;
  const approximate = probError >= 5e-5 || entropyError >= 0.005
    ? [el('p', { className: 'muted lens-approximate', text: fmt(strings.lensApproximate, percent(probError), entropyError.toFixed(3)) })]
    : [];
  // The caption stays outside the sideways-scrolling box, so a wide table does not hide part of it.
  return el('div', { children: [el('p', { className: 'muted lens-caption', text: strings.lensCaption, attrs: { id: 'lens-caption' } }), ...approximate, el('div', { className: 'table-wrap lens-wrap', children: [table] }), detail] });
}
