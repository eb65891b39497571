// KV-cache size, exactly. Formulas: ../shared/docs/domain-facts.md ("KV cache").
//
// Rounding rule (documented once, used everywhere): the element count is an exact integer; it is
// multiplied by bytesPerElement read as the decimal the caller wrote (0.5, 0.1, 0.5625 — not the
// nearest binary double, which would make 30 × 0.1 land a hair above 3), and the product is rounded
// UP to a whole byte, because a packed cache cannot use part of a byte (3 int4 values fill 2 bytes).
// When the true value is an integer the result is exactly that integer. All of it runs in BigInt, so
// nothing is lost on the way; results above Number.MAX_SAFE_INTEGER (2^53 − 1) throw instead of
// coming back rounded.

import { AttentionShape, KvCacheError, LayerSplit, checkShape, requireInteger, requirePositiveNumber } from './shape';

/** Options of kvCacheBytes (architecture.md). */
export interface KvCacheOptions {
  /** Tokens in the cache per sequence (0 is allowed: an empty cache). */
  seqLen: number;
  /** Sequences held at once; default 1. */
  batch?: number;
  /** Bytes per cached element: fp32 4, fp16/bf16 2, fp8/int8 1, int4 0.5. */
  bytesPerElement: number;
}

interface Rational {
  num: bigint;
  den: bigint;
  /** The same as plain numbers, for the fast path (exact while products stay below 2^53). */
  numN: number;
  denN: number;
}

const rationalCache = new Map<number, Rational>();
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** bytesPerElement as the decimal fraction its shortest string spells (String(0.1) === "0.1"). */
function decimalRational(value: number): Rational {
  const cached = rationalCache.get(value);
  if (cached) return cached;
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new KvCacheError('bytesPerElement', `bytesPerElement cannot be read as a decimal (got ${value})`);
  const fraction = match[2] ?? '';
  const exponent = Number(match[3] ?? '0') - fraction.length;
  let num = BigInt(match[1] + fraction);
  let den = 1n;
  if (exponent >= 0) num *= 10n ** BigInt(exponent);
  else den = 10n ** BigInt(-exponent);
  const result = { num, den, numN: Number(num), denN: Number(den) };
  if (rationalCache.size > 256) rationalCache.clear();
  rationalCache.set(value, result);
  return result;
}

/** ceil(count × bytesPerElement) as an exact safe integer; above 2^53 − 1 a KvCacheError with field 'result'. */
export function exactBytes(count: bigint, bytesPerElement: number, what: string): number {
  const { num, den } = decimalRational(bytesPerElement);
  const bytes = (count * num + den - 1n) / den;
  if (bytes > MAX_SAFE) {
    throw new KvCacheError('result', `${what} would be ${bytes} bytes, more than 2^53 − 1, the largest exact number here`);
  }
  return Number(bytes);
}

/**
 * The same as exactBytes for a count given as factors, in plain numbers while every intermediate stays a
 * safe integer (then each step is exact), falling back to BigInt otherwise. The panel's chart and
 * budget searches call this thousands of times per slider move; BigInt there costs most of a frame.
 */
function exactBytesOf(a: number, b: number, c: number, bytesPerElement: number, what: string): number {
  const r = decimalRational(bytesPerElement);
  const ab = a * b;
  const abc = ab * c;
  const scaled = abc * r.numN;
  if (Number.isSafeInteger(ab) && Number.isSafeInteger(abc) && Number.isSafeInteger(scaled) && Number.isSafeInteger(r.denN)) {
    // Integer division with exact remainder: both operands are safe integers.
    let q = Math.floor(scaled / r.denN);
    let rem = scaled - q * r.denN;
    if (rem < 0) {
      q -= 1;
      rem += r.denN;
    } else if (rem >= r.denN) {
      q += 1;
      rem -= r.denN;
    }
    return rem > 0 ? q + 1 : q;
  }
  return exactBytes(BigInt(a) * BigInt(b) * BigInt(c), bytesPerElement, what);
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > MAX_SAFE) throw new KvCacheError('result', `${what} would be ${value}, more than 2^53 − 1, the largest exact number here`);
  return Number(value);
}

function checkOptions(opts: KvCacheOptions): { seqLen: number; batch: number; bytesPerElement: number } {
  if (typeof opts !== 'object' || opts === null) throw new KvCacheError('options', 'options must be an object { seqLen, batch?, bytesPerElement }');
  return {
    seqLen: requireInteger('seqLen', opts.seqLen, 0),
    batch: opts.batch === undefined ? 1 : requireInteger('batch', opts.batch, 1),
    bytesPerElement: requirePositiveNumber('bytesPerElement', opts.bytesPerElement),
  };
}

/**
 * Σ over KV layers of (units × tokens kept): full layers keep seqLen, sliding/chunked ones min(seqLen, window).
 * A unit is one layer (uniform KV heads) or one KV head (kvHeadsPerLayer), see LayerSplit.
 */
function layerTokens(split: LayerSplit, seqLen: number): bigint {
  const slidingTokens = split.window === null ? 0 : Math.min(seqLen, split.window);
  return BigInt(split.fullUnits) * BigInt(seqLen) + BigInt(split.slidingUnits) * BigInt(slidingTokens);
}

/** layerTokens as a number when that is exact (≤ 2^53 − 1), else null. */
function layerTokensNumber(split: LayerSplit, seqLen: number): number | null {
  const slidingTokens = split.window === null ? 0 : Math.min(seqLen, split.window);
  const full = split.fullUnits * seqLen;
  const sliding = split.slidingUnits * slidingTokens;
  const sum = full + sliding;
  return Number.isSafeInteger(full) && Number.isSafeInteger(sliding) && Number.isSafeInteger(sum) ? sum : null;
}

/**
 * Bytes of KV cache for `batch` sequences of `seqLen` tokens (architecture.md). Exact; rounded up to
 * a whole byte only when the true value has a fraction (odd int4 counts). Throws KvCacheError on bad input.
 */
export function kvCacheBytes(shape: AttentionShape, opts: KvCacheOptions): number {
  const split = checkShape(shape);
  const { seqLen, batch, bytesPerElement } = checkOptions(opts);
  return kvCacheBytesChecked(shape, split, seqLen, batch, bytesPerElement);
}

/**
 * kvCacheBytes for a shape and options the caller has already validated (split = checkShape(shape)).
 * Lets the chart and budget searches skip re-validating the same shape thousands of times.
 */
export function kvCacheBytesChecked(_shape: AttentionShape, split: LayerSplit, seqLen: number, batch: number, bytesPerElement: number): number {
  const tokens = layerTokensNumber(split, seqLen);
  if (tokens !== null) return exactBytesOf(split.unitElements, tokens, batch, bytesPerElement, 'KV cache size');
  const elements = BigInt(split.unitElements) * layerTokens(split, seqLen) * BigInt(batch);
  return exactBytes(elements, bytesPerElement, 'KV cache size');
}

/**
 * Bytes one more token adds to the full (never bounded) KV layers of `batch` sequences: the growth rate
 * once every window is full. 0 when no KV layer keeps every token.
 */
export function fullLayerBytesPerToken(split: LayerSplit, batch: number, bytesPerElement: number): number {
  return exactBytesOf(split.unitElements, split.fullUnits, batch, bytesPerElement, 'KV cache size');
}

/**
 * Fixed state of the non-KV layers (hybrid models) for `batch` sequences: stateBytesPerSequence × batch.
 * Not part of kvCacheBytes, which counts only the cache that grows with context.
 */
export function stateBytes(shape: AttentionShape, batch = 1): number {
  const split = checkShape(shape);
  requireInteger('batch', batch, 1);
  return toSafeNumber(BigInt(split.stateBytes) * BigInt(batch), 'state size');
}

/** KV-cache bytes added by one token of one sequence while no sliding window is full (all layers count). */
export function kvBytesPerToken(shape: AttentionShape, bytesPerElement: number): number {
  return kvCacheBytes(shape, { seqLen: 1, batch: 1, bytesPerElement });
}

/** Bytes of model weights: parameters × bytesPerElement, same exact rounding as the cache. */
export function weightBytes(parameters: number, bytesPerElement: number): number {
  requireInteger('parameters', parameters, 0);
  requirePositiveNumber('bytesPerElement', bytesPerElement);
  return exactBytesOf(parameters, 1, 1, bytesPerElement, 'weights size');
}

/** The KV-cache formula worked through: every term with its value, for the panel to typeset. */
export interface KvCacheBreakdown {
  /** 'standard' = K and V per KV head; 'mla' = one compressed latent per token per layer. */
  kind: 'standard' | 'mla';
  /** 2 (K and V) for standard attention, 1 for MLA. */
  factor: 1 | 2;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** MLA only (0 otherwise): the latent width and the decoupled RoPE key width. */
  kvLoraRank: number;
  ropeHeadDim: number;
  /** factor · kvHeads · headDim, or kvLoraRank + ropeHeadDim; 2 · headDim with perLayerHeads. */
  elementsPerTokenPerLayer: number;
  bytesPerElement: number;
  /** KV layers that keep every token, and KV layers that keep only the last `window` tokens. */
  fullLayers: number;
  slidingLayers: number;
  window: number | null;
  /** 'chunked' for Llama 4's chunked attention (the window is the chunk size), else 'sliding'. */
  windowKind: 'sliding' | 'chunked';
  /** Layers that keep no KV cache (linear-attention / state-space layers of a hybrid); 0 for most models. */
  stateLayers: number;
  /**
   * True when the KV heads differ per layer (kvHeadsPerLayer): then elementsPerTokenPerLayer is the
   * elements of ONE KV head (2 · headDim) and layerTokens counts KV-head-tokens (Σ heads × tokens).
   */
  perLayerHeads: boolean;
  /** Σ KV heads over the full and the sliding KV layers (perLayerHeads only; else 0). */
  fullKvHeads: number;
  slidingKvHeads: number;
  /**
   * The fixed state of the stateLayers for the whole batch (stateBytesPerSequence × batch): reported apart,
   * NOT part of `bytes`, because it does not grow with context.
   */
  stateBytesPerSequence: number;
  stateBytes: number;
  seqLen: number;
  /** Tokens a sliding layer keeps: min(seqLen, window); 0 when no layer slides. */
  slidingTokens: number;
  /** fullLayers · seqLen + slidingLayers · slidingTokens (with perLayerHeads: fullKvHeads · seqLen + slidingKvHeads · slidingTokens). */
  layerTokens: number;
  batch: number;
  /** elementsPerTokenPerLayer · layerTokens · batch. */
  elements: number;
  /** ceil(elements · bytesPerElement) — equal to kvCacheBytes for the same input. */
  bytes: number;
}

/** The formula of kvCacheBytes with the actual numbers of every term (pure; throws like kvCacheBytes). */
export function kvCacheBreakdown(shape: AttentionShape, opts: KvCacheOptions): KvCacheBreakdown {
  const split = checkShape(shape);
  const { seqLen, batch, bytesPerElement } = checkOptions(opts);
  const perLayer = split.unitElements;
  const tokens = layerTokens(split, seqLen);
  const elements = BigInt(perLayer) * tokens * BigInt(batch);
  const perLayerHeads = shape.kvHeadsPerLayer !== undefined;
  return {
    kind: shape.mla ? 'mla' : 'standard',
    factor: shape.mla ? 1 : 2,
    layers: shape.layers,
    kvHeads: shape.kvHeads,
    headDim: shape.headDim,
    kvLoraRank: shape.mla?.kvLoraRank ?? 0,
    ropeHeadDim: shape.mla?.ropeHeadDim ?? 0,
    elementsPerTokenPerLayer: perLayer,
    bytesPerElement,
    fullLayers: split.fullLayers,
    slidingLayers: split.slidingLayers,
    window: split.window,
    windowKind: shape.windowKind ?? 'sliding',
    stateLayers: split.stateLayers,
    perLayerHeads,
    fullKvHeads: perLayerHeads ? split.fullUnits : 0,
    slidingKvHeads: perLayerHeads ? split.slidingUnits : 0,
    stateBytesPerSequence: split.stateBytes,
    stateBytes: toSafeNumber(BigInt(split.stateBytes) * BigInt(batch), 'state size'),
    seqLen,
    slidingTokens: split.window === null ? 0 : Math.min(seqLen, split.window),
    layerTokens: toSafeNumber(tokens, 'layer-tokens'),
    batch,
    elements: toSafeNumber(elements, 'element count'),
    bytes: exactBytes(elements, bytesPerElement, 'KV cache size'),
  };
}
