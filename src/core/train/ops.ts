// Forward and hand-written backward passes for every op of the embedded Llama-style model.
// Each op works on Float32Array (training) or Float64Array (gradient checks in tests); shapes are row-major.

import { matmulABtWasm, wasmMatmulAvailable } from '../wasm/matmul';

/** A dense buffer: Float32Array for training, Float64Array for precise gradient checks. */
export type Vec = Float32Array | Float64Array;

/** A zero buffer of length n with the same element type as `x`. */
export function like(x: Vec, n: number): Vec {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Transpose of a [rows, cols] matrix. */
export function transpose(a: Vec, rows: number, cols: number, out: Vec = like(a, rows * cols)): Vec {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[ro + c];
  }
  return out;
}

/**
 * C[m,n] (+)= A[m,k] · B[n,k]ᵀ. Both operands are read along rows (dot products), blocked 4 rows of A by
 * 4 rows of B so each loaded value feeds four accumulators (about 1.5x the speed of a 1x1 loop in V8).
 */
export function matmulABt(a: Vec, b: Vec, m: number, k: number, n: number, out: Vec, accumulate = false): Vec {
  if (
    wasmOn && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array
    && m * n * k >= 4096 && matmulABtWasm(a, b, m, k, n, out, accumulate)
  ) {
    return out;
  }
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
        const y0 = b[b0 + p], y1 = b[b1 + p], y2 = b[b2 + p], y3 = b[b3 + p];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      if (accumulate) {
        out[c0 + j] += s00; out[c0 + j + 1] += s01; out[c0 + j + 2] += s02; out[c0 + j + 3] += s03;
        out[c1 + j] += s10; out[c1 + j + 1] += s11; out[c1 + j + 2] += s12; out[c1 + j + 3] += s13;
        out[c2 + j] += s20; out[c2 + j + 1] += s21; out[c2 + j + 2] += s22; out[c2 + j + 3] += s23;
        out[c3 + j] += s30; out[c3 + j + 1] += s31; out[c3 + j + 2] += s32; out[c3 + j + 3] += s33;
      } else {
        out[c0 + j] = s00; out[c0 + j + 1] = s01; out[c0 + j + 2] = s02; out[c0 + j + 3] = s03;
        out[c1 + j] = s10; out[c1 + j + 1] = s11; out[c1 + j + 2] = s12; out[c1 + j + 3] = s13;
        out[c2 + j] = s20; out[c2 + j + 1] = s21; out[c2 + j + 2] = s22; out[c2 + j + 3] = s23;
        out[c3 + j] = s30; out[c3 + j + 1] = s31; out[c3 + j + 2] = s32; out[c3 + j + 3] = s33;
      }
    }
    for (let j = n4; j < n; j++) dotRows(a, b, k, n, i, 4, j, out, accumulate);
  }
  for (let i = m4; i < m; i++) for (let j = 0; j < n; j++) dotRows(a, b, k, n, i, 1, j, out, accumulate);
  return out;
}

let wasmOn = false;

/**
 * Routes float32 products through the WebAssembly SIMD kernel of src/core/wasm (about 4x the JavaScript
 * loop per CPU second) when `on`; returns whether the kernel is in use. Per thread.
 */
export function useWasmMatmul(on: boolean): boolean {
  wasmOn = on && wasmMatmulAvailable();
  return wasmOn;
}

/** The remainder path of matmulABt: rows i..i+rows-1 of A against row j of B. */
function dotRows(a: Vec, b: Vec, k: number, n: number, i: number, rows: number, j: number, out: Vec, accumulate: boolean): void {
  const bo = j * k;
  for (let r = i; r < i + rows; r++) {
    const ao = r * k;
    let s = 0;
    for (let p = 0; p < k; p++) s += a[ao + p] * b[bo + p];
    if (accumulate) out[r * n + j] += s;
    else out[r * n + j] = s;
  }
}

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

/** RMSNorm per row: y = x / sqrt(mean(x²) + eps) · w. Returns y and the per-row inverse RMS for backward. */
export function rmsNormForward(x: Vec, w: Vec, t: number, d: number, eps: number): { y: Vec; inv: Float64Array } {
  const y = like(x, t * d);
  const inv = new Float64Array(t);
  for (let r = 0; r < t; r++) {
    const o = r * d;
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[o + j] * x[o + j];
    const iv = 1 / Math.sqrt(ss / d + eps);
    inv[r] = iv;
    for (let j = 0; j < d; j++) y[o + j] = x[o + j] * iv * w[j];
  }
  return { y, inv };
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

/** cos/sin tables [T, headDim/2] for RoPE: angle = position · theta^(−2i/headDim). */
export function ropeTables(t: number, headDim: number, theta: number): { cos: Float64Array; sin: Float64Array } {
  const half = headDim / 2;
  const cos = new Float64Array(t * half);
  const sin = new Float64Array(t * half);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(theta, (-2 * i) / headDim);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/**
 * RoPE in place on x[T, heads·headDim] with the Hugging Face half-split pairing (element i rotates with
 * i + headDim/2). `inverse` rotates by −angle, which is exactly the backward pass (rotations are orthogonal).
 */
export function ropeApply(
  x: Vec, t: number, heads: number, headDim: number, tables: { cos: Float64Array; sin: Float64Array }, inverse = false,
): void {
  const half = headDim / 2;
  const s = inverse ? -1 : 1;
  for (let p = 0; p < t; p++) {
    for (let h = 0; h < heads; h++) {
      const o = (p * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = tables.cos[p * half + i];
        const sn = s * tables.sin[p * half + i];
        const x1 = x[o + i];
        const x2 = x[o + i + half];
        x[o + i] = x1 * c - x2 * sn;
        x[o + i + half] = x1 * sn + x2 * c;
      }
    }
  }
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
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        const ko = j * ks + kh;
        let s = 0;
        for (let p = 0; p < headDim; p++) s += q[qo + p] * k[ko + p];
        s *= scale;
        row[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        const e = Math.exp(row[j] - max);
        row[j] = e;
        sum += e;
      }
      const po = (h * t + i) * t;
      const oo = i * qs + qh;
      for (let j = 0; j <= i; j++) {
        const pr = row[j] / sum;
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
  return wasmOn && q instanceof Float32Array;
}

/** Copies head h's columns out of x[T, heads·hd] into a contiguous [T, hd] block. */
function gatherHead(x: Float32Array, t: number, heads: number, hd: number, h: number): Float32Array {
  const out = new Float32Array(t * hd);
  for (let i = 0; i < t; i++) out.set(x.subarray((i * heads + h) * hd, (i * heads + h + 1) * hd), i * hd);
  return out;
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
      let max = -Infinity;
      for (let j = 0; j <= i; j++) if (p[r + j] * scale > max) max = p[r + j] * scale;
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        const e = Math.exp(p[r + j] * scale - max);
        p[r + j] = e;
        sum += e;
      }
      for (let j = 0; j <= i; j++) p[r + j] /= sum;
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

/** SwiGLU gate: h = silu(g) · u, silu(g) = g·σ(g). */
export function swigluForward(g: Vec, u: Vec): Vec {
  const h = like(g, g.length);
  for (let i = 0; i < g.length; i++) {
    const x = g[i];
    h[i] = (x / (1 + Math.exp(-x))) * u[i];
  }
  return h;
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
 * Softmax cross-entropy over rows of logits[T,V] against targets. Returns the summed loss, the number of
 * counted positions and dlogits = (softmax − onehot) · gradScale (gradScale = 1/number of tokens in the whole
 * batch). A negative target is ignored (no loss, no gradient), like PyTorch's ignore_index.
 */
export function crossEntropy(
  logits: Vec, targets: ArrayLike<number>, t: number, vocab: number, gradScale: number,
): { lossSum: number; dlogits: Vec; counted: number } {
  const dlogits = like(logits, logits.length);
  let lossSum = 0;
  let counted = 0;
  for (let r = 0; r < t; r++) {
    if (targets[r] < 0) continue;
    counted++;
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
  return { lossSum, dlogits, counted };
}
