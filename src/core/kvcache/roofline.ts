// Speed bounds from a roofline: a step cannot finish before its bytes are read from GPU memory, nor before
// its FLOPs are done. These are upper bounds on speed (no kernel reaches peak bandwidth or peak FLOPS).
// Attention FLOPs per layer and query head, counted exactly: q·k over the keys a query sees (2·headDim
// FLOPs per key: a multiply and an add per element) and the weighted sum of as many values (2·headDim again).

import { AttentionShape, KvCacheError, checkShape, requireInteger, requirePositiveNumber } from './shape';

/** A GPU's memory and peak rates, each with where the number comes from. */
export interface GpuSpec {
  id: string;
  label: string;
  memoryBytes: number;
  /** Bytes per second. */
  bandwidth: number;
  /** Dense (no 2:4 sparsity) tensor-core FLOP/s at BF16, and at FP8 (null: no FP8 tensor cores). */
  bf16Flops: number;
  fp8Flops: number | null;
  source: string;
}

const GB = 1e9;
const TFLOPS = 1e12;

/**
 * GPUs whose numbers were found in a vendor datasheet (or its reprint, named in `source`). NVIDIA states the
 * H100's tensor FLOPS with 2:4 sparsity and notes "1/2 lower without sparsity": the dense values here are half.
 * GPUs whose datasheet could not be read are left out rather than guessed; the panel takes typed numbers.
 */
export function gpuSpecs(): GpuSpec[] {
  const h100Sheet = 'NVIDIA H100 Tensor Core GPU datasheet, as reprinted at https://archive-lib.hpctech.co.jp/gpuproduct/nvidia-h100.html';
  return [
    {
      id: 'a100-80gb-sxm',
      label: 'NVIDIA A100 80GB SXM',
      memoryBytes: 80 * GB,
      bandwidth: 2039 * GB,
      bf16Flops: 312 * TFLOPS,
      fp8Flops: null,
      source: 'https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (2,039 GB/s; BF16 312 TFLOPS dense; no FP8)',
    },
    {
      id: 'h100-pcie',
      label: 'NVIDIA H100 PCIe',
      memoryBytes: 80 * GB,
      bandwidth: 2000 * GB,
      bf16Flops: (1513 / 2) * TFLOPS,
      fp8Flops: (3026 / 2) * TFLOPS,
      source: `${h100Sheet} (2,000 GB/s; BF16 1,513 and FP8 3,026 TFLOPS with sparsity)`,
    },
    {
      id: 'h100-sxm',
      label: 'NVIDIA H100 SXM',
      memoryBytes: 80 * GB,
      bandwidth: 3350 * GB,
      bf16Flops: (1979 / 2) * TFLOPS,
      fp8Flops: (3958 / 2) * TFLOPS,
      source: `${h100Sheet} (3,350 GB/s; BF16 1,979 and FP8 3,958 TFLOPS with sparsity)`,
    },
  ];
}

/** Σ over query positions 1..tokens of the keys each one sees: min(i, window), or its place in its chunk. */
export function keysSeen(tokens: number, window: number | null, kind: 'sliding' | 'chunked' = 'sliding'): number {
  requireInteger('tokens', tokens, 0);
  if (window === null || tokens <= window) return (tokens * (tokens + 1)) / 2;
  if (kind === 'chunked') {
    const chunks = Math.floor(tokens / window);
    const rest = tokens % window;
    return (chunks * window * (window + 1)) / 2 + (rest * (rest + 1)) / 2;
  }
  return (window * (window + 1)) / 2 + (tokens - window) * window;
}

/** FLOPs of the attention scores and weighted sums when `newTokens` tokens follow `pastTokens` cached ones. */
export function attentionFlops(shape: AttentionShape, pastTokens: number, newTokens: number): number {
  const split = checkShape(shape);
  requireInteger('pastTokens', pastTokens, 0);
  requireInteger('newTokens', newTokens, 0);
  const end = pastTokens + newTokens;
  const kind = shape.windowKind ?? 'sliding';
  const full = keysSeen(end, null) - keysSeen(pastTokens, null);
  const windowed = split.window === null ? 0 : keysSeen(end, split.window, kind) - keysSeen(pastTokens, split.window, kind);
  // 4·headDim FLOPs per (query head, key): 2·headDim for q·k, 2·headDim for the value sum. Linear-attention
  // and state-space layers (no KV) are not counted: their cost per token does not grow with context.
  // For MLA the heads are counted as uncompressed attention of width headDim.
  const perKey = 4 * shape.queryHeads * shape.headDim;
  return perKey * ((split.fullLayers * full) + (split.slidingLayers * windowed));
}

/** Inputs of the speed bounds. */
export interface RooflineInput {
  shape: AttentionShape;
  /** Parameters one token runs through (countParameters().active). */
  activeParameters: number;
  /** Bytes per weight (2 for bf16, 1 for fp8/int8, 0.5 for 4-bit). */
  weightBytesPerParameter: number;
  /** KV-cache bytes of ONE sequence at the context in question (kvCacheBytes with batch 1). */
  kvBytesPerSequence: number;
  /** Context (tokens already in the cache) the decode step reads. */
  context: number;
  /** Memory bandwidth (bytes/s) and peak FLOP/s of the GPU at the weights' precision. */
  bandwidth: number;
  flops: number;
}

/** The speed bounds, every intermediate kept so the panel can show the arithmetic. */
export interface RooflineResult {
  weightBytes: number;
  /** Bytes read per decode step of one sequence: weightBytes + kvBytesPerSequence (+ its fixed state). */
  bytesPerToken: number;
  /** bandwidth ÷ bytesPerToken: the most tokens/s one sequence can decode. */
  decodeTokensPerSecond: number;
  /** FLOPs of one decode token: 2 · active parameters + attention over the context. */
  decodeFlopsPerToken: number;
  /**
   * The batch at which a decode step turns compute-bound: (weightBytes / bandwidth) ÷ (flopsPerToken / flops −
   * kvBytes / bandwidth). null when never: each added sequence costs more memory time than compute time.
   */
  computeBoundBatch: number | null;
}

/** Decode speed bound and the batch where decode turns compute-bound (a roofline; pure). */
export function decodeRoofline(input: RooflineInput): RooflineResult {
  const split = checkShape(input.shape);
  requireInteger('activeParameters', input.activeParameters, 1);
  requirePositiveNumber('weightBytesPerParameter', input.weightBytesPerParameter);
  requireInteger('kvBytesPerSequence', input.kvBytesPerSequence, 0);
  requireInteger('context', input.context, 0);
  requirePositiveNumber('bandwidth', input.bandwidth);
  requirePositiveNumber('flops', input.flops);
  const weightBytes = input.activeParameters * input.weightBytesPerParameter;
  // A hybrid's fixed state is read (and written) every step too.
  const perSequence = input.kvBytesPerSequence + split.stateBytes;
  const bytesPerToken = weightBytes + perSequence;
  const decodeFlopsPerToken = 2 * input.activeParameters + attentionFlops(input.shape, input.context, 1);
  const margin = decodeFlopsPerToken / input.flops - perSequence / input.bandwidth;
  return {
    weightBytes,
    bytesPerToken,
    decodeTokensPerSecond: input.bandwidth / bytesPerToken,
    decodeFlopsPerToken,
    computeBoundBatch: margin > 0 ? weightBytes / input.bandwidth / margin : null,
  };
}

/** FLOPs to prefill `tokens` prompt tokens: 2 × active parameters × tokens + the causal attention FLOPs. */
export function prefillFlops(shape: AttentionShape, activeParameters: number, tokens: number): { linear: number; attention: number; total: number } {
  requireInteger('activeParameters', activeParameters, 1);
  requireInteger('tokens', tokens, 0);
  const linear = 2 * activeParameters * tokens;
  const attention = attentionFlops(shape, 0, tokens);
  const total = linear + attention;
  if (!Number.isFinite(total)) throw new KvCacheError('result', 'prefill FLOPs overflow');
  return { linear, attention, total };
}

/** One GPU's speed bounds for a model at a context, with every term the panel shows. */
export interface SpeedRow extends RooflineResult {
  gpu: GpuSpec;
  /** Which peak the compute bound uses: FP8 for weights of 1 byte or less on GPUs with FP8 tensor cores. */
  flopsType: 'bf16' | 'fp8';
  flops: number;
  /** KV bytes of one sequence at the context, and its fixed state (hybrids), both read every decode step. */
  kvBytes: number;
  stateBytes: number;
}

/**
 * The decode bound of `shape` at `context` tokens on each GPU of gpuSpecs() (or `gpus`), one sequence.
 * kvBytesPerSequence is the caller's kvCacheBytes at that context (batch 1).
 */
export function speedTable(
  shape: AttentionShape,
  activeParameters: number,
  weightBytesPerParameter: number,
  context: number,
  kvBytesPerSequence: number,
  gpus: GpuSpec[] = gpuSpecs(),
): SpeedRow[] {
  const split = checkShape(shape);
  return gpus.map((gpu) => {
    const fp8 = weightBytesPerParameter <= 1 && gpu.fp8Flops !== null;
    const flops = fp8 ? (gpu.fp8Flops as number) : gpu.bf16Flops;
    const result = decodeRoofline({ shape, activeParameters, weightBytesPerParameter, kvBytesPerSequence, context, bandwidth: gpu.bandwidth, flops });
    return { ...result, gpu, flopsType: fp8 ? 'fp8' : 'bf16', flops, kvBytes: kvBytesPerSequence, stateBytes: split.stateBytes };
  });
}
