import './analysis.css';
// The Analysis tab ("reading heads") of the Attention panel (issue 18): Find heads (with attention sinks), the logit lens
// and head ablation, one section at a time behind a small section switcher (nested toolkit tabs would bubble
// their change events into the panel's own tabs).
import type { AttentionSnapshot } from './drawn';
import { el, replaceChildren } from '../common/dom';
import { renderAblation } from './ablation';
import { analysisUi, type AnalysisContext } from './analysisCommon';
import { renderFindHeads } from './heads';
import { renderLogitLens } from './logitLens';

export { decorateThumbnails } from './heads';
export { displayMatrix, heatmapTools, hiddenFirstKeyNote } from './sinks';
export type { AnalysisContext, AnalysisSettings } from './analysisCommon';
export { analysisSettings, restoreAnalysisSettings } from './analysisCommon';

type Section = typeof analysisUi.section;

/** Renders the Analysis tab into `container` for snapshot `s`. */
export function renderAnalysis(s: AttentionSnapshot, container: HTMLElement, ctx: AnalysisContext): void {
  const { strings } = ctx;
  const sections: { id: Section; label: string }[] = [
    { id: 'heads', label: strings.sectionFindHeads },
    { id: 'lens', label: strings.sectionLens },
    { id: 'ablation', label: strings.sectionAblation },
  ];
  const body = el('div', { className: 'analysis-body', attrs: { role: 'tabpanel', id: 'analysis-body', 'aria-labelledby': `section-${analysisUi.section}` } });
  const buttons = sections.map((section) =>
    el('button', {
      className: `section-tab${section.id === analysisUi.section ? ' active' : ''}`,
      text: section.label,
      attrs: {
        type: 'button', role: 'tab', id: `section-${section.id}`, 'aria-controls': 'analysis-body',
        'aria-selected': String(section.id === analysisUi.section), tabindex: section.id === analysisUi.section ? '0' : '-1',
      },
    }),
  );
  const choose = (id: Section, focus: boolean): void => {
    analysisUi.section = id;
    ctx.saveSettings();
    renderAnalysis(s, container, ctx);
    if (focus) container.querySelector<HTMLElement>(`#section-${id}`)?.focus();
  };
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => choose(sections[i].id, true));
    b.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      event.preventDefault();
      choose(sections[(i + step + sections.length) % sections.length].id, true);
    });
  });
  const nav = el('div', { className: 'section-tabs', attrs: { role: 'tablist', 'aria-label': strings.tabAnalysis }, children: buttons });
  replaceChildren(container, nav, body);
  if (analysisUi.section === 'heads') renderFindHeads(s, body, ctx);
  else if (analysisUi.section === 'lens') renderLogitLens(s, body, ctx);
  else renderAblation(s, body, ctx);
}
