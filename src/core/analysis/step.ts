// The step view's arithmetic for one layer, head and query: Q·Kᵀ, scaling, mask, softmax, ·V — recomputed
// from the q/k/v a run kept, so toggling the scaling or moving the temperature costs microseconds.
import { AttentionInputError } from '../model/errors';
import { isVisible, type AttentionRun } from '../model/runtime';

/** Options of the step view: drop the 1/√d_k factor, divide scores by a temperature. */
export interface StepOptions {
  /** Multiply scores by the model's scale (1/√d_k); false shows what happens without it. Default true. */
  scaled?: boolean;
  /** Scores are divided by this before softmax (> 0). Default 1. */
  temperature?: number;
}

/** Every intermediate value of attention for one query position of one head. */
export interface AttentionStep {
  layer: number;
  head: number;
  query: number;
  kvHead: number;
  headDim: number;
  /** The query vector (after the per-head q norm when the model has one, and RoPE), headDim values. */
  q: Float32Array;
  /** All keys, seqLen × headDim (row j = key of token j, after RoPE). */
  keys: Float32Array;
  /** All values, seqLen × headDim. */
  values: Float32Array;
  /** q · k_j for every key j. */
  rawScores: Float32Array;
  /** The factor applied to the raw scores (1 when scaling is dropped): the one the model used otherwise. */
  scale: number;
  /** The textbook 1/√headDim, to compare with `scale` (Gemma uses query_pre_attn_scalar^-½; GPT-2 may divide by layer + 1). */
  defaultScale: number;
  /** Whether q and k were RMS-normalised per head before RoPE (Qwen3, Gemma 3). */
  qkNorm: boolean;
  /** The attention soft-cap (Gemma 2): scores become cap·tanh(score/cap) before the mask, if set. */
  softcap?: number;
  /** This layer's sliding window (keys further back are masked), if it has one. */
  slidingWindow?: number;
  temperature: number;
  /** rawScores · scale / temperature. */
  scaledScores: Float32Array;
  /** softcap·tanh(scaledScores/softcap) with a soft-cap; the same values as scaledScores without one. */
  cappedScores: Float32Array;
  /** 0 where the key is visible, -Infinity where the causal mask (or this layer's sliding window) hides it. */
  mask: Float32Array;
  /** softmax(cappedScores + mask): the attention weights. */
  probs: Float32Array;
  /** Σ_j probs_j · v_j: this head's output for the query. */
  output: Float32Array;
}

/** Recomputes attention for (layer, head, query) from the q/k/v kept by `runAttention`. */
export function attentionStep(run: AttentionRun, layer: number, head: number, query: number, options: StepOptions = {}): AttentionStep {
  if (!run.qkv) throw new AttentionInputError('this run did not keep q/k/v (keepQkv: false)');
  if (!Number.isInteger(layer) || layer < 0 || layer >= run.layers) throw new AttentionInputError(`layer ${layer} is outside 0..${run.layers - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= run.heads) throw new AttentionInputError(`head ${head} is outside 0..${run.heads - 1}`);
  if (!Number.isInteger(query) || query < 0 || query >= run.seqLen) throw new AttentionInputError(`query ${query} is outside 0..${run.seqLen - 1}`);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new AttentionInputError(`temperature must be a positive number (got ${temperature})`);
  const scale = options.scaled === false ? 1 : run.scales[layer];
  const d = run.headDim;
  const T = run.seqLen;
  const kvHead = run.kvHeadOf[head];
  const { q: qAll, k: kAll, v: vAll } = run.qkv[layer];
  const q = qAll.slice(query * run.heads * d + head * d, query * run.heads * d + (head + 1) * d);
  const keys = new Float32Array(T * d);
  const values = new Float32Array(T * d);
  for (let j = 0; j < T; j++) {
    const base = j * run.kvHeads * d + kvHead * d;
    keys.set(kAll.subarray(base, base + d), j * d);
    values.set(vAll.subarray(base, base + d), j * d);
  }
  const rawScores = new Float32Array(T);
  const scaledScores = new Float32Array(T);
  const cappedScores = new Float32Array(T);
  const mask = new Float32Array(T);
  const softcap = run.attnSoftcap;
  const window = run.slidingWindows[layer];
  const probs = new Float32Array(T);
  let max = -Infinity;
  for (let j = 0; j < T; j++) {
    let s = 0;
    for (let e = 0; e < d; e++) s += q[e] * keys[j * d + e];
    rawScores[j] = s;
    scaledScores[j] = (s * scale) / temperature;
    cappedScores[j] = softcap === undefined ? scaledScores[j] : softcap * Math.tanh(scaledScores[j] / softcap);
    mask[j] = isVisible(query, j, window) ? 0 : -Infinity;
    if (mask[j] === 0 && cappedScores[j] > max) max = cappedScores[j];
  }
  let sum = 0;
  for (let j = 0; j < T; j++) {
    const e = mask[j] === 0 ? Math.exp(cappedScores[j] - max) : 0;
    probs[j] = e;
    sum += e;
  }
  const output = new Float32Array(d);
  for (let j = 0; j < T; j++) {
    probs[j] /= sum;
    if (probs[j] === 0) continue;
    for (let e = 0; e < d; e++) output[e] += probs[j] * values[j * d + e];
  }
  return {
    layer, head, query, kvHead, headDim: d, q, keys, values, rawScores, scale, defaultScale: 1 / Math.sqrt(d), qkNorm: run.qkNorm, softcap,
    slidingWindow: window, temperature, scaledScores, cappedScores, mask, probs, output,
  };
}

/** Mean or max over heads of one layer's probabilities (seqLen × seqLen). */
export function combineHeads(layerProbs: readonly Float32Array[], mode: 'mean' | 'max'): Float32Array {
  const out = new Float32Array(layerProbs[0]?.length ?? 0);
  for (const p of layerProbs) {
    for (let i = 0; i < out.length; i++) out[i] = mode === 'mean' ? out[i] + p[i] : Math.max(out[i], p[i]);
  }
  if (mode === 'mean' && layerProbs.length > 0) for (let i = 0; i < out.length; i++) out[i] /= layerProbs.length;
  return out;
}
