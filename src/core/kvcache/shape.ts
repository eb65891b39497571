// The attention shape of a model and the checks every KV-cache function runs on it.
// Formulas and facts: ../shared/docs/domain-facts.md ("KV cache").

/** The attention dimensions that decide how large a model's KV cache is (architecture.md). */
export interface AttentionShape {
  layers: number;
  queryHeads: number;
  kvHeads: number;
  headDim: number;
  /** Tokens kept by sliding-window layers. */
  slidingWindow?: number;
  /** Which layers (0-based) slide; omitted = all layers when slidingWindow is set. */
  slidingWindowLayers?: number[];
  /** Multi-head latent attention (DeepSeek-V2/V3): one compressed latent per token per layer. */
  mla?: { kvLoraRank: number; ropeHeadDim: number };
}

/** A bad shape, option or config.json field; `field` names the offending input. */
export class KvCacheError extends Error {
  /** The field that is wrong, e.g. "kvHeads", "seqLen" or "num_key_value_heads". */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'KvCacheError';
    this.field = field;
  }
}

/** Shows a rejected value in an error message the way the user typed it (strings quoted). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Throws unless `value` is an integer in [min, Number.MAX_SAFE_INTEGER]. */
export function requireInteger(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > Number.MAX_SAFE_INTEGER) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new KvCacheError(field, `${field} must be ${what} (got ${describeValue(value)})`);
  }
  return value;
}

/** Throws unless `value` is a finite number greater than zero. */
export function requirePositiveNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new KvCacheError(field, `${field} must be a finite number greater than 0 (got ${describeValue(value)})`);
  }
  return value;
}

/** Which layers slide and how many tokens they keep, after validation. */
export interface LayerSplit {
  fullLayers: number;
  slidingLayers: number;
  /** null when no layer slides. */
  window: number | null;
}

/**
 * Validates a shape (throws KvCacheError naming the field) and returns its full/sliding layer split.
 * Every public function calls this first, so a bad shape never turns into NaN downstream.
 */
export function checkShape(shape: AttentionShape): LayerSplit {
  if (typeof shape !== 'object' || shape === null) {
    throw new KvCacheError('shape', `shape must be an object (got ${describeValue(shape)})`);
  }
  const layers = requireInteger('layers', shape.layers, 1);
  const queryHeads = requireInteger('queryHeads', shape.queryHeads, 1);
  const kvHeads = requireInteger('kvHeads', shape.kvHeads, 1);
  requireInteger('headDim', shape.headDim, 1);
  if (kvHeads > queryHeads || queryHeads % kvHeads !== 0) {
    // GQA shares each KV head among queryHeads / kvHeads query heads, so that must be a whole number.
    throw new KvCacheError(
      'kvHeads',
      `queryHeads (${queryHeads}) must be a multiple of kvHeads (${kvHeads}): each KV head serves a whole group of query heads`,
    );
  }
  if (shape.mla !== undefined) {
    if (typeof shape.mla !== 'object' || shape.mla === null) {
      throw new KvCacheError('mla', `mla must be an object { kvLoraRank, ropeHeadDim } (got ${describeValue(shape.mla)})`);
    }
    requireInteger('mla.kvLoraRank', shape.mla.kvLoraRank, 1);
    requireInteger('mla.ropeHeadDim', shape.mla.ropeHeadDim, 0);
  }
  if (shape.slidingWindow === undefined) {
    if (shape.slidingWindowLayers !== undefined) {
      throw new KvCacheError('slidingWindowLayers', 'slidingWindowLayers is set but slidingWindow is not');
    }
    return { fullLayers: layers, slidingLayers: 0, window: null };
  }
  const window = requireInteger('slidingWindow', shape.slidingWindow, 1);
  if (shape.slidingWindowLayers === undefined) return { fullLayers: 0, slidingLayers: layers, window };
  if (!Array.isArray(shape.slidingWindowLayers)) {
    throw new KvCacheError('slidingWindowLayers', `slidingWindowLayers must be an array of layer indices (got ${describeValue(shape.slidingWindowLayers)})`);
  }
  const seen = new Set<number>();
  for (const index of shape.slidingWindowLayers) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= layers) {
      throw new KvCacheError('slidingWindowLayers', `slidingWindowLayers must hold layer indices from 0 to ${layers - 1} (got ${describeValue(index)})`);
    }
    if (seen.has(index)) throw new KvCacheError('slidingWindowLayers', `slidingWindowLayers lists layer ${index} twice`);
    seen.add(index);
  }
  const slidingLayers = seen.size;
  return { fullLayers: layers - slidingLayers, slidingLayers, window: slidingLayers > 0 ? window : null };
}
