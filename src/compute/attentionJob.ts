// The Attention panel's worker jobs: load a model (cached per worker), tokenize the text with the model's own
// tokenizer, cap the length, run the forward pass with per-layer progress — and keep the run HERE. What
// crosses to the extension host (and on to the webview) is only what the panel draws: small thumbnails per
// run, and per request one head at the panel's resolution with the selected query's row and step view.
import { AttentionCancelledError, ModelLoadError } from '../core/model/errors';
import { headProbs, runAttention, type AttentionRun } from '../core/model/runtime';
import { attentionStep } from '../core/analysis/step';
import { attentionCsv } from '../core/analysis/export';
import { HeadCombiner, blockSizeFor, headRow, lowerTriangleSqrt16, maxPool, sqrtBytes } from '../core/analysis/headView';
import type { Model } from '../core/model/load';
import { sessionModel } from './modelSession';
import type { GgufModel } from '../core/model/ggufModel';
import type { AttentionHeadChoice, AttentionStepView, AttentionThumbnails, AttentionView } from '../shared/protocol';
import { transferWith, type JobSignal, type ReportProgress } from './workerHost';

/** What the host asks for. */
export interface AttentionJobInput {
  /** A model directory (Hugging Face layout) or a GGUF file. */
  dir: string;
  text: string;
  /** Token cap (the llmLens.attention.maxTokens setting). */
  maxTokens: number;
  /** Run past the model's trained context (llmLens.attention.allowBeyondTrainedContext); GPT-2's learned positions still end it. */
  allowBeyondTrainedContext?: boolean;
  topK: number;
  /** The host's number for this run; later requests name it (0 when the caller does not care). */
  runId?: number;
}

/** What the worker sends back for a run: model facts, tokens, predictions and the thumbnails — no matrices. */
export interface AttentionJobOutput {
  runId: number;
  model: { modelType: string; layers: number; heads: number; kvHeads: number; headDim: number; parameters: number; weightBytes: number; moe?: { experts: number; topK: number } };
  tokens: { id: number; text: string }[];
  /** Tokens in the whole text before the cap. */
  total: number;
  /** The cap actually applied (GPT-2 is also limited by its learned positions). */
  limit: number;
  /** Which limit that was: the maxTokens setting or the model's trained context. */
  limitReason: 'maxTokens' | 'trainedContext';
  /** The model's trained context (max_position_embeddings; n_positions for GPT-2). */
  trainedContext: number;
  layers: number;
  heads: number;
  seqLen: number;
  kvHeadOf: number[];
  predictions: { id: number; text: string; probability: number }[];
  /** Every layer × head (+ mean, max), max-pooled and quantised in this worker. */
  thumbnails: AttentionThumbnails;
  /** Whether the worker holds every head's matrix (small runs) or recomputes a head from q and k on demand. */
  keptProbs: boolean;
  elapsedMs: number;
}

/** A request for what the heatmap, lines and step views draw. */
export interface AttentionViewJobInput {
  runId: number;
  layer: number;
  head: AttentionHeadChoice;
  query: number;
  scaled: boolean;
  temperature: number;
  /** Whether to include the matrix (the host leaves it out when the webview already holds this one). */
  withMatrix: boolean;
}

/** Largest heatmap side in cells: the panel is a few hundred pixels wide (cells of ≥ 3 px). */
export const maxHeatmapBins = 256;
/** Largest thumbnail side in pixels (they are drawn 56 CSS pixels wide). */
export const maxThumbnailSize = 64;
/** Budget for all of a run's thumbnails together; big grids get smaller pictures (never under 16 px). */
export const thumbnailBudgetBytes = 1 << 20;
/** Up to this many bytes of probabilities the worker keeps every head's matrix (no recomputing on a click). */
export const keepProbsBytes = 256 * 2 ** 20;
/** Value-vector dimensions the step view shows per key (it prints at most 3). */
const stepValueDims = 3;

/** The error for a request naming a run this worker no longer holds (replaced, or the worker restarted). */
export class AttentionRunGoneError extends Error {
  readonly code = 'runGone';
  constructor(runId: number) {
    super(`run ${runId} is no longer held by the compute worker`);
    this.name = 'AttentionRunGoneError';
  }
}

/** The latest finished run: what every view request reads (`matrix`: one head's seqLen × seqLen, kept or recomputed). */
let held: {
  runId: number; run: AttentionRun; matrix: (layer: number, head: number) => Float32Array; labels: string[]; block: number; combined: { mean: Float32Array; max: Float32Array }[];
} | undefined;
/** Counts runs started here: a newer one supersedes an older one at its next layer (cooperative, the model stays loaded). */
let started = 0;

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Thumbnail side for a grid of `pictures` at `seqLen` tokens: ≤ 64 px, within the byte budget, ≥ 16 px. */
export function thumbnailSizeFor(seqLen: number, pictures: number): number {
  const fit = Math.floor(Math.sqrt(thumbnailBudgetBytes / Math.max(1, pictures)));
  return Math.min(seqLen, maxThumbnailSize, Math.max(16, fit));
}

/** Loads the model (or reuses it), tokenizes, runs the forward pass and reduces every head to a thumbnail. */
export async function attentionJob(input: AttentionJobInput, progress: ReportProgress, signal?: JobSignal): Promise<AttentionJobOutput> {
  const mine = ++started;
  // Stopped by a newer run (cooperatively, the model stays loaded) or by the user's Cancel.
  const superseded = (): boolean => started !== mine || signal?.isCancelled() === true;
  progress(0);
  // Loading is the slow part: the same model serves every run (and every panel) until another is chosen.
  const model: Model = await sessionModel(input.dir);
  if (!model.tokenizer && model.format === 'gguf') {
    // A GGUF carries its tokenizer in its metadata (tokenizer.ggml.*), never in a tokenizer.json beside it.
    const why = (model as GgufModel).tokenizerProblem ?? 'no tokenizer in the metadata';
    throw new ModelLoadError('ggufTokenizer', `${input.dir}: this GGUF file has no tokenizer LLM Lens can read in its metadata (${why}), so text cannot be turned into its token ids`);
  }
  if (!model.tokenizer) throw new ModelLoadError('tokenizer', `${input.dir}: the model has no tokenizer.json, so text cannot be turned into its token ids`);
  if (superseded()) throw new AttentionCancelledError();
  const tokenizer = model.tokenizer;
  const all = tokenizer.encode(input.text, { addSpecialTokens: true });
  const c = model.config;
  // Runs stop at the context the model was trained on (its card and config say so) unless the user allows
  // more; GPT-2 has no position past its learned table, so nothing goes beyond that.
  const contextLimit = input.allowBeyondTrainedContext && c.block.positions !== 'learned' ? Number.MAX_SAFE_INTEGER : c.maxPositions;
  const limit = Math.max(1, Math.min(input.maxTokens, contextLimit));
  const limitReason = input.maxTokens <= contextLimit ? 'maxTokens' : 'trainedContext';
  const ids = all.slice(0, limit);
  const startedAt = Date.now();
  const T = ids.length;
  // The forward pass is most of the work; the thumbnails (a second look at every head) the rest.
  const keptProbs = c.layers * c.heads * T * T * 4 <= keepProbsBytes;
  const onProgress = (done: number, total: number): void => progress((0.8 * done) / total);
  // Long runs keep each layer's q and k instead of every head's matrix (the core's probs: false); the core's
  // headProbs then recomputes a head with the forward pass's own arithmetic, equal to a kept matrix bit for bit.
  const run = await runAttention(model, ids, { probs: keptProbs, topK: input.topK, onProgress, isCancelled: superseded });
  const matrix = (layer: number, head: number): Float32Array => headProbs(model, run, layer, head);

  const pictures = run.layers * (run.heads + 2);
  const size = thumbnailSizeFor(T, pictures);
  const thumbBlock = blockSizeFor(T, size);
  const thumbSide = Math.ceil(T / thumbBlock);
  const pixels = new Uint8Array(pictures * thumbSide * thumbSide);
  const viewBlock = blockSizeFor(T, maxHeatmapBins);
  const combined: { mean: Float32Array; max: Float32Array }[] = [];
  for (let l = 0; l < run.layers; l++) {
    const both = new HeadCombiner(T * T);
    for (let h = 0; h < run.heads; h++) {
      const p = matrix(l, h);
      both.add(p);
      sqrtBytes(maxPool(p, T, thumbBlock), pixels, (l * (run.heads + 2) + h) * thumbSide * thumbSide);
    }
    both.finish();
    sqrtBytes(maxPool(both.mean, T, thumbBlock), pixels, (l * (run.heads + 2) + run.heads) * thumbSide * thumbSide);
    sqrtBytes(maxPool(both.max, T, thumbBlock), pixels, (l * (run.heads + 2) + run.heads + 1) * thumbSide * thumbSide);
    // The mean and max views need every head: kept at the heatmap's resolution now, not recomputed per click.
    combined.push({ mean: maxPool(both.mean, T, viewBlock), max: maxPool(both.max, T, viewBlock) });
    progress(0.8 + (0.2 * (l + 1)) / run.layers);
    if (!keptProbs) {
      await yieldNow();
      if (superseded()) throw new AttentionCancelledError();
    }
  }
  // A newer run started while this one finished: it owns the worker's held run now.
  if (superseded()) throw new AttentionCancelledError();
  const runId = input.runId ?? 0;
  held = { runId, run, matrix, labels: ids.map((id) => tokenizer.label(id)), block: viewBlock, combined };
  const output: AttentionJobOutput = {
    runId,
    model: { modelType: c.modelType, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, parameters: model.parameters, weightBytes: model.weightBytes,
      ...(c.block.moe ? { moe: { experts: c.block.moe.experts, topK: c.block.moe.topK } } : {}) },
    tokens: ids.map((id, i) => ({ id, text: held?.labels[i] ?? '' })),
    total: all.length,
    limit,
    limitReason,
    trainedContext: c.maxPositions,
    layers: run.layers,
    heads: run.heads,
    seqLen: T,
    kvHeadOf: run.kvHeadOf,
    predictions: run.predictions.map((p) => ({ id: p.id, text: p.label ?? `#${p.id}`, probability: p.probability })),
    thumbnails: { runId, size: thumbSide, block: thumbBlock, pixels },
    keptProbs,
    elapsedMs: Date.now() - startedAt,
  };
  return transferWith(output, [pixels.buffer as ArrayBuffer]);
}

/** The held run, or an error saying it is gone (the host then runs the text again). */
function heldRun(runId: number): NonNullable<typeof held> {
  if (!held || held.runId !== runId) throw new AttentionRunGoneError(runId);
  return held;
}

/**
 * One query's weights over every key: a head's, or the mean / max over the layer's heads. Not the core's headProbs:
 * that computes a head's whole seqLen² matrix, where a row costs seqLen·headDim (the mean at 1,024 tokens and
 * 32 heads: 32 rows instead of 32 M cells per arrow key); headRow is the same arithmetic for one query.
 */
function rowOf(run: AttentionRun, layer: number, head: AttentionHeadChoice, query: number): Float32Array {
  if (typeof head === 'number') return headRow(run, layer, head, query);
  const combiner = new HeadCombiner(run.seqLen);
  for (let h = 0; h < run.heads; h++) combiner.add(headRow(run, layer, h, query));
  return head === 'mean' ? combiner.finish().mean : combiner.max;
}

/** What the heatmap, lines and step views draw for one selection (validated against the held run). */
export function attentionViewJob(input: AttentionViewJobInput): AttentionView {
  const { run, matrix: matrixOf, block, combined } = heldRun(input.runId);
  const { layer, head, query } = input;
  if (layer >= run.layers || query >= run.seqLen || (typeof head === 'number' && head >= run.heads)) throw new RangeError(`layer ${layer}, head ${head}, query ${query} is outside the run`);
  const T = run.seqLen;
  const bins = Math.ceil(T / block);
  let matrix: Uint16Array | undefined;
  if (input.withMatrix) {
    const pooled = head === 'mean' ? combined[layer].mean : head === 'max' ? combined[layer].max : maxPool(matrixOf(layer, head), T, block);
    matrix = lowerTriangleSqrt16(pooled, bins);
  }
  const row = rowOf(run, layer, head, query);
  let step: AttentionStepView | undefined;
  if (typeof head === 'number') {
    const st = attentionStep(run, layer, head, query, { scaled: input.scaled, temperature: input.temperature });
    const d = st.headDim;
    const valueDims = Math.min(stepValueDims, d);
    // The step table prints a few leading value dimensions per key: only those cross.
    const values = new Float32Array(T * valueDims);
    for (let j = 0; j < T; j++) values.set(st.values.subarray(j * d, j * d + valueDims), j * valueDims);
    step = {
      layer, head, query, kvHead: st.kvHead, headDim: d, scaled: input.scaled, scale: st.scale, temperature: st.temperature,
      q: st.q, rawScores: st.rawScores, scaledScores: st.softcap === undefined ? st.scaledScores : st.cappedScores, mask: st.mask, probs: st.probs,
      defaultScale: st.defaultScale, qkNorm: st.qkNorm, softcap: st.softcap, slidingWindow: st.slidingWindow,
      modelProbs: row, output: st.output, values, valueDims,
    };
  }
  const view: AttentionView = {
    runId: input.runId, selection: { layer, head, query }, block, bins, matrixKey: `${input.runId}:${layer}:${head}`, matrix, row, step,
  };
  return transferWith(view, [row.buffer as ArrayBuffer, ...(matrix ? [matrix.buffer as ArrayBuffer] : [])]);
}

/** The selected matrix (a head, or the mean / max over heads) at full resolution, seqLen × seqLen. */
function selectedMatrix(input: { runId: number; layer: number; head: AttentionHeadChoice }): { matrix: Float32Array; labels: string[] } {
  const { run, matrix, labels } = heldRun(input.runId);
  const { layer, head } = input;
  if (layer >= run.layers || (typeof head === 'number' && head >= run.heads)) throw new RangeError(`layer ${layer}, head ${head} is outside the run`);
  if (typeof head === 'number') return { matrix: matrix(layer, head), labels };
  const combiner = new HeadCombiner(run.seqLen * run.seqLen);
  for (let h = 0; h < run.heads; h++) combiner.add(matrix(layer, h));
  return { matrix: head === 'mean' ? combiner.finish().mean : combiner.max, labels };
}

/** The selected matrix at full resolution as CSV (export: the exact numbers, not the drawn cells). */
export function attentionCsvJob(input: { runId: number; layer: number; head: AttentionHeadChoice }): string {
  const { matrix, labels } = selectedMatrix(input);
  return attentionCsv(labels, matrix);
}

/** The selected matrix at full resolution (the SVG / HTML export of issue 18; the panel caps it at 512 tokens). */
export function attentionMatrixJob(input: { runId: number; layer: number; head: AttentionHeadChoice }): Float32Array {
  const { matrix } = selectedMatrix(input);
  return transferWith(matrix, [matrix.buffer as ArrayBuffer]);
}
