// What the analysis views (Find heads, logit lens, ablation, sinks and export) share: the panel's hooks,
// their UI state, and small formatters.
import type { AttentionHeadChoice, AttentionRequest, AttentionSnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { visibleWhitespace } from '../../src/shared/whitespace';
import { initData } from '../common/host';

/** The analysis views' strings (the attention panel's). */
export type AnalysisStrings = StringsOf<'attention'>;

/** What main.ts lends the analysis views: posting requests, selecting a head, switching to a view. */
export interface AnalysisContext {
  strings: AnalysisStrings;
  send(request: AttentionRequest): void;
  select(layer: number, head: AttentionHeadChoice, query: number): void;
  showView(view: 'heatmap'): void;
  /** Redraws the heatmap (after the first-token toggle). */
  redrawHeatmap(): void;
  /** Redraws the analysis tab (after a local change such as a confirmation). */
  redrawAnalysis(): void;
}

/** Score kinds of the Find heads grid. */
export type ScoreKind = 'previousToken' | 'duplicateToken' | 'induction' | 'inductionTest' | 'sinks';

/** The analysis views' UI state (kept while the webview lives; a reload starts from the defaults). */
export const analysisUi = {
  section: 'heads' as 'heads' | 'lens' | 'ablation',
  score: 'previousToken' as ScoreKind,
  threshold: 0.5,
  excludeBos: false,
  excludeCurrentToken: false,
  hideFirstKey: false,
  lensEnd: -1,
  lensCount: 8,
  /** Ablation picks as "layer:head" or "layer:*". */
  ablate: new Set<string>(),
  /** The run these picks belong to. */
  runKey: '',
};

const numberFormat = new Intl.NumberFormat(initData().language || undefined);

/** Fills {0}, {1}… in a localized template (numbers as the user's language writes them). */
export function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => {
    const value = args[Number(i)];
    return typeof value === 'number' ? numberFormat.format(value) : (value ?? '');
  });
}

/** A token as a short visible label (whitespace shown as · → ↵). */
export function tokenLabel(text: string, max = 14): string {
  const shown = visibleWhitespace(text);
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown || '∅';
}

/** A probability as a percentage. */
export function percent(p: number): string {
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}

/** A score with two decimals (NaN as —). */
export function score(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '—';
}

/** A duration in ms as "850 ms" / "12 s" / "3 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Identifies a run (a new one resets picks and requests). */
export function analysisRunKey(s: AttentionSnapshot): string {
  return [s.model.dir, s.elapsedMs, s.seqLen, s.text].join('\u0000');
}
