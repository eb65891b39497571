// The memory budget (issue 14): which weights a model keeps resident (planned from the file headers before
// anything large is read), and what one run will hold (resident weights + activations + what the run keeps),
// checked before the run allocates anything. A run that cannot fit is refused with the numbers and what to change.
import { totalmem } from 'node:os';
import type { ModelConfig } from './config';
import { MemoryBudgetError, ModelLoadError } from './errors';
import { STREAM_TILE_BYTES, storedRowBytes, streamTiles } from '../tensor/stream';
import type { WeightMatrix } from '../tensor/weights';
import type { ModelWeights } from './weights';

/** The budget when the caller gives none: a quarter of the machine's memory (the extension's setting overrides it). */
export function defaultMaxResidentBytes(): number {
  return Math.floor(totalmem() / 4);
}

/** One tensor as the planner sees it: its name, dimensions and the bytes it takes when resident. */
export interface PlannedTensor {
  name: string;
  dims: readonly number[];
  residentBytes: number;
  /** Always held in memory (an architecture reads it as a plain array, e.g. GPT-2's learned positions). */
  resident?: boolean;
}

/** The transformer block a tensor name belongs to (`model.layers.12.`, `transformer.h.3.`, `blk.7.`), or undefined. */
export function layerOfTensor(name: string): number | undefined {
  const m = /(?:^|\.)(?:layers|h|blk|blocks|block)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether a tensor is a mixture-of-experts expert weight: GGUF's stacked `ffn_{gate,up,down}_exps` (and the older
 * one-per-expert `ffn_gate.E`), Hugging Face's `experts.E.` (Qwen3-MoE `mlp.experts`, Mixtral `block_sparse_moe.experts`).
 */
export function isExpertTensor(name: string): boolean {
  return /(?:^|\.)ffn_(?:gate|up|down)_exps\.|(?:^|\.)ffn_(?:gate|up|down)\.\d+\.|(?:^|\.)experts\.\d+\./.test(name);
}

/** Bytes kept free of weights for the runs themselves: a quarter of the budget, or a 256-token pass, up to half. */
export function runReserve(config: ModelConfig, budget: number): number {
  const run = estimateRunBytes(config, { tokens: 256, cached: 0, keepProbs: false, keepQkv: false, logits: 'last', streamScratch: 2 * STREAM_TILE_BYTES, f32Weights: true }).total;
  return Math.min(budget / 2, Math.max(budget / 4, run));
}

/**
 * Which tensors stay on disk: vectors (norms, biases) and tensors marked `resident` are always resident; then
 * whole layers in order while they fit in `weightBudget` (a mixture-of-experts layer without its experts), then
 * the unembedding, then each layer's experts, then the embedding. The order is by what streaming costs a decode
 * step: a streamed layer or unembedding is read whole for every token, a layer's experts only for the top-k
 * experts the tokens were routed to (8 of 128 in Qwen3-30B-A3B), the embedding one row per token.
 * Returns the names to stream and the bytes the rest will hold.
 */
export function planResidency(tensors: readonly PlannedTensor[], weightBudget: number, source = 'model'): { streamed: Set<string>; residentBytes: number } {
  let resident = 0;
  const units = new Map<string, PlannedTensor[]>();
  const order: string[] = [];
  for (const t of tensors) {
    if (t.resident || t.dims.length < 2 || t.dims.filter((d) => d > 1).length < 2) {
      resident += t.residentBytes;
      continue;
    }
    const layer = layerOfTensor(t.name);
    const at = String(layer).padStart(6, '0');
    const key = layer === undefined ? `tensor:${t.name}` : isExpertTensor(t.name) ? `experts:${at}` : `layer:${at}`;
    if (!units.has(key)) {
      units.set(key, []);
      order.push(key);
    }
    units.get(key)?.push(t);
  }
  if (resident > weightBudget) {
    throw new ModelLoadError('overBudget', `${source}: even the weights that always stay in memory (norms and biases, ${formatBytes(resident)}) do not fit the memory budget's share for weights (${formatBytes(weightBudget)}): raise the memory budget to at least ${formatBytes(resident * 2)}`);
  }
  const isEmbedding = (k: string): boolean => /embed|wte|token_embd/.test(k);
  const rank = (k: string): number => (k.startsWith('layer:') ? 0 : k.startsWith('experts:') ? 2 : isEmbedding(k) ? 3 : 1);
  order.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const streamed = new Set<string>();
  for (const key of order) {
    const unit = units.get(key) ?? [];
    const bytes = unit.reduce((s, t) => s + t.residentBytes, 0);
    if (resident + bytes <= weightBudget) resident += bytes;
    else for (const t of unit) streamed.add(t.name);
  }
  return { streamed, residentBytes: resident };
}

/** What a run holds, by part (bytes). */
export interface RunBytes {
  /** Activations of one layer at its peak (the residual stream, projections, MLP, one head's scores), logits, kernel scratch. */
  activations: number;
  /** What the run keeps to the end: probabilities, q/k/v, the KV cache. */
  kept: number;
  total: number;
}

/** The shape of one run, for its memory estimate. */
export interface RunShape {
  tokens: number;
  /** Positions already in the KV cache (0 without one); the cache's growth is counted in `kept`. */
  cached: number;
  keepProbs: boolean;
  keepQkv: boolean;
  logits: 'none' | 'last' | 'all';
  /** Bytes of the streaming scratch (the largest streamed tile, twice for permuted rows); 0 when nothing is streamed. */
  streamScratch: number;
  /** Whether resident matrices are float32 (the SIMD kernel then copies a whole matrix; quantized ones a 4 MiB tile). */
  f32Weights: boolean;
  /** Whether a KV cache is kept (counted in `kept`). */
  cache?: boolean;
}

/** Estimated bytes of one forward pass over `tokens` new tokens (float32 everywhere, as the runtime computes). */
export function estimateRunBytes(c: ModelConfig, run: RunShape): RunBytes {
  const T = run.tokens;
  const S = run.cached + T;
  const H = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const I = c.block.moe ? Math.max(c.intermediate, c.block.moe.intermediate) : c.intermediate;
  // One layer at its peak: x, the normed input, the attention output and o_proj (4 × T·H); q, k, v and the
  // concatenated heads (with RoPE and per-head copies: 2 × T·(q + 2kv)); gate, up and the activation (3 × T·I);
  // every KV group's keys and transposed values (2 × S·kv); one head's scores and its P·V (2 × T·S).
  const layer = 4 * T * H + 2 * T * (qDim + 2 * kvDim) + 3 * T * I + 2 * S * kvDim + 2 * T * S;
  const logits = run.logits === 'none' ? 0 : (run.logits === 'all' ? T : 1) * c.vocab * 2;
  // The SIMD kernel's memory holds the largest product's operands: a resident float32 matrix whole (k × n;
  // the unembedding when every row's logits are asked for), a quantized or streamed one a 4 MiB tile at a time
  // plus its dequantized copy. A single row takes the matrix-vector path, which copies nothing.
  const widest = Math.max(H, qDim, I);
  const largest = Math.max(widest * H, run.logits === 'all' ? c.vocab * H : 0);
  const matrix = run.f32Weights ? largest : 2 * Math.min(largest, 1 << 20);
  const kernel = T > 1 ? matrix + T * widest * 2 : 0;
  const activations = 4 * (layer + logits + kernel) + run.streamScratch;
  let kept = 0;
  if (run.keepProbs) kept += c.layers * c.heads * T * S;
  if (run.keepQkv) kept += c.layers * T * (qDim + 2 * kvDim);
  if (run.cache) kept += c.layers * S * 2 * kvDim;
  kept *= 4;
  return { activations, kept, total: activations + kept };
}

/** A size in KiB below 1 MiB, MiB, or GiB from 10 GiB, for messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${Math.ceil(bytes / 1024)} KiB`;
  return bytes >= 10 * 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/**
 * Refuses a run whose estimate (resident weights + this run) is over `budget`, before it allocates anything:
 * a MemoryBudgetError that says how many tokens would fit and what budget this run needs.
 */
export function checkRunBudget(c: ModelConfig, residentBytes: number, budget: number, run: RunShape): void {
  const need = estimateRunBytes(c, run);
  const total = residentBytes + need.total;
  if (total <= budget) return;
  // The most new tokens that fit (the estimate grows with the token count), by bisection.
  let lo = 0;
  let hi = run.tokens;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (residentBytes + estimateRunBytes(c, { ...run, tokens: mid }).total <= budget) lo = mid;
    else hi = mid - 1;
  }
  const parts = `weights held ${formatBytes(residentBytes)}, activations ${formatBytes(need.activations)}, kept probabilities/q·k·v/KV cache ${formatBytes(need.kept)}`;
  const fewer = lo > 0 ? `run at most ${lo} tokens instead of ${run.tokens}, or ` : '';
  const probs = run.keepProbs ? ' (or keep fewer attention matrices: computing one head on demand needs far less)' : '';
  throw new MemoryBudgetError(
    `This run of ${run.tokens} tokens needs about ${formatBytes(total)} (${parts}), more than the memory budget of ${formatBytes(budget)}: ${fewer}raise the memory budget to at least ${formatBytes(total)}${probs}.`,
    total, budget, lo,
  );
}

const scratchOfWeights = new WeakMap<ModelWeights, number>();

/** Bytes of streaming scratch a model's streamed matrices need (the largest tile; twice for permuted rows). */
export function streamScratchOf(weights: ModelWeights): number {
  const known = scratchOfWeights.get(weights);
  if (known !== undefined) return known;
  let most = 0;
  const visit = (w: WeightMatrix | undefined): void => {
    if (!w?.stream) return;
    const tile = streamTiles(w, w.stream.rowGroup)[0];
    most = Math.max(most, tile.count * storedRowBytes(w.type, w.cols) * (w.stream.scratchCopies ?? (w.stream.rowGroup > 1 ? 2 : 1)));
  };
  visit(weights.embed);
  visit(weights.lmHead);
  for (const l of weights.layers) {
    for (const v of Object.values(l) as unknown[]) if (v && typeof v === 'object' && 'rows' in v) visit(v as WeightMatrix);
    for (const e of l.experts ?? []) [e.gate, e.up, e.down].forEach(visit);
  }
  scratchOfWeights.set(weights, most);
  return most;
}
