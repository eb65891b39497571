// The embedded Llama-style model for training: parameter layout (Hugging Face tensor names), seeded
// initialisation, and one sequence's forward + backward pass built from the ops in ops.ts.
import {
  attentionBackward, attentionForward, crossEntropy, embeddingBackward, embeddingForward, like, linearBackward,
  linearForward, rmsNormBackward, rmsNormForward, ropeApply, ropeTables, swigluBackward, swigluForward,
  type AttentionDims, type Vec,
} from './ops';
import { Prng } from './prng';
import type { RopeTables } from '../tensor/kernels';

/** Hyper-parameters of a Llama-style decoder with tied input/output embeddings. */
export interface TrainModelConfig {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  maxPositions: number;
}

/** Where one named tensor lives inside the flat parameter buffer. */
export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** The flat layout of all parameters, in Hugging Face names and order. */
export interface ParamLayout {
  slots: ParamSlot[];
  total: number;
  byName: Map<string, ParamSlot>;
}

/** Builds the parameter layout: embed_tokens, per layer norms/attention/MLP, final norm (lm_head tied). */
export function paramLayout(cfg: TrainModelConfig): ParamLayout {
  const slots: ParamSlot[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    slots.push({ name, shape, offset, size });
    offset += size;
  };
  const d = cfg.hiddenSize;
  add('model.embed_tokens.weight', [cfg.vocabSize, d]);
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [d]);
    add(`${p}self_attn.q_proj.weight`, [cfg.qHeads * cfg.headDim, d]);
    add(`${p}self_attn.k_proj.weight`, [cfg.kvHeads * cfg.headDim, d]);
    add(`${p}self_attn.v_proj.weight`, [cfg.kvHeads * cfg.headDim, d]);
    add(`${p}self_attn.o_proj.weight`, [d, cfg.qHeads * cfg.headDim]);
    add(`${p}post_attention_layernorm.weight`, [d]);
    add(`${p}mlp.gate_proj.weight`, [cfg.intermediateSize, d]);
    add(`${p}mlp.up_proj.weight`, [cfg.intermediateSize, d]);
    add(`${p}mlp.down_proj.weight`, [d, cfg.intermediateSize]);
  }
  add('model.norm.weight', [d]);
  return { slots, total: offset, byName: new Map(slots.map((s) => [s.name, s])) };
}

/**
 * Seeded initialisation: norms at 1, matrices N(0, 0.02²), residual outputs (o_proj, down_proj) scaled by
 * 1/√(2·layers) as in GPT-2 so the residual stream does not grow with depth.
 */
export function initParams(cfg: TrainModelConfig, layout: ParamLayout, seed: number, out: Vec): void {
  const rng = new Prng(seed);
  for (const s of layout.slots) {
    const view = out.subarray(s.offset, s.offset + s.size);
    if (s.shape.length === 1) {
      view.fill(1);
      continue;
    }
    const residual = s.name.endsWith('o_proj.weight') || s.name.endsWith('down_proj.weight');
    const std = residual ? 0.02 / Math.sqrt(2 * cfg.layers) : 0.02;
    for (let i = 0; i < view.length; i++) view[i] = rng.normal() * std;
  }
}

interface LayerCache {
  xIn: Vec;
  a: Vec;
  aInv: Float64Array;
  q: Vec;
  k: Vec;
  v: Vec;
  probs: Vec;
  o: Vec;
  xMid: Vec;
  b: Vec;
  bInv: Float64Array;
  g: Vec;
  u: Vec;
  h: Vec;
}

/** Result of one sequence: summed loss over its positions and, on request, the attention probabilities. */
export interface SequenceResult {
  lossSum: number;
  /** probs[layer][head]: T×T row-major (only when `keepProbs`). */
  probs?: Vec[][];
}

const ropeCache = new Map<string, RopeTables>();

function view(params: Vec, layout: ParamLayout, name: string): Vec {
  const s = layout.byName.get(name);
  if (!s) throw new Error(`unknown parameter ${name}`);
  return params.subarray(s.offset, s.offset + s.size);
}

/**
 * Forward pass over one sequence `ids` predicting `targets` (same length), then — when `grads` is given —
 * the backward pass accumulating into `grads` with the loss scaled by `gradScale`.
 */
export function sequenceForwardBackward(
  cfg: TrainModelConfig, layout: ParamLayout, params: Vec, ids: ArrayLike<number>, targets: ArrayLike<number>,
  grads?: Vec, gradScale = 1, keepProbs = false,
): SequenceResult {
  const t = ids.length;
  const d = cfg.hiddenSize;
  const qd = cfg.qHeads * cfg.headDim;
  const kd = cfg.kvHeads * cfg.headDim;
  const inter = cfg.intermediateSize;
  const dims: AttentionDims = { t, qHeads: cfg.qHeads, kvHeads: cfg.kvHeads, headDim: cfg.headDim };
  const key = `${t}/${cfg.headDim}/${cfg.ropeTheta}`;
  let rope = ropeCache.get(key);
  if (!rope) ropeCache.set(key, (rope = ropeTables(t, cfg.headDim, cfg.ropeTheta)));
  const P = (name: string): Vec => view(params, layout, name);
  const G = (name: string): Vec => view(grads as Vec, layout, name);

  const emb = P('model.embed_tokens.weight');
  let x = embeddingForward(ids, emb, d);
  const caches: LayerCache[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}.`;
    const xIn = x;
    const { y: a, inv: aInv } = rmsNormForward(xIn, P(`${p}input_layernorm.weight`), t, d, cfg.rmsNormEps);
    const q = linearForward(a, P(`${p}self_attn.q_proj.weight`), t, d, qd);
    const k = linearForward(a, P(`${p}self_attn.k_proj.weight`), t, d, kd);
    const v = linearForward(a, P(`${p}self_attn.v_proj.weight`), t, d, kd);
    ropeApply(q, t, cfg.qHeads, cfg.headDim, rope);
    ropeApply(k, t, cfg.kvHeads, cfg.headDim, rope);
    const { out: o, probs } = attentionForward(q, k, v, dims);
    const attnOut = linearForward(o, P(`${p}self_attn.o_proj.weight`), t, qd, d);
    const xMid = like(xIn, xIn.length);
    for (let i = 0; i < xMid.length; i++) xMid[i] = xIn[i] + attnOut[i];
    const { y: b, inv: bInv } = rmsNormForward(xMid, P(`${p}post_attention_layernorm.weight`), t, d, cfg.rmsNormEps);
    const g = linearForward(b, P(`${p}mlp.gate_proj.weight`), t, d, inter);
    const u = linearForward(b, P(`${p}mlp.up_proj.weight`), t, d, inter);
    const h = swigluForward(g, u);
    const mlpOut = linearForward(h, P(`${p}mlp.down_proj.weight`), t, inter, d);
    x = like(xIn, xIn.length);
    for (let i = 0; i < x.length; i++) x[i] = xMid[i] + mlpOut[i];
    caches.push({ xIn, a, aInv, q, k, v, probs, o, xMid, b, bInv, g, u, h });
  }
  const { y: xf, inv: fInv } = rmsNormForward(x, P('model.norm.weight'), t, d, cfg.rmsNormEps);
  const logits = linearForward(xf, emb, t, d, cfg.vocabSize);
  const { lossSum, dlogits } = crossEntropy(logits, targets, t, cfg.vocabSize, gradScale);
  const result: SequenceResult = { lossSum };
  if (keepProbs) {
    result.probs = caches.map((c) =>
      Array.from({ length: cfg.qHeads }, (_, h) => c.probs.subarray(h * t * t, (h + 1) * t * t)),
    );
  }
  if (!grads) return result;

  // Backward, in exact reverse order of the forward pass.
  const dEmb = G('model.embed_tokens.weight');
  const dxf = linearBackward(dlogits, xf, emb, dEmb, t, d, cfg.vocabSize) as Vec;
  let dx = rmsNormBackward(dxf, x, P('model.norm.weight'), fInv, G('model.norm.weight'), t, d);
  for (let l = cfg.layers - 1; l >= 0; l--) {
    const p = `model.layers.${l}.`;
    const c = caches[l];
    // x = xMid + down(h): the residual passes dx straight through to xMid.
    const dh = linearBackward(dx, c.h, P(`${p}mlp.down_proj.weight`), G(`${p}mlp.down_proj.weight`), t, inter, d) as Vec;
    const { dg, du } = swigluBackward(dh, c.g, c.u);
    const db = linearBackward(dg, c.b, P(`${p}mlp.gate_proj.weight`), G(`${p}mlp.gate_proj.weight`), t, d, inter) as Vec;
    const db2 = linearBackward(du, c.b, P(`${p}mlp.up_proj.weight`), G(`${p}mlp.up_proj.weight`), t, d, inter) as Vec;
    for (let i = 0; i < db.length; i++) db[i] += db2[i];
    const dxMidNorm = rmsNormBackward(db, c.xMid, P(`${p}post_attention_layernorm.weight`), c.bInv, G(`${p}post_attention_layernorm.weight`), t, d);
    const dxMid = dx;
    for (let i = 0; i < dxMid.length; i++) dxMid[i] += dxMidNorm[i];
    // xMid = xIn + o_proj(attn): again the residual carries dxMid to xIn.
    const dO = linearBackward(dxMid, c.o, P(`${p}self_attn.o_proj.weight`), G(`${p}self_attn.o_proj.weight`), t, qd, d) as Vec;
    const { dq, dk, dv } = attentionBackward(dO, c.q, c.k, c.v, c.probs, dims);
    ropeApply(dq, t, cfg.qHeads, cfg.headDim, rope, true);
    ropeApply(dk, t, cfg.kvHeads, cfg.headDim, rope, true);
    const da = linearBackward(dq, c.a, P(`${p}self_attn.q_proj.weight`), G(`${p}self_attn.q_proj.weight`), t, d, qd) as Vec;
    const da2 = linearBackward(dk, c.a, P(`${p}self_attn.k_proj.weight`), G(`${p}self_attn.k_proj.weight`), t, d, kd) as Vec;
    const da3 = linearBackward(dv, c.a, P(`${p}self_attn.v_proj.weight`), G(`${p}self_attn.v_proj.weight`), t, d, kd) as Vec;
    for (let i = 0; i < da.length; i++) da[i] += da2[i] + da3[i];
    const dxInNorm = rmsNormBackward(da, c.xIn, P(`${p}input_layernorm.weight`), c.aInv, G(`${p}input_layernorm.weight`), t, d);
    for (let i = 0; i < dxMid.length; i++) dxMid[i] += dxInNorm[i];
    dx = dxMid;
  }
  embeddingBackward(ids, dx, dEmb, d);
  return result;
}

/** Number of parameters of a configuration (tied embeddings counted once). */
export function parameterCount(cfg: TrainModelConfig): number {
  return paramLayout(cfg).total;
}
