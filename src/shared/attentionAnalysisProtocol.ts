// Messages of the Attention panel's analysis views (issue 18): Find heads (head scores, sinks, the standard
// induction test), the logit lens, head ablation and the SVG / HTML export. Part of the attention snapshot
// and requests (protocol.ts); every request is validated here before the host acts on it.
import { intIn, oneOf } from './protocol';

/** Head scores of the run's own tokens (TransformerLens detect_head, error measure "mul"): layers × heads, row-major. */
export interface HeadScoresView {
  excludeBos: boolean;
  excludeCurrentToken: boolean;
  previousToken: Float32Array;
  duplicateToken: Float32Array;
  /** detect_head's induction pattern on the selection (not the standard test's number). */
  induction: Float32Array;
  /** Mean attention on the first token (queries 1…), per head. */
  sinks: Float32Array;
}

/** The standard induction test: its state, its cost and, once run, its scores (layers × heads). */
export interface InductionTestView {
  /** Sequences × tokens the test runs (10 × 101). */
  batch: number;
  tokens: number;
  /** Estimated time from the last run's speed (ms). */
  estimateMs: number;
  /** The model is large (> 1B parameters): the panel asks before running. */
  needsConfirmation: boolean;
  scores?: Float32Array;
  elapsedMs?: number;
}

/** The logit lens at some positions: per layer, positions × topK candidates. */
export interface LogitLensView {
  positions: number[];
  topK: number;
  ids: Int32Array[];
  probs: Float32Array[];
  /** Per layer: one entropy (nats) per position. */
  entropy: Float32Array[];
  texts: string[][];
  /** Per position: the first layer whose top-1 is the model's final answer. */
  answerLayer: Int32Array;
  /** Bounds on the error of any probability and entropy shown (a 16-bit unembedding's; 0 or absent when exact). */
  maxProbError?: number;
  maxEntropyError?: number;
}

/** One ablated head, or (no head) a whole layer's attention. */
export interface AblationChoice {
  layer: number;
  head?: number;
}

/** A candidate next token with its probability. */
export interface AnalysisPrediction {
  id: number;
  text: string;
  probability: number;
}

/** Next-token predictions before and after an ablation, and how far the distribution moved. */
export interface AblationView {
  ablations: AblationChoice[];
  before: AnalysisPrediction[];
  after: AnalysisPrediction[];
  /** KL(before ‖ after) in nats. */
  klDivergence: number;
  /** The ablated run's probability of the clean run's top token. */
  afterProbabilityOfBeforeTop: number;
}

/** Everything the analysis views show for the current run (part of the complete attention snapshot). */
export interface AttentionAnalysisView {
  heads?: HeadScoresView;
  inductionTest: InductionTestView;
  lens?: LogitLensView;
  ablation?: AblationView;
  /** Longest run (tokens) the SVG / HTML export takes (one element per cell). */
  exportMaxTokens: number;
}

/** The analysis views' requests (part of AttentionRequest). */
export type AttentionAnalysisRequest =
  /** Score every head on the run's tokens (the Find heads view asks when it opens or an option changes). */
  | { type: 'findHeads'; excludeBos: boolean; excludeCurrentToken: boolean }
  /** Run the standard induction test (`confirmed` after the panel asked, on large models). */
  | { type: 'inductionTest'; confirmed: boolean }
  /** The logit lens at the `count` positions ending at `end`. */
  | { type: 'logitLens'; end: number; count: number }
  /** Rerun with these heads (or layers' attention) zeroed and compare the next-token predictions. */
  | { type: 'ablate'; ablations: AblationChoice[] }
  /** Save the heatmap as SVG or self-contained HTML (the host asks where); `hideFirstKey`: the renormalised view. */
  | { type: 'exportHeatmap'; format: 'svg' | 'html'; hideFirstKey: boolean };

/** How many positions the logit lens shows at most at once. */
export const maxLensPositions = 32;

/** Most ablations in one request. */
export const maxAblations = 4096;

/** Validates an analysis request (structure only; the host checks ranges against the run). */
export function parseAttentionAnalysisRequest(m: Record<string, unknown>): AttentionAnalysisRequest | undefined {
  switch (m.type) {
    case 'findHeads':
      return typeof m.excludeBos === 'boolean' && typeof m.excludeCurrentToken === 'boolean'
        ? { type: 'findHeads', excludeBos: m.excludeBos, excludeCurrentToken: m.excludeCurrentToken }
        : undefined;
    case 'inductionTest':
      return typeof m.confirmed === 'boolean' ? { type: 'inductionTest', confirmed: m.confirmed } : undefined;
    case 'logitLens': {
      const end = intIn(m.end, 0, 1_000_000);
      const count = intIn(m.count, 1, maxLensPositions);
      return end === undefined || count === undefined ? undefined : { type: 'logitLens', end, count };
    }
    case 'ablate': {
      if (!Array.isArray(m.ablations) || m.ablations.length === 0 || m.ablations.length > maxAblations) return undefined;
      const ablations: AblationChoice[] = [];
      for (const raw of m.ablations as unknown[]) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
        const r = raw as Record<string, unknown>;
        const layer = intIn(r.layer, 0, 10_000);
        if (layer === undefined) return undefined;
        if (r.head === undefined) ablations.push({ layer });
        else {
          const head = intIn(r.head, 0, 10_000);
          if (head === undefined) return undefined;
          ablations.push({ layer, head });
        }
      }
      return { type: 'ablate', ablations };
    }
    case 'exportHeatmap': {
      const format = oneOf(m.format, ['svg', 'html'] as const);
      return format && typeof m.hideFirstKey === 'boolean' ? { type: 'exportHeatmap', format, hideFirstKey: m.hideFirstKey } : undefined;
    }
    default:
      return undefined;
  }
}
