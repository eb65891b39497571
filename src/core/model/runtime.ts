// The forward pass: runs a loaded model on token ids, keeping every layer's attention probabilities
// (and, for the step view, each layer's q/k/v) so nothing needs a second pass.
import type { ModelConfig } from './config';
import { AttentionCancelledError, AttentionInputError } from './errors';
import type { LayerWeights, Model } from './load';
import { addInPlace, applyRope, geluTanhInPlace, layerNorm, rmsNorm, ropeTablesAt, swiglu } from '../tensor/kernels';
import { linearF32 as linear } from '../tensor/matmul';

/** The public result shape (architecture.md): probs[layer][head] is seqLen × seqLen, row = query. */
export interface AttentionResult {
  layers: number;
  heads: number;
  seqLen: number;
  probs: Float32Array[][];
  kvHeadOf: number[];
}

/** One layer's projections after RoPE: q is seqLen × (heads·headDim), k and v seqLen × (kvHeads·headDim). */
export interface LayerQkv {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

/** A candidate next token at the last position. */
export interface TokenPrediction {
  id: number;
  /** Softmax probability over the whole vocabulary. */
  probability: number;
  logit: number;
  /** Decoded text of the token when the model has a tokenizer. */
  label?: string;
}

/** Everything one forward pass produced: the public result plus what the step view and predictions need. */
export interface AttentionRun extends AttentionResult {
  tokenIds: number[];
  kvHeads: number;
  headDim: number;
  /** The factor each layer multiplies Q·Kᵀ by (1/√d_k; GPT-2 may also divide by layer + 1). */
  scales: number[];
  /** Keys further back than this are masked (Mistral), if set. */
  slidingWindow?: number;
  /** Per layer q/k/v, kept unless `keepQkv: false`. */
  qkv?: LayerQkv[];
  /** Top next-token predictions after the last position (empty when `topK` is 0). */
  predictions: TokenPrediction[];
}

/** Knobs of a forward pass. */
export interface RunOptions {
  /** Keep each layer's q/k/v for the step view (default true; costs layers × seqLen × (q+k+v dims) floats). */
  keepQkv?: boolean;
  /** How many next-token predictions to return (default 10). */
  topK?: number;
  /** Called after each layer with (layers done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Polled between layers; returning true stops the pass with AttentionCancelledError. */
  isCancelled?: () => boolean;
}

/** The KV head each query head reads: heads are grouped in order, heads/kvHeads per group. */
export function kvHeadMap(heads: number, kvHeads: number): number[] {
  const group = heads / kvHeads;
  return Array.from({ length: heads }, (_, h) => Math.floor(h / group));
}

/** RoPE inverse frequencies θ^(-2i/d) for i < d/2, adjusted by rope_scaling (linear or Llama 3). */
export function ropeInverseFrequencies(config: ModelConfig): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  const s = config.ropeScaling;
  if (s.type === 'linear') for (let i = 0; i < half; i++) inv[i] /= s.factor;
  if (s.type === 'llama3') {
    // Llama 3.1's frequency-dependent scaling (transformers, modeling_rope_utils._compute_llama3_parameters).
    const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositions / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] /= s.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / s.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

/** Whether key `j` is visible to query `i` (causal, and inside the sliding window if any). */
export function isVisible(i: number, j: number, slidingWindow?: number): boolean {
  return j <= i && (slidingWindow === undefined || i - j < slidingWindow);
}

function validateIds(model: Model, tokenIds: readonly number[]): void {
  const c = model.config;
  if (tokenIds.length === 0) throw new AttentionInputError('runAttention needs at least one token id');
  for (const id of tokenIds) {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocab) throw new AttentionInputError(`token id ${id} is outside the vocabulary (0..${c.vocab - 1})`);
  }
  if (c.family === 'gpt2' && tokenIds.length > c.maxPositions) {
    throw new AttentionInputError(`GPT-2 has ${c.maxPositions} learned positions; got ${tokenIds.length} tokens`);
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the model on `tokenIds` and returns every layer's attention probabilities (plus q/k/v and predictions). */
export async function runAttention(model: Model, tokenIds: number[], options: RunOptions = {}): Promise<AttentionRun> {
  validateIds(model, tokenIds);
  const c = model.config;
  const w = model.weights;
  const T = tokenIds.length;
  const H = c.hidden;
  const d = c.headDim;
  const keepQkv = options.keepQkv ?? true;

  // Embedding lookup (+ learned positions for GPT-2).
  const x = new Float32Array(T * H);
  for (let t = 0; t < T; t++) {
    x.set(w.embed.subarray(tokenIds[t] * H, (tokenIds[t] + 1) * H), t * H);
    if (w.positions) for (let i = 0; i < H; i++) x[t * H + i] += w.positions[t * H + i];
  }

  const rope = c.family === 'llama' ? ropeTablesAt(ropeInverseFrequencies(c), 0, T) : undefined;

  const kvHeadOf = kvHeadMap(c.heads, c.kvHeads);
  const probs: Float32Array[][] = [];
  const qkv: LayerQkv[] = [];
  const scales: number[] = [];
  const norm = (v: Float32Array, rows: number, weight: Float32Array, bias?: Float32Array): Float32Array =>
    c.family === 'gpt2' ? layerNorm(v, rows, H, weight, bias, c.normEps) : rmsNorm(v, rows, H, weight, c.normEps);

  for (let l = 0; l < c.layers; l++) {
    if (options.isCancelled?.()) throw new AttentionCancelledError();
    const lw = w.layers[l];
    const hIn = norm(x, T, lw.norm1, lw.norm1Bias);
    const q = linear(hIn, T, H, lw.q, c.heads * d, lw.qBias);
    const k = linear(hIn, T, H, lw.k, c.kvHeads * d, lw.kBias);
    const v = linear(hIn, T, H, lw.v, c.kvHeads * d, lw.vBias);
    if (rope) {
      applyRope(q, T, c.heads, d, rope);
      applyRope(k, T, c.kvHeads, d, rope);
    }
    const scale = (1 / Math.sqrt(d)) * (c.scaleByInverseLayer ? 1 / (l + 1) : 1);
    scales.push(scale);
    const { layerProbs, heads } = attend(q, k, v, T, c.heads, kvHeadOf, c.kvHeads, d, scale, c.slidingWindow);
    probs.push(layerProbs);
    if (keepQkv) qkv.push({ q, k, v });
    addInPlace(x, linear(heads, T, c.heads * d, lw.o, H, lw.oBias));
    addInPlace(x, mlp(norm(x, T, lw.norm2, lw.norm2Bias), T, c, lw));
    options.onProgress?.(l + 1, c.layers);
    if (options.isCancelled || options.onProgress) await yieldToEventLoop();
  }

  const predictions = nextTokenPredictions(model, x.subarray((T - 1) * H, T * H), options.topK ?? 10);
  return {
    layers: c.layers,
    heads: c.heads,
    seqLen: T,
    probs,
    kvHeadOf,
    tokenIds: tokenIds.slice(),
    kvHeads: c.kvHeads,
    headDim: d,
    scales,
    slidingWindow: c.slidingWindow,
    qkv: keepQkv ? qkv : undefined,
    predictions,
  };
}

/** Copies head `h`'s columns (h·d … h·d+d) of a T × (n·d) matrix into a contiguous T × d matrix. */
function headSlice(m: Float32Array, T: number, n: number, d: number, h: number): Float32Array {
  const out = new Float32Array(T * d);
  for (let t = 0; t < T; t++) out.set(m.subarray(t * n * d + h * d, t * n * d + h * d + d), t * d);
  return out;
}

/** Head `h`'s columns of a T × (n·d) matrix, transposed to d × T (so P·V is another row-by-row product). */
function headSliceTransposed(m: Float32Array, T: number, n: number, d: number, h: number): Float32Array {
  const out = new Float32Array(d * T);
  for (let t = 0; t < T; t++) {
    const base = t * n * d + h * d;
    for (let e = 0; e < d; e++) out[e * T + t] = m[base + e];
  }
  return out;
}

/**
 * Causal scaled dot-product attention for every head; returns probabilities and the concatenated head
 * outputs. Q·Kᵀ and P·V go through the same matmul kernel as the projections (the full square is computed
 * and the masked half discarded: still several times faster than a scalar causal loop).
 */
function attend(
  q: Float32Array, k: Float32Array, v: Float32Array, T: number, nHeads: number, kvHeadOf: number[], nKv: number, d: number,
  scale: number, slidingWindow: number | undefined,
): { layerProbs: Float32Array[]; heads: Float32Array } {
  const out = new Float32Array(T * nHeads * d);
  const keys = Array.from({ length: nKv }, (_, g) => headSlice(k, T, nKv, d, g));
  const valuesT = Array.from({ length: nKv }, (_, g) => headSliceTransposed(v, T, nKv, d, g));
  const layerProbs: Float32Array[] = [];
  for (let h = 0; h < nHeads; h++) {
    const g = kvHeadOf[h];
    const p = linear(headSlice(q, T, nHeads, d, h), T, d, keys[g], T);
    for (let i = 0; i < T; i++) {
      const row = i * T;
      const first = slidingWindow === undefined ? 0 : Math.max(0, i - slidingWindow + 1);
      // Softmax over the visible keys only; masked ones are exactly 0 (exp(-∞)), without computing it.
      let max = -Infinity;
      for (let j = row + first; j <= row + i; j++) {
        const v = p[j] * scale;
        p[j] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let j = row + first; j <= row + i; j++) {
        const e = Math.exp(p[j] - max);
        p[j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = row + first; j <= row + i; j++) p[j] *= inv;
      p.fill(0, row, row + first);
      p.fill(0, row + i + 1, row + T);
    }
    const o = linear(p, T, T, valuesT[g], d);
    for (let t = 0; t < T; t++) out.set(o.subarray(t * d, t * d + d), t * nHeads * d + h * d);
    layerProbs.push(p);
  }
  return { layerProbs, heads: out };
}

function mlp(hIn: Float32Array, T: number, c: ModelConfig, lw: LayerWeights): Float32Array {
  const up = linear(hIn, T, c.hidden, lw.up, c.intermediate, lw.upBias);
  if (lw.gate) {
    const gate = linear(hIn, T, c.hidden, lw.gate, c.intermediate, lw.gateBias);
    swiglu(gate, up, gate);
    return linear(gate, T, c.intermediate, lw.down, c.hidden, lw.downBias);
  }
  geluTanhInPlace(up);
  return linear(up, T, c.intermediate, lw.down, c.hidden, lw.downBias);
}

/** Final norm, logits for the last position, softmax, top k. */
function nextTokenPredictions(model: Model, last: Float32Array, topK: number): TokenPrediction[] {
  if (topK <= 0) return [];
  const c = model.config;
  const w = model.weights;
  const normed = c.family === 'gpt2' ? layerNorm(last, 1, c.hidden, w.finalNorm, w.finalNormBias, c.normEps) : rmsNorm(last, 1, c.hidden, w.finalNorm, c.normEps);
  const logits = linear(normed, 1, c.hidden, w.lmHead, c.vocab);
  return topPredictions(logits, topK, model.tokenizer ? (id) => model.tokenizer?.label(id) : undefined);
}

/** The k largest logits with their softmax probabilities over all of `logits`. */
export function topPredictions(logits: Float32Array, k: number, label?: (id: number) => string | undefined): TokenPrediction[] {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  // Partial selection: keep the k best in a small sorted list (O(vocab · k), no full sort of the vocabulary).
  const order: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    const v = logits[id];
    if (order.length === k && v <= logits[order[k - 1]]) continue;
    let at = order.length;
    while (at > 0 && v > logits[order[at - 1]]) at--;
    order.splice(at, 0, id);
    if (order.length > k) order.pop();
  }
  return order.map((id) => ({ id, logit: logits[id], probability: Math.exp(logits[id] - max) / sum, label: label?.(id) }));
}
