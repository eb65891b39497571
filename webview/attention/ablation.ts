// Head ablation (issue 18): pick heads (or a layer's whole attention) on a layer × head grid of toggle
// buttons, rerun, and compare the next-token predictions before and after with their KL divergence.
import type { AttentionSnapshot } from './drawn';
import type { AblationChoice, AblationView, AnalysisPrediction } from '../../src/shared/attentionAnalysisProtocol';
import { gridKeyMove, type GridPosition } from '../common/a11y';
import { el, replaceChildren } from '../common/dom';
import { button } from '../common/ui';
import { analysisInputKey, analysisUi, fmt, percent, tokenLabel, type AnalysisContext } from './analysisCommon';

let focus: GridPosition = { row: 0, col: 0 };

/** The picks as ablations (a whole layer first, then heads). */
function picked(): AblationChoice[] {
  return Array.from(analysisUi.ablate, (key) => {
    const [layer, head] = key.split(':');
    return head === '*' ? { layer: Number(layer) } : { layer: Number(layer), head: Number(head) };
  });
}

/** Renders the ablation section. */
export function renderAblation(s: AttentionSnapshot, container: HTMLElement, ctx: AnalysisContext): void {
  const { strings } = ctx;
  const key = analysisInputKey(s);
  if (analysisUi.runKey !== key) {
    analysisUi.runKey = key;
    analysisUi.ablate.clear();
    ctx.saveSettings();
  }
  const L = s.layers;
  const H = s.heads;
  const cols = H + 1;
  focus = { row: Math.min(focus.row, L - 1), col: Math.min(focus.col, cols - 1) };
  const toggles: HTMLElement[][] = [];
  const runButton = button(strings.ablationRun, () => {
    const ablations = picked();
    if (ablations.length > 0) ctx.send({ type: 'ablate', ablations });
  });
  const hint = el('p', { className: 'muted ablation-none', text: analysisUi.ablate.size === 0 ? strings.ablationNone : '' });
  const refresh = (): void => {
    for (let l = 0; l < L; l++) {
      const whole = analysisUi.ablate.has(`${l}:*`);
      toggles[l].forEach((t, c) => {
        const on = c === H ? whole : whole || analysisUi.ablate.has(`${l}:${c}`);
        t.setAttribute('aria-pressed', String(on));
        t.classList.toggle('on', on);
      });
    }
    runButton.toggleAttribute('disabled', analysisUi.ablate.size === 0);
    hint.textContent = analysisUi.ablate.size === 0 ? strings.ablationNone : '';
  };
  const toggle = (l: number, c: number): void => {
    const k = c === H ? `${l}:*` : `${l}:${c}`;
    if (analysisUi.ablate.has(k)) analysisUi.ablate.delete(k);
    else analysisUi.ablate.add(k);
    ctx.saveSettings();
    refresh();
  };
  const headRow = el('tr', { children: [el('th', { attrs: { scope: 'col' } }), ...Array.from({ length: H }, (_, h) => el('th', { text: `H${h}`, attrs: { scope: 'col' } })), el('th', { text: strings.ablationAll, attrs: { scope: 'col' } })] });
  const rows = Array.from({ length: L }, (_, l) => {
    const row = Array.from({ length: cols }, (_, c) =>
      el('button', {
        className: `ablate-toggle${c === H ? ' whole' : ''}`,
        text: c === H ? strings.ablationAll : `H${c}`,
        attrs: {
          type: 'button', 'aria-pressed': 'false', tabindex: l === focus.row && c === focus.col ? '0' : '-1', 'data-layer': String(l), 'data-col': String(c),
          'aria-label': fmt(strings.ablationToggle, l, c === H ? strings.ablationAll : fmt(strings.headN, c)),
        },
      }),
    );
    toggles.push(row);
    return el('tr', { children: [el('th', { text: `L${l}`, attrs: { scope: 'row' } }), ...row.map((b) => el('td', { children: [b] }))] });
  });
  const table = el('table', { className: 'ablation-grid', children: [el('thead', { children: [headRow] }), el('tbody', { children: rows })] });
  table.addEventListener('click', (event) => {
    const b = (event.target as HTMLElement).closest<HTMLElement>('button.ablate-toggle');
    if (!b) return;
    toggles[focus.row][focus.col].setAttribute('tabindex', '-1');
    focus = { row: Number(b.dataset.layer), col: Number(b.dataset.col) };
    b.setAttribute('tabindex', '0');
    toggle(focus.row, focus.col);
  });
  table.addEventListener('keydown', (event) => {
    // Space and Enter reach the button's own click; the arrows move between toggles.
    const next = gridKeyMove(event.key, focus, L, cols, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    toggles[focus.row][focus.col].setAttribute('tabindex', '-1');
    focus = next;
    toggles[next.row][next.col].setAttribute('tabindex', '0');
    toggles[next.row][next.col].focus();
  });
  const clear = button(strings.ablationClear, () => {
    analysisUi.ablate.clear();
    ctx.saveSettings();
    refresh();
  }, 'secondary');
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.ablationHelp }),
    el('p', { className: 'muted', text: strings.ablationPick }),
    el('div', { className: 'table-wrap ablation-wrap', children: [table] }),
    el('div', { className: 'toolbar', children: [runButton, clear] }),
    hint,
    s.analysis?.ablation ? ablationResult(s.analysis.ablation, ctx) : false,
  );
  refresh();
}

function predictionTable(caption: string, rows: AnalysisPrediction[], ctx: AnalysisContext): HTMLElement {
  const body = rows.map((p) => {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${Math.round(p.probability * 100)}%`;
    return el('tr', { children: [el('td', { className: 'mono', text: tokenLabel(p.text, 20) }), el('td', { className: 'mono prob', children: [el('span', { className: 'bar-track', children: [bar] }), percent(p.probability)] })] });
  });
  return el('table', {
    className: 'data predictions ablation-predictions',
    children: [
      el('caption', { text: caption }),
      el('thead', { children: [el('tr', { children: [el('th', { text: ctx.strings.colToken, attrs: { scope: 'col' } }), el('th', { text: ctx.strings.colProbability, attrs: { scope: 'col' } })] })] }),
      el('tbody', { children: body }),
    ],
  });
}

function ablationResult(a: AblationView, ctx: AnalysisContext): HTMLElement {
  const { strings } = ctx;
  const names = a.ablations.map((x) => (x.head === undefined ? fmt(strings.ablationLayer, x.layer) : fmt(strings.ablationHead, x.layer, x.head))).join(', ');
  const top = a.before[0];
  return el('section', {
    className: 'ablation-result',
    attrs: { 'aria-live': 'polite' },
    children: [
      el('p', { className: 'ablation-names', text: fmt(strings.ablationResult, names) }),
      el('p', { className: 'mono ablation-kl', text: fmt(strings.ablationKl, a.klDivergence.toFixed(4)) }),
      top && el('p', { className: 'mono', text: fmt(strings.ablationTopMoved, `“${tokenLabel(top.text, 20)}”`, percent(top.probability), percent(a.afterProbabilityOfBeforeTop)) }),
      el('div', { className: 'ablation-tables', children: [predictionTable(strings.ablationBefore, a.before, ctx), predictionTable(strings.ablationAfter, a.after, ctx)] }),
    ],
  });
}
