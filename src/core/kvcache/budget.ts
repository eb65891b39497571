// How long a context fits in a memory budget, and the GPU sizes and element types the panel offers.

import { fullLayerBytesPerToken, kvCacheBytesChecked } from './bytes';
import { AttentionShape, KvCacheError, checkShape, requireInteger, requirePositiveNumber } from './shape';

/** The answer of maxContextForBudget. */
export interface ContextFit {
  /**
   * 'none': the weights alone exceed the budget; 'bounded': maxTokens is the longest context that fits;
   * 'unbounded': every layer slides and a full window fits, so any length fits.
   */
  kind: 'none' | 'bounded' | 'unbounded';
  /** The longest seqLen with weights + KV cache ≤ budget (only meaningful for 'bounded'; else 0). */
  maxTokens: number;
}

/** Options of maxContextForBudget. */
export interface BudgetOptions {
  /** Memory available, in bytes. */
  budgetBytes: number;
  batch?: number;
  /** Bytes per KV-cache element. */
  bytesPerElement: number;
  /** Bytes taken by the weights (default 0: the cache alone). */
  weightsBytes?: number;
}

/**
 * The longest context (tokens per sequence) whose KV cache plus weights fit in budgetBytes. Exact:
 * a binary search over kvCacheBytes, which never decreases as seqLen grows.
 */
export function maxContextForBudget(shape: AttentionShape, opts: BudgetOptions): ContextFit {
  const split = checkShape(shape);
  const budget = requireInteger('budgetBytes', opts.budgetBytes, 0);
  const batch = opts.batch === undefined ? 1 : requireInteger('batch', opts.batch, 1);
  const bytesPerElement = requirePositiveNumber('bytesPerElement', opts.bytesPerElement);
  const weights = opts.weightsBytes === undefined ? 0 : requireInteger('weightsBytes', opts.weightsBytes, 0);
  // A hybrid's fixed state (Mamba / DeltaNet layers) is held whatever the context: it comes off the top.
  const state = split.stateBytes * batch;
  if (!Number.isSafeInteger(state) || weights + state > budget) return { kind: 'none', maxTokens: 0 };
  const room = budget - weights - state;
  const fits = (seqLen: number): boolean => {
    try {
      if (!Number.isSafeInteger(seqLen)) return false;
      return kvCacheBytesChecked(shape, split, seqLen, batch, bytesPerElement) <= room;
    } catch (error) {
      // Past 2^53 bytes the size is not representable, and certainly larger than any budget.
      if (error instanceof KvCacheError && error.field === 'result') return false;
      throw error;
    }
  };

  let hi: number;
  if (split.fullLayers === 0) {
    // No KV layer at all (a pure state-space stack): nothing grows with context.
    if (split.window === null) return { kind: 'unbounded', maxTokens: 0 };
    // Every KV layer slides: the cache stops growing at the window.
    const window = split.window;
    if (fits(window)) return { kind: 'unbounded', maxTokens: 0 };
    hi = window;
  } else {
    // Each token costs the full layers at least perToken bytes (rounded up, so the guess may be a little
    // short); double until a length that does not fit is found.
    const perToken = fullLayerBytesPerToken(split, batch, bytesPerElement);
    hi = Math.floor(room / perToken) + 1;
    while (fits(hi)) {
      // Only absurdly small element sizes get here; answers are capped at 2^52 tokens.
      if (hi > Number.MAX_SAFE_INTEGER / 2) return { kind: 'bounded', maxTokens: hi };
      hi *= 2;
    }
  }
  // Invariant: fits(lo) and !fits(hi).
  let lo = 0;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return { kind: 'bounded', maxTokens: lo };
}

/** A GPU memory size the chart draws a line for. */
export interface GpuSize {
  id: string;
  label: string;
  bytes: number;
  /** Cards with this much memory. */
  examples: string;
}

const GIB = 1024 ** 3;

/**
 * GPU sizes of the issue (24, 48, 80, 141 GB). Memory chips come in powers of two, so these vendor
 * "GB" are GiB: nvidia-smi reports an A100 80GB as 81920 MiB. Usable memory is a little lower.
 */
export function gpuSizes(): GpuSize[] {
  return [
    { id: 'gpu24', label: '24 GiB', bytes: 24 * GIB, examples: 'RTX 4090, RTX 3090, L4' },
    { id: 'gpu48', label: '48 GiB', bytes: 48 * GIB, examples: 'RTX 6000 Ada, L40S, A6000' },
    { id: 'gpu80', label: '80 GiB', bytes: 80 * GIB, examples: 'A100 80GB, H100' },
    { id: 'gpu141', label: '141 GiB', bytes: 141 * GIB, examples: 'H200' },
  ];
}

/** An element type for the KV cache or the weights. */
export interface ElementType {
  id: string;
  label: string;
  bytesPerElement: number;
}

/** KV-cache and weight element types: fp32, fp16/bf16, fp8, int8, int4 (two per byte). */
export function elementTypes(): ElementType[] {
  return [
    { id: 'fp32', label: 'fp32', bytesPerElement: 4 },
    { id: 'bf16', label: 'fp16 / bf16', bytesPerElement: 2 },
    { id: 'fp8', label: 'fp8', bytesPerElement: 1 },
    { id: 'int8', label: 'int8', bytesPerElement: 1 },
    { id: 'int4', label: 'int4', bytesPerElement: 0.5 },
  ];
}
