// Fixtures for the architectures beyond Llama and GPT-2 (Qwen3, Qwen3-MoE, Gemma 2, Gemma 3, Phi-3, Mixtral):
// small random models saved as safetensors in each family's Hugging Face layout, and a NAIVE reference forward
// pass in float64 with plain loops, written from transformers' modeling files (modeling_qwen3.py,
// modeling_qwen3_moe.py, modeling_gemma2.py, modeling_gemma3.py, modeling_phi3.py, modeling_mixtral.py and
// modeling_rope_utils.py). It shares no code with the engine (only the safetensors writer puts weights on disk).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite, type WritableDtype } from '../../src/core/model/formats/safetensorsWriter';
import { rng } from './attentionFixtures';

type Mat = number[][];

/** Which family's layout and arithmetic. 'gemma3mm' = Gemma3ForConditionalGeneration (text_config, vision tensors). */
export type ArchKind = 'qwen3' | 'qwen3moe' | 'gemma2' | 'gemma3' | 'gemma3mm' | 'phi3' | 'mixtral';

export interface ArchSpec {
  kind: ArchKind;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  ropeTheta: number;
  seed: number;
  dtype?: WritableDtype;
  tied?: boolean;
  /** Sliding window (Gemma: on the family's layers; Phi-3 / Mixtral: every layer). */
  slidingWindow?: number;
  /** Gemma 3: sliding_window_pattern. */
  pattern?: number;
  /** Gemma 3: rope_local_base_freq. */
  localRopeTheta?: number;
  /** Gemma 3: linear rope_scaling factor (global layers only). */
  linearRope?: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  queryPreAttnScalar?: number;
  /** config torch_dtype (Gemma's embedding normalizer is rounded to it). */
  torchDtype?: 'float32' | 'bfloat16' | 'float16';
  experts?: number;
  topK?: number;
  moeIntermediate?: number;
  normTopK?: boolean;
  decoderSparseStep?: number;
  mlpOnlyLayers?: number[];
  /** Phi-3 LongRoPE: factors per pair, original context and max_position_embeddings. */
  longrope?: { short: number[]; long: number[]; original: number; maxPositions: number };
}

interface RefLayer {
  norm1: number[];
  q: Mat; k: Mat; v: Mat; o: Mat;
  qNorm?: number[]; kNorm?: number[];
  postAttn?: number[];
  norm2: number[];
  postMlp?: number[];
  gate?: Mat; up?: Mat; down?: Mat;
  router?: Mat;
  experts?: { gate: Mat; up: Mat; down: Mat }[];
}

/** The stored weights (as in the file: Gemma norms without the +1). */
export interface ArchRef {
  spec: ArchSpec;
  embed: Mat;
  lmHead: Mat;
  finalNorm: number[];
  layers: RefLayer[];
}

function randMat(r: () => number, rows: number, cols: number, range = 64): Mat {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round((r() * 2 - 1) * range) / 256));
}
function normVec(r: () => number, n: number, around: number): number[] {
  return Array.from({ length: n }, () => around + Math.round((r() * 2 - 1) * 16) / 128);
}

const isGemma = (k: ArchKind): boolean => k === 'gemma2' || k === 'gemma3' || k === 'gemma3mm';
const isGemma3 = (k: ArchKind): boolean => k === 'gemma3' || k === 'gemma3mm';

/** Whether layer `l` of the spec is a mixture-of-experts layer (Qwen3MoeDecoderLayer's rule; every Mixtral layer). */
export function isMoeLayer(s: ArchSpec, l: number): boolean {
  if (s.kind === 'mixtral') return true;
  if (s.kind !== 'qwen3moe') return false;
  return !(s.mlpOnlyLayers ?? []).includes(l) && (l + 1) % (s.decoderSparseStep ?? 1) === 0;
}

/** Whether layer `l` slides (Gemma: layer_types' default rule; others: every layer when a window is set). */
export function isSlidingLayer(s: ArchSpec, l: number): boolean {
  if (s.slidingWindow === undefined) return false;
  if (s.kind === 'gemma2') return (l + 1) % 2 !== 0;
  if (isGemma3(s.kind)) return (l + 1) % (s.pattern ?? 6) !== 0;
  return true;
}

/** Builds a random model of `spec`, saves config.json + model.safetensors, returns the directory and the weights. */
export function makeArch(spec: ArchSpec, configOverride: (c: Record<string, unknown>) => void = () => undefined): { dir: string; ref: ArchRef } {
  const r = rng(spec.seed);
  const s = spec;
  const h = s.hidden;
  const qd = s.heads * s.headDim;
  const kvd = s.kvHeads * s.headDim;
  // Gemma stores norm weights around 0 (the model multiplies by 1 + w); the others around 1.
  const around = isGemma(s.kind) ? 0 : 1;
  const embed = randMat(r, s.vocab, h, 128);
  const tied = s.tied ?? isGemma(s.kind);
  const ref: ArchRef = { spec, embed, lmHead: tied ? embed : randMat(r, s.vocab, h, 128), finalNorm: normVec(r, h, around), layers: [] };
  const dtype = s.dtype ?? 'F32';
  const tensors: TensorToWrite[] = [];
  const pre = s.kind === 'gemma3mm' ? 'language_model.model.' : 'model.';
  const add = (name: string, shape: number[], data: number[]): void => {
    tensors.push({ name: pre + name, shape, data, dtype });
  };
  add('embed_tokens.weight', [s.vocab, h], embed.flat());
  for (let l = 0; l < s.layers; l++) {
    const moe = isMoeLayer(s, l);
    const m = moe ? (s.kind === 'mixtral' ? s.intermediate : (s.moeIntermediate as number)) : s.intermediate;
    const L: RefLayer = {
      norm1: normVec(r, h, around),
      q: randMat(r, qd, h, 96), k: randMat(r, kvd, h, 96), v: randMat(r, kvd, h), o: randMat(r, h, qd),
      norm2: normVec(r, h, around),
    };
    if (s.kind === 'qwen3' || s.kind === 'qwen3moe' || isGemma3(s.kind)) {
      L.qNorm = normVec(r, s.headDim, around);
      L.kNorm = normVec(r, s.headDim, around);
    }
    if (isGemma(s.kind)) {
      L.postAttn = normVec(r, h, around);
      L.postMlp = normVec(r, h, around);
    }
    if (moe) {
      const E = s.experts as number;
      L.router = randMat(r, E, h, 128);
      L.experts = Array.from({ length: E }, () => ({ gate: randMat(r, m, h), up: randMat(r, m, h), down: randMat(r, h, m) }));
    } else {
      L.gate = randMat(r, m, h);
      L.up = randMat(r, m, h);
      L.down = randMat(r, h, m);
    }
    ref.layers.push(L);
    const p = `layers.${l}.`;
    add(p + 'input_layernorm.weight', [h], L.norm1);
    if (s.kind === 'phi3') {
      add(p + 'self_attn.qkv_proj.weight', [qd + 2 * kvd, h], [...L.q.flat(), ...L.k.flat(), ...L.v.flat()]);
    } else {
      add(p + 'self_attn.q_proj.weight', [qd, h], L.q.flat());
      add(p + 'self_attn.k_proj.weight', [kvd, h], L.k.flat());
      add(p + 'self_attn.v_proj.weight', [kvd, h], L.v.flat());
    }
    add(p + 'self_attn.o_proj.weight', [h, qd], L.o.flat());
    if (L.qNorm && L.kNorm) {
      add(p + 'self_attn.q_norm.weight', [s.headDim], L.qNorm);
      add(p + 'self_attn.k_norm.weight', [s.headDim], L.kNorm);
    }
    if (isGemma(s.kind)) {
      add(p + 'post_attention_layernorm.weight', [h], L.postAttn as number[]);
      add(p + 'pre_feedforward_layernorm.weight', [h], L.norm2);
      add(p + 'post_feedforward_layernorm.weight', [h], L.postMlp as number[]);
    } else add(p + 'post_attention_layernorm.weight', [h], L.norm2);
    if (L.experts && L.router) {
      if (s.kind === 'mixtral') {
        add(p + 'block_sparse_moe.gate.weight', [L.router.length, h], L.router.flat());
        L.experts.forEach((e, i) => {
          add(p + `block_sparse_moe.experts.${i}.w1.weight`, [m, h], e.gate.flat());
          add(p + `block_sparse_moe.experts.${i}.w2.weight`, [h, m], e.down.flat());
          add(p + `block_sparse_moe.experts.${i}.w3.weight`, [m, h], e.up.flat());
        });
      } else {
        add(p + 'mlp.gate.weight', [L.router.length, h], L.router.flat());
        L.experts.forEach((e, i) => {
          add(p + `mlp.experts.${i}.gate_proj.weight`, [m, h], e.gate.flat());
          add(p + `mlp.experts.${i}.up_proj.weight`, [m, h], e.up.flat());
          add(p + `mlp.experts.${i}.down_proj.weight`, [h, m], e.down.flat());
        });
      }
    } else if (s.kind === 'phi3') {
      add(p + 'mlp.gate_up_proj.weight', [2 * m, h], [...(L.gate as Mat).flat(), ...(L.up as Mat).flat()]);
      add(p + 'mlp.down_proj.weight', [h, m], (L.down as Mat).flat());
    } else {
      add(p + 'mlp.gate_proj.weight', [m, h], (L.gate as Mat).flat());
      add(p + 'mlp.up_proj.weight', [m, h], (L.up as Mat).flat());
      add(p + 'mlp.down_proj.weight', [h, m], (L.down as Mat).flat());
    }
  }
  add('norm.weight', [h], ref.finalNorm);
  if (!tied) tensors.push({ name: 'lm_head.weight', shape: [s.vocab, h], data: ref.lmHead.flat(), dtype });
  if (s.kind === 'gemma3mm') {
    // Vision tower and projector: present in the checkpoint, never read by a text runtime.
    tensors.push({ name: 'vision_tower.vision_model.embeddings.patch_embedding.weight', shape: [4, 3, 2, 2], data: new Array<number>(48).fill(0.5), dtype });
    tensors.push({ name: 'multi_modal_projector.mm_input_projection_weight', shape: [3, h], data: new Array<number>(3 * h).fill(0.25), dtype });
  }
  const config = configOf(spec, tied);
  configOverride(config);
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-arch-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  return { dir, ref };
}

function configOf(s: ArchSpec, tied: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    hidden_size: s.hidden, intermediate_size: s.intermediate, num_hidden_layers: s.layers, num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads, head_dim: s.headDim, vocab_size: s.vocab, rms_norm_eps: 1e-6, rope_theta: s.ropeTheta,
    tie_word_embeddings: tied, max_position_embeddings: 4096,
  };
  if (s.torchDtype) base.torch_dtype = s.torchDtype;
  switch (s.kind) {
    case 'qwen3':
      return { ...base, architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_act: 'silu', attention_bias: false };
    case 'qwen3moe':
      return {
        ...base, architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', hidden_act: 'silu', num_experts: s.experts, num_experts_per_tok: s.topK,
        moe_intermediate_size: s.moeIntermediate, norm_topk_prob: s.normTopK ?? false, decoder_sparse_step: s.decoderSparseStep ?? 1, mlp_only_layers: s.mlpOnlyLayers ?? [],
      };
    case 'mixtral':
      return { ...base, architectures: ['MixtralForCausalLM'], model_type: 'mixtral', hidden_act: 'silu', num_local_experts: s.experts, num_experts_per_tok: s.topK, sliding_window: s.slidingWindow ?? null };
    case 'phi3': {
      const c: Record<string, unknown> = { ...base, architectures: ['Phi3ForCausalLM'], model_type: 'phi3', hidden_act: 'silu', sliding_window: s.slidingWindow ?? null };
      if (s.longrope) {
        c.rope_scaling = { type: 'longrope', short_factor: s.longrope.short, long_factor: s.longrope.long };
        c.original_max_position_embeddings = s.longrope.original;
        c.max_position_embeddings = s.longrope.maxPositions;
      }
      return c;
    }
    case 'gemma2':
      return {
        ...base, architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', hidden_activation: 'gelu_pytorch_tanh', query_pre_attn_scalar: s.queryPreAttnScalar ?? s.headDim,
        sliding_window: s.slidingWindow ?? null, attn_logit_softcapping: s.attnSoftcap ?? null, final_logit_softcapping: s.finalSoftcap ?? null,
      };
    case 'gemma3':
    case 'gemma3mm': {
      const text: Record<string, unknown> = {
        ...base, model_type: 'gemma3_text', hidden_activation: 'gelu_pytorch_tanh', query_pre_attn_scalar: s.queryPreAttnScalar ?? s.headDim,
        sliding_window: s.slidingWindow ?? null, sliding_window_pattern: s.pattern ?? 6, rope_local_base_freq: s.localRopeTheta ?? 10000,
        rope_scaling: s.linearRope ? { rope_type: 'linear', factor: s.linearRope } : null,
        attn_logit_softcapping: s.attnSoftcap ?? null, final_logit_softcapping: s.finalSoftcap ?? null,
      };
      if (s.kind === 'gemma3') return { ...text, architectures: ['Gemma3ForCausalLM'] };
      return { architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', text_config: text, vision_config: { model_type: 'siglip_vision_model', hidden_size: 4 }, torch_dtype: s.torchDtype };
    }
  }
}

/** The reference's outputs: probabilities, every row's logits, and each MoE layer's routing (ids / gate weights per token, best first). */
export interface ArchRefResult {
  probs: number[][][][];
  logits: number[][];
  routing: ({ experts: number[][]; weights: number[][] } | undefined)[];
  /** The per-layer Q·Kᵀ factor actually used. */
  scales: number[];
}

function matVec(m: Mat, x: number[]): number[] {
  return m.map((row) => row.reduce((s, w, i) => s + w * x[i], 0));
}

/** x rounded to bfloat16 (round to nearest, ties to even), from the bit layout: sign, 8 exponent, 7 mantissa bits. */
export function roundBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const lower = u[0] & 0xffff;
  let upper = u[0] >>> 16;
  if (lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1)) upper += 1;
  u[0] = upper << 16;
  return f[0];
}

/** Phi-3 LongRoPE's inverse frequency of pair i (modeling_rope_utils._compute_longrope_parameters). */
export function longropeInvFreq(theta: number, headDim: number, factors: number[], i: number): number {
  return 1 / (factors[i] * Math.pow(theta, (2 * i) / headDim));
}

/** LongRoPE's attention factor: √(1 + ln(max/original) / ln(original)), 1 when not extended. */
export function longropeAttentionFactor(maxPositions: number, original: number): number {
  const factor = maxPositions / original;
  return factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
}

/** The forward pass of `ref` over `ids`, from the modeling files, in float64 plain loops. */
export function referenceArch(ref: ArchRef, ids: number[]): ArchRefResult {
  const s = ref.spec;
  const d = s.headDim;
  const T = ids.length;
  const eps = 1e-6;
  const gemma = isGemma(s.kind);
  const off = gemma ? 1 : 0; // Gemma2RMSNorm: x̂ · (1 + w)
  const rms = (x: number[], w: number[]): number[] => {
    let ms = 0;
    for (const v of x) ms += v * v;
    const inv = 1 / Math.sqrt(ms / x.length + eps);
    return x.map((v, i) => v * inv * (off + w[i]));
  };
  const silu = (g: number): number => g / (1 + Math.exp(-g));
  const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
  // Embedding normalizer (Gemma): √hidden cast to the model's dtype.
  let normalizer = 1;
  if (gemma) {
    const exact = Math.sqrt(s.hidden);
    normalizer = s.torchDtype === 'bfloat16' ? roundBf16(exact) : Math.fround(exact);
  }
  // RoPE for a layer: frequencies θ^(-2i/d), with Gemma 3's local base on sliding layers, linear scaling on
  // global ones, LongRoPE factors (long beyond the original context) and its attention factor on cos/sin.
  const ropeFor = (layer: number): ((vec: number[], pos: number) => number[]) => {
    const sliding = isSlidingLayer(s, layer);
    let theta = s.ropeTheta;
    let linear = 1;
    if (isGemma3(s.kind)) {
      if (sliding) theta = s.localRopeTheta ?? 10000;
      else linear = s.linearRope ?? 1;
    }
    let mscale = 1;
    let factors: number[] | undefined;
    if (s.longrope) {
      factors = T > s.longrope.original ? s.longrope.long : s.longrope.short;
      mscale = longropeAttentionFactor(s.longrope.maxPositions, s.longrope.original);
    }
    const half = d / 2;
    return (vec, pos) => {
      const out = vec.slice();
      for (let i = 0; i < half; i++) {
        const f = factors ? longropeInvFreq(theta, d, factors, i) : Math.pow(theta, -(2 * i) / d) / linear;
        const c = Math.cos(pos * f) * mscale;
        const sn = Math.sin(pos * f) * mscale;
        out[i] = vec[i] * c - vec[i + half] * sn;
        out[i + half] = vec[i + half] * c + vec[i] * sn;
      }
      return out;
    };
  };
  const scaling = gemma ? Math.pow(s.queryPreAttnScalar ?? d, -0.5) : 1 / Math.sqrt(d);
  let x = ids.map((id) => ref.embed[id].map((v) => v * normalizer));
  const probs: number[][][][] = [];
  const routing: ArchRefResult['routing'] = [];
  const group = s.heads / s.kvHeads;
  ref.layers.forEach((L, l) => {
    const rope = ropeFor(l);
    const window = isSlidingLayer(s, l) ? s.slidingWindow : undefined;
    const hIn = x.map((row) => rms(row, L.norm1));
    const headsOf = (m: Mat, row: number[], n: number, norm?: number[]): number[][] => {
      const y = matVec(m, row);
      return Array.from({ length: n }, (_, hh) => {
        const v = y.slice(hh * d, (hh + 1) * d);
        return norm ? rms(v, norm) : v;
      });
    };
    const q = hIn.map((row, t) => headsOf(L.q, row, s.heads, L.qNorm).map((v) => rope(v, t)));
    const k = hIn.map((row, t) => headsOf(L.k, row, s.kvHeads, L.kNorm).map((v) => rope(v, t)));
    const v = hIn.map((row) => headsOf(L.v, row, s.kvHeads));
    const layerProbs: number[][][] = [];
    const attn = x.map(() => new Array<number>(s.heads * d).fill(0));
    for (let hh = 0; hh < s.heads; hh++) {
      const g = Math.floor(hh / group);
      const headProbs: number[][] = [];
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[i][hh][e] * k[j][g][e];
          let sc = dot * scaling;
          if (s.attnSoftcap !== undefined) sc = Math.tanh(sc / s.attnSoftcap) * s.attnSoftcap;
          const visible = j <= i && (window === undefined || i - j < window);
          scores.push(visible ? sc : -Infinity);
        }
        const max = Math.max(...scores);
        const e = scores.map((sc) => (sc === -Infinity ? 0 : Math.exp(sc - max)));
        const sum = e.reduce((a, b) => a + b, 0);
        const p = e.map((val) => val / sum);
        headProbs.push(p);
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += p[j] * v[j][g][c];
          attn[i][hh * d + c] = acc;
        }
      }
      layerProbs.push(headProbs);
    }
    probs.push(layerProbs);
    x = x.map((row, i) => {
      let o = matVec(L.o, attn[i]);
      if (L.postAttn) o = rms(o, L.postAttn);
      return row.map((val, e) => val + o[e]);
    });
    const act = gemma ? geluTanh : silu;
    const ffn = (gate: Mat, up: Mat, down: Mat, row: number[]): number[] => {
      const gv = matVec(gate, row);
      const uv = matVec(up, row);
      return matVec(down, gv.map((val, i) => act(val) * uv[i]));
    };
    const layerRouting = L.router ? { experts: [] as number[][], weights: [] as number[][] } : undefined;
    x = x.map((row) => {
      const h2 = rms(row, L.norm2);
      let out: number[];
      if (L.router && L.experts && layerRouting) {
        // Router → softmax over all experts → top-k (best first) → renormalise (Mixtral; Qwen3-MoE if norm_topk_prob).
        const logits = matVec(L.router, h2);
        const max = Math.max(...logits);
        const ex = logits.map((val) => Math.exp(val - max));
        const z = ex.reduce((a, b) => a + b, 0);
        const pr = ex.map((val) => val / z);
        const order = pr.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, s.topK);
        let w = order.map((o) => o[0]);
        if (s.kind === 'mixtral' || s.normTopK) {
          const sum = w.reduce((a, b) => a + b, 0);
          w = w.map((val) => val / sum);
        }
        layerRouting.experts.push(order.map((o) => o[1]));
        layerRouting.weights.push(w);
        out = new Array<number>(s.hidden).fill(0);
        order.forEach((o, r) => {
          const e = (L.experts as NonNullable<RefLayer['experts']>)[o[1]];
          const y = ffn(e.gate, e.up, e.down, h2);
          for (let i = 0; i < s.hidden; i++) out[i] += w[r] * y[i];
        });
      } else out = ffn(L.gate as Mat, L.up as Mat, L.down as Mat, h2);
      if (L.postMlp) out = rms(out, L.postMlp);
      return row.map((val, e) => val + out[e]);
    });
    routing.push(layerRouting);
  });
  const logits = x.map((row) => {
    const n = rms(row, ref.finalNorm);
    return matVec(ref.lmHead, n).map((val) => (s.finalSoftcap !== undefined ? Math.tanh(val / s.finalSoftcap) * s.finalSoftcap : val));
  });
  return { probs, logits, routing, scales: ref.layers.map(() => scaling) };
}
