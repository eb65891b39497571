// The mixture-of-experts feed-forward block of the embedded MoE model, forward and hand-written backward.
// Follows transformers' Mixtral (src/transformers/models/mixtral/modular_mixtral.py, MixtralSparseMoeBlock and
// MixtralBlockSparseTop2MLP): router logits = gate(x); softmax over all experts; keep the top-k; renormalise
// the kept weights to sum to 1; each expert is a SwiGLU MLP w2(silu(w1·x) ⊙ w3·x); no token is dropped.
// The load-balancing loss is Switch Transformer's (Fedus et al. 2021, eqs. 4–6) as transformers'
// load_balancing_loss_func computes it: E · Σ_e f_e · P_e, f_e = share of the top-k slots that went to e,
// P_e = mean router probability of e. Unlike transformers (which pools all layers' tokens into one loss), it is
// computed per layer and summed, as the Switch paper adds it "for each switch layer": each layer is balanced.
import { like, linearBackward, linearForward, swigluBackward, swigluForward, type Vec } from './ops';

/** Shape of a mixture-of-experts block. */
export interface MoeConfig {
  /** Number of experts (Mixtral's num_local_experts). */
  experts: number;
  /** Experts per token (num_experts_per_tok). */
  topK: number;
  /** Weight of the load-balancing loss per layer (router_aux_loss_coef). */
  auxCoef: number;
}

/** The router's decision for T tokens. */
export interface Routing {
  /** Softmax over all experts, T × E. */
  probs: Float64Array;
  /** Chosen experts per token, best first, T × K. */
  experts: Int32Array;
  /** Renormalised weights of the chosen experts (sum 1 per token), T × K. */
  weights: Float64Array;
}

/**
 * Softmax over each row of logits[T, E], the top-k experts (ties to the lower index, as a stable sort) and
 * their renormalised weights (Mixtral: routing_weights /= routing_weights.sum(dim=-1)).
 */
export function routeTopK(logits: ArrayLike<number>, t: number, e: number, k: number): Routing {
  if (k < 1 || k > e) throw new Error(`top-k must be between 1 and the number of experts (${e}); got ${k}`);
  const probs = new Float64Array(t * e);
  const experts = new Int32Array(t * k);
  const weights = new Float64Array(t * k);
  const taken = new Uint8Array(e);
  for (let r = 0; r < t; r++) {
    const o = r * e;
    let max = -Infinity;
    for (let j = 0; j < e; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < e; j++) sum += (probs[o + j] = Math.exp(logits[o + j] - max));
    for (let j = 0; j < e; j++) probs[o + j] /= sum;
    taken.fill(0);
    let kept = 0;
    for (let s = 0; s < k; s++) {
      let best = -1;
      for (let j = 0; j < e; j++) if (!taken[j] && (best < 0 || probs[o + j] > probs[o + best])) best = j;
      taken[best] = 1;
      experts[r * k + s] = best;
      weights[r * k + s] = probs[o + best];
      kept += probs[o + best];
    }
    for (let s = 0; s < k; s++) weights[r * k + s] /= kept;
  }
  return { probs, experts, weights };
}

/**
 * Switch Transformer's load-balancing loss for one layer, E · Σ_e f_e · P_e (f_e: share of the T·K routing
 * slots that chose e, summed over the k ranks as transformers does, so Σ_e f_e = k; P_e: mean probability),
 * and its gradient with respect to the router logits (f_e counts are constants, as in the papers).
 * A perfectly balanced router scores k; one that sends everything to one expert with certainty scores E·k.
 */
export function loadBalancingLoss(routing: Routing, t: number, e: number, k: number): { loss: number; dLogits: Float64Array } {
  const f = new Float64Array(e);
  for (let i = 0; i < t * k; i++) f[routing.experts[i]] += 1 / t;
  const pMean = new Float64Array(e);
  for (let r = 0; r < t; r++) for (let j = 0; j < e; j++) pMean[j] += routing.probs[r * e + j] / t;
  let loss = 0;
  for (let j = 0; j < e; j++) loss += f[j] * pMean[j];
  loss *= e;
  // ∂loss/∂p[r,j] = E·f_j/T; through the softmax: ∂/∂logit[r,j] = p[r,j]·(a_j − Σ_i p[r,i]·a_i).
  const dLogits = new Float64Array(t * e);
  for (let r = 0; r < t; r++) {
    const o = r * e;
    let dot = 0;
    for (let j = 0; j < e; j++) dot += routing.probs[o + j] * ((e * f[j]) / t);
    for (let j = 0; j < e; j++) dLogits[o + j] = routing.probs[o + j] * ((e * f[j]) / t - dot);
  }
  return { loss, dLogits };
}

/** One expert's weights in Mixtral's layout: w1 (gate) and w3 (up) [inter, d], w2 (down) [d, inter]. */
export interface ExpertWeights {
  w1: Vec;
  w2: Vec;
  w3: Vec;
}

/** What the backward pass needs from the forward pass. */
export interface MoeCache {
  x: Vec;
  routing: Routing;
  /** Per expert: the token rows it received (in token order) and the matching rank in the top-k. */
  rows: Int32Array[];
  ranks: Int32Array[];
  /** Per expert: gathered inputs, SwiGLU pre-activations, hidden and output rows. */
  xs: Vec[];
  g: Vec[];
  u: Vec[];
  h: Vec[];
  y: Vec[];
}

/** Forward of the block on x[T, d]: returns out[T, d], the router logits and the cache for backward. */
export function moeForward(
  x: Vec, gate: Vec, experts: ExpertWeights[], t: number, d: number, inter: number, k: number,
): { out: Vec; logits: Vec; cache: MoeCache } {
  const e = experts.length;
  const logits = linearForward(x, gate, t, d, e);
  const routing = routeTopK(logits, t, e, k);
  const rowsList: number[][] = Array.from({ length: e }, () => []);
  const ranksList: number[][] = Array.from({ length: e }, () => []);
  for (let r = 0; r < t; r++) {
    for (let s = 0; s < k; s++) {
      const ex = routing.experts[r * k + s];
      rowsList[ex].push(r);
      ranksList[ex].push(s);
    }
  }
  const out = like(x, t * d);
  const cache: MoeCache = { x, routing, rows: [], ranks: [], xs: [], g: [], u: [], h: [], y: [] };
  for (let ex = 0; ex < e; ex++) {
    const rows = Int32Array.from(rowsList[ex]);
    const ranks = Int32Array.from(ranksList[ex]);
    const n = rows.length;
    const xs = like(x, n * d);
    for (let i = 0; i < n; i++) xs.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
    const w = experts[ex];
    const g = n ? linearForward(xs, w.w1, n, d, inter) : like(x, 0);
    const u = n ? linearForward(xs, w.w3, n, d, inter) : like(x, 0);
    const h = swigluForward(g, u);
    const y = n ? linearForward(h, w.w2, n, inter, d) : like(x, 0);
    for (let i = 0; i < n; i++) {
      const wt = routing.weights[rows[i] * k + ranks[i]];
      const oo = rows[i] * d;
      for (let j = 0; j < d; j++) out[oo + j] += wt * y[i * d + j];
    }
    cache.rows.push(rows);
    cache.ranks.push(ranks);
    cache.xs.push(xs);
    cache.g.push(g);
    cache.u.push(u);
    cache.h.push(h);
    cache.y.push(y);
  }
  return { out, logits, cache };
}

/**
 * Backward of moeForward: accumulates the gate's and experts' gradients and returns dx. `dAuxLogits`
 * (the load-balancing loss's gradient, already scaled) is added to the router logits' gradient.
 */
export function moeBackward(
  dOut: Vec, cache: MoeCache, gate: Vec, experts: ExpertWeights[], dGate: Vec, dExperts: ExpertWeights[],
  t: number, d: number, inter: number, k: number, dAuxLogits?: Float64Array,
): Vec {
  const e = experts.length;
  const { x, routing } = cache;
  const dx = like(x, t * d);
  // dL/d(weight of rank s at token r) = dOut[r] · y_expert(x_r).
  const dW = new Float64Array(t * k);
  for (let ex = 0; ex < e; ex++) {
    const rows = cache.rows[ex];
    const ranks = cache.ranks[ex];
    const n = rows.length;
    if (n === 0) continue;
    const y = cache.y[ex];
    const dy = like(x, n * d);
    for (let i = 0; i < n; i++) {
      const wt = routing.weights[rows[i] * k + ranks[i]];
      const oo = rows[i] * d;
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += dOut[oo + j] * y[i * d + j];
        dy[i * d + j] = wt * dOut[oo + j];
      }
      dW[rows[i] * k + ranks[i]] = s;
    }
    const dh = linearBackward(dy, cache.h[ex], experts[ex].w2, dExperts[ex].w2, n, inter, d) as Vec;
    const { dg, du } = swigluBackward(dh, cache.g[ex], cache.u[ex]);
    const dxs = linearBackward(dg, cache.xs[ex], experts[ex].w1, dExperts[ex].w1, n, d, inter) as Vec;
    const dxs2 = linearBackward(du, cache.xs[ex], experts[ex].w3, dExperts[ex].w3, n, d, inter) as Vec;
    for (let i = 0; i < n; i++) {
      const oo = rows[i] * d;
      for (let j = 0; j < d; j++) dx[oo + j] += dxs[i * d + j] + dxs2[i * d + j];
    }
  }
  // The kept weights are a softmax over the top-k logits alone (renormalising the full softmax cancels the
  // rest), so dlogit[e_s] = w_s·(dW_s − Σ_q w_q·dW_q) and the other experts' logits get nothing from the loss.
  const dLogits = like(x, t * e);
  for (let r = 0; r < t; r++) {
    let dot = 0;
    for (let s = 0; s < k; s++) dot += routing.weights[r * k + s] * dW[r * k + s];
    for (let s = 0; s < k; s++) {
      dLogits[r * e + routing.experts[r * k + s]] += routing.weights[r * k + s] * (dW[r * k + s] - dot);
    }
  }
  if (dAuxLogits) for (let i = 0; i < dLogits.length; i++) dLogits[i] += dAuxLogits[i];
  const dx2 = linearBackward(dLogits, x, gate, dGate, t, d, e) as Vec;
  for (let i = 0; i < dx.length; i++) dx[i] += dx2[i];
  return dx;
}
