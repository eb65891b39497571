// Everything the KV-cache panel shows, recomputed in one pure call after any input changes.

import { ContextFit, maxContextForBudget } from './budget';
import { KvCacheBreakdown, kvBytesPerToken, kvCacheBreakdown, kvCacheBytesChecked, weightBytes } from './bytes';
import { AttentionShape, KvCacheError, checkShape, requireInteger } from './shape';
import { AttentionKind, attentionVariants, gqaKvHeadChoices, kvHeadOf } from './variants';

/** What the panel asks for. */
export interface KvCacheReportInput {
  shape: AttentionShape;
  /** Total parameters (0 when unknown: weights are then left out). */
  parameters: number;
  seqLen: number;
  batch: number;
  kvBytesPerElement: number;
  weightsBytesPerElement: number;
  /** KV heads of the GQA variant (default: the model's own, or the divisor nearest queryHeads / 4). */
  gqaKvHeads?: number;
  /** Memory sizes, in bytes, to find the longest fitting context for. */
  budgets: number[];
  /** The chart's right edge in tokens. */
  chartMaxTokens: number;
  /** Points per chart line, spaced evenly on a log scale (default 160). */
  chartPoints?: number;
}

/** One attention variant, fully worked out. */
export interface KvCacheVariantReport {
  kind: AttentionKind;
  isModel: boolean;
  shape: AttentionShape;
  /** KV cache at seqLen × batch. */
  kvBytes: number;
  /** KV cache plus weights plus a hybrid's fixed state (breakdown.stateBytes). */
  totalBytes: number;
  /** KV bytes one more token adds to one sequence (before any window fills). */
  bytesPerToken: number;
  breakdown: KvCacheBreakdown;
  /** Longest context per budget, in the order of input.budgets. */
  fits: ContextFit[];
  /** KV bytes at each of report.chartTokens (weights not included). */
  series: number[];
  /** Query head -> KV head it reads (empty for MLA, where every head reads the shared latent). */
  kvHeadOf: number[];
}

/** The whole panel's numbers. */
export interface KvCacheReport {
  weightsBytes: number;
  /** Context lengths of the chart's x axis, ascending integers from 1 to chartMaxTokens. */
  chartTokens: number[];
  /** The KV-head counts the GQA slider can take. */
  gqaChoices: number[];
  variants: KvCacheVariantReport[];
}

function safeSum(a: number, b: number): number {
  const sum = a + b;
  if (sum > Number.MAX_SAFE_INTEGER) throw new KvCacheError('result', `KV cache plus weights would be more than 2^53 − 1 bytes`);
  return sum;
}

/** Log-spaced integer context lengths from 1 to max, plus the points where lines bend (windows). */
export function chartTokenAxis(maxTokens: number, points: number, extra: number[] = []): number[] {
  requireInteger('chartMaxTokens', maxTokens, 1);
  requireInteger('chartPoints', points, 2);
  const set = new Set<number>([1, maxTokens]);
  const logMax = Math.log(maxTokens);
  for (let i = 1; i < points - 1; i++) set.add(Math.max(1, Math.min(maxTokens, Math.round(Math.exp((logMax * i) / (points - 1))))));
  for (const x of extra) if (Number.isInteger(x) && x >= 1 && x <= maxTokens) set.add(x);
  return [...set].sort((a, b) => a - b);
}

/** Every number of the KV-cache panel for one set of inputs (pure; throws KvCacheError naming a bad field). */
export function kvCacheReport(input: KvCacheReportInput): KvCacheReport {
  checkShape(input.shape);
  const parameters = requireInteger('parameters', input.parameters, 0);
  const weightsBytes = parameters === 0 ? 0 : weightBytes(parameters, input.weightsBytesPerElement);
  if (!Array.isArray(input.budgets)) throw new KvCacheError('budgets', 'budgets must be an array of byte counts');
  const budgets = input.budgets.map((b, i) => requireInteger(`budgets[${i}]`, b, 0));
  const variants = attentionVariants(input.shape, input.gqaKvHeads);
  const windows = input.shape.slidingWindow === undefined ? [] : [input.shape.slidingWindow];
  const chartTokens = chartTokenAxis(input.chartMaxTokens, input.chartPoints ?? 160, windows);
  const opts = { batch: input.batch, bytesPerElement: input.kvBytesPerElement };
  // The chart stops at its last context length whose bytes are exact for every variant: a large batch
  // can pass 2^53 bytes at 1M tokens while the context asked for is far below that.
  let chartLength = chartTokens.length;
  const seriesOf = (shape: AttentionShape, split: ReturnType<typeof checkShape>, batch: number, bytesPerElement: number): number[] => {
    const series: number[] = [];
    for (let i = 0; i < chartLength; i++) {
      try {
        series.push(kvCacheBytesChecked(shape, split, chartTokens[i], batch, bytesPerElement));
      } catch (error) {
        if (!(error instanceof KvCacheError && error.field === 'result')) throw error;
        chartLength = i;
      }
    }
    return series;
  };
  const reports = variants.map((variant) => {
    const breakdown = kvCacheBreakdown(variant.shape, { ...opts, seqLen: input.seqLen });
    // The breakdown validated shape and options; the chart reuses that instead of re-checking 160 times.
    const split = checkShape(variant.shape);
    return {
      kind: variant.kind,
      isModel: variant.isModel,
      shape: variant.shape,
      kvBytes: breakdown.bytes,
      // A hybrid's fixed state (breakdown.stateBytes, apart from kvBytes) is memory all the same.
      totalBytes: safeSum(safeSum(breakdown.bytes, weightsBytes), breakdown.stateBytes),
      bytesPerToken: kvBytesPerToken(variant.shape, input.kvBytesPerElement),
      breakdown,
      fits: budgets.map((budgetBytes) => maxContextForBudget(variant.shape, { ...opts, budgetBytes, weightsBytes })),
      series: seriesOf(variant.shape, split, breakdown.batch, breakdown.bytesPerElement),
      kvHeadOf: variant.shape.mla ? [] : kvHeadOf(variant.shape.queryHeads, variant.shape.kvHeads),
    };
  });
  if (chartLength < 2) throw new KvCacheError('result', 'the chart would pass 2^53 − 1 bytes from its second point on');
  return {
    weightsBytes,
    chartTokens: chartTokens.slice(0, chartLength),
    gqaChoices: gqaKvHeadChoices(input.shape.queryHeads),
    variants: reports.map((report) => ({ ...report, series: report.series.slice(0, chartLength) })),
  };
}
