// Small random Llama / Qwen2 models written twice: as a Hugging Face directory (config.json + safetensors) and
// as the GGUF llama.cpp's converter would write (names blk.N.*, dims innermost first, llama's Q/K rows
// permuted as convert_hf_to_gguf.py LlamaModel.permute does). Quantized GGUFs are compared against the HF
// model holding the dequantized weights, so both sides run exactly the same numbers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite } from '../../src/core/model/formats/safetensorsWriter';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import type { WeightType } from '../../src/core/tensor/weights';
import { rng } from '../unit/attentionFixtures';
import { meta, writeGguf, type MetaValue, type TensorSpec } from './ggufWriter';
import { quantize } from './quantize';

/** The shape of a test model. */
export interface TinySpec {
  arch: 'llama' | 'qwen2';
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  /** Storage type of the 2-D weights in the GGUF (norms stay F32, as llama.cpp writes them). */
  type: WeightType;
  seed: number;
  /**
   * Llama 3.1-style RoPE scaling: config.json's rope_scaling, and in the GGUF the rope_freqs.weight tensor
   * convert_hf_to_gguf.py computes from it (low 1, high 4, original context 8192).
   */
  llama3RopeFactor?: number;
  /** Extra metadata (a tokenizer, a chat template …). */
  extraMeta?: [string, MetaValue][];
}

/** The converter's permutation: HF row h·d + s·d/2 + i goes to GGUF row h·d + 2i + s. */
export function permuteRows(w: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  const d = rows / nHead;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHead; h++) {
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < d / 2; i++) out.set(w.subarray((h * d + s * (d / 2) + i) * cols, (h * d + s * (d / 2) + i + 1) * cols), (h * d + 2 * i + s) * cols);
    }
  }
  return out;
}

/** Writes `<dir>/hf/` (config.json + model.safetensors) and `<dir>/<name>.gguf`; returns both paths. */
export function writeTinyModel(dir: string, spec: TinySpec, name = 'model'): { hfDir: string; ggufPath: string } {
  const r = rng(spec.seed);
  const { hidden: h, heads, kvHeads, intermediate: inter, vocab } = spec;
  const d = h / heads;
  const rand = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const norm = (n: number): Float32Array => Float32Array.from({ length: n }, () => 1 + (r() * 2 - 1) * 0.1);
  // Weights as the GGUF stores them, dequantized: what both models must run.
  const effective = (w: Float32Array, rows: number, cols: number): Float32Array =>
    spec.type === 'f32' ? w : dequantizeRows({ type: spec.type, rows, cols, data: quantize(spec.type, w) }, 0, rows);
  const hf: TensorToWrite[] = [];
  const gg: TensorSpec[] = [];
  const matrix = (hfName: string, ggName: string, rows: number, cols: number, scale: number, permuteHeads?: number): void => {
    const w = effective(rand(rows * cols, scale), rows, cols);
    hf.push({ name: hfName, shape: [rows, cols], data: w });
    gg.push({ name: ggName, dims: [cols, rows], type: spec.type, values: permuteHeads ? permuteRows(w, rows, cols, permuteHeads) : w });
  };
  const vector = (hfName: string, ggName: string, values: Float32Array, permuteHeads?: number): void => {
    hf.push({ name: hfName, shape: [values.length], data: values });
    gg.push({ name: ggName, dims: [values.length], type: 'f32', values: permuteHeads ? permuteRows(values, values.length, 1, permuteHeads) : values });
  };
  const permute = spec.arch === 'llama';
  matrix('model.embed_tokens.weight', 'token_embd.weight', vocab, h, 0.5);
  for (let l = 0; l < spec.layers; l++) {
    const p = `model.layers.${l}.`;
    const g = `blk.${l}.`;
    vector(`${p}input_layernorm.weight`, `${g}attn_norm.weight`, norm(h));
    matrix(`${p}self_attn.q_proj.weight`, `${g}attn_q.weight`, heads * d, h, 0.4, permute ? heads : undefined);
    matrix(`${p}self_attn.k_proj.weight`, `${g}attn_k.weight`, kvHeads * d, h, 0.4, permute ? kvHeads : undefined);
    matrix(`${p}self_attn.v_proj.weight`, `${g}attn_v.weight`, kvHeads * d, h, 0.2);
    if (spec.arch === 'qwen2') {
      vector(`${p}self_attn.q_proj.bias`, `${g}attn_q.bias`, rand(heads * d, 0.3));
      vector(`${p}self_attn.k_proj.bias`, `${g}attn_k.bias`, rand(kvHeads * d, 0.3));
      vector(`${p}self_attn.v_proj.bias`, `${g}attn_v.bias`, rand(kvHeads * d, 0.3));
    }
    matrix(`${p}self_attn.o_proj.weight`, `${g}attn_output.weight`, h, heads * d, 0.2);
    vector(`${p}post_attention_layernorm.weight`, `${g}ffn_norm.weight`, norm(h));
    matrix(`${p}mlp.gate_proj.weight`, `${g}ffn_gate.weight`, inter, h, 0.2);
    matrix(`${p}mlp.up_proj.weight`, `${g}ffn_up.weight`, inter, h, 0.2);
    matrix(`${p}mlp.down_proj.weight`, `${g}ffn_down.weight`, h, inter, 0.2);
  }
  vector('model.norm.weight', 'output_norm.weight', norm(h));
  const tied = spec.arch === 'qwen2';
  if (!tied) matrix('lm_head.weight', 'output.weight', vocab, h, 0.3);
  const factor = spec.llama3RopeFactor;
  if (factor) {
    // LlamaModel.generate_extra_tensors: a divisor per frequency, 1 for short wavelengths, `factor` for long ones.
    const freqs = Float32Array.from({ length: d / 2 }, (_, i) => {
      const wavelen = (2 * Math.PI) / (1 / 10000 ** ((2 * i) / d));
      if (wavelen < 8192 / 4) return 1;
      if (wavelen > 8192 / 1) return factor;
      const smooth = (8192 / wavelen - 1) / (4 - 1);
      return 1 / ((1 - smooth) / factor + smooth);
    });
    gg.push({ name: 'rope_freqs.weight', dims: [d / 2], type: 'f32', values: freqs });
  }
  const a = spec.arch;
  const config = {
    model_type: a, architectures: [a === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'],
    hidden_size: h, num_attention_heads: heads, num_key_value_heads: kvHeads, num_hidden_layers: spec.layers,
    intermediate_size: inter, vocab_size: vocab, max_position_embeddings: 4096, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: tied, hidden_act: 'silu',
    rope_scaling: factor ? { rope_type: 'llama3', factor, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } : null,
  };
  const hfDir = join(dir, `${name}-hf`);
  mkdirSync(hfDir, { recursive: true });
  writeFileSync(join(hfDir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(hfDir, 'model.safetensors'), encodeSafetensors(hf));
  const ggufPath = join(dir, `${name}.gguf`);
  writeFileSync(ggufPath, writeGguf({
    metadata: [
      ['general.architecture', meta.str(a)],
      ['general.name', meta.str(`tiny ${a}`)],
      [`${a}.block_count`, meta.u32(spec.layers)],
      [`${a}.context_length`, meta.u32(4096)],
      [`${a}.embedding_length`, meta.u32(h)],
      [`${a}.feed_forward_length`, meta.u32(inter)],
      [`${a}.attention.head_count`, meta.u32(heads)],
      [`${a}.attention.head_count_kv`, meta.u32(kvHeads)],
      [`${a}.rope.freq_base`, meta.f32(10000)],
      [`${a}.attention.layer_norm_rms_epsilon`, meta.f32(1e-5)],
      ...(spec.extraMeta ?? []),
    ],
    tensors: gg,
  }));
  return { hfDir, ggufPath };
}

/** A tiny GPT-2 as a Hugging Face directory (Conv1D [in, out] weights) and as llama.cpp's GGUF (transposed, attn_qkv). */
export function writeTinyGpt2(dir: string, type: WeightType, seed: number, name = 'gpt2'): { hfDir: string; ggufPath: string } {
  const r = rng(seed);
  const h = 64, heads = 4, layers = 2, vocab = 128, positions = 32, inter = 4 * h;
  const rand = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const effective = (w: Float32Array, rows: number, cols: number): Float32Array =>
    type === 'f32' ? w : dequantizeRows({ type, rows, cols, data: quantize(type, w) }, 0, rows);
  const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
    const t = new Float32Array(w.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j];
    return t;
  };
  const hf: TensorToWrite[] = [];
  const gg: TensorSpec[] = [];
  // `out × in` weights: GGUF stores them as is, HF's Conv1D as their transpose.
  const conv = (hfName: string, ggName: string, out: number, inp: number, scale: number): void => {
    const w = effective(rand(out * inp, scale), out, inp);
    hf.push({ name: hfName, shape: [inp, out], data: transpose(w, out, inp) });
    gg.push({ name: ggName, dims: [inp, out], type, values: w });
  };
  const vec = (hfName: string, ggName: string, v: Float32Array): void => {
    hf.push({ name: hfName, shape: [v.length], data: v });
    gg.push({ name: ggName, dims: [v.length], type: 'f32', values: v });
  };
  const ones = (n: number): Float32Array => Float32Array.from({ length: n }, () => 1 + (r() * 2 - 1) * 0.1);
  const wte = effective(rand(vocab * h, 0.5), vocab, h);
  hf.push({ name: 'transformer.wte.weight', shape: [vocab, h], data: wte });
  gg.push({ name: 'token_embd.weight', dims: [h, vocab], type, values: wte }, { name: 'output.weight', dims: [h, vocab], type, values: wte });
  const wpe = rand(positions * h, 0.3);
  hf.push({ name: 'transformer.wpe.weight', shape: [positions, h], data: wpe });
  gg.push({ name: 'position_embd.weight', dims: [h, positions], type: 'f32', values: wpe });
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}.`;
    const g = `blk.${l}.`;
    vec(`${p}ln_1.weight`, `${g}attn_norm.weight`, ones(h));
    vec(`${p}ln_1.bias`, `${g}attn_norm.bias`, rand(h, 0.1));
    conv(`${p}attn.c_attn.weight`, `${g}attn_qkv.weight`, 3 * h, h, 0.4);
    vec(`${p}attn.c_attn.bias`, `${g}attn_qkv.bias`, rand(3 * h, 0.2));
    conv(`${p}attn.c_proj.weight`, `${g}attn_output.weight`, h, h, 0.2);
    vec(`${p}attn.c_proj.bias`, `${g}attn_output.bias`, rand(h, 0.1));
    vec(`${p}ln_2.weight`, `${g}ffn_norm.weight`, ones(h));
    vec(`${p}ln_2.bias`, `${g}ffn_norm.bias`, rand(h, 0.1));
    conv(`${p}mlp.c_fc.weight`, `${g}ffn_up.weight`, inter, h, 0.2);
    vec(`${p}mlp.c_fc.bias`, `${g}ffn_up.bias`, rand(inter, 0.1));
    conv(`${p}mlp.c_proj.weight`, `${g}ffn_down.weight`, h, inter, 0.1);
    vec(`${p}mlp.c_proj.bias`, `${g}ffn_down.bias`, rand(h, 0.1));
  }
  vec('transformer.ln_f.weight', 'output_norm.weight', ones(h));
  vec('transformer.ln_f.bias', 'output_norm.bias', rand(h, 0.1));
  const hfDir = join(dir, `${name}-hf`);
  mkdirSync(hfDir, { recursive: true });
  writeFileSync(join(hfDir, 'config.json'), JSON.stringify({
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: h, n_head: heads, n_layer: layers, n_positions: positions,
    vocab_size: vocab, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
  }));
  writeFileSync(join(hfDir, 'model.safetensors'), encodeSafetensors(hf));
  const ggufPath = join(dir, `${name}.gguf`);
  writeFileSync(ggufPath, writeGguf({
    metadata: [
      ['general.architecture', meta.str('gpt2')],
      ['gpt2.block_count', meta.u32(layers)],
      ['gpt2.context_length', meta.u32(positions)],
      ['gpt2.embedding_length', meta.u32(h)],
      ['gpt2.feed_forward_length', meta.u32(inter)],
      ['gpt2.attention.head_count', meta.u32(heads)],
      ['gpt2.attention.layer_norm_epsilon', meta.f32(1e-5)],
    ],
    tensors: gg,
  }));
  return { hfDir, ggufPath };
}

/**
 * A GGUF file holding a SentencePiece vocabulary as convert_hf_to_gguf.py writes one: <unk> UNKNOWN, <s> and
 * </s> CONTROL, the 256 <0xNN> pieces BYTE, the rest NORMAL, with the pieces' scores. tokenizer.json and
 * llama-tokenizer-js keep no scores but merges ordered by them (transformers' SentencePiece converter sorts a
 * BPE model's merges by the merged piece's score), so a piece's score here is minus the rank of its first merge.
 */
export function writeSpmGguf(path: string, tokens: readonly string[], merges: readonly (readonly [string, string])[], extra: { userDefined?: string } = {}): string {
  const all = [...tokens];
  const types: number[] = all.map((t, id) => (id === 0 ? 2 : id <= 2 ? 3 : /^<0x[0-9A-F]{2}>$/.test(t) ? 6 : 1));
  const rank = new Map<string, number>();
  merges.forEach(([a, b], r) => {
    if (!rank.has(a + b)) rank.set(a + b, r);
  });
  const scores = all.map((t) => -(rank.get(t) ?? 0));
  if (extra.userDefined) {
    all.push(extra.userDefined);
    types.push(4);
    scores.push(0);
  }
  writeFileSync(
    path,
    writeGguf({
      metadata: [
        ['general.architecture', meta.str('llama')],
        ['tokenizer.ggml.model', meta.str('llama')],
        ['tokenizer.ggml.tokens', meta.strs(all)],
        ['tokenizer.ggml.scores', meta.f32s(scores)],
        ['tokenizer.ggml.token_type', meta.i32s(types)],
        ['tokenizer.ggml.bos_token_id', meta.u32(1)],
        ['tokenizer.ggml.eos_token_id', meta.u32(2)],
        ['tokenizer.ggml.unknown_token_id', meta.u32(0)],
      ],
      tensors: [],
    }),
  );
  return path;
}
