// A GGUF model (llama.cpp / Ollama / LM Studio) as the project's Model: metadata → ModelConfig, tensors →
// weight matrices (kept in their stored type), llama's Q/K rows un-permuted back to Hugging Face's layout,
// the tokenizer and chat template from the metadata. Names and keys: llama.cpp src/llama-arch.cpp
// (LLM_TENSOR_NAMES, LLM_KV_NAMES) and gguf-py/gguf/constants.py.
import { ModelLoadError } from './errors';
import { inactiveExpertParameters, type BlockSpec, type ModelConfig, type RopeScaling } from './config';
import { budgetOf, shapeOf, type Model } from './load';
import type { LayerWeights, ModelWeights } from './weights';
import { toFloat32 } from '../tensor/quant/dequantize';
import { rowBytes } from '../tensor/quant/blockTypes';
import { weightRows, type WeightMatrix } from '../tensor/weights';
import { streamedWeight, WeightFile } from '../tensor/stream';
import { kernelResidentBlock } from '../tensor/wasmMatmul';
import { isExpertTensor, planResidency, runReserve } from './budget';
import { metaNumber, metaString, openGguf, type GgufFile, type GgufValue } from './formats/gguf';
import { GGUF_PRE_TOKENIZERS, ggufTokenizer } from './ggufTokenizer';
import { phi3LongRope, readGgufArchWeights, refineGgufConfig, usesGgufArchReader } from './ggufArchs';

/** The GGUF architectures LLM Lens runs, and the RoPE layout llama.cpp uses for each. */
export const GGUF_ARCHITECTURES: Readonly<Record<string, { permutedQk: boolean }>> = {
  // convert_hf_to_gguf.py LlamaModel.modify_tensors permutes q_proj/k_proj for interleaved (NORM) RoPE.
  llama: { permutedQk: true },
  // Qwen2Model keeps HF's layout; llama.cpp runs it with NEOX (half-split) RoPE (llama-model.cpp rope type).
  qwen2: { permutedQk: false },
  // GPT2Model transposes the Conv1D weights to [out, in] and fuses q, k, v as attn_qkv; learned positions.
  gpt2: { permutedQk: false },
  // Round 2 (ggufArchs.ts): llama.cpp runs these with NEOX RoPE and the converter leaves Q/K unpermuted.
  qwen3: { permutedQk: false },
  qwen3moe: { permutedQk: false },
  gemma2: { permutedQk: false },
  gemma3: { permutedQk: false },
  phi3: { permutedQk: false },
};

/** A block's weights in stored form (norms and biases are converted to float32 when the model is built). */
interface StoredLayer {
  norm1: WeightMatrix; q: WeightMatrix; k: WeightMatrix; v: WeightMatrix; o: WeightMatrix;
  qBias?: WeightMatrix; kBias?: WeightMatrix; vBias?: WeightMatrix;
  norm2: WeightMatrix; gate: WeightMatrix; up: WeightMatrix; down: WeightMatrix;
}

/** All weights of a GGUF model as stored (quantized matrices stay quantized). */
export interface GgufStoredWeights {
  embed: WeightMatrix;
  layers: StoredLayer[];
  finalNorm: WeightMatrix;
  /** Absent when the embedding is tied. */
  lmHead?: WeightMatrix;
}

/** A model loaded from a GGUF file: the Model fields plus what only GGUF carries. */
export interface GgufModel extends Model {
  format: 'gguf';
  /** general.architecture. */
  architecture: string;
  /** Why `tokenizer` is absent: what the metadata says (e.g. 'no tokenizer.ggml.model', 'gpt2 with pre-tokenizer "x"'). */
  tokenizerProblem?: string;
}

/** Why a GGUF's metadata gives no tokenizer, or undefined when it gives one. */
function tokenizerProblemOf(meta: ReadonlyMap<string, GgufValue>): string {
  const model = meta.get('tokenizer.ggml.model');
  if (model === undefined) return 'no tokenizer.ggml.model in the metadata';
  if (!meta.has('tokenizer.ggml.tokens')) return `tokenizer.ggml.model is ${JSON.stringify(model)} but there is no tokenizer.ggml.tokens`;
  const pre = meta.get('tokenizer.ggml.pre');
  if (model === 'gpt2' && !meta.has('tokenizer.ggml.merges')) return 'a gpt2 (BPE) tokenizer without tokenizer.ggml.merges';
  if (model === 'gpt2') return `a gpt2 (BPE) tokenizer with the pre-tokenizer ${JSON.stringify(pre)}, which LLM Lens does not implement (it does: ${Object.keys(GGUF_PRE_TOKENIZERS).join(', ')})`;
  return `the tokenizer kind ${JSON.stringify(model)} (LLM Lens reads gpt2 and llama)`;
}

/** What one transformer block computes, per GGUF architecture (the runtime reads this, not the name). */
function blockOf(arch: string): BlockSpec {
  if (arch === 'gpt2') return { norm: 'layer', positions: 'learned', ropeStyle: 'half', mlp: 'gelu', biases: 'all' };
  // llama's Q/K rows are un-permuted on load (unpermuteQk), so RoPE pairs halves as in the HF layout.
  return { norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: arch === 'qwen2' ? 'qkv' : 'none' };
}

function need(meta: ReadonlyMap<string, GgufValue>, key: string, path: string): number {
  const v = metaNumber(meta, key);
  if (v === undefined || !Number.isSafeInteger(v) || v <= 0) throw new ModelLoadError('config', `${path}: metadata "${key}" must be a positive integer (got ${JSON.stringify(String(meta.get(key)))})`);
  return v;
}

/** The ModelConfig a GGUF file's metadata describes (`vocab` from the embedding's shape). */
export function ggufConfig(g: GgufFile): ModelConfig {
  const path = g.paths[0];
  const meta = g.metadata;
  const arch = metaString(meta, 'general.architecture');
  if (!arch) throw new ModelLoadError('config', `${path}: no general.architecture`);
  if (!(arch in GGUF_ARCHITECTURES)) {
    throw new ModelLoadError('unsupportedArchitecture', `${path}: GGUF architecture "${arch}" is not supported (supported: ${Object.keys(GGUF_ARCHITECTURES).join(', ')})`);
  }
  const hidden = need(meta, `${arch}.embedding_length`, path);
  const heads = need(meta, `${arch}.attention.head_count`, path);
  if (arch === 'gpt2') return gpt2Config(g, meta, hidden, heads);
  const kvHeads = metaNumber(meta, `${arch}.attention.head_count_kv`) ?? heads;
  if (!Number.isSafeInteger(kvHeads) || kvHeads <= 0 || heads % kvHeads !== 0) throw new ModelLoadError('config', `${path}: head_count ${heads} is not a multiple of head_count_kv ${kvHeads}`);
  const headDim = metaNumber(meta, `${arch}.attention.key_length`) ?? hidden / heads;
  if (!Number.isSafeInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) throw new ModelLoadError('config', `${path}: head dimension ${headDim} must be a positive even integer`);
  const ropeDims = metaNumber(meta, `${arch}.rope.dimension_count`);
  if (ropeDims !== undefined && ropeDims !== headDim) throw new ModelLoadError('unsupportedArchitecture', `${path}: RoPE on ${ropeDims} of ${headDim} head dimensions (partial rotary) is not supported`);
  const embed = g.tensors.get('token_embd.weight');
  if (!embed) throw new ModelLoadError('missingTensor', `${path}: no tensor "token_embd.weight"`);
  if (embed.dims.length !== 2 || embed.dims[0] !== hidden) throw new ModelLoadError('tensorShape', `${path}: token_embd.weight has dims [${embed.dims.join(', ')}], embedding_length ${hidden} implies [${hidden}, vocab]`);
  const eps = metaNumber(meta, `${arch}.attention.layer_norm_rms_epsilon`) ?? 1e-6;
  const theta = metaNumber(meta, `${arch}.rope.freq_base`) ?? 10000;
  if (!(eps > 0) || !(theta > 0)) throw new ModelLoadError('config', `${path}: layer_norm_rms_epsilon and rope.freq_base must be positive`);
  const id = (key: string): number | undefined => {
    const v = metaNumber(meta, key);
    return v !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  };
  return refineGgufConfig({
    family: 'llama',
    modelType: arch,
    layers: need(meta, `${arch}.block_count`, path),
    hidden,
    heads,
    kvHeads,
    headDim,
    intermediate: need(meta, `${arch}.feed_forward_length`, path),
    vocab: embed.dims[1],
    maxPositions: metaNumber(meta, `${arch}.context_length`) ?? 2048,
    normEps: eps,
    ropeTheta: theta,
    ropeScaling: ropeScalingOf(meta, arch, path),
    tieEmbeddings: !g.tensors.has('output.weight'),
    scaleByInverseLayer: false,
    bosTokenId: id('tokenizer.ggml.bos_token_id'),
    eosTokenId: id('tokenizer.ggml.eos_token_id'),
    block: blockOf(arch),
  }, g);
}

function gpt2Config(g: GgufFile, meta: ReadonlyMap<string, GgufValue>, hidden: number, heads: number): ModelConfig {
  const path = g.paths[0];
  if (hidden % heads !== 0) throw new ModelLoadError('config', `${path}: embedding_length ${hidden} is not divisible by head_count ${heads}`);
  const embed = g.tensors.get('token_embd.weight');
  if (!embed || embed.dims.length !== 2 || embed.dims[0] !== hidden) throw new ModelLoadError('missingTensor', `${path}: no token_embd.weight of dims [${hidden}, vocab]`);
  const eps = metaNumber(meta, 'gpt2.attention.layer_norm_epsilon') ?? 1e-5;
  return {
    family: 'gpt2', modelType: 'gpt2',
    layers: need(meta, 'gpt2.block_count', path),
    hidden, heads, kvHeads: heads, headDim: hidden / heads,
    intermediate: need(meta, 'gpt2.feed_forward_length', path),
    vocab: embed.dims[1],
    maxPositions: need(meta, 'gpt2.context_length', path),
    normEps: eps > 0 ? eps : 1e-5,
    ropeTheta: 0, ropeScaling: { type: 'default' },
    // GPT-2 ties its unembedding to wte; the converter writes output.weight as a copy of it (not read).
    tieEmbeddings: true,
    scaleByInverseLayer: false,
    bosTokenId: metaNumber(meta, 'tokenizer.ggml.bos_token_id'),
    eosTokenId: metaNumber(meta, 'tokenizer.ggml.eos_token_id'),
    block: blockOf('gpt2'),
  };
}

/** Rows [start, start + count) of a weight matrix, sharing its storage (quantized rows are whole blocks). */
export function sliceRows(w: WeightMatrix, start: number, count: number): WeightMatrix {
  return weightRows(w, start, count);
}

/** GPT-2's weights (llama.cpp names: attn_qkv fused [3h, h], position_embd, LayerNorm biases); matrices stay in their stored type. */
async function readGpt2Weights(g: GgufFile, c: ModelConfig, streamed: GgufStreamer = NOT_STREAMED): Promise<ModelWeights> {
  const path = g.paths[0];
  const h = c.hidden;
  const readStored = async (name: string, rows: number, cols: number): Promise<WeightMatrix> => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${path}: the weights lack "${name}"`);
    const want = rows === 1 ? [cols] : [cols, rows];
    if (t.dims.length !== want.length || t.dims.some((d, i) => d !== want[i])) {
      throw new ModelLoadError('tensorShape', `${path}: "${name}" has dims [${t.dims.join(', ')}] (innermost first), the metadata implies [${want.join(', ')}]`);
    }
    return streamed(g, name) ?? g.readWeight(name);
  };
  const read = async (name: string, rows: number, cols: number): Promise<Float32Array> => toFloat32(await readStored(name, rows, cols));
  const embed = await readStored('token_embd.weight', c.vocab, h);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    // The fused projection splits by rows (q, k, v), which works on quantized rows too.
    const qkv = await readStored(`${p}attn_qkv.weight`, 3 * h, h);
    const qkvBias = await read(`${p}attn_qkv.bias`, 1, 3 * h);
    layers.push({
      norm1: await read(`${p}attn_norm.weight`, 1, h), norm1Bias: await read(`${p}attn_norm.bias`, 1, h),
      q: sliceRows(qkv, 0, h), k: sliceRows(qkv, h, h), v: sliceRows(qkv, 2 * h, h),
      qBias: qkvBias.subarray(0, h), kBias: qkvBias.subarray(h, 2 * h), vBias: qkvBias.subarray(2 * h),
      o: await readStored(`${p}attn_output.weight`, h, h), oBias: await read(`${p}attn_output.bias`, 1, h),
      norm2: await read(`${p}ffn_norm.weight`, 1, h), norm2Bias: await read(`${p}ffn_norm.bias`, 1, h),
      up: await readStored(`${p}ffn_up.weight`, c.intermediate, h), upBias: await read(`${p}ffn_up.bias`, 1, c.intermediate),
      down: await readStored(`${p}ffn_down.weight`, h, c.intermediate), downBias: await read(`${p}ffn_down.bias`, 1, h),
    });
  }
  return {
    embed,
    positions: await read('position_embd.weight', c.maxPositions, h),
    layers,
    finalNorm: await read('output_norm.weight', 1, h),
    finalNormBias: await read('output_norm.bias', 1, h),
    lmHead: embed,
  };
}

function ropeScalingOf(meta: ReadonlyMap<string, GgufValue>, arch: string, path: string): RopeScaling {
  const type = metaString(meta, `${arch}.rope.scaling.type`);
  if (type === undefined || type === 'none') return { type: 'default' };
  if (type === 'linear') return { type: 'linear', factor: metaNumber(meta, `${arch}.rope.scaling.factor`) ?? 1 };
  throw new ModelLoadError('unsupportedArchitecture', `${path}: rope scaling "${type}" is not supported (none and linear are)`);
}

/**
 * Llama 3.1+ GGUFs carry their RoPE scaling as a `rope_freqs.weight` tensor of per-frequency divisors
 * (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors, from the llama3 rope_scaling). Recovers the
 * llama3 parameters by checking the tensor against the formula for the factor it implies.
 */
function llama3RopeFromFactors(factors: Float32Array, config: ModelConfig, path: string): RopeScaling {
  const factor = Math.max(...factors);
  const candidate: RopeScaling = { type: 'llama3', factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };
  const half = config.headDim / 2;
  if (factors.length === half) {
    const lowWavelen = 8192 / 1, highWavelen = 8192 / 4;
    let ok = true;
    for (let i = 0; i < half && ok; i++) {
      const freq = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
      const wavelen = (2 * Math.PI) / freq;
      let expected = 1;
      if (wavelen > lowWavelen) expected = factor;
      else if (wavelen >= highWavelen) {
        const smooth = (8192 / wavelen - 1) / (4 - 1);
        expected = 1 / ((1 - smooth) / factor + smooth);
      }
      ok = Math.abs(factors[i] - expected) <= 1e-3 * expected;
    }
    if (ok) return candidate;
  }
  throw new ModelLoadError('unsupportedArchitecture', `${path}: rope_freqs.weight does not match Llama 3's RoPE scaling (low 1, high 4, original context 8192); other frequency factors are not supported`);
}

/**
 * Undoes llama.cpp's Q/K permutation (convert_hf_to_gguf.py LlamaModel.permute: reshape(n_head, 2, d/2, …)
 * .swapaxes(1, 2)): GGUF row h·d + 2i + s holds HF row h·d + s·d/2 + i. Whole rows move, so quantized
 * rows move as their bytes.
 */
export function unpermuteQk(w: WeightMatrix, nHead: number): WeightMatrix {
  const d = w.rows / nHead;
  if (!Number.isInteger(d) || d % 2 !== 0) throw new ModelLoadError('tensorShape', `cannot un-permute ${w.rows} rows into ${nHead} heads of even size`);
  if (w.stream) {
    // A streamed matrix stays on disk: its reads put the rows in this order (whole heads per tile).
    const order = new Int32Array(w.rows);
    for (let h = 0; h < nHead; h++) for (let i = 0; i < d / 2; i++) for (let s = 0; s < 2; s++) order[h * d + s * (d / 2) + i] = h * d + 2 * i + s;
    return { type: w.type, rows: w.rows, cols: w.cols, data: w.data, stream: w.stream.reordered(order, d) };
  }
  const rowLen = w.data instanceof Float32Array ? w.cols : rowBytes(w.type, w.cols);
  const out = w.data instanceof Float32Array ? new Float32Array(w.data.length) : new Uint8Array(w.data.length);
  const src = w.data;
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < d / 2; i++) {
      for (let s = 0; s < 2; s++) {
        const from = h * d + 2 * i + s;
        const to = h * d + s * (d / 2) + i;
        out.set(src.subarray(from * rowLen, (from + 1) * rowLen), to * rowLen);
      }
    }
  }
  return { type: w.type, rows: w.rows, cols: w.cols, data: out };
}

/** Reads every weight the config needs, checking shapes; Q/K un-permuted for `llama`. */
export async function readGgufWeights(g: GgufFile, c: ModelConfig, streamed: GgufStreamer = NOT_STREAMED): Promise<GgufStoredWeights> {
  const path = g.paths[0];
  const read = async (name: string, rows: number, cols: number): Promise<WeightMatrix> => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${path}: the weights lack "${name}"`);
    const want = rows === 1 ? [cols] : [cols, rows];
    if (t.dims.length !== want.length || t.dims.some((d, i) => d !== want[i])) {
      throw new ModelLoadError('tensorShape', `${path}: "${name}" has dims [${t.dims.join(', ')}] (innermost first), the metadata implies [${want.join(', ')}]`);
    }
    return streamed(g, name) ?? g.readWeight(name);
  };
  const optional = async (name: string, rows: number, cols: number): Promise<WeightMatrix | undefined> => (g.tensors.has(name) ? read(name, rows, cols) : undefined);
  const permuted = GGUF_ARCHITECTURES[c.modelType]?.permutedQk ?? false;
  const h = c.hidden, qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  const layers: StoredLayer[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    let q = await read(`${p}attn_q.weight`, qDim, h);
    let k = await read(`${p}attn_k.weight`, kvDim, h);
    let qBias = await optional(`${p}attn_q.bias`, 1, qDim);
    let kBias = await optional(`${p}attn_k.bias`, 1, kvDim);
    if (permuted) {
      q = unpermuteQk(q, c.heads);
      k = unpermuteQk(k, c.kvHeads);
      // A bias is permuted like its weight's rows (one value per row).
      if (qBias) qBias = flat(unpermuteQk({ type: 'f32', rows: qDim, cols: 1, data: toFloat32(qBias) }, c.heads));
      if (kBias) kBias = flat(unpermuteQk({ type: 'f32', rows: kvDim, cols: 1, data: toFloat32(kBias) }, c.kvHeads));
    }
    layers.push({
      norm1: await read(`${p}attn_norm.weight`, 1, h),
      q, k, qBias, kBias,
      v: await read(`${p}attn_v.weight`, kvDim, h),
      vBias: await optional(`${p}attn_v.bias`, 1, kvDim),
      o: await read(`${p}attn_output.weight`, h, qDim),
      norm2: await read(`${p}ffn_norm.weight`, 1, h),
      gate: await read(`${p}ffn_gate.weight`, c.intermediate, h),
      up: await read(`${p}ffn_up.weight`, c.intermediate, h),
      down: await read(`${p}ffn_down.weight`, h, c.intermediate),
    });
  }
  return {
    embed: await read('token_embd.weight', c.vocab, h),
    layers,
    finalNorm: await read('output_norm.weight', 1, h),
    lmHead: await optional('output.weight', c.vocab, h),
  };
}

function flat(w: WeightMatrix): WeightMatrix {
  return { type: 'f32', rows: 1, cols: w.rows * w.cols, data: w.data };
}

/**
 * The runtime's ModelWeights from stored weights: every projection, the embedding and the unembedding stay
 * in their stored type (linear() and weightRow() dequantize a tile or a row at a time); only the vectors
 * (norms, biases) become float32.
 */
export function storedToModelWeights(s: GgufStoredWeights): ModelWeights {
  const f = toFloat32;
  const layers: LayerWeights[] = s.layers.map((l) => ({
    norm1: f(l.norm1), q: l.q, k: l.k, v: l.v, o: l.o,
    qBias: l.qBias && f(l.qBias), kBias: l.kBias && f(l.kBias), vBias: l.vBias && f(l.vBias),
    norm2: f(l.norm2), gate: l.gate, up: l.up, down: l.down,
  }));
  return { embed: s.embed, layers, finalNorm: f(s.finalNorm), lmHead: s.lmHead ?? s.embed };
}

/** Bytes of weight memory the model holds: each distinct buffer once (tied and sliced matrices share one). */
export function heldWeightBytes(w: ModelWeights): number {
  const buffers = new Set<ArrayBufferLike | number>();
  let bytes = 0;
  const count = (a: Float32Array | Uint8Array | undefined): void => {
    // Weights placed in the matmul kernel's memory (load.ts) are blocks of it: counted by block, not by its buffer.
    const block = a && kernelResidentBlock(a);
    if (block) {
      if (!buffers.has(block.at)) { buffers.add(block.at); bytes += block.bytes; }
    } else if (a && !buffers.has(a.buffer)) { buffers.add(a.buffer); bytes += a.buffer.byteLength; }
  };
  count(w.embed.data); count(w.positions); count(w.finalNorm); count(w.finalNormBias); count(w.lmHead.data);
  for (const l of w.layers) {
    for (const v of Object.values(l) as unknown[]) {
      if (v instanceof Float32Array) count(v);
      else if (v && typeof v === 'object' && 'data' in v) count((v as WeightMatrix).data);
    }
    // Experts (per expert, or slices of one stacked buffer: counted once).
    for (const e of l.experts ?? []) [e.gate, e.up, e.down].forEach((m) => count(m.data));
  }
  return bytes;
}

/** llama.cpp's llama_ftype names (general.file_type), as its quantize tool prints them. */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M',
  13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS',
  21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S',
  29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE',
};

/** The quantization of a GGUF: general.file_type's name, else the type holding most of the 2-D weights' elements. */
export function ggufQuantization(meta: ReadonlyMap<string, GgufValue>, tensors: Iterable<{ dims: readonly number[]; typeName: string; elements: number }>): string | undefined {
  const ft = metaNumber(meta, 'general.file_type');
  if (ft !== undefined && FILE_TYPES[ft]) return FILE_TYPES[ft];
  const byType = new Map<string, number>();
  for (const t of tensors) if (t.dims.length >= 2) byType.set(t.typeName, (byType.get(t.typeName) ?? 0) + t.elements);
  let best: string | undefined;
  for (const [name, n] of byType) if (best === undefined || n > (byType.get(best) ?? 0)) best = name;
  return best;
}

/** A streamed matrix for a tensor the plan leaves on disk, or undefined to read it into memory. */
export type GgufStreamer = (g: GgufFile, name: string) => WeightMatrix | undefined;
const NOT_STREAMED: GgufStreamer = () => undefined;

/** A GgufStreamer for the tensors in `names`: each stays in its shard file at its data position. */
function ggufStreamer(names: ReadonlySet<string>, counted: { bytes: number }): GgufStreamer {
  const files = new Map<number, WeightFile>();
  return (g, name) => {
    const t = g.tensors.get(name);
    // A 3-D tensor is stacked experts (ne = [in, out, experts]): one matrix of experts·out rows, which the
    // architecture slices per expert, so a run reads only the routed experts' rows.
    if (!t || !names.has(name) || !t.type || t.bytes === undefined || (t.dims.length !== 2 && t.dims.length !== 3)) return undefined;
    let file = files.get(t.shard);
    if (!file) {
      file = new WeightFile(g.paths[t.shard]);
      files.set(t.shard, file);
    }
    counted.bytes += t.bytes;
    const rows = t.dims.length === 3 ? t.dims[1] * t.dims[2] : t.dims[1];
    return streamedWeight({ file, position: t.position, type: t.type, rows, cols: t.dims[0], experts: isExpertTensor(name) });
  };
}

/** Loads a GGUF file (the first shard of a split one) as a Model whose matrices stay in their stored (quantized) type, within the memory budget. */
export async function loadGgufModel(path: string, options: { maxResidentBytes?: number } = {}): Promise<GgufModel> {
  const budget = budgetOf(options);
  const g = await openGguf(path);
  try {
    const config = ggufConfig(g);
    const freqs = g.tensors.get('rope_freqs.weight');
    if (freqs) config.ropeScaling = llama3RopeFromFactors(toFloat32(await g.readWeight('rope_freqs.weight')), config, path);
    if (config.family === 'phi3') await phi3LongRope(g, config);
    // Planned from the header before any tensor is read: matrices are held as stored, vectors as float32.
    const planned = [...g.tensors.values()].map((t) => ({ name: t.name, dims: t.dims, residentBytes: t.dims.length < 2 || t.type === 'f32' || t.bytes === undefined ? t.elements * 4 : t.bytes }));
    const plan = planResidency(planned, budget - runReserve(config, budget), path);
    const counted = { bytes: 0 };
    const streamer = ggufStreamer(plan.streamed, counted);
    const permuted = GGUF_ARCHITECTURES[config.modelType]?.permutedQk ?? false;
    const weights = config.family === 'gpt2' ? await readGpt2Weights(g, config, streamer)
      : usesGgufArchReader(config) ? await readGgufArchWeights(g, config, unpermuteQk, permuted, streamer)
        : storedToModelWeights(await readGgufWeights(g, config, streamer));
    let parameters = 0;
    // RoPE frequency tables (Llama 3.1's rope_freqs, Phi-3's rope_factors) are not parameters of the model.
    const notParameters = new Set(['rope_freqs.weight', 'rope_factors_long.weight', 'rope_factors_short.weight']);
    for (const t of g.tensors.values()) if (!notParameters.has(t.name)) parameters += t.elements;
    const tokenizer = ggufTokenizer(g.metadata);
    const tokenizerProblem = tokenizer ? undefined : tokenizerProblemOf(g.metadata);
    const held = heldWeightBytes(weights);
    return {
      dir: path,
      tokenizerProblem,
      config,
      weights,
      tokenizer,
      parameters,
      weightBytes: parameters * 4,
      format: 'gguf',
      fileBytes: g.fileBytes,
      architecture: config.modelType,
      chatTemplate: metaString(g.metadata, 'tokenizer.chat_template'),
      quantization: ggufQuantization(g.metadata, g.tensors.values()),
      residentBytes: held,
      maxResidentBytes: budget,
      streamedBytes: counted.bytes,
      shape: shapeOf(config),
      parameterCounts: { total: parameters, active: parameters - inactiveExpertParameters(config) },
    };
  } finally {
    await g.close();
  }
}
