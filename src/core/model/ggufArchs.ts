// GGUF files of the round-2 architectures — qwen3, qwen3moe, gemma2, gemma3, phi3, and llama with experts
// (Mixtral) — as the same ModelConfig and ModelWeights the safetensors path builds, so the one runtime runs both.
// Names and keys: llama.cpp src/llama-arch.cpp (LLM_TENSOR_NAMES: attn_q_norm, attn_k_norm, post_attention_norm,
// post_ffw_norm, attn_qkv, ffn_gate_inp, ffn_{gate,up,down}_exps, rope_factors_{long,short}; LLM_KV_NAMES:
// expert_count, expert_used_count, expert_feed_forward_length, attn_logit_softcapping, final_logit_softcapping,
// attention.sliding_window, rope.freq_base_swa, rope.scaling.original_context_length, rope.scaling.attn_factor).
// What llama.cpp's converter (convert_hf_to_gguf.py / conversion/*.py) does to the Hugging Face tensors:
// - Gemma 2/3: every `*norm.weight` is written with +1 added (HF multiplies by 1 + w), so the GGUF values are
//   used as they are (the safetensors path adds the 1 at load: arch/gemma.ts).
// - Phi-3: qkv_proj is attn_qkv and gate_up_proj is ffn_up (2·n_ff rows: gate first, then up; llama.cpp's
//   LLM_FFN_SWIGLU splits it the same way as modeling_phi3's `chunk(2)`); LongRoPE as rope_factors_long/short
//   tensors plus rope.scaling.original_context_length and rope.scaling.attn_factor.
// - Experts (Qwen3MoeModel, LlamaModel for Mixtral) are stacked into one 3-D tensor per projection, ne =
//   [in, out, n_expert]: expert e is rows e·out … (e+1)·out of the [n_expert·out, in] matrix. The router is
//   ffn_gate_inp ([hidden, n_expert]). Mixtral is `general.architecture` llama with llama.expert_count.
// Hyper-parameters llama.cpp fixes rather than reads (src/llama-model.cpp load_hparams, src/models/*.cpp):
// - gemma2: sliding window default 4096 on every other layer from layer 0 (set_swa_pattern(2)), attention
//   soft-cap default 50 and final soft-cap default 30; gemma3: five sliding layers per global one
//   (set_swa_pattern(6)), local RoPE base 10000 unscaled (rope_freq_base_train_swa), no attention soft-cap.
// - Gemma's query scale: 1/√head_dim, except the 27B models (gemma2 46 layers, gemma3 62 layers) where it is
//   1/√(hidden/heads) (query_pre_attn_scalar of those checkpoints); embeddings × sqrtf(n_embd) in float32.
// - qwen3moe and llama-MoE: every layer is sparse, top-k weights renormalised (build_moe_ffn norm_w = true:
//   Qwen3-30B-A3B's norm_topk_prob is true); softmax gating.
// The block arithmetic is the Hugging Face modeling code's, as the safetensors architectures describe it
// (transformers models/qwen3, qwen3_moe, gemma2, gemma3, phi3, mixtral modeling_*.py).
import { ModelLoadError } from './errors';
import type { ModelConfig, MoeSpec } from './config';
import type { ExpertWeights, LayerWeights, ModelWeights } from './weights';
import { toFloat32 } from '../tensor/quant/dequantize';
import { weightRows, type WeightMatrix, type WeightType } from '../tensor/weights';
import { metaNumber, type GgufFile } from './formats/gguf';

/** The GGUF architectures this file reads (besides llama with experts). */
export const GGUF_ROUND2_ARCHITECTURES = ['qwen3', 'qwen3moe', 'gemma2', 'gemma3', 'phi3'] as const;

/** Whether a config built from GGUF metadata needs this file's reader (not the plain llama/qwen2 one). */
export function usesGgufArchReader(c: ModelConfig): boolean {
  return c.family !== 'llama' && c.family !== 'gpt2';
}

/** The layers 0 … n−1 where `(l % pattern) < pattern − 1` (llama.cpp hparams.set_swa_pattern: the last of each group is global). */
function swaLayers(layers: number, pattern: number): number[] {
  return Array.from({ length: layers }, (_, l) => l).filter((l) => pattern <= 1 || l % pattern < pattern - 1);
}

/**
 * Turns the llama-shaped config ggufModel.ts read from the metadata into the architecture's own (family, block,
 * experts, windows, soft-caps, RoPE), for the architectures of this file; others are returned unchanged.
 */
export function refineGgufConfig(base: ModelConfig, g: GgufFile): ModelConfig {
  const meta = g.metadata;
  const path = g.paths[0];
  const arch = base.modelType;
  const num = (key: string): number | undefined => metaNumber(meta, `${arch}.${key}`);
  const experts = num('expert_count') ?? 0;
  const moeOf = (intermediate: number): MoeSpec => {
    const topK = num('expert_used_count');
    if (topK === undefined || !Number.isSafeInteger(topK) || topK <= 0 || topK > experts) {
      throw new ModelLoadError('config', `${path}: metadata "${arch}.expert_used_count" must be a positive integer ≤ expert_count ${experts} (got ${String(topK)})`);
    }
    return { experts, topK, normalizeTopK: true, intermediate, layers: Array.from({ length: base.layers }, (_, l) => l) };
  };
  const c: ModelConfig = { ...base, block: { ...base.block } };
  if (arch === 'llama') {
    if (experts <= 0) return base;
    // Mixtral in GGUF: llama with expert_count; feed_forward_length is each expert's size.
    c.family = 'mixtral';
    c.block.moe = moeOf(base.intermediate);
    return c;
  }
  if (arch === 'qwen3' || arch === 'qwen3moe') {
    c.family = arch;
    c.block.qkNorm = true;
    if (arch === 'qwen3moe') {
      if (experts <= 0) throw new ModelLoadError('config', `${path}: a qwen3moe GGUF needs "qwen3moe.expert_count" > 0`);
      const used = num('expert_used_count') ?? 1;
      // llama_model_qwen3moe: n_ff_exp = expert_feed_forward_length, else feed_forward_length / expert_used_count.
      const perExpert = num('expert_feed_forward_length') ?? Math.floor(base.intermediate / used);
      c.block.moe = moeOf(perExpert);
    }
    return c;
  }
  if (arch === 'gemma2' || arch === 'gemma3') {
    const g3 = arch === 'gemma3';
    c.family = arch;
    const big = base.layers === (g3 ? 62 : 46);
    const scaleDim = big ? base.hidden / base.heads : base.headDim;
    c.block = {
      ...c.block, mlp: 'geglu', postNorms: true,
      embedScale: Math.fround(Math.sqrt(base.hidden)),
      queryScale: scaleDim ** -0.5,
    };
    const window = num('attention.sliding_window') ?? (g3 ? 0 : 4096);
    if (window > 0) {
      c.slidingWindow = window;
      c.slidingWindowLayers = swaLayers(base.layers, g3 ? (num('attention.sliding_window_pattern') ?? 6) : 2);
    }
    const finalCap = num('final_logit_softcapping') ?? (g3 ? 0 : 30);
    if (finalCap > 0) c.block.finalSoftcap = finalCap;
    if (g3) {
      c.block.qkNorm = true;
      c.block.slidingRopeTheta = num('rope.freq_base_swa') ?? 10000;
    } else {
      const attnCap = num('attn_logit_softcapping') ?? 50;
      if (attnCap > 0) c.block.attnSoftcap = attnCap;
    }
    return c;
  }
  if (arch === 'phi3') {
    c.family = 'phi3';
    const window = num('attention.sliding_window') ?? 0;
    // The converter writes 0 for "none"; transformers' Phi3 masks every layer beyond the window (llama.cpp
    // currently runs Phi-3 without it; LLM Lens follows the modeling code).
    if (window > 0) c.slidingWindow = window;
    return c;
  }
  return base;
}

/** Phi-3's LongRoPE from the rope_factors tensors (convert_hf_to_gguf.py Phi3MiniModel.generate_extra_tensors), if present. */
export async function phi3LongRope(g: GgufFile, c: ModelConfig): Promise<void> {
  const path = g.paths[0];
  if (!g.tensors.has('rope_factors_long.weight') && !g.tensors.has('rope_factors_short.weight')) return;
  const read = async (name: string): Promise<number[]> => {
    if (!g.tensors.has(name)) throw new ModelLoadError('missingTensor', `${path}: LongRoPE needs both rope_factors_long and rope_factors_short (no "${name}")`);
    const v = toFloat32(await g.readWeight(name));
    if (v.length !== c.headDim / 2) throw new ModelLoadError('tensorShape', `${path}: "${name}" has ${v.length} values, head_dim ${c.headDim} implies ${c.headDim / 2}`);
    return Array.from(v);
  };
  const original = metaNumber(g.metadata, 'phi3.rope.scaling.original_context_length');
  if (original === undefined || !Number.isSafeInteger(original) || original <= 0) {
    throw new ModelLoadError('config', `${path}: LongRoPE factors without metadata "phi3.rope.scaling.original_context_length"`);
  }
  const factor = c.maxPositions / original;
  // The converter writes the attention factor it computed (√(1 + ln(factor)/ln(original)), as transformers does).
  const attentionFactor = metaNumber(g.metadata, 'phi3.rope.scaling.attn_factor') ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  c.ropeScaling = { type: 'longrope', shortFactor: await read('rope_factors_short.weight'), longFactor: await read('rope_factors_long.weight'), originalMaxPositions: original, attentionFactor };
}

/** Rows [start, start + count) of a matrix, sharing its storage (or its place on disk, for a streamed one). */
function rowsOf(w: WeightMatrix, start: number, count: number): WeightMatrix {
  return weightRows(w, start, count);
}

/**
 * Reads the weights of a refined GGUF config (refineGgufConfig): matrices in their stored type, vectors as float32.
 * `streamed` may hand back a matrix that stays on disk instead of reading it (the memory budget's streamer),
 * the stacked expert tensors too (sliced per expert, so only the routed experts' rows are read).
 */
export async function readGgufArchWeights(
  g: GgufFile, c: ModelConfig, unpermute: (w: WeightMatrix, heads: number) => WeightMatrix, permuted: boolean,
  streamed: (g: GgufFile, name: string) => WeightMatrix | undefined = () => undefined,
): Promise<ModelWeights> {
  const path = g.paths[0];
  const shapeError = (name: string, dims: readonly number[], want: number[]): ModelLoadError =>
    new ModelLoadError('tensorShape', `${path}: "${name}" has dims [${dims.join(', ')}] (innermost first), the metadata implies [${want.join(', ')}]`);
  const matrix = async (name: string, rows: number, cols: number): Promise<WeightMatrix> => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${path}: the weights lack "${name}"`);
    if (t.dims.length !== 2 || t.dims[0] !== cols || t.dims[1] !== rows) throw shapeError(name, t.dims, [cols, rows]);
    return streamed(g, name) ?? g.readWeight(name);
  };
  const vector = async (name: string, n: number): Promise<Float32Array> => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${path}: the weights lack "${name}"`);
    if (t.dims.length !== 1 || t.dims[0] !== n) throw shapeError(name, t.dims, [n]);
    return toFloat32(await g.readWeight(name));
  };
  const optionalVector = async (name: string, n: number): Promise<Float32Array | undefined> => (g.tensors.has(name) ? vector(name, n) : undefined);
  /** A stacked expert tensor (ne = [cols, rows, experts]) as one matrix of experts·rows rows. */
  const stacked = async (name: string, rows: number, cols: number, experts: number): Promise<WeightMatrix> => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${path}: the weights lack "${name}"`);
    if (t.dims.length !== 3 || t.dims[0] !== cols || t.dims[1] !== rows || t.dims[2] !== experts) throw shapeError(name, t.dims, [cols, rows, experts]);
    // Left on disk by the budget: each expert's slice (readExperts) is read only when a token is routed to it.
    const onDisk = streamed(g, name);
    if (onDisk) return onDisk;
    const bytes = await g.readBytes(name);
    const type = t.type as WeightType;
    const data = type === 'f32' ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : bytes;
    return { type, rows: rows * experts, cols, data };
  };
  const h = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const moe = c.block.moe;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    let q: WeightMatrix, k: WeightMatrix, v: WeightMatrix;
    if (g.tensors.has(`${p}attn_qkv.weight`)) {
      // Phi-3's fused projection: q, k, v stacked by rows.
      const qkv = await matrix(`${p}attn_qkv.weight`, qDim + 2 * kvDim, h);
      q = rowsOf(qkv, 0, qDim);
      k = rowsOf(qkv, qDim, kvDim);
      v = rowsOf(qkv, qDim + kvDim, kvDim);
    } else {
      q = await matrix(`${p}attn_q.weight`, qDim, h);
      k = await matrix(`${p}attn_k.weight`, kvDim, h);
      v = await matrix(`${p}attn_v.weight`, kvDim, h);
      if (permuted) {
        q = unpermute(q, c.heads);
        k = unpermute(k, c.kvHeads);
      }
    }
    const lw: LayerWeights = {
      norm1: await vector(`${p}attn_norm.weight`, h),
      q, k, v,
      qBias: await optionalVector(`${p}attn_q.bias`, qDim),
      kBias: await optionalVector(`${p}attn_k.bias`, kvDim),
      vBias: await optionalVector(`${p}attn_v.bias`, kvDim),
      o: await matrix(`${p}attn_output.weight`, h, qDim),
      norm2: await vector(`${p}ffn_norm.weight`, h),
    };
    if (c.block.qkNorm) {
      lw.qNorm = await vector(`${p}attn_q_norm.weight`, c.headDim);
      lw.kNorm = await vector(`${p}attn_k_norm.weight`, c.headDim);
    }
    if (c.block.postNorms) {
      lw.postAttnNorm = await vector(`${p}post_attention_norm.weight`, h);
      lw.postMlpNorm = await vector(`${p}post_ffw_norm.weight`, h);
    }
    if (moe && moe.layers.includes(l)) {
      const E = moe.experts, m = moe.intermediate;
      lw.router = await matrix(`${p}ffn_gate_inp.weight`, E, h);
      lw.experts = await readExperts(g, p, E, m, h, stacked, matrix);
    } else if (g.tensors.has(`${p}ffn_gate.weight`)) {
      lw.gate = await matrix(`${p}ffn_gate.weight`, c.intermediate, h);
      lw.up = await matrix(`${p}ffn_up.weight`, c.intermediate, h);
      lw.down = await matrix(`${p}ffn_down.weight`, h, c.intermediate);
    } else {
      // Phi-3's fused gate_up_proj: gate rows first, then up.
      const gateUp = await matrix(`${p}ffn_up.weight`, 2 * c.intermediate, h);
      lw.gate = rowsOf(gateUp, 0, c.intermediate);
      lw.up = rowsOf(gateUp, c.intermediate, c.intermediate);
      lw.down = await matrix(`${p}ffn_down.weight`, h, c.intermediate);
    }
    layers.push(lw);
  }
  const embed = await matrix('token_embd.weight', c.vocab, h);
  const lmHead = g.tensors.has('output.weight') ? await matrix('output.weight', c.vocab, h) : embed;
  return { embed, layers, finalNorm: await vector('output_norm.weight', h), lmHead };
}

/** A layer's experts: the stacked ffn_*_exps tensors, or the older one-tensor-per-expert ffn_gate.E files. */
async function readExperts(
  g: GgufFile, p: string, E: number, m: number, h: number,
  stacked: (name: string, rows: number, cols: number, experts: number) => Promise<WeightMatrix>,
  matrix: (name: string, rows: number, cols: number) => Promise<WeightMatrix>,
): Promise<ExpertWeights[]> {
  const out: ExpertWeights[] = [];
  if (g.tensors.has(`${p}ffn_gate_exps.weight`) || !g.tensors.has(`${p}ffn_gate.0.weight`)) {
    const gate = await stacked(`${p}ffn_gate_exps.weight`, m, h, E);
    const up = await stacked(`${p}ffn_up_exps.weight`, m, h, E);
    const down = await stacked(`${p}ffn_down_exps.weight`, h, m, E);
    for (let e = 0; e < E; e++) out.push({ gate: rowsOf(gate, e * m, m), up: rowsOf(up, e * m, m), down: rowsOf(down, e * h, h) });
    return out;
  }
  for (let e = 0; e < E; e++) {
    out.push({
      gate: await matrix(`${p}ffn_gate.${e}.weight`, m, h),
      up: await matrix(`${p}ffn_up.${e}.weight`, m, h),
      down: await matrix(`${p}ffn_down.${e}.weight`, h, m),
    });
  }
  return out;
}
