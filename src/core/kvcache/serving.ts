// Serving arithmetic on top of kvCacheBytes: tensor parallelism (KV heads split across GPUs), pipeline
// stages (layers split), paged attention's block waste, and a shared prefix across a batch.
// Every size goes through the one exact formula (bytes.ts) on a derived shape, so the rounding rule and
// the errors stay the same.

import { kvCacheBytes, exactBytes } from './bytes';
import { AttentionShape, KvCacheError, checkShape, requireInteger, requirePositiveNumber } from './shape';

/** Options shared by the serving functions: the same as kvCacheBytes. */
export interface ServingOptions {
  seqLen: number;
  batch?: number;
  bytesPerElement: number;
}

/** KV cache of one GPU under tensor parallelism (architecture.md round 2, issue 21). */
export interface TensorParallelKv {
  degree: number;
  /** KV heads one GPU holds (per layer; with kvHeadsPerLayer, of the first layer). */
  kvHeadsPerGpu: number;
  /**
   * How many GPUs hold a copy of each KV head: 1 when the heads split evenly; degree / kvHeads when the degree
   * exceeds the KV heads (each head is replicated); degree for MLA (the one latent is not split by head).
   */
  copiesPerHead: number;
  /** Bytes of KV cache on each GPU. */
  bytesPerGpu: number;
  /** bytesPerGpu × degree: more than the single-GPU size whenever heads are replicated. */
  bytesAllGpus: number;
  /** kvCacheBytes on one GPU, for comparison. */
  bytesSingleGpu: number;
}

function splitHeads(heads: number, degree: number, field: string): { perGpu: number; copies: number } {
  // vLLM's rule: the KV heads divide evenly across the TP ranks, or (more ranks than heads) each head is
  // replicated on degree / heads ranks; anything else cannot be sharded by head.
  if (heads >= degree) {
    if (heads % degree !== 0) throw new KvCacheError(field, `${heads} KV heads cannot be split evenly across ${degree} GPUs (the degree must divide the KV heads, or be a multiple of them)`);
    return { perGpu: heads / degree, copies: 1 };
  }
  if (degree % heads !== 0) throw new KvCacheError(field, `${degree} GPUs cannot hold equal copies of ${heads} KV heads (the degree must divide the KV heads, or be a multiple of them)`);
  return { perGpu: 1, copies: degree / heads };
}

/** The attention shape one GPU holds under tensor-parallel degree `degree`, with its KV heads and copies per head. */
function tensorParallelShape(shape: AttentionShape, degree: number): { perGpu: AttentionShape; kvHeadsPerGpu: number; copiesPerHead: number } {
  checkShape(shape);
  requireInteger('degree', degree, 1);
  // MLA caches one latent per token shared by every head: each rank keeps all of it (vLLM replicates it).
  if (shape.mla) return { perGpu: shape, kvHeadsPerGpu: shape.kvHeads, copiesPerHead: degree };
  const first = splitHeads(shape.kvHeadsPerLayer ? shape.kvHeadsPerLayer[0] : shape.kvHeads, degree, 'degree');
  const perGpu: AttentionShape = { ...shape, kvHeads: 1, queryHeads: 1 };
  if (shape.kvHeadsPerLayer) {
    perGpu.kvHeadsPerLayer = shape.kvHeadsPerLayer.map((heads) => splitHeads(heads, degree, 'degree').perGpu);
  } else {
    perGpu.kvHeads = first.perGpu;
    perGpu.queryHeads = first.perGpu;
  }
  return { perGpu, kvHeadsPerGpu: first.perGpu, copiesPerHead: first.copies };
}

/** KV bytes per GPU for tensor-parallel degree `degree` (KV heads split; replicated past the KV head count). */
export function tensorParallelKv(shape: AttentionShape, degree: number, opts: ServingOptions): TensorParallelKv {
  const { perGpu, kvHeadsPerGpu, copiesPerHead } = tensorParallelShape(shape, degree);
  const single = kvCacheBytes(shape, opts);
  const bytesPerGpu = shape.mla ? single : kvCacheBytes(perGpu, opts);
  return { degree, kvHeadsPerGpu, copiesPerHead, bytesPerGpu, bytesAllGpus: bytesPerGpu * degree, bytesSingleGpu: single };
}

/** One pipeline stage: its layers and what they hold. */
export interface PipelineStage {
  /** First layer (0-based) and one past the last. */
  firstLayer: number;
  endLayer: number;
  kvBytes: number;
  /** The fixed state of the stage's non-KV layers (hybrids), for the batch. */
  stateBytes: number;
}

/**
 * Layers split into `stages` contiguous pipeline stages, as even as possible (the first L mod stages stages
 * take one layer more), with each stage's KV cache and fixed state. The stages sum to the whole model.
 */
export function pipelineStages(shape: AttentionShape, stages: number, opts: ServingOptions): PipelineStage[] {
  const split = checkShape(shape);
  requireInteger('stages', stages, 1);
  if (stages > shape.layers) throw new KvCacheError('stages', `${stages} pipeline stages for ${shape.layers} layers: each stage needs at least one layer`);
  const batch = opts.batch === undefined ? 1 : requireInteger('batch', opts.batch, 1);
  const kvSet = new Set(shape.kvLayers ?? Array.from({ length: shape.layers }, (_, i) => i));
  // The state is spread over the layers without KV (Jamba, Qwen3-Next), or over every layer when each
  // layer holds both (Falcon-H1); every family here gives each such layer the same state.
  const stateHolders = split.stateLayers > 0 ? (i: number) => !kvSet.has(i) : () => true;
  const holderCount = split.stateLayers > 0 ? split.stateLayers : shape.layers;
  const result: PipelineStage[] = [];
  const base = Math.floor(shape.layers / stages);
  const extra = shape.layers % stages;
  let start = 0;
  let stateLeft = split.stateBytes;
  let holdersLeft = holderCount;
  for (let s = 0; s < stages; s++) {
    const end = start + base + (s < extra ? 1 : 0);
    const kvLayers: number[] = [];
    let holders = 0;
    for (let i = start; i < end; i++) {
      if (kvSet.has(i)) kvLayers.push(i);
      if (stateHolders(i)) holders++;
    }
    const stageShape: AttentionShape = { ...shape, kvLayers, stateBytesPerSequence: undefined };
    if (shape.slidingWindowLayers) stageShape.slidingWindowLayers = shape.slidingWindowLayers.filter((i) => i >= start && i < end);
    else if (shape.slidingWindow !== undefined) stageShape.slidingWindowLayers = kvLayers;
    if (stageShape.slidingWindowLayers && stageShape.slidingWindowLayers.length === 0) {
      delete stageShape.slidingWindow;
      delete stageShape.slidingWindowLayers;
    }
    // Whole-byte shares of the per-sequence state that add up exactly to it.
    const share = holdersLeft === 0 ? 0 : Math.round((stateLeft * holders) / holdersLeft);
    stateLeft -= share;
    holdersLeft -= holders;
    result.push({ firstLayer: start, endLayer: end, kvBytes: kvCacheBytes(stageShape, opts), stateBytes: share * batch });
    start = end;
  }
  return result;
}

/** Paged attention (vLLM): the cache is allocated in blocks of blockSize tokens per layer and sequence. */
export interface PagedKv {
  blockSize: number;
  /** Bytes the blocks hold (every layer's last block counted whole). */
  allocatedBytes: number;
  /** kvCacheBytes: what the tokens need. */
  usedBytes: number;
  /** allocated − used: the unfilled tail of each layer's last block, per sequence × batch. */
  wastedBytes: number;
  /** Unfilled token slots in one layer's last block, for full and for sliding layers. */
  wastedTokensFull: number;
  wastedTokensSliding: number;
}

function roundUp(tokens: number, block: number): number {
  return Math.ceil(tokens / block) * block;
}

function bytesForTokens(shape: AttentionShape, fullTokens: number, slidingTokens: number, sequences: number, bytesPerElement: number): number {
  const split = checkShape(shape);
  const elements = BigInt(split.unitElements) * (BigInt(split.fullUnits) * BigInt(fullTokens) + BigInt(split.slidingUnits) * BigInt(slidingTokens)) * BigInt(sequences);
  return exactBytes(elements, bytesPerElement, 'KV cache size');
}

/** The memory a block size wastes: each layer's last block of each sequence is only partly filled. */
export function pagedKv(shape: AttentionShape, blockSize: number, opts: ServingOptions): PagedKv {
  const split = checkShape(shape);
  requireInteger('blockSize', blockSize, 1);
  const seqLen = requireInteger('seqLen', opts.seqLen, 0);
  const batch = opts.batch === undefined ? 1 : requireInteger('batch', opts.batch, 1);
  requirePositiveNumber('bytesPerElement', opts.bytesPerElement);
  const slidingTokens = split.window === null ? 0 : Math.min(seqLen, split.window);
  const fullAlloc = roundUp(seqLen, blockSize);
  const slidingAlloc = roundUp(slidingTokens, blockSize);
  const usedBytes = kvCacheBytes(shape, opts);
  const allocatedBytes = bytesForTokens(shape, fullAlloc, slidingAlloc, batch, opts.bytesPerElement);
  return {
    blockSize,
    allocatedBytes,
    usedBytes,
    wastedBytes: allocatedBytes - usedBytes,
    wastedTokensFull: split.fullUnits > 0 ? fullAlloc - seqLen : 0,
    wastedTokensSliding: split.slidingUnits > 0 ? slidingAlloc - slidingTokens : 0,
  };
}

/** A common prompt prefix shared by every sequence of a batch (prefix caching). */
export interface PrefixSharing {
  /** Prefix tokens actually shared: whole blocks only (vLLM shares full blocks), or all of it without blocks. */
  sharedTokens: number;
  /** Every sequence holding its own copy. */
  bytesWithoutSharing: number;
  /** The shared tokens held once, the rest per sequence. */
  bytesWithSharing: number;
  saved: number;
}

/**
 * KV bytes of `batch` sequences that each begin with the same `prefixTokens`-token prompt and add
 * `seqLen − prefixTokens` tokens of their own. With blockSize, only whole blocks of the prefix are shared.
 * Sliding layers share the prefix only while their window still holds all of it (seqLen ≤ window).
 */
export function prefixSharing(shape: AttentionShape, prefixTokens: number, opts: ServingOptions & { blockSize?: number }): PrefixSharing {
  const split = checkShape(shape);
  const seqLen = requireInteger('seqLen', opts.seqLen, 0);
  const prefix = requireInteger('prefixTokens', prefixTokens, 0);
  if (prefix > seqLen) throw new KvCacheError('prefixTokens', `the shared prefix (${prefix} tokens) is longer than the sequence (${seqLen})`);
  const batch = opts.batch === undefined ? 1 : requireInteger('batch', opts.batch, 1);
  const block = opts.blockSize === undefined ? 1 : requireInteger('blockSize', opts.blockSize, 1);
  const shared = Math.floor(prefix / block) * block;
  const slidingKept = split.window === null ? 0 : Math.min(seqLen, split.window);
  const slidingShared = split.window !== null && seqLen <= split.window ? shared : 0;
  const without = kvCacheBytes(shape, opts);
  const once = BigInt(split.fullUnits) * BigInt(shared) + BigInt(split.slidingUnits) * BigInt(slidingShared);
  const each = BigInt(split.fullUnits) * BigInt(seqLen - shared) + BigInt(split.slidingUnits) * BigInt(slidingKept - slidingShared);
  const elements = BigInt(split.unitElements) * (once + each * BigInt(batch));
  const withSharing = exactBytes(elements, opts.bytesPerElement, 'KV cache size');
  return { sharedTokens: shared, bytesWithoutSharing: without, bytesWithSharing: withSharing, saved: without - withSharing };
}

/** What a serving setup asks of each GPU (the Serving section of the KV-cache panel). */
export interface ServingPlanInput {
  shape: AttentionShape;
  /** Tensor-parallel degree (GPUs sharing every layer). */
  degree: number;
  /** Paged-attention block size in tokens. */
  blockSize: number;
  /** Tokens per sequence. */
  seqLen: number;
  /** Concurrent sequences. */
  sequences: number;
  bytesPerElement: number;
  /** Weight bytes of the whole model (0 when unknown). */
  weightsBytes: number;
  /** Memory of one GPU in bytes, or undefined when none was given. */
  gpuMemoryBytes?: number;
}

/** Per-GPU memory of a serving setup, every term kept so the panel can show the sum. */
export interface ServingPlan {
  tensorParallel: TensorParallelKv;
  /** Paged allocation of the KV cache on one GPU (its waste: the unfilled tail of each layer's last block). */
  paged: PagedKv;
  /** Weights on one GPU: an even split of weightsBytes over the degree (rounded up). */
  weightsPerGpu: number;
  /** A hybrid's fixed state on one GPU for every sequence (split like the KV heads; rounded up). */
  statePerGpu: number;
  /** weightsPerGpu + paged.allocatedBytes + statePerGpu. */
  totalPerGpu: number;
  /** gpuMemoryBytes − totalPerGpu (negative: it does not fit), when a GPU memory was given. */
  headroom?: number;
  /** The most concurrent sequences of seqLen tokens that fit beside the weights, when a GPU memory was given. */
  maxSequences?: number;
}

/**
 * Memory per GPU of `sequences` sequences of `seqLen` tokens under tensor parallelism `degree` with paged blocks
 * of `blockSize` tokens: weights split evenly, the per-GPU KV cache allocated in whole blocks, a hybrid's state.
 * Throws KvCacheError naming the field at fault (a degree that cannot split the KV heads, a block of 0 tokens, …).
 */
export function servingPlan(input: ServingPlanInput): ServingPlan {
  const { perGpu } = tensorParallelShape(input.shape, input.degree);
  const sequences = requireInteger('sequences', input.sequences, 1);
  const weights = requireInteger('weightsBytes', input.weightsBytes, 0);
  const opts = { seqLen: input.seqLen, batch: sequences, bytesPerElement: input.bytesPerElement };
  const tensorParallel = tensorParallelKv(input.shape, input.degree, opts);
  const paged = pagedKv(perGpu, input.blockSize, opts);
  const split = checkShape(input.shape);
  // State-space mixers shard their channels/heads across TP ranks like attention (vLLM
  // vllm/model_executor/layers/mamba/mamba_utils.py, MambaStateShapeCalculator divides the state shapes by the TP
  // world size), so each rank keeps 1/degree of the state; the same split is assumed for linear-attention mixers.
  const statePerSequence = Math.ceil(split.stateBytes / input.degree);
  const statePerGpu = statePerSequence * sequences;
  const weightsPerGpu = Math.ceil(weights / input.degree);
  const totalPerGpu = weightsPerGpu + paged.allocatedBytes + statePerGpu;
  if (!Number.isSafeInteger(totalPerGpu)) throw new KvCacheError('result', 'the memory per GPU would pass 2^53 − 1 bytes');
  const plan: ServingPlan = { tensorParallel, paged, weightsPerGpu, statePerGpu, totalPerGpu };
  if (input.gpuMemoryBytes !== undefined) {
    const memory = requirePositiveNumber('gpuMemoryBytes', input.gpuMemoryBytes);
    plan.headroom = memory - totalPerGpu;
    // One sequence's share: its allocated blocks on this GPU and its state.
    const perSequence = pagedKv(perGpu, input.blockSize, { ...opts, batch: 1 }).allocatedBytes + statePerSequence;
    const free = memory - weightsPerGpu;
    plan.maxSequences = free <= 0 ? 0 : perSequence === 0 ? Number.POSITIVE_INFINITY : Math.floor(free / perSequence);
  }
  return plan;
}
