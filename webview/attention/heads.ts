// Find heads (issue 18): a layer × head grid of one score at a time (TransformerLens detect_head on the
// selection, the standard induction test, or the share of attention on the first token), sorted lists, an
// adjustable threshold, and P/D/I badges on the All heads thumbnails. Every score comes from the host.
import type { AttentionSnapshot } from './drawn';
import type { AttentionAnalysisView } from '../../src/shared/attentionAnalysisProtocol';
import { announce, gridKeyMove, type GridPosition } from '../common/a11y';
import { el, replaceChildren } from '../common/dom';
import { sequentialRgb, textOn } from '../common/theme';
import { button, checkbox, dropdown } from '../common/ui';
import { analysisRunKey, analysisUi, duration, fmt, score, type AnalysisContext, type AnalysisStrings, type ScoreKind } from './analysisCommon';

/** The scores of one kind (layers × heads), if computed. */
function scoresOf(view: AttentionAnalysisView | undefined, kind: ScoreKind): Float32Array | undefined {
  if (kind === 'inductionTest') return view?.inductionTest.scores;
  return view?.heads?.[kind];
}

function kindLabel(strings: AnalysisStrings, kind: ScoreKind): string {
  switch (kind) {
    case 'previousToken': return strings.scorePrevious;
    case 'duplicateToken': return strings.scoreDuplicate;
    case 'induction': return strings.scoreInduction;
    case 'inductionTest': return strings.scoreInductionTest;
    case 'sinks': return strings.scoreSink;
  }
}

let lastRequest = '';
let gridFocus: GridPosition = { row: 0, col: 0 };
let confirming = false;

/** Asks the host for the head scores of this run and options, once. */
function requestScores(s: AttentionSnapshot, ctx: AnalysisContext): void {
  const heads = s.analysis?.heads;
  if (heads && heads.excludeBos === analysisUi.excludeBos && heads.excludeCurrentToken === analysisUi.excludeCurrentToken) return;
  const key = [analysisRunKey(s), analysisUi.excludeBos, analysisUi.excludeCurrentToken].join('|');
  if (key === lastRequest) return;
  lastRequest = key;
  ctx.send({ type: 'findHeads', excludeBos: analysisUi.excludeBos, excludeCurrentToken: analysisUi.excludeCurrentToken });
}

/** Renders the Find heads section (and asks for the scores when this run has none yet). */
export function renderFindHeads(s: AttentionSnapshot, container: HTMLElement, ctx: AnalysisContext): void {
  const { strings } = ctx;
  requestScores(s, ctx);
  const kinds: ScoreKind[] = ['previousToken', 'duplicateToken', 'induction', 'inductionTest', 'sinks'];
  const results = el('div', { className: 'heads-results' });
  const paint = (): void => renderResults(s, results, ctx);
  const kindPicker = dropdown(kinds.map((k) => ({ value: k, label: kindLabel(strings, k) })), analysisUi.score, (v) => {
    analysisUi.score = v as ScoreKind;
    ctx.saveSettings();
    paint();
  }, strings.scoreLabel);
  const slider = el('input', { className: 'threshold', attrs: { type: 'range', min: '0', max: '1', step: '0.05', value: String(analysisUi.threshold), id: 'head-threshold', 'aria-valuetext': analysisUi.threshold.toFixed(2) } });
  const sliderValue = el('output', { className: 'mono', text: analysisUi.threshold.toFixed(2), attrs: { for: 'head-threshold' } });
  slider.addEventListener('input', () => {
    analysisUi.threshold = Number(slider.value);
    sliderValue.textContent = analysisUi.threshold.toFixed(2);
    slider.setAttribute('aria-valuetext', analysisUi.threshold.toFixed(2));
    ctx.saveSettings();
    paint();
  });
  const options = [
    checkbox(strings.excludeBos, analysisUi.excludeBos, (on) => {
      analysisUi.excludeBos = on;
      ctx.saveSettings();
      requestScores(s, ctx);
    }),
    checkbox(strings.excludeCurrent, analysisUi.excludeCurrentToken, (on) => {
      analysisUi.excludeCurrentToken = on;
      ctx.saveSettings();
      requestScores(s, ctx);
    }),
  ];
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.findHeadsHelp }),
    el('div', {
      className: 'analysis-controls',
      children: [el('label', { text: strings.scoreLabel }), kindPicker, el('label', { attrs: { for: 'head-threshold' }, text: strings.thresholdLabel }), slider, sliderValue],
    }),
    el('div', { className: 'analysis-controls', children: options }),
    results,
    inductionTestBlock(s, ctx),
    el('p', { className: 'note sink-note', attrs: { role: 'note' }, text: strings.sinkNote }),
  );
  paint();
}

/** The grid of the chosen score and the sorted lists. */
function renderResults(s: AttentionSnapshot, container: HTMLElement, ctx: AnalysisContext): void {
  const { strings } = ctx;
  const values = scoresOf(s.analysis, analysisUi.score);
  if (!values) {
    const text = analysisUi.score === 'inductionTest' ? strings.noScore : strings.scoring;
    // A cancelled scoring leaves nothing to wait for: the button asks again.
    const again = analysisUi.score === 'inductionTest' ? false : button(strings.sectionFindHeads, () => {
      lastRequest = '';
      requestScores(s, ctx);
    }, 'secondary');
    replaceChildren(container, el('p', { className: 'muted heads-pending', text }), again);
  } else {
    replaceChildren(container, scoreGrid(s, values, ctx), sortedLists(s, ctx));
  }
}

function scoreGrid(s: AttentionSnapshot, values: Float32Array, ctx: AnalysisContext): HTMLElement {
  const { strings } = ctx;
  const L = s.layers;
  const H = s.heads;
  gridFocus = { row: Math.min(gridFocus.row, L - 1), col: Math.min(gridFocus.col, H - 1) };
  const label = kindLabel(strings, analysisUi.score);
  const cells: HTMLElement[][] = [];
  const headRow = el('tr', { children: [el('th', { text: '', attrs: { scope: 'col' } }), ...Array.from({ length: H }, (_, h) => el('th', { text: `H${h}`, attrs: { scope: 'col', title: fmt(strings.headN, h) } }))] });
  const rows = Array.from({ length: L }, (_, l) => {
    const row: HTMLElement[] = [];
    for (let h = 0; h < H; h++) {
      const v = values[l * H + h];
      const rgb = sequentialRgb(Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);
      const td = el('td', {
        className: `score-cell mono${v >= analysisUi.threshold ? ' above' : ''}`,
        text: score(v),
        attrs: { tabindex: l === gridFocus.row && h === gridFocus.col ? '0' : '-1', 'data-layer': String(l), 'data-head': String(h), 'aria-label': fmt(strings.cellScore, l, h, label, score(v)) },
      });
      td.style.background = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
      td.style.color = textOn(rgb);
      row.push(td);
    }
    cells.push(row);
    return el('tr', { children: [el('th', { text: `L${l}`, attrs: { scope: 'row', title: fmt(strings.layerN, l) } }), ...row] });
  });
  // The caption stays outside the sideways-scrolling box, so a wide grid does not hide part of it.
  const table = el('table', {
    className: 'data score-grid',
    attrs: { role: 'grid', 'aria-labelledby': 'score-caption' },
    children: [el('thead', { children: [headRow] }), el('tbody', { children: rows })],
  });
  const open = (l: number, h: number): void => {
    ctx.select(l, h, s.selection.query);
    ctx.showView('heatmap');
  };
  table.addEventListener('click', (event) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('td.score-cell');
    if (cell) open(Number(cell.dataset.layer), Number(cell.dataset.head));
  });
  table.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open(gridFocus.row, gridFocus.col);
      return;
    }
    const next = gridKeyMove(event.key, gridFocus, L, H, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    cells[gridFocus.row][gridFocus.col].setAttribute('tabindex', '-1');
    gridFocus = next;
    const cell = cells[next.row][next.col];
    cell.setAttribute('tabindex', '0');
    cell.focus();
    announce(cell.getAttribute('aria-label') ?? '');
  });
  return el('div', { children: [el('p', { className: 'muted score-caption', text: fmt(strings.gridCaption, label), attrs: { id: 'score-caption' } }), el('div', { className: 'table-wrap score-wrap', children: [table] })] });
}

/** The highest heads of each score computed so far (selection's scores beside the standard test). */
function sortedLists(s: AttentionSnapshot, ctx: AnalysisContext): HTMLElement {
  const { strings } = ctx;
  const kinds: ScoreKind[] = ['previousToken', 'duplicateToken', 'induction', 'inductionTest', 'sinks'];
  const lists = kinds.flatMap((kind) => {
    const values = scoresOf(s.analysis, kind);
    if (!values) return [];
    const order = Array.from(values.keys()).filter((i) => Number.isFinite(values[i])).sort((a, b) => values[b] - values[a]).slice(0, 8);
    const items = order.map((i) => el('li', {
      className: values[i] >= analysisUi.threshold ? 'above' : '',
      text: `L${Math.floor(i / s.heads)} H${i % s.heads}  ${score(values[i])}`,
    }));
    return [el('section', { className: 'top-list', children: [el('h4', { text: fmt(strings.topHeads, kindLabel(strings, kind)) }), el('ol', { className: 'mono', children: items })] })];
  });
  return el('div', { className: 'top-lists', children: lists });
}

/** The standard induction test: what it is, its estimated cost, a confirmation on large models, its result. */
function inductionTestBlock(s: AttentionSnapshot, ctx: AnalysisContext): HTMLElement {
  const { strings } = ctx;
  const test = s.analysis?.inductionTest;
  const box = el('section', { className: 'induction-test', children: [el('h4', { text: strings.inductionTestHeading }), el('p', { className: 'muted', text: strings.inductionTestHelp })] });
  if (!test) return box;
  const passes = test.batch;
  const run = (): void => {
    confirming = false;
    ctx.send({ type: 'inductionTest', confirmed: test.needsConfirmation });
  };
  if (confirming) {
    box.append(
      el('p', { className: 'notice confirm', attrs: { role: 'alert' }, text: fmt(strings.inductionTestConfirm, passes, test.tokens, duration(test.estimateMs)) }),
      el('div', { className: 'toolbar', children: [button(strings.runAnyway, run), button(strings.notNow, () => { confirming = false; ctx.redrawAnalysis(); }, 'secondary')] }),
    );
    return box;
  }
  box.append(
    el('p', { className: 'muted', text: fmt(strings.inductionTestCost, passes, test.tokens, duration(test.estimateMs)) }),
    el('div', {
      className: 'toolbar',
      children: [button(strings.runInductionTest, () => {
        if (test.needsConfirmation) {
          confirming = true;
          ctx.redrawAnalysis();
        } else run();
      }, test.scores ? 'secondary' : 'primary')],
    }),
  );
  if (test.scores && test.elapsedMs !== undefined) box.append(el('p', { className: 'muted test-done', text: fmt(strings.inductionTestDone, duration(test.elapsedMs)) }));
  return box;
}

/**
 * Badges on the All heads thumbnails: P, D and I for heads whose previous-token, duplicate-token or induction
 * score (the standard test's when run, else the selection's) reaches the threshold; the title explains each.
 */
export function decorateThumbnails(grid: HTMLElement, s: AttentionSnapshot, strings: AnalysisStrings): void {
  const view = s.analysis;
  const t = analysisUi.threshold;
  const standard = view?.inductionTest.scores;
  for (const thumb of Array.from(grid.querySelectorAll<HTMLElement>('.thumb'))) {
    thumb.querySelector('.head-badges')?.remove();
    const base = thumb.getAttribute('aria-label')?.split(' — ')[0] ?? '';
    thumb.setAttribute('aria-label', base);
    const head = Number(thumb.dataset.head);
    const layer = Number(thumb.dataset.layer);
    if (!view?.heads || !Number.isInteger(head)) continue;
    const i = layer * s.heads + head;
    const badges: HTMLElement[] = [];
    const add = (letter: string, title: string): void => {
      badges.push(el('span', { className: `head-badge badge-${letter.toLowerCase()}`, text: letter, attrs: { title } }));
    };
    const p = view.heads.previousToken[i];
    const d = view.heads.duplicateToken[i];
    const ind = standard ? standard[i] : view.heads.induction[i];
    if (p >= t) add('P', fmt(strings.badgeP, score(p), score(t)));
    if (d >= t) add('D', fmt(strings.badgeD, score(d), score(t)));
    if (ind >= t) add('I', fmt(strings.badgeI, standard ? strings.badgeIStandard : strings.badgeISelection, score(ind), score(t)));
    if (badges.length === 0) continue;
    const holder = el('span', { className: 'head-badges', children: badges, attrs: { title: badges.map((b) => b.title).join('\n') } });
    thumb.appendChild(holder);
    thumb.setAttribute('aria-label', `${base} — ${badges.map((b) => b.title).join('; ')}`);
  }
}
