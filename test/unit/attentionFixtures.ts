// Test fixtures for the attention engine: small random models saved as safetensors, and a NAIVE reference
// forward pass written from the math with plain loops over number arrays in float64. It shares no code
// with the engine (only the safetensors writer is used, to put the weights on disk).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite, type WritableDtype } from '../../src/core/model/formats/safetensorsWriter';

/** A seeded PRNG (mulberry32) so every run builds the same models and random inputs reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A matrix as rows of numbers. */
type Mat = number[][];

/**
 * Random values k/256 with |k| ≤ `range`: exactly representable in F32, F16 and BF16 (at most 8 significant
 * bits), so the reference can use them as-is whatever dtype the file stores.
 */
function randMat(r: () => number, rows: number, cols: number, range = 64): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round((r() * 2 - 1) * range) / 256));
}
function randVec(r: () => number, n: number, range = 64): number[] {
  return randMat(r, 1, n, range)[0];
}
/** Norm weights around 1 (still exact in 16-bit formats). */
function normVec(r: () => number, n: number): number[] {
  return Array.from({ length: n }, () => 1 + Math.round((r() * 2 - 1) * 16) / 128);
}

export interface LlamaSpec {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim?: number;
  intermediate: number;
  vocab: number;
  ropeTheta: number;
  tied: boolean;
  qkvBias: boolean;
  modelType?: 'llama' | 'qwen2' | 'mistral';
  dtype: WritableDtype;
  /** Write the tensors in two shards with model.safetensors.index.json. */
  sharded?: boolean;
  /** Llama 3.1-style rope_scaling (factor, low/high frequency factors, original context). */
  llama3Rope?: { factor: number; low: number; high: number; original: number };
  seed: number;
}

export interface LlamaRef {
  spec: LlamaSpec;
  headDim: number;
  embed: Mat;
  lmHead: Mat;
  finalNorm: number[];
  layers: {
    norm1: number[]; norm2: number[];
    q: Mat; k: Mat; v: Mat; o: Mat;
    qb?: number[]; kb?: number[]; vb?: number[];
    gate: Mat; up: Mat; down: Mat;
  }[];
}

function flat(m: Mat): number[] {
  return m.flat();
}

/** Writes config.json + weights into a fresh temp directory and returns the directory. */
function saveModel(config: object, tensors: TensorToWrite[], sharded: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-attn-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (!sharded) {
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    return dir;
  }
  const half = Math.ceil(tensors.length / 2);
  const parts = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap: Record<string, string> = {};
  parts.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeFileSync(join(dir, file), encodeSafetensors(part));
    for (const t of part) weightMap[t.name] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return dir;
}

/** Builds a random Llama-family model, saves it, and returns its directory and the reference weights. */
export function makeLlama(spec: LlamaSpec): { dir: string; ref: LlamaRef } {
  const r = rng(spec.seed);
  const hd = spec.headDim ?? spec.hidden / spec.heads;
  const qd = spec.heads * hd;
  const kvd = spec.kvHeads * hd;
  const embed = randMat(r, spec.vocab, spec.hidden, 128);
  const ref: LlamaRef = {
    spec,
    headDim: hd,
    embed,
    lmHead: spec.tied ? embed : randMat(r, spec.vocab, spec.hidden, 128),
    finalNorm: normVec(r, spec.hidden),
    layers: [],
  };
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], data: number[]): void => {
    tensors.push({ name, shape, data, dtype: spec.dtype });
  };
  add('model.embed_tokens.weight', [spec.vocab, spec.hidden], flat(embed));
  for (let l = 0; l < spec.layers; l++) {
    const L = {
      norm1: normVec(r, spec.hidden),
      norm2: normVec(r, spec.hidden),
      q: randMat(r, qd, spec.hidden, 96),
      k: randMat(r, kvd, spec.hidden, 96),
      v: randMat(r, kvd, spec.hidden),
      o: randMat(r, spec.hidden, qd),
      qb: spec.qkvBias ? randVec(r, qd) : undefined,
      kb: spec.qkvBias ? randVec(r, kvd) : undefined,
      vb: spec.qkvBias ? randVec(r, kvd) : undefined,
      gate: randMat(r, spec.intermediate, spec.hidden),
      up: randMat(r, spec.intermediate, spec.hidden),
      down: randMat(r, spec.hidden, spec.intermediate),
    };
    ref.layers.push(L);
    const p = `model.layers.${l}.`;
    add(p + 'input_layernorm.weight', [spec.hidden], L.norm1);
    add(p + 'post_attention_layernorm.weight', [spec.hidden], L.norm2);
    add(p + 'self_attn.q_proj.weight', [qd, spec.hidden], flat(L.q));
    add(p + 'self_attn.k_proj.weight', [kvd, spec.hidden], flat(L.k));
    add(p + 'self_attn.v_proj.weight', [kvd, spec.hidden], flat(L.v));
    add(p + 'self_attn.o_proj.weight', [spec.hidden, qd], flat(L.o));
    if (L.qb && L.kb && L.vb) {
      add(p + 'self_attn.q_proj.bias', [qd], L.qb);
      add(p + 'self_attn.k_proj.bias', [kvd], L.kb);
      add(p + 'self_attn.v_proj.bias', [kvd], L.vb);
    }
    add(p + 'mlp.gate_proj.weight', [spec.intermediate, spec.hidden], flat(L.gate));
    add(p + 'mlp.up_proj.weight', [spec.intermediate, spec.hidden], flat(L.up));
    add(p + 'mlp.down_proj.weight', [spec.hidden, spec.intermediate], flat(L.down));
  }
  add('model.norm.weight', [spec.hidden], ref.finalNorm);
  if (!spec.tied) add('lm_head.weight', [spec.vocab, spec.hidden], flat(ref.lmHead));
  const modelType = spec.modelType ?? 'llama';
  const arch = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' }[modelType];
  const config: Record<string, unknown> = {
    architectures: [arch],
    model_type: modelType,
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    vocab_size: spec.vocab,
    rms_norm_eps: 1e-5,
    rope_theta: spec.ropeTheta,
    tie_word_embeddings: spec.tied,
    hidden_act: 'silu',
    max_position_embeddings: 512,
  };
  if (spec.headDim !== undefined) config.head_dim = spec.headDim;
  if (spec.llama3Rope) {
    const r = spec.llama3Rope;
    config.rope_scaling = { rope_type: 'llama3', factor: r.factor, low_freq_factor: r.low, high_freq_factor: r.high, original_max_position_embeddings: r.original };
  }
  return { dir: saveModel(config, tensors, spec.sharded ?? false), ref };
}

/** What the reference computes: probs[layer][head][i][j], each head's output at the last query, and logits. */
export interface RefResult {
  probs: number[][][][];
  lastHeadOutputs: number[][][];
  logits: number[];
}

function matVec(m: Mat, x: number[], bias?: number[]): number[] {
  return m.map((row, o) => row.reduce((s, w, i) => s + w * x[i], bias ? bias[o] : 0));
}

function softmaxCausal(scores: number[], upto: number): number[] {
  let max = -Infinity;
  for (let j = 0; j <= upto; j++) max = Math.max(max, scores[j]);
  const e = scores.map((s, j) => (j <= upto ? Math.exp(s - max) : 0));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** The Llama forward pass, straight from the definitions (RMSNorm, half-split RoPE, GQA, SwiGLU). */
export function referenceLlama(ref: LlamaRef, ids: number[]): RefResult {
  const s = ref.spec;
  const d = ref.headDim;
  const eps = 1e-5;
  const rms = (x: number[], w: number[]): number[] => {
    const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
    return x.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]);
  };
  // Frequency of pair i: θ^(-2i/d); with Llama 3.1 scaling, long wavelengths are slowed by `factor`,
  // short ones kept, and the band between blended (Meta's Llama 3.1 reference, apply_scaling).
  const frequency = (i: number): number => {
    const f = Math.pow(s.ropeTheta, -(2 * i) / d);
    const r = s.llama3Rope;
    if (!r) return f;
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < r.original / r.high) return f;
    if (wavelength > r.original / r.low) return f / r.factor;
    const smooth = (r.original / wavelength - r.low) / (r.high - r.low);
    return (1 - smooth) * (f / r.factor) + smooth * f;
  };
  const rope = (vec: number[], pos: number): number[] => {
    const out = vec.slice();
    const half = d / 2;
    for (let i = 0; i < half; i++) {
      const angle = pos * frequency(i);
      out[i] = vec[i] * Math.cos(angle) - vec[i + half] * Math.sin(angle);
      out[i + half] = vec[i + half] * Math.cos(angle) + vec[i] * Math.sin(angle);
    }
    return out;
  };
  let x = ids.map((id) => ref.embed[id].slice());
  const probs: number[][][][] = [];
  const lastHeadOutputs: number[][][] = [];
  const group = s.heads / s.kvHeads;
  for (const L of ref.layers) {
    const hIn = x.map((row) => rms(row, L.norm1));
    const q = hIn.map((row) => matVec(L.q, row, L.qb));
    const k = hIn.map((row) => matVec(L.k, row, L.kb));
    const v = hIn.map((row) => matVec(L.v, row, L.vb));
    const layerProbs: number[][][] = [];
    const layerLast: number[][] = [];
    const attnOut = x.map(() => new Array<number>(s.heads * d).fill(0));
    for (let h = 0; h < s.heads; h++) {
      const g = Math.floor(h / group);
      const headProbs: number[][] = [];
      for (let i = 0; i < ids.length; i++) {
        const qi = rope(q[i].slice(h * d, (h + 1) * d), i);
        const scores = ids.map((_, j) => {
          const kj = rope(k[j].slice(g * d, (g + 1) * d), j);
          return qi.reduce((acc, qv, e) => acc + qv * kj[e], 0) / Math.sqrt(d);
        });
        const p = softmaxCausal(scores, i);
        headProbs.push(p);
        for (let e = 0; e < d; e++) attnOut[i][h * d + e] = p.reduce((acc, pj, j) => acc + pj * v[j][g * d + e], 0);
      }
      layerProbs.push(headProbs);
      layerLast.push(attnOut[ids.length - 1].slice(h * d, (h + 1) * d));
    }
    probs.push(layerProbs);
    lastHeadOutputs.push(layerLast);
    x = x.map((row, i) => {
      const o = matVec(L.o, attnOut[i]);
      return row.map((val, e) => val + o[e]);
    });
    x = x.map((row) => {
      const h2 = rms(row, L.norm2);
      const gate = matVec(L.gate, h2);
      const up = matVec(L.up, h2);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
      const down = matVec(L.down, act);
      return row.map((val, e) => val + down[e]);
    });
  }
  const last = rms(x[x.length - 1], ref.finalNorm);
  return { probs, lastHeadOutputs, logits: matVec(ref.lmHead, last) };
}

export interface Gpt2Spec {
  layers: number;
  hidden: number;
  heads: number;
  vocab: number;
  positions: number;
  /** Name tensors with the `transformer.` prefix (as GPT2LMHeadModel saves them). */
  prefix: boolean;
  /** Include the old attn.bias / attn.masked_bias buffers that must be ignored. */
  maskBuffers: boolean;
  /** config scale_attn_by_inverse_layer_idx: scores also divided by layer + 1. */
  inverseLayerScale?: boolean;
  dtype: WritableDtype;
  seed: number;
}

export interface Gpt2Ref {
  spec: Gpt2Spec;
  wte: Mat;
  wpe: Mat;
  lnf: [number[], number[]];
  layers: {
    ln1: [number[], number[]]; ln2: [number[], number[]];
    /** Conv1D weights as stored: [in][out]. */
    cAttn: Mat; cAttnB: number[]; cProj: Mat; cProjB: number[];
    fc: Mat; fcB: number[]; proj: Mat; projB: number[];
  }[];
}

/** Builds a random GPT-2 model, saves it, and returns its directory and the reference weights. */
export function makeGpt2(spec: Gpt2Spec): { dir: string; ref: Gpt2Ref } {
  const r = rng(spec.seed);
  const h = spec.hidden;
  const inner = 4 * h;
  const ref: Gpt2Ref = { spec, wte: randMat(r, spec.vocab, h, 128), wpe: randMat(r, spec.positions, h, 32), lnf: [normVec(r, h), randVec(r, h, 16)], layers: [] };
  const pre = spec.prefix ? 'transformer.' : '';
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], data: number[]): void => {
    tensors.push({ name: pre + name, shape, data, dtype: spec.dtype });
  };
  add('wte.weight', [spec.vocab, h], flat(ref.wte));
  add('wpe.weight', [spec.positions, h], flat(ref.wpe));
  for (let l = 0; l < spec.layers; l++) {
    const L = {
      ln1: [normVec(r, h), randVec(r, h, 16)] as [number[], number[]],
      ln2: [normVec(r, h), randVec(r, h, 16)] as [number[], number[]],
      cAttn: randMat(r, h, 3 * h, 96), cAttnB: randVec(r, 3 * h, 16),
      cProj: randMat(r, h, h), cProjB: randVec(r, h, 16),
      fc: randMat(r, h, inner), fcB: randVec(r, inner, 16),
      proj: randMat(r, inner, h), projB: randVec(r, h, 16),
    };
    ref.layers.push(L);
    const p = `h.${l}.`;
    add(p + 'ln_1.weight', [h], L.ln1[0]);
    add(p + 'ln_1.bias', [h], L.ln1[1]);
    add(p + 'attn.c_attn.weight', [h, 3 * h], flat(L.cAttn));
    add(p + 'attn.c_attn.bias', [3 * h], L.cAttnB);
    add(p + 'attn.c_proj.weight', [h, h], flat(L.cProj));
    add(p + 'attn.c_proj.bias', [h], L.cProjB);
    add(p + 'ln_2.weight', [h], L.ln2[0]);
    add(p + 'ln_2.bias', [h], L.ln2[1]);
    add(p + 'mlp.c_fc.weight', [h, inner], flat(L.fc));
    add(p + 'mlp.c_fc.bias', [inner], L.fcB);
    add(p + 'mlp.c_proj.weight', [inner, h], flat(L.proj));
    add(p + 'mlp.c_proj.bias', [h], L.projB);
    if (spec.maskBuffers) {
      const n = spec.positions;
      const tri: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) tri.push(j <= i ? 1 : 0);
      add(p + 'attn.bias', [1, 1, n, n], tri);
      add(p + 'attn.masked_bias', [], [-10000]);
    }
  }
  add('ln_f.weight', [h], ref.lnf[0]);
  add('ln_f.bias', [h], ref.lnf[1]);
  const config = {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: h, n_head: spec.heads, n_layer: spec.layers,
    n_positions: spec.positions, vocab_size: spec.vocab, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', n_inner: null,
    scale_attn_by_inverse_layer_idx: spec.inverseLayerScale ?? false,
  };
  return { dir: saveModel(config, tensors, false), ref };
}

/** The GPT-2 forward pass from the definitions: LayerNorm, learned positions, x·W with [in][out] weights, tanh GELU. */
export function referenceGpt2(ref: Gpt2Ref, ids: number[]): RefResult {
  const s = ref.spec;
  const h = s.hidden;
  const d = h / s.heads;
  const ln = (x: number[], [w, b]: [number[], number[]]): number[] => {
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * w[i] + b[i]);
  };
  // Conv1D: y_j = b_j + Σ_i x_i W[i][j].
  const conv = (x: number[], w: Mat, b: number[]): number[] => b.map((bj, j) => x.reduce((acc, xi, i) => acc + xi * w[i][j], bj));
  const gelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  let x = ids.map((id, t) => ref.wte[id].map((v, e) => v + ref.wpe[t][e]));
  const probs: number[][][][] = [];
  const lastHeadOutputs: number[][][] = [];
  for (const [layerIndex, L] of ref.layers.entries()) {
    const divisor = Math.sqrt(d) * (s.inverseLayerScale ? layerIndex + 1 : 1);
    const qkv = x.map((row) => conv(ln(row, L.ln1), L.cAttn, L.cAttnB));
    const attnOut = x.map(() => new Array<number>(h).fill(0));
    const layerProbs: number[][][] = [];
    const layerLast: number[][] = [];
    for (let hd = 0; hd < s.heads; hd++) {
      const headProbs: number[][] = [];
      for (let i = 0; i < ids.length; i++) {
        const scores = ids.map((_, j) => {
          let dot = 0;
          for (let e = 0; e < d; e++) dot += qkv[i][hd * d + e] * qkv[j][h + hd * d + e];
          return dot / divisor;
        });
        const p = softmaxCausal(scores, i);
        headProbs.push(p);
        for (let e = 0; e < d; e++) attnOut[i][hd * d + e] = p.reduce((acc, pj, j) => acc + pj * qkv[j][2 * h + hd * d + e], 0);
      }
      layerProbs.push(headProbs);
      layerLast.push(attnOut[ids.length - 1].slice(hd * d, (hd + 1) * d));
    }
    probs.push(layerProbs);
    lastHeadOutputs.push(layerLast);
    x = x.map((row, i) => {
      const o = conv(attnOut[i], L.cProj, L.cProjB);
      return row.map((v, e) => v + o[e]);
    });
    x = x.map((row) => {
      const m = conv(conv(ln(row, L.ln2), L.fc, L.fcB).map(gelu), L.proj, L.projB);
      return row.map((v, e) => v + m[e]);
    });
  }
  const last = ln(x[x.length - 1], ref.lnf);
  return { probs, lastHeadOutputs, logits: ref.wte.map((row) => row.reduce((acc, w, i) => acc + w * last[i], 0)) };
}

/** The plain reference of one lens row: norm (given as a function) + vocabulary projection, softmax in float64, full sort. */
export function lensReferenceRow(h: number[], normed: (x: number[]) => number[], head: number[][], topK: number): { ids: number[]; probs: number[]; entropy: number } {
  const y = normed(h);
  const logits = head.map((row) => row.reduce((s, w, i) => s + w * y[i], 0));
  const max = Math.max(...logits);
  const z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
  const p = logits.map((v) => Math.exp(v - max) / z);
  const entropy = -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
  const order = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, topK);
  return { ids: order.map((o) => o[1]), probs: order.map((o) => o[0]), entropy };
}
