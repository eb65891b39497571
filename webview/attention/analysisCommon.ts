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
  /** Saves the page's UI state (analysisSettings included) after a setting changed, so a window reload keeps it. */
  saveSettings(): void;
}

/** Score kinds of the Find heads grid. */
export type ScoreKind = 'previousToken' | 'duplicateToken' | 'induction' | 'inductionTest' | 'sinks';

/** The analysis views' UI state, kept in the webview state (analysisSettings / restoreAnalysisSettings) across reloads. */
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
  /** The model and tokens these picks belong to (analysisInputKey): a reload re-runs the same text and keeps them. */
  runKey: '',
};

/** The analysis settings as saved with vscode.setState (plain JSON). */
export interface AnalysisSettings {
  section: string;
  score: string;
  threshold: number;
  excludeBos: boolean;
  excludeCurrentToken: boolean;
  hideFirstKey: boolean;
  lensEnd: number;
  lensCount: number;
  ablate: string[];
  runKey: string;
}

/** The lens position counts the picker offers. */
export const LENS_COUNTS = [4, 8, 16, 32];

/** analysisUi as JSON for the webview state. */
export function analysisSettings(): AnalysisSettings {
  return { ...analysisUi, ablate: [...analysisUi.ablate] };
}

/**
 * Restores analysisUi from a saved state; anything missing or malformed (an older page, a hand-edited state) keeps
 * its default.
 */
export function restoreAnalysisSettings(saved: unknown): void {
  if (typeof saved !== 'object' || saved === null) return;
  const s = saved as Partial<Record<keyof AnalysisSettings, unknown>>;
  const oneOf = <T extends string>(v: unknown, options: readonly T[]): T | undefined => (options as readonly unknown[]).includes(v) ? (v as T) : undefined;
  const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
  analysisUi.section = oneOf(s.section, ['heads', 'lens', 'ablation'] as const) ?? analysisUi.section;
  analysisUi.score = oneOf(s.score, ['previousToken', 'duplicateToken', 'induction', 'inductionTest', 'sinks'] as const) ?? analysisUi.score;
  if (typeof s.threshold === 'number' && s.threshold >= 0 && s.threshold <= 1) analysisUi.threshold = s.threshold;
  analysisUi.excludeBos = bool(s.excludeBos) ?? analysisUi.excludeBos;
  analysisUi.excludeCurrentToken = bool(s.excludeCurrentToken) ?? analysisUi.excludeCurrentToken;
  analysisUi.hideFirstKey = bool(s.hideFirstKey) ?? analysisUi.hideFirstKey;
  if (Number.isInteger(s.lensEnd) && (s.lensEnd as number) >= -1) analysisUi.lensEnd = s.lensEnd as number;
  if (LENS_COUNTS.includes(s.lensCount as number)) analysisUi.lensCount = s.lensCount as number;
  if (Array.isArray(s.ablate)) analysisUi.ablate = new Set(s.ablate.filter((k): k is string => typeof k === 'string' && /^\d+:(\d+|\*)$/.test(k)));
  if (typeof s.runKey === 'string') analysisUi.runKey = s.runKey;
}

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

/** The model and the tokens of a run, not the run itself: ablation picks stay valid while these are the same. */
export function analysisInputKey(s: AttentionSnapshot): string {
  return [s.model.dir, s.layers, s.heads, s.seqLen, s.text].join('\u0000');
}

/** Identifies a run (a new one resets requests). */
export function analysisRunKey(s: AttentionSnapshot): string {
  return [s.model.dir, s.elapsedMs, s.seqLen, s.text].join('\u0000');
}
