// Forward and hand-written backward passes for every op of the embedded Llama-style model.
// The forward kernels (matmul, RMSNorm, RoPE, SwiGLU, softmax, transpose) are the core's one tensor library
// (src/core/tensor), shared with the inference runtime; what stays here is what training adds: the values
// kept for backward and the backward passes themselves.
import { like, matmulABt, wasmMatmulInUse, type Vec } from '../tensor/matmul';
import { applyRope, gatherHead, rmsNorm, softmaxInPlace, swiglu, transpose, type RopeTables } from '../tensor/kernels';

export { like, matmulABt, useWasmMatmul } from '../tensor/matmul';
export type { Vec } from '../tensor/matmul';
export { transpose, ropeTables } from '../tensor/kernels';

/** y[T,out] = x[T,in] · Wᵀ with W stored [out,in] (the Hugging Face nn.Linear layout). */
export function linearForward(x: Vec, w: Vec, t: number, inDim: number, outDim: number): Vec {
  return matmulABt(x, w, t, inDim, outDim, like(x, t * outDim));
}

/** Backward of linearForward: dW += dyᵀ·x, returns dx = dy·W (or undefined when not needed). */
export function linearBackward(
  dy: Vec, x: Vec, w: Vec, dw: Vec, t: number, inDim: number, outDim: number, needDx = true,
): Vec | undefined {
  const dyT = transpose(dy, t, outDim);
  const xT = transpose(x, t, inDim);
  matmulABt(dyT, xT, outDim, t, inDim, dw, true);
  if (!needDx) return undefined;
  const wT = transpose(w, outDim, inDim);
  return matmulABt(dy, wT, t, outDim, inDim, like(x, t * inDim));
}

/** Rows of the embedding table E[V,d] for `ids`. */
export function embeddingForward(ids: ArrayLike<number>, e: Vec, d: number): Vec {
  const out = like(e, ids.length * d);
  for (let t = 0; t < ids.length; t++) out.set(e.subarray(ids[t] * d, ids[t] * d + d), t * d);
  return out;
}

/** Backward of embeddingForward: scatter-adds dx rows into dE. */
export function embeddingBackward(ids: ArrayLike<number>, dx: Vec, de: Vec, d: number): void {
  for (let t = 0; t < ids.length; t++) {
    const eo = ids[t] * d;
    const xo = t * d;
    for (let j = 0; j < d; j++) de[eo + j] += dx[xo + j];
  }
}

/** RMSNorm per row (the tensor library's rmsNorm), returning y and the per-row inverse RMS for backward. */
export function rmsNormForward(x: Vec, w: Vec, t: number, d: number, eps: number): { y: Vec; inv: Float64Array } {
  const inv = new Float64Array(t);
  return { y: rmsNorm(x, t, d, w, eps, inv), inv };
}

/** Backward of rmsNormForward: dw += Σ dy·x·inv; dx = inv·g − inv³·x·(g·x)/d with g = dy·w. */
export function rmsNormBackward(dy: Vec, x: Vec, w: Vec, inv: Float64Array, dw: Vec, t: number, d: number): Vec {
  const dx = like(x, t * d);
  for (let r = 0; r < t; r++) {
    const o = r * d;
    const iv = inv[r];
    let gx = 0;
    for (let j = 0; j < d; j++) {
      gx += dy[o + j] * w[j] * x[o + j];
      dw[j] += dy[o + j] * x[o + j] * iv;
    }
    const c = (iv * iv * iv * gx) / d;
    for (let j = 0; j < d; j++) dx[o + j] = iv * dy[o + j] * w[j] - c * x[o + j];
  }
  return dx;
}

/**
 * RoPE in place on x[T, heads·headDim] with the Hugging Face half-split pairing (the tensor library's
 * applyRope). `inverse` rotates by −angle, which is exactly the backward pass (rotations are orthogonal).
 */
export function ropeApply(x: Vec, t: number, heads: number, headDim: number, tables: RopeTables, inverse = false): void {
  applyRope(x, t, heads, headDim, tables, inverse, 'half');
}

/** Shape of one causal GQA attention call. */
export interface AttentionDims {
  t: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
}

/**
 * Causal self-attention with grouped KV heads: q[T, Hq·hd], k,v[T, Hkv·hd] → out[T, Hq·hd].
 * Query head h reads KV head floor(h / (Hq/Hkv)). Returns the probabilities probs[h][i·T + j] for backward.
 */
export function attentionForward(q: Vec, k: Vec, v: Vec, dims: AttentionDims): { out: Vec; probs: Vec } {
  if (useBlockedAttention(q)) return attentionForwardBlocked(q as Float32Array, k as Float32Array, v as Float32Array, dims);
  const { t, qHeads, kvHeads, headDim } = dims;
  const group = qHeads / kvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const out = like(q, t * qHeads * headDim);
  const probs = like(q, qHeads * t * t);
  const qs = qHeads * headDim;
  const ks = kvHeads * headDim;
  const row = new Float64Array(t);
  for (let h = 0; h < qHeads; h++) {
    const kh = Math.floor(h / group) * headDim;
    const qh = h * headDim;
    for (let i = 0; i < t; i++) {
      const qo = i * qs + qh;
      for (let j = 0; j <= i; j++) {
        const ko = j * ks + kh;
        let s = 0;
        for (let p = 0; p < headDim; p++) s += q[qo + p] * k[ko + p];
        row[j] = s;
      }
      softmaxInPlace(row, 0, i + 1, scale);
      const po = (h * t + i) * t;
      const oo = i * qs + qh;
      for (let j = 0; j <= i; j++) {
        const pr = row[j];
        probs[po + j] = pr;
        const vo = j * ks + kh;
        for (let p = 0; p < headDim; p++) out[oo + p] += pr * v[vo + p];
      }
    }
  }
  return { out, probs };
}

/** Backward of attentionForward: returns dq, dk, dv (dk/dv summed over the query heads sharing them). */
export function attentionBackward(
  dOut: Vec, q: Vec, k: Vec, v: Vec, probs: Vec, dims: AttentionDims,
): { dq: Vec; dk: Vec; dv: Vec } {
  if (useBlockedAttention(q)) {
    return attentionBackwardBlocked(dOut as Float32Array, q as Float32Array, k as Float32Array, v as Float32Array, probs as Float32Array, dims);
  }
  const { t, qHeads, kvHeads, headDim } = dims;
  const group = qHeads / kvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const qs = qHeads * headDim;
  const ks = kvHeads * headDim;
  const dq = like(q, q.length);
  const dk = like(k, k.length);
  const dv = like(v, v.length);
  const dp = new Float64Array(t);
  for (let h = 0; h < qHeads; h++) {
    const kh = Math.floor(h / group) * headDim;
    const qh = h * headDim;
    for (let i = 0; i < t; i++) {
      const oo = i * qs + qh;
      const po = (h * t + i) * t;
      let dot = 0;
      for (let j = 0; j <= i; j++) {
        const vo = j * ks + kh;
        const pr = probs[po + j];
        let s = 0;
        for (let p = 0; p < headDim; p++) {
          s += dOut[oo + p] * v[vo + p];
          dv[vo + p] += pr * dOut[oo + p];
        }
        dp[j] = s;
        dot += pr * s;
      }
      // Softmax backward: dS = P ⊙ (dP − Σ P·dP), then through the 1/√d scale into q and k.
      for (let j = 0; j <= i; j++) {
        const ds = probs[po + j] * (dp[j] - dot) * scale;
        if (ds === 0) continue;
        const ko = j * ks + kh;
        for (let p = 0; p < headDim; p++) {
          dq[oo + p] += ds * k[ko + p];
          dk[ko + p] += ds * q[oo + p];
        }
      }
    }
  }
  return { dq, dk, dv };
}

/** The matrix-product form of attention pays off only with the SIMD kernel (it computes the masked half too). */
function useBlockedAttention(q: Vec): boolean {
  return wasmMatmulInUse() && q instanceof Float32Array;
}

/** Adds a contiguous [T, hd] block into head h's columns of x[T, heads·hd], times `scale`. */
function scatterAddHead(x: Float32Array, block: Float32Array, t: number, heads: number, hd: number, h: number, scale = 1): void {
  for (let i = 0; i < t; i++) {
    const o = (i * heads + h) * hd;
    for (let p = 0; p < hd; p++) x[o + p] += block[i * hd + p] * scale;
  }
}

/** attentionForward through matrix products per head: S = Q·Kᵀ, masked softmax, O = P·V. */
function attentionForwardBlocked(q: Float32Array, k: Float32Array, v: Float32Array, dims: AttentionDims): { out: Vec; probs: Vec } {
  const { t, qHeads, kvHeads, headDim: hd } = dims;
  const group = qHeads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const out = new Float32Array(t * qHeads * hd);
  const probs = new Float32Array(qHeads * t * t);
  const kBlocks = Array.from({ length: kvHeads }, (_, g) => gatherHead(k, t, kvHeads, hd, g));
  const vT = Array.from({ length: kvHeads }, (_, g) => transpose(gatherHead(v, t, kvHeads, hd, g), t, hd) as Float32Array);
  const oh = new Float32Array(t * hd);
  for (let h = 0; h < qHeads; h++) {
    const g = Math.floor(h / group);
    const p = probs.subarray(h * t * t, (h + 1) * t * t);
    matmulABt(gatherHead(q, t, qHeads, hd, h), kBlocks[g], t, hd, t, p);
    for (let i = 0; i < t; i++) {
      const r = i * t;
      softmaxInPlace(p, r, r + i + 1, scale);
      for (let j = i + 1; j < t; j++) p[r + j] = 0;
    }
    matmulABt(p, vT[g], t, t, hd, oh);
    scatterAddHead(out, oh, t, qHeads, hd, h);
  }
  return { out, probs };
}

/** attentionBackward through matrix products per head (same maths as the loop version). */
function attentionBackwardBlocked(
  dOut: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, dims: AttentionDims,
): { dq: Vec; dk: Vec; dv: Vec } {
  const { t, qHeads, kvHeads, headDim: hd } = dims;
  const group = qHeads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const dq = new Float32Array(q.length);
  const dk = new Float32Array(k.length);
  const dv = new Float32Array(v.length);
  const kBlocks = Array.from({ length: kvHeads }, (_, g) => gatherHead(k, t, kvHeads, hd, g));
  const kT = kBlocks.map((b) => transpose(b, t, hd) as Float32Array);
  const vBlocks = Array.from({ length: kvHeads }, (_, g) => gatherHead(v, t, kvHeads, hd, g));
  const dp = new Float32Array(t * t);
  const block = new Float32Array(t * hd);
  for (let h = 0; h < qHeads; h++) {
    const g = Math.floor(h / group);
    const p = probs.subarray(h * t * t, (h + 1) * t * t);
    const doh = gatherHead(dOut, t, qHeads, hd, h);
    // dV_g += Pᵀ·dO ; dP = dO·Vᵀ
    matmulABt(transpose(p, t, t), transpose(doh, t, hd), t, t, hd, block);
    scatterAddHead(dv, block, t, kvHeads, hd, g);
    matmulABt(doh, vBlocks[g], t, hd, t, dp);
    // dS = P ⊙ (dP − rowsum(P ⊙ dP)); the masked entries have P = 0 and stay 0.
    for (let i = 0; i < t; i++) {
      const r = i * t;
      let dot = 0;
      for (let j = 0; j <= i; j++) dot += p[r + j] * dp[r + j];
      for (let j = 0; j <= i; j++) dp[r + j] = p[r + j] * (dp[r + j] - dot);
      for (let j = i + 1; j < t; j++) dp[r + j] = 0;
    }
    // dQ_h = dS·K · scale ; dK_g += dSᵀ·Q_h · scale
    matmulABt(dp, kT[g], t, t, hd, block);
    scatterAddHead(dq, block, t, qHeads, hd, h, scale);
    matmulABt(transpose(dp, t, t), transpose(gatherHead(q, t, qHeads, hd, h), t, hd), t, t, hd, block);
    scatterAddHead(dk, block, t, kvHeads, hd, g, scale);
  }
  return { dq, dk, dv };
}

/** SwiGLU gate: h = silu(g) · u, silu(g) = g·σ(g) (the tensor library's swiglu, into a new buffer). */
export function swigluForward(g: Vec, u: Vec): Vec {
  return swiglu(g, u);
}

/** Backward of swigluForward: du = dh·silu(g), dg = dh·u·σ(g)·(1 + g·(1 − σ(g))). */
export function swigluBackward(dh: Vec, g: Vec, u: Vec): { dg: Vec; du: Vec } {
  const dg = like(g, g.length);
  const du = like(u, u.length);
  for (let i = 0; i < g.length; i++) {
    const x = g[i];
    const sg = 1 / (1 + Math.exp(-x));
    du[i] = dh[i] * x * sg;
    dg[i] = dh[i] * u[i] * sg * (1 + x * (1 - sg));
  }
  return { dg, du };
}

/**
 * Softmax cross-entropy over rows of logits[T,V] against targets. Returns the summed loss and
 * dlogits = (softmax − onehot) · gradScale (gradScale = 1/number of tokens in the whole batch).
 */
export function crossEntropy(
  logits: Vec, targets: ArrayLike<number>, t: number, vocab: number, gradScale: number,
): { lossSum: number; dlogits: Vec } {
  const dlogits = like(logits, logits.length);
  let lossSum = 0;
  for (let r = 0; r < t; r++) {
    const o = r * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[o + j] - max);
    const logZ = max + Math.log(sum);
    const y = targets[r];
    lossSum += logZ - logits[o + y];
    for (let j = 0; j < vocab; j++) dlogits[o + j] = Math.exp(logits[o + j] - logZ) * gradScale;
    dlogits[o + y] -= gradScale;
  }
  return { lossSum, dlogits };
}
