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
  /**
   * Layers (0-based) that keep a KV cache; omitted = every layer. The others are linear-attention or
   * state-space layers (Jamba's Mamba, Qwen3-Next's Gated DeltaNet) holding a fixed state instead.
   */
  kvLayers?: number[];
  /** KV heads of each layer when they differ (OpenELM); overrides kvHeads; one entry per layer. */
  kvHeadsPerLayer?: number[];
  /**
   * Bytes of fixed state one sequence holds in the layers that keep no growing cache (Mamba conv + SSM
   * state, DeltaNet recurrent state). Independent of context length; reported apart, not in kvCacheBytes.
   */
  stateBytesPerSequence?: number;
  /** What bounds the windowed layers: a sliding window (default) or Llama 4's chunked attention. */
  windowKind?: 'sliding' | 'chunked';
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
  /** KV layers that keep every token. */
  fullLayers: number;
  /** KV layers that keep at most `window` tokens. */
  slidingLayers: number;
  /** null when no layer slides. */
  window: number | null;
  /** Layers without a KV cache (layers − KV layers). */
  stateLayers: number;
  /**
   * Cached units per token over the full and the sliding KV layers: Σ KV heads when kvHeadsPerLayer is
   * set (then unitElements = 2 · headDim), else the layer counts (unitElements = one layer's elements).
   */
  fullUnits: number;
  slidingUnits: number;
  unitElements: number;
  /** stateBytesPerSequence, 0 when absent. */
  stateBytes: number;
}

function checkLayerList(field: string, value: unknown, layers: number): Set<number> {
  if (!Array.isArray(value)) {
    throw new KvCacheError(field, `${field} must be an array of layer indices (got ${describeValue(value)})`);
  }
  const seen = new Set<number>();
  for (const index of value) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= layers) {
      throw new KvCacheError(field, `${field} must hold layer indices from 0 to ${layers - 1} (got ${describeValue(index)})`);
    }
    if (seen.has(index)) throw new KvCacheError(field, `${field} lists layer ${index} twice`);
    seen.add(index);
  }
  return seen;
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
  const kvSet = shape.kvLayers === undefined ? null : checkLayerList('kvLayers', shape.kvLayers, layers);
  let perLayerHeads: number[] | null = null;
  if (shape.kvHeadsPerLayer !== undefined) {
    if (shape.mla !== undefined) throw new KvCacheError('kvHeadsPerLayer', 'kvHeadsPerLayer cannot be combined with mla: an MLA layer caches one latent, not per-head K and V');
    if (!Array.isArray(shape.kvHeadsPerLayer) || shape.kvHeadsPerLayer.length !== layers) {
      const got = Array.isArray(shape.kvHeadsPerLayer) ? `${shape.kvHeadsPerLayer.length} entries` : describeValue(shape.kvHeadsPerLayer);
      throw new KvCacheError('kvHeadsPerLayer', `kvHeadsPerLayer must list the KV heads of each of the ${layers} layers (got ${got})`);
    }
    perLayerHeads = shape.kvHeadsPerLayer.map((heads, index) => requireInteger(`kvHeadsPerLayer[${index}]`, heads, 1));
  }
  const stateBytes = shape.stateBytesPerSequence === undefined ? 0 : requireInteger('stateBytesPerSequence', shape.stateBytesPerSequence, 0);
  if (shape.windowKind !== undefined && shape.windowKind !== 'sliding' && shape.windowKind !== 'chunked') {
    throw new KvCacheError('windowKind', `windowKind must be "sliding" or "chunked" (got ${describeValue(shape.windowKind)})`);
  }

  let window: number | null = null;
  let slidingSet: Set<number> | null = null;
  if (shape.slidingWindow === undefined) {
    if (shape.slidingWindowLayers !== undefined) {
      throw new KvCacheError('slidingWindowLayers', 'slidingWindowLayers is set but slidingWindow is not');
    }
  } else {
    window = requireInteger('slidingWindow', shape.slidingWindow, 1);
    if (shape.slidingWindowLayers !== undefined) {
      slidingSet = checkLayerList('slidingWindowLayers', shape.slidingWindowLayers, layers);
      for (const index of slidingSet) {
        // A window only bounds a cache: a layer without one cannot slide.
        if (kvSet !== null && !kvSet.has(index)) {
          throw new KvCacheError('slidingWindowLayers', `slidingWindowLayers lists layer ${index}, which is not in kvLayers (it keeps no KV cache)`);
        }
      }
    }
  }

  // Walk the layers once: each KV layer counts as full or sliding, with its own KV heads when given.
  const unitElements = shape.mla !== undefined
    ? shape.mla.kvLoraRank + shape.mla.ropeHeadDim
    : perLayerHeads !== null ? 2 * shape.headDim : 2 * kvHeads * shape.headDim;
  let fullLayers = 0;
  let slidingLayers = 0;
  let fullUnits = 0;
  let slidingUnits = 0;
  for (let layer = 0; layer < layers; layer++) {
    if (kvSet !== null && !kvSet.has(layer)) continue;
    const units = perLayerHeads !== null ? perLayerHeads[layer] : 1;
    const slides = window !== null && (slidingSet === null || slidingSet.has(layer));
    if (slides) {
      slidingLayers++;
      slidingUnits += units;
    } else {
      fullLayers++;
      fullUnits += units;
    }
  }
  const kvCount = fullLayers + slidingLayers;
  return {
    fullLayers,
    slidingLayers,
    window: slidingLayers > 0 ? window : null,
    stateLayers: layers - kvCount,
    fullUnits,
    slidingUnits,
    unitElements,
    stateBytes,
  };
}
