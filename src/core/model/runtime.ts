// The runtime: one forward pass that runs any architecture by following its block description
// (config.block), over new tokens at a position offset with an optional KV cache, with the hooks the
// analyses need (residual stream, ablation, MLP gate/up, q and k before RoPE, routing). runAttention keeps
// every layer's attention probabilities (and, for the step view, q/k/v) so nothing needs a second pass.
import type { BlockSpec, ModelConfig, MoeSpec } from './config';
import { AttentionCancelledError, AttentionInputError } from './errors';
import { KvCache } from './kvCache';
import type { Model } from './load';
import type { LayerWeights } from './weights';
import { addInPlace, applyRope, gatherHead, geglu, geluTanhInPlace, layerNorm, rmsNorm, ropeFrequencies, ropeTablesAt, softmaxInPlace, swiglu, transpose, type RopeTables } from '../tensor/kernels';
import { attentionF32, gatedMlpF32, linearF32, linearsF32 } from '../tensor/matmul';
import { linear, weightRow, type WeightMatrix } from '../tensor/weights';
import { checkRunBudget, streamScratchOf } from './budget';

/** The public result shape (architecture.md): probs[layer][head] is seqLen × seqLen, row = query. */
export interface AttentionResult {
  layers: number;
  heads: number;
  seqLen: number;
  probs: Float32Array[][];
  kvHeadOf: number[];
  /**
   * One head's seqLen × seqLen matrix on demand (runAttention with probs: false keeps q and k instead of every
   * matrix; with probs it returns the kept one). Set by runAttention, not enumerable (not structured-cloned).
   */
  headProbs?: (layer: number, head: number) => Float32Array;
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
  /** Each layer's sliding window (undefined for a layer that sees every earlier key; Gemma 2/3 alternate). */
  slidingWindows: (number | undefined)[];
  /** Scaled scores became cap·tanh(score/cap) before softmax (Gemma 2), if set. */
  attnSoftcap?: number;
  /** Whether q and k were RMS-normalised per head before RoPE (Qwen3, Gemma 3): the kept q/k are after it. */
  qkNorm: boolean;
  /** Per layer q/k/v, kept unless `keepQkv: false`. */
  qkv?: LayerQkv[];
  /** Top next-token predictions after the last position (empty when `topK` is 0). */
  predictions: TokenPrediction[];
  /** Per layer: which experts each token was routed to (undefined for dense layers). */
  routing: (LayerRouting | undefined)[];
}

/** Knobs of a forward pass. */
export interface RunOptions {
  /** Keep each layer's q/k/v for the step view (default true; costs layers × seqLen × (q+k+v dims) floats). */
  keepQkv?: boolean;
  /**
   * Keep every head's probabilities (default true). With false, `probs` is empty and `headProbs` computes one
   * head's matrix on demand from the kept q and k (q/k/v are then always kept): layers × heads × seqLen² floats
   * are never held (4 GiB for 32 × 32 heads at 1,024 tokens).
   */
  probs?: boolean;
  /** How many next-token predictions to return (default 10). */
  topK?: number;
  /** Called after each layer with (layers done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Polled between layers; returning true stops the pass with AttentionCancelledError. */
  isCancelled?: () => boolean;
  /** Analysis hooks (residual stream, ablation, MLP values, q/k before RoPE). */
  hooks?: ForwardHooks;
}

/** A mixture-of-experts layer's routing (architecture.md): seqLen × topK, row-major, best first. */
export interface LayerRouting {
  experts: Int32Array;
  weights: Float32Array;
  topK: number;
  numExperts: number;
}

/** What an ablation knocks out: one head's output (before o_proj), or with no `head` the layer's whole attention. */
export interface Ablation {
  layer: number;
  /** The query head whose output is zeroed; omitted = the attention sublayer adds nothing to the residual stream. */
  head?: number;
}

/**
 * Hooks into a forward pass, for the analyses. Callbacks receive the runtime's live buffers, valid only
 * during the call: copy what you keep (the runtime goes on to change them in place).
 */
export interface ForwardHooks {
  /** Zero these heads' outputs / whole layers' attention (TransformerLens-style ablation). */
  ablate?: readonly Ablation[];
  /** The residual stream after layer `layer`: rows × hidden, one row per token of this call (logit lens). */
  residual?: (layer: number, x: Float32Array) => void;
  /** The MLP's gate (undefined for ungated MLPs) and up projections, rows × intermediate, before the activation (dense layers only: a mixture-of-experts layer reports `routing` instead). */
  mlp?: (layer: number, values: { gate?: Float32Array; up: Float32Array }) => void;
  /** q (rows × heads·headDim) and k (rows × kvHeads·headDim) after the projection, its bias and the per-head q/k norm (block.qkNorm), before RoPE. */
  qkPreRope?: (layer: number, q: Float32Array, k: Float32Array) => void;
  /**
   * One head's attention probabilities as the pass computes them (rows × keys, row-major; row r is query position
   * queryStart + r, column c key position keyStart + c), also when they are not kept: the head detector gathers
   * the few entries it reads here instead of holding layers × heads × seqLen² floats.
   */
  attention?: (layer: number, head: number, probs: Float32Array, shape: { rows: number; keys: number; queryStart: number; keyStart: number }) => void;
}

/** Knobs of the low-level `forward`. */
export interface ForwardOptions {
  /** Feed the tokens after the cache's positions and append each layer's K and V to it. */
  cache?: KvCache;
  /** Keep each layer's attention probabilities, rows × (cached + new positions) per head (default false). */
  keepProbs?: boolean;
  /** Keep each layer's q/k/v of the new tokens, after RoPE (default false). */
  keepQkv?: boolean;
  /** Logits to compute: none, the last row's (default), or every row's (rows × vocab). */
  logits?: 'none' | 'last' | 'all';
  hooks?: ForwardHooks;
  onProgress?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

/** What `forward` produced for the tokens of one call. */
export interface ForwardResult {
  /** Position of the first token of this call (the cache's length before it; 0 without a cache). */
  offset: number;
  /** Tokens of this call. */
  rows: number;
  /** The residual stream after the last layer (rows × hidden), before the final norm. */
  hidden: Float32Array;
  /** Logits as asked for: the last row (vocab) or every row (rows × vocab); empty for 'none'. */
  logits: Float32Array;
  /** probs[layer][head]: rows × (offset + rows), row-major, when `keepProbs`. */
  probs?: Float32Array[][];
  /** Per layer q/k/v of this call's tokens (after RoPE), when `keepQkv`. */
  qkv?: LayerQkv[];
  /** The factor each layer multiplies Q·Kᵀ by. */
  scales: number[];
  /** Per layer routing; undefined for dense layers. */
  routing: (LayerRouting | undefined)[];
}

/** The KV head each query head reads: heads are grouped in order, heads/kvHeads per group. */
export function kvHeadMap(heads: number, kvHeads: number): number[] {
  const group = heads / kvHeads;
  return Array.from({ length: heads }, (_, h) => Math.floor(h / group));
}

/**
 * RoPE inverse frequencies θ^(-2i/d) for i < d/2, adjusted by rope_scaling (linear, Llama 3 or LongRoPE).
 * `seqLen` (positions 0 … seqLen − 1 are in use) picks LongRoPE's long factors beyond the original context,
 * as transformers' longrope_frequency_update does.
 */
export function ropeInverseFrequencies(config: ModelConfig, seqLen = 0): Float64Array {
  const half = config.headDim / 2;
  const inv = ropeFrequencies(config.headDim, config.ropeTheta);
  const s = config.ropeScaling;
  if (s.type === 'linear') for (let i = 0; i < half; i++) inv[i] /= s.factor;
  if (s.type === 'longrope') {
    // modeling_rope_utils._compute_longrope_parameters: inv_freq = 1 / (ext_factors · base^(2i/d)).
    const factors = seqLen > s.originalMaxPositions ? s.longFactor : s.shortFactor;
    for (let i = 0; i < half; i++) inv[i] /= factors[i];
  }
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

/** The factor RoPE's cos and sin are multiplied by (LongRoPE's attention factor; 1 otherwise). */
export function ropeAttentionFactor(config: ModelConfig): number {
  return config.ropeScaling.type === 'longrope' ? config.ropeScaling.attentionFactor : 1;
}

/** Layer `layer`'s sliding window, or undefined when it sees every earlier key. */
export function slidingWindowOf(config: ModelConfig, layer: number): number | undefined {
  if (config.slidingWindow === undefined) return undefined;
  return config.slidingWindowLayers === undefined || config.slidingWindowLayers.includes(layer) ? config.slidingWindow : undefined;
}

/** cap·tanh(x/cap) in place over a[start, end) (Gemma 2's soft-capping of attention scores and logits). */
export function softcapInPlace(a: Float32Array, cap: number, start = 0, end = a.length): void {
  for (let i = start; i < end; i++) a[i] = cap * Math.tanh(a[i] / cap);
}

/** Whether key `j` is visible to query `i` (causal, and inside the sliding window if any). */
export function isVisible(i: number, j: number, slidingWindow?: number): boolean {
  return j <= i && (slidingWindow === undefined || i - j < slidingWindow);
}

function validateIds(model: Model, tokenIds: readonly number[], offset: number): void {
  const c = model.config;
  if (tokenIds.length === 0) throw new AttentionInputError('runAttention needs at least one token id');
  for (const id of tokenIds) {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocab) throw new AttentionInputError(`token id ${id} is outside the vocabulary (0..${c.vocab - 1})`);
  }
  if (c.block.positions === 'learned' && offset + tokenIds.length > c.maxPositions) {
    throw new AttentionInputError(`this model (${c.modelType}) has ${c.maxPositions} learned positions; got ${offset + tokenIds.length} tokens`);
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A KV cache for `model`'s shape, empty. */
export function createKvCache(model: Model): KvCache {
  return new KvCache(model.shape);
}

/** The block's normalisation of `rows` rows (RMSNorm, or LayerNorm with its bias). */
function norm(block: BlockSpec, x: Float32Array, rows: number, dim: number, weight: Float32Array, bias: Float32Array | undefined, eps: number): Float32Array {
  return block.norm === 'layer' ? layerNorm(x, rows, dim, weight, bias, eps) : rmsNorm(x, rows, dim, weight, eps);
}

/**
 * Runs the model over `tokenIds` placed after the cache's positions (or from position 0 without a cache),
 * appending each layer's K and V to the cache and committing the positions at the end. Layers follow
 * `model.config.block`; the runtime has no per-family code.
 */
export async function forward(model: Model, tokenIds: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
  const cache = options.cache;
  const P = cache?.length ?? 0;
  validateIds(model, tokenIds, P);
  const c = model.config;
  const block = c.block;
  const w = model.weights;
  const T = tokenIds.length;
  const H = c.hidden;
  const d = c.headDim;
  const hooks = options.hooks;
  const which = options.logits ?? 'last';
  // The memory budget: refused here, before the run allocates anything (model/budget.ts).
  if (model.maxResidentBytes !== undefined) {
    checkRunBudget(c, model.residentBytes, model.maxResidentBytes, {
      tokens: T, cached: P, keepProbs: options.keepProbs === true, keepQkv: options.keepQkv === true, logits: which,
      streamScratch: (model.streamedBytes ?? 0) > 0 ? streamScratchOf(model.weights) : 0, f32Weights: model.format === 'safetensors', cache: cache !== undefined,
    });
  }

  // Embedding lookup (+ learned positions), times the block's embedding scale.
  const x = new Float32Array(T * H);
  for (let t = 0; t < T; t++) {
    // Only the looked-up rows are read (and dequantized, for a quantized embedding).
    weightRow(w.embed, tokenIds[t], x, t * H);
    if (block.positions === 'learned' && w.positions) {
      const row = (P + t) * H;
      for (let i = 0; i < H; i++) x[t * H + i] += w.positions[row + i];
    }
  }
  if (block.embedScale !== undefined) for (let i = 0; i < x.length; i++) x[i] *= block.embedScale;
  const rs = c.ropeScaling;
  if (rs.type === 'longrope' && P > 0 && P <= rs.originalMaxPositions && P + T > rs.originalMaxPositions) {
    // The cached keys were rotated with the short factors; transformers recomputes the cache from scratch here
    // (Phi3ForCausalLM.prepare_inputs_for_generation), which needs the earlier tokens: the caller must re-run them.
    throw new AttentionInputError(`LongRoPE switches to its long factors past ${rs.originalMaxPositions} positions: run all ${P + T} tokens again without the cache`);
  }
  const rope = block.positions === 'rope' ? scaledTables(ropeTablesAt(ropeInverseFrequencies(c, P + T), P, T), ropeAttentionFactor(c)) : undefined;
  // Sliding layers may rotate with their own base and no scaling.
  const slidingRope = rope && block.slidingRopeTheta !== undefined ? ropeTablesAt(ropeFrequencies(d, block.slidingRopeTheta), P, T) : rope;

  const kvHeadOf = kvHeadMap(c.heads, c.kvHeads);
  const probs: Float32Array[][] = [];
  const qkv: LayerQkv[] = [];
  const scales: number[] = [];
  const routing: (LayerRouting | undefined)[] = [];

  for (let l = 0; l < c.layers; l++) {
    if (options.isCancelled?.()) throw new AttentionCancelledError();
    const lw = w.layers[l];
    // The input norm, q, k and v on the thread team when the kernel takes them (RMSNorm blocks); else step by
    // step. The same values either way.
    const qkvW = [lw.q, lw.k, lw.v], qkvB = [lw.qBias, lw.kBias, lw.vBias];
    const qkvOut = (block.norm === 'rms' ? linearsF32(x, T, qkvW, qkvB, { weight: lw.norm1, eps: c.normEps }) : undefined)
      ?? (() => {
        const hIn = norm(block, x, T, H, lw.norm1, lw.norm1Bias, c.normEps);
        return linearsF32(hIn, T, qkvW, qkvB) ?? qkvW.map((m, i) => linear(hIn, T, m, qkvB[i]));
      })();
    let q = qkvOut[0];
    let k = qkvOut[1];
    const v = qkvOut[2];
    if (block.qkNorm) {
      // Per-head RMSNorm: every head's headDim values are one row.
      if (!lw.qNorm || !lw.kNorm) throw new AttentionInputError(`layer ${l}: a q/k-norm block without q_norm/k_norm weights`);
      q = rmsNorm(q, T * c.heads, d, lw.qNorm, c.normEps);
      k = rmsNorm(k, T * c.kvHeads, d, lw.kNorm, c.normEps);
    }
    hooks?.qkPreRope?.(l, q, k);
    const window = slidingWindowOf(c, l);
    const tables = window !== undefined ? slidingRope : rope;
    if (tables) {
      applyRope(q, T, c.heads, d, tables, false, block.ropeStyle);
      applyRope(k, T, c.kvHeads, d, tables, false, block.ropeStyle);
    }
    const scale = (block.queryScale ?? 1 / Math.sqrt(d)) * (c.scaleByInverseLayer ? 1 / (l + 1) : 1);
    scales.push(scale);
    const kv = cache ? cache.append(l, k, v, T) : { keys: k, values: v, start: 0 };
    const onHead = hooks?.attention;
    const { layerProbs, heads } = attend(q, T, kv.keys, kv.values, kv.start, P, c.heads, kvHeadOf, c.kvHeads, d, scale, window, block.attnSoftcap, options.keepProbs === true,
      onHead && ((h, p, S) => onHead(l, h, p, { rows: T, keys: S, queryStart: P, keyStart: kv.start })));
    if (options.keepProbs) probs.push(layerProbs);
    if (options.keepQkv) qkv.push({ q, k, v });
    const ablated = hooks?.ablate?.filter((a) => a.layer === l) ?? [];
    if (!ablated.some((a) => a.head === undefined)) {
      for (const a of ablated) zeroHead(heads, T, c.heads, d, a.head as number);
      const o = linear(heads, T, lw.o, lw.oBias);
      addInPlace(x, block.postNorms ? norm(block, o, T, H, required(lw.postAttnNorm, l, 'post-attention norm'), undefined, c.normEps) : o);
    }
    const moeLayer = block.moe !== undefined && lw.router !== undefined;
    // A gated MLP with RMSNorm, float32 weights without biases and no hook reading gate/up: the norm, products and
    // activation on the thread team (the same values as the steps below).
    const fusedMlp = !moeLayer && block.norm === 'rms' && block.mlp !== 'gelu' && !hooks?.mlp && lw.gate && lw.up && lw.down && !lw.gateBias && !lw.upBias && !lw.downBias
      ? gatedMlpF32(x, T, lw.gate, lw.up, lw.down, block.mlp, { weight: lw.norm2, eps: c.normEps })
      : undefined;
    const hMlp = fusedMlp ? undefined : norm(block, x, T, H, lw.norm2, lw.norm2Bias, c.normEps);
    const out = fusedMlp ? { y: fusedMlp, routing: undefined } : moeLayer ? moe(hMlp as Float32Array, T, block.moe as MoeSpec, lw, l) : { y: mlp(hMlp as Float32Array, T, block, lw, l, hooks), routing: undefined };
    addInPlace(x, block.postNorms ? norm(block, out.y, T, H, required(lw.postMlpNorm, l, 'post-MLP norm'), undefined, c.normEps) : out.y);
    routing.push(out.routing);
    hooks?.residual?.(l, x);
    options.onProgress?.(l + 1, c.layers);
    if (options.isCancelled || options.onProgress) await yieldToEventLoop();
  }
  cache?.commit(T);

  const logits = which === 'none' ? new Float32Array(0) : which === 'all' ? unembed(model, x, T) : unembed(model, x.subarray((T - 1) * H, T * H), 1);
  return {
    offset: P, rows: T, hidden: x, logits, scales, routing,
    probs: options.keepProbs ? probs : undefined,
    qkv: options.keepQkv ? qkv : undefined,
  };
}

/** The model's final norm and unembedding of `rows` residual-stream rows: rows × vocab logits (also for the logit lens). */
export function unembed(model: Model, residual: Float32Array, rows: number): Float32Array {
  const c = model.config;
  const w = model.weights;
  const logits = linear(finalNorm(model, residual, rows), rows, w.lmHead);
  if (c.block.finalSoftcap !== undefined) softcapInPlace(logits, c.block.finalSoftcap);
  return logits;
}

/** The model's final norm of `rows` residual-stream rows (rows × hidden): what the LM head reads. */
export function finalNorm(model: Model, residual: Float32Array, rows: number): Float32Array {
  const c = model.config;
  return norm(c.block, residual, rows, c.hidden, model.weights.finalNorm, model.weights.finalNormBias, c.normEps);
}

/** The logits after the last of `tokenIds` over the whole vocabulary (architecture.md). */
export async function nextTokenLogits(model: Model, tokenIds: number[]): Promise<Float32Array> {
  return (await forward(model, tokenIds, { logits: 'last' })).logits;
}

/** Runs the model on `tokenIds` and returns every layer's attention probabilities (plus q/k/v and predictions). */
export async function runAttention(model: Model, tokenIds: number[], options: RunOptions = {}): Promise<AttentionRun> {
  const c = model.config;
  const topK = options.topK ?? 10;
  const keepProbs = options.probs ?? true;
  const keepQkv = (options.keepQkv ?? true) || !keepProbs;
  const result = await forward(model, tokenIds, {
    keepProbs, keepQkv, logits: topK > 0 ? 'last' : 'none', hooks: options.hooks, onProgress: options.onProgress, isCancelled: options.isCancelled,
  });
  const predictions = topK > 0 ? topPredictions(result.logits, topK, model.tokenizer ? (id) => model.tokenizer?.label(id) : undefined) : [];
  const run: AttentionRun = {
    layers: c.layers,
    heads: c.heads,
    seqLen: tokenIds.length,
    probs: result.probs ?? [],
    kvHeadOf: kvHeadMap(c.heads, c.kvHeads),
    tokenIds: tokenIds.slice(),
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    scales: result.scales,
    slidingWindow: c.slidingWindow,
    slidingWindows: Array.from({ length: c.layers }, (_, l) => slidingWindowOf(c, l)),
    attnSoftcap: c.block.attnSoftcap,
    qkNorm: c.block.qkNorm === true,
    qkv: result.qkv,
    predictions,
    routing: result.routing,
  };
  // Not enumerable: a run still crosses a worker boundary by structured clone (which skips it); the analyses
  // (headScores) read it where the run was made.
  Object.defineProperty(run, 'headProbs', { value: (layer: number, head: number) => headProbs(model, run, layer, head), enumerable: false });
  return run;
}

/** Zeroes head `h`'s columns of the concatenated head outputs (T × heads·d). */
function zeroHead(heads: Float32Array, T: number, n: number, d: number, h: number): void {
  if (!Number.isInteger(h) || h < 0 || h >= n) throw new AttentionInputError(`ablation head ${h} is outside 0..${n - 1}`);
  for (let t = 0; t < T; t++) heads.fill(0, t * n * d + h * d, t * n * d + h * d + d);
}

/**
 * Causal scaled dot-product attention of T new queries (positions P … P+T−1) over the keys of positions
 * start … P+T−1 (a sliding-window cache may have dropped older ones), for every head; returns probabilities
 * (T × (P+T) per head, when kept) and the concatenated head outputs. Q·Kᵀ and P·V go through the matmul
 * library (the full rectangle is computed and the masked part discarded: still several times faster than a
 * scalar causal loop).
 */
function attend(
  q: Float32Array, T: number, kAll: Float32Array, vAll: Float32Array, start: number, P: number, nHeads: number, kvHeadOf: number[], nKv: number,
  d: number, scale: number, slidingWindow: number | undefined, softcap: number | undefined, keepProbs: boolean,
  onHead?: (head: number, probs: Float32Array, keys: number) => void,
): { layerProbs: Float32Array[]; heads: Float32Array } {
  const S = P + T - start;
  // Every head at once in the kernel's memory, heads split across the thread team (identical values to the loop below).
  const fast = kvHeadOf.every((g, h) => g === Math.floor(h / (nHeads / nKv)))
    ? attentionF32(q, T, kAll, vAll, S, P, start, nHeads, nKv, d, scale, slidingWindow, softcap, keepProbs || onHead !== undefined)
    : undefined;
  if (fast) {
    const kept: Float32Array[] = [];
    fast.probs.forEach((p, h) => {
      onHead?.(h, p, S);
      if (keepProbs) kept.push(start === 0 ? p : widen(p, T, S, start));
    });
    return { layerProbs: kept, heads: fast.out };
  }
  const out = new Float32Array(T * nHeads * d);
  const keys = Array.from({ length: nKv }, (_, g) => gatherHead(kAll, S, nKv, d, g));
  // V per group transposed to d × S, so P·V is another row-by-row product.
  const valuesT = Array.from({ length: nKv }, (_, g) => transpose(gatherHead(vAll, S, nKv, d, g), S, d));
  const layerProbs: Float32Array[] = [];
  for (let h = 0; h < nHeads; h++) {
    const g = kvHeadOf[h];
    const p = headAttention(gatherHead(q, T, nHeads, d, h), T, keys[g], S, d, P, start, scale, slidingWindow, softcap);
    const o = linearF32(p, T, S, valuesT[g], d);
    for (let t = 0; t < T; t++) out.set(o.subarray(t * d, t * d + d), t * nHeads * d + h * d);
    onHead?.(h, p, S);
    if (keepProbs) layerProbs.push(start === 0 ? p : widen(p, T, S, start));
  }
  return { layerProbs, heads: out };
}

/**
 * One head's attention probabilities, T × S: softmax over the visible keys of (q_h · k_gᵀ) × scale (soft-capped
 * when set), for queries at positions P … P+T−1 and keys start … P+T−1. The one implementation behind both the
 * forward pass and `headProbs`, so a matrix recomputed on demand equals the run's own bit for bit.
 */
function headAttention(
  qh: Float32Array, T: number, kg: Float32Array, S: number, d: number, P: number, start: number, scale: number,
  slidingWindow: number | undefined, softcap: number | undefined,
): Float32Array {
  const p = linearF32(qh, T, d, kg, S);
  for (let i = 0; i < T; i++) {
    const row = i * S;
    const last = P + i - start;
    const first = slidingWindow === undefined ? 0 : Math.max(0, P + i - slidingWindow + 1 - start);
    // Softmax over the visible keys only; masked ones are exactly 0 (exp(-∞)), without computing it.
    // Soft-capping (Gemma 2) acts on the scaled scores, before the mask (modeling_gemma2.eager_attention_forward).
    if (softcap !== undefined) {
      for (let j = row + first; j <= row + last; j++) p[j] = softcap * Math.tanh((p[j] * scale) / softcap);
      softmaxInPlace(p, row + first, row + last + 1, 1);
    } else softmaxInPlace(p, row + first, row + last + 1, scale);
    p.fill(0, row, row + first);
    p.fill(0, row + last + 1, row + S);
  }
  return p;
}

/**
 * One head's seqLen × seqLen attention matrix (row = query), computed on demand from the q and k (after RoPE)
 * a `runAttention` run kept: equal to the run's `probs[layer][head]` when it kept them. `model` names the run's
 * model (checked against the run's shape).
 */
export function headProbs(model: Model, run: AttentionRun, layer: number, head: number): Float32Array {
  if (!Number.isInteger(layer) || layer < 0 || layer >= run.layers) throw new AttentionInputError(`layer ${layer} is outside 0..${run.layers - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= run.heads) throw new AttentionInputError(`head ${head} is outside 0..${run.heads - 1}`);
  if (model.config.heads !== run.heads || model.config.layers !== run.layers) throw new AttentionInputError(`this run (${run.layers} layers × ${run.heads} heads) is not of this model (${model.config.layers} × ${model.config.heads})`);
  const kept = run.probs[layer]?.[head];
  if (kept) return kept;
  const qkv = run.qkv?.[layer];
  if (!qkv) throw new AttentionInputError('this run kept neither probabilities nor q and k (runAttention with keepQkv: false and probs: false)');
  const T = run.seqLen;
  const d = run.headDim;
  const g = run.kvHeadOf[head];
  return headAttention(gatherHead(qkv.q, T, run.heads, d, head), T, gatherHead(qkv.k, T, run.kvHeads, d, g), T, d, 0, 0, run.scales[layer], run.slidingWindows[layer], run.attnSoftcap);
}

/** A T × S probability matrix over keys start … as T × (start + S), the dropped keys' columns 0. */
function widen(p: Float32Array, T: number, S: number, start: number): Float32Array {
  const out = new Float32Array(T * (start + S));
  for (let i = 0; i < T; i++) out.set(p.subarray(i * S, (i + 1) * S), i * (start + S) + start);
  return out;
}

/** A weight the block description requires, or an error naming it. */
function required<T>(value: T | undefined, layer: number, what: string): T {
  if (value === undefined) throw new AttentionInputError(`layer ${layer}: the block needs a ${what} weight the model lacks`);
  return value;
}

/** Cos/sin tables multiplied by `factor` (LongRoPE's attention factor), in place. */
function scaledTables(t: RopeTables, factor: number): RopeTables {
  if (factor !== 1) {
    for (let i = 0; i < t.cos.length; i++) {
      t.cos[i] *= factor;
      t.sin[i] *= factor;
    }
  }
  return t;
}

/**
 * A mixture-of-experts MLP (transformers' MixtralSparseMoeBlock / Qwen3MoeSparseMoeBlock): router logits →
 * softmax over all experts → the top-k per token, best first (renormalised to sum 1 when the spec says) →
 * only the chosen experts run, on the rows routed to them, each output weighted by its gate and summed.
 */
function moe(hIn: Float32Array, T: number, spec: MoeSpec, lw: LayerWeights, layer: number): { y: Float32Array; routing: LayerRouting } {
  const router = required(lw.router, layer, 'router');
  const experts = required(lw.experts, layer, 'experts');
  const E = spec.experts;
  const K = spec.topK;
  const logits = linear(hIn, T, router);
  const ids = new Int32Array(T * K);
  const gates = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    softmaxInPlace(logits, t * E, (t + 1) * E);
    const row = logits.subarray(t * E, (t + 1) * E);
    // Top-k by selection, ties to the lower expert id (probabilities are rarely equal in practice).
    const taken = new Uint8Array(E);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      let best = -1;
      for (let e = 0; e < E; e++) if (!taken[e] && (best < 0 || row[e] > row[best])) best = e;
      taken[best] = 1;
      ids[t * K + k] = best;
      gates[t * K + k] = row[best];
      sum += row[best];
    }
    if (spec.normalizeTopK) for (let k = 0; k < K; k++) gates[t * K + k] /= sum;
  }
  const H = hIn.length / T;
  const y = new Float32Array(T * H);
  for (let e = 0; e < E; e++) {
    const rows: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < T * K; i++) {
      if (ids[i] === e) {
        rows.push(Math.floor(i / K));
        weights.push(gates[i]);
      }
    }
    if (rows.length === 0) continue;
    const xe = new Float32Array(rows.length * H);
    rows.forEach((t, r) => xe.set(hIn.subarray(t * H, (t + 1) * H), r * H));
    const ex = experts[e];
    const act = swiglu(linear(xe, rows.length, ex.gate), linear(xe, rows.length, ex.up));
    const out = linear(act, rows.length, ex.down);
    rows.forEach((t, r) => {
      for (let i = 0; i < H; i++) y[t * H + i] += weights[r] * out[r * H + i];
    });
  }
  return { y, routing: { experts: ids, weights: gates, topK: K, numExperts: E } };
}

/** The block's MLP: gated (SwiGLU / GeGLU) or GELU, as config.block.mlp says. */
function mlp(hIn: Float32Array, T: number, block: BlockSpec, lw: LayerWeights, layer: number, hooks: ForwardHooks | undefined): Float32Array {
  const upW = required(lw.up, layer, 'MLP up');
  const down = required(lw.down, layer, 'MLP down');
  if (block.mlp !== 'gelu') {
    if (!lw.gate) throw new AttentionInputError(`layer ${layer}: a gated MLP without a gate projection`);
    // Float32 weights without biases and no hook reading gate/up: products and activation in the kernel's
    // memory, the activation split across the thread team with the products (the same values as below).
    const fused = !hooks?.mlp && !lw.gateBias && !lw.upBias && !lw.downBias ? gatedMlpF32(hIn, T, lw.gate, upW, down, block.mlp) : undefined;
    if (fused) return fused;
  }
  const up = linear(hIn, T, upW, lw.upBias);
  if (block.mlp === 'gelu') {
    hooks?.mlp?.(layer, { up });
    geluTanhInPlace(up);
    return linear(up, T, down, lw.downBias);
  }
  const gateW = lw.gate as WeightMatrix;
  const gate = linear(hIn, T, gateW, lw.gateBias);
  hooks?.mlp?.(layer, { gate, up });
  if (block.mlp === 'geglu') geglu(gate, up, gate);
  else swiglu(gate, up, gate);
  return linear(gate, T, down, lw.downBias);
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
