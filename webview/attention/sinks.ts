// The heatmap's first-token toggle and SVG / HTML export (issue 18). Hiding the first column and rescaling
// each row is a display transform (as core withoutFirstKeyView): the panel says so next to the heatmap.
import type { AttentionSnapshot } from './drawn';
import { el } from '../common/dom';
import { button, checkbox } from '../common/ui';
import { analysisUi, fmt, percent, type AnalysisContext } from './analysisCommon';

/**
 * The matrix the heatmap draws: the model's own, or with the toggle on a copy whose key-0 column is NaN (drawn
 * as hidden) and whose rows are rescaled to sum to 1 over the other keys (row 0, which only sees key 0, is all NaN).
 */
export function displayMatrix(m: Float32Array, T: number): Float32Array {
  if (!analysisUi.hideFirstKey || T < 2) return m;
  const out = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    let rest = 0;
    for (let j = 1; j < T; j++) rest += m[i * T + j];
    out[i * T] = NaN;
    for (let j = 1; j < T; j++) out[i * T + j] = rest > 0 ? m[i * T + j] / rest : NaN;
  }
  return out;
}

/** The mean share of attention on key 0 over queries 1… of `m` (the sink share the note quotes). */
function firstKeyShare(m: Float32Array, T: number): number {
  let sum = 0;
  for (let i = 1; i < T; i++) sum += m[i * T];
  return T < 2 ? NaN : sum / (T - 1);
}

/** The toolbar additions of the heatmap: the first-token toggle and the SVG / HTML exports. */
export function heatmapTools(s: AttentionSnapshot, ctx: AnalysisContext): HTMLElement[] {
  const { strings } = ctx;
  const T = s.seqLen;
  const tooLong = T > (s.analysis?.exportMaxTokens ?? Infinity);
  const exportAs = (format: 'svg' | 'html') => (): void => ctx.send({ type: 'exportHeatmap', format, hideFirstKey: analysisUi.hideFirstKey });
  const svg = button(strings.exportSvg, exportAs('svg'), 'secondary');
  const html = button(strings.exportHtml, exportAs('html'), 'secondary');
  if (tooLong) {
    for (const b of [svg, html]) {
      b.setAttribute('disabled', '');
      b.setAttribute('title', fmt(strings.exportTooLong, s.analysis?.exportMaxTokens ?? 0, T));
    }
  }
  const toggle = checkbox(strings.hideFirstKey, analysisUi.hideFirstKey, (on) => {
    analysisUi.hideFirstKey = on;
    ctx.saveSettings();
    ctx.redrawHeatmap();
  });
  toggle.classList.add('first-key-toggle');
  return [toggle, svg, html];
}

/** The note under the toolbar while the first column is hidden: a view, not the model, with the real share. */
export function hiddenFirstKeyNote(m: Float32Array, T: number, ctx: AnalysisContext): HTMLElement | false {
  if (!analysisUi.hideFirstKey) return false;
  return el('p', { className: 'notice first-key-note', attrs: { role: 'note' }, text: fmt(ctx.strings.hideFirstKeyNote, percent(firstKeyShare(m, T))) });
}
