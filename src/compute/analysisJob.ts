// The Attention panel's analysis jobs (issue 18): head scores and attention sinks of the run's tokens, the
// standard induction test, the logit lens, head ablation, and the heatmap's SVG / HTML export. They run in
// the compute worker on the model the attention run loaded (attentionModel), never on the host's thread.
import { ablateHeads, type HeadAblationResult } from '../core/analysis/ablation';
import { collectPatternSums, headScoresFromSums, INDUCTION_TEST, inductionTestSequences, inductionTestScores, sinkSharesFromSums, type AttentionPatterns, type PatternSums } from '../core/analysis/headScores';
import { heatmapHtml, heatmapSvg, type HeatmapSpec } from '../core/analysis/heatmapSvg';
import { answerFirstLayer, logitLens } from '../core/analysis/logitLens';
import { withoutFirstKeyView } from '../core/analysis/sinks';
import type { Model } from '../core/model/load';
import { forward, runAttention, type Ablation } from '../core/model/runtime';
import { sessionModel as attentionModel } from './modelSession';
import { transferWith, type ReportProgress } from './workerHost';

/** Head scores (TransformerLens detect_head, "mul") and sink shares of one run's tokens. */
export interface HeadScanInput {
  dir: string;
  ids: number[];
  excludeBos: boolean;
  excludeCurrentToken: boolean;
}

/** layers × heads, row-major, each. */
export interface HeadScanOutput {
  previousToken: Float32Array;
  duplicateToken: Float32Array;
  induction: Float32Array;
  /** Mean attention of query rows 1… on key 0 (core sinkShares). */
  sinks: Float32Array;
}

/** The last scan's sums, so changing the exclusions on the same text rescores without another pass. */
let lastScan: { model: Model; ids: number[]; kept: PatternSums } | undefined;

/**
 * Runs the model on the ids keeping, per head, only the sums of its attention over the few entries the scores read
 * (collectPatternSums: no matrices, no q/k/v; 1,024 tokens on a 32 × 32-head model would hold 4 GiB of matrices)
 * and scores every head. The same model and ids again (other options) reuse the sums.
 */
export async function headScanJob(input: HeadScanInput, progress: ReportProgress): Promise<HeadScanOutput> {
  const model = await attentionModel(input.dir);
  let kept: PatternSums;
  if (lastScan && lastScan.model === model && lastScan.ids.length === input.ids.length && lastScan.ids.every((id, i) => id === input.ids[i])) kept = lastScan.kept;
  else {
    lastScan = undefined;
    const collector = collectPatternSums(model.config.layers, model.config.heads, input.ids);
    await forward(model, input.ids, { logits: 'none', hooks: { attention: collector.hook }, onProgress: (done, total) => progress(done / total) });
    kept = collector.kept;
    lastScan = { model, ids: input.ids.slice(), kept };
  }
  const scores = headScoresFromSums(kept, { excludeBos: input.excludeBos, excludeCurrentToken: input.excludeCurrentToken });
  const output: HeadScanOutput = { ...scores, sinks: sinkSharesFromSums(kept) };
  return transferWith(output, [output.previousToken, output.duplicateToken, output.induction, output.sinks].map((a) => a.buffer as ArrayBuffer));
}

/** The standard induction test on the model in `dir`. */
export interface InductionTestInput {
  dir: string;
}

/** The standard test's scores (layers × heads) and what it ran. */
export interface InductionTestOutput {
  scores: Float32Array;
  batch: number;
  half: number;
  seed: number;
  /** How many ordinary ids the random tokens were drawn from. */
  ordinaryIds: number;
  elapsedMs: number;
}

/**
 * The ids the standard test draws from: the ordinary (non-special) ones. Special tokens are appended after the
 * ordinary vocabulary in the families LLM Lens runs (GPT-2, Llama 3, Qwen, the embedded model): when BOS/EOS sit
 * in the upper half of the vocabulary, ids below the lowest of them are ordinary; otherwise (SentencePiece puts
 * <unk> <s> </s> first) every id but BOS and EOS.
 */
export function ordinaryIds(model: Model): number[] {
  const c = model.config;
  const specials = [c.bosTokenId, c.eosTokenId].filter((id): id is number => id !== undefined && id >= 0 && id < c.vocab);
  const high = specials.filter((id) => id >= c.vocab / 2);
  const end = high.length > 0 ? Math.min(...high) : c.vocab;
  const out: number[] = [];
  for (let id = 0; id < end; id++) if (!specials.includes(id)) out.push(id);
  return out;
}

/** The token a standard-test sequence starts with: BOS, else EOS (GPT-2 style), else the first ordinary id. */
export function testBos(model: Model, ordinary: readonly number[]): number {
  return model.config.bosTokenId ?? model.config.eosTokenId ?? ordinary[0];
}

/**
 * The standard test (INDUCTION_TEST: 10 sequences of [BOS] + 50 random ordinary ids repeated, fixed seed), as
 * core inductionTestSequences draws them, mapped onto the ordinary ids; scored with inductionTestScores.
 */
export async function inductionTestJob(input: InductionTestInput, progress: ReportProgress): Promise<InductionTestOutput> {
  const model = await attentionModel(input.dir);
  const started = Date.now();
  const ordinary = ordinaryIds(model);
  const bos = testBos(model, ordinary);
  const sequences = inductionTestSequences(ordinary.length, -1).map((seq) => seq.map((k, i) => (i === 0 ? bos : ordinary[k])));
  const results: AttentionPatterns[] = [];
  for (let b = 0; b < sequences.length; b++) {
    const run = await runAttention(model, sequences[b], { keepQkv: false, topK: 0, onProgress: (done, total) => progress((b + done / total) / sequences.length) });
    results.push(run);
  }
  const scores = inductionTestScores(results, INDUCTION_TEST.half);
  const output: InductionTestOutput = { scores, ...INDUCTION_TEST, ordinaryIds: ordinary.length, elapsedMs: Date.now() - started };
  return transferWith(output, [scores.buffer as ArrayBuffer]);
}

/** The logit lens at some positions of the run's tokens. */
export interface LogitLensInput {
  dir: string;
  ids: number[];
  positions: number[];
  topK: number;
}

/** Core logitLens's arrays, the tokens' texts and the layer where each position's final answer first appears. */
export interface LogitLensOutput {
  positions: number[];
  topK: number;
  /** Per layer: positions × topK, best first. */
  ids: Int32Array[];
  probs: Float32Array[];
  /** Per layer: one entropy (nats) per position. */
  entropy: Float32Array[];
  /** Per layer: positions × topK token texts. */
  texts: string[][];
  /** Per position: the first layer whose top-1 is the final layer's (core answerFirstLayer). */
  answerLayer: Int32Array;
  /** Bounds on the error of the probabilities and entropies (core logitLens; 0 when every logit was float32). */
  maxProbError: number;
  maxEntropyError: number;
}

/** Runs core logitLens on the positions asked for. */
export async function logitLensJob(input: LogitLensInput, progress: ReportProgress): Promise<LogitLensOutput> {
  const model = await attentionModel(input.dir);
  progress(0.05);
  const lens = await logitLens(model, input.ids, { topK: input.topK, positions: input.positions });
  const label = (id: number): string => model.tokenizer?.label(id) ?? `#${id}`;
  return {
    positions: input.positions.slice(),
    topK: input.topK,
    ids: lens.ids,
    probs: lens.probs,
    entropy: lens.entropy,
    texts: lens.ids.map((row) => Array.from(row, label)),
    answerLayer: answerFirstLayer(lens),
    maxProbError: lens.maxProbError ?? 0,
    maxEntropyError: lens.maxEntropyError ?? 0,
  };
}

/** Head ablation on the run's tokens. */
export interface AblationInput {
  dir: string;
  ids: number[];
  ablations: Ablation[];
  topK: number;
}

/** Runs core ablateHeads (a clean and an ablated pass). */
export async function ablationJob(input: AblationInput, progress: ReportProgress): Promise<HeadAblationResult> {
  const model = await attentionModel(input.dir);
  progress(0.05);
  return ablateHeads(model, input.ids, input.ablations, { topK: input.topK });
}

/** A heatmap to write as SVG or self-contained HTML. */
export interface HeatmapExportInput {
  format: 'svg' | 'html';
  spec: HeatmapSpec;
  /** Drop key 0 and renormalise each row (core withoutFirstKeyView); spec.colLabels still lists every key. */
  hideFirstKey: boolean;
  lang: string;
  description: string;
}

/** Builds the file's text (core heatmapSvg / heatmapHtml): large heatmaps take a while, so it runs here. */
export function heatmapExportJob(input: HeatmapExportInput): string {
  let spec = input.spec;
  if (input.hideFirstKey) {
    const n = spec.rowLabels.length;
    const view = withoutFirstKeyView(Float32Array.from(spec.values), n);
    // Row 0 attends only to key 0: with it hidden nothing is left, drawn empty rather than as 0.
    const values = Float32Array.from(view.values, (v, k) => (Math.floor(k / view.cols) === 0 ? NaN : v));
    spec = { ...spec, colLabels: spec.colLabels.slice(1), values, min: 0, max: 1 };
  }
  return input.format === 'svg' ? heatmapSvg(spec) : heatmapHtml(spec, { lang: input.lang, description: input.description });
}
