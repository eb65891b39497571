// The one matrix-product library of the core, used by the forward pass and by training alike:
// C = A·Bᵀ (both operands read along rows, the PyTorch nn.Linear layout [out, in]) with the WebAssembly
// SIMD kernel of wasmMatmul.ts for float32, and one blocked JavaScript loop for everything else
// (float64 gradient checks, small products, runtimes without SIMD).
import { attentionWasm, gatedMlpWasm, linearsWasm, matVecWasm, matmulABtWasm, matmulThreads, wasmMatmulAvailable, type RowNorm } from './wasmMatmul';
import type { WeightMatrix } from './weights';

export { useMatmulThreads, matmulThreads, stopMatmulThreads, type RowNorm } from './wasmMatmul';

/** A dense buffer: Float32Array for inference and training, Float64Array for precise gradient checks. */
export type Vec = Float32Array | Float64Array;

/** A zero buffer of length n with the same element type as `x`. */
export function like<T extends Vec>(x: T, n: number): T {
  return (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

let wasmOn = wasmMatmulAvailable();

/**
 * The one kernel switch: routes float32 products through the WebAssembly SIMD kernel (about 4x the
 * JavaScript loop per CPU second) when `on` and available; returns whether it is in use. Per thread; on by
 * default where WebAssembly SIMD exists.
 */
export function useWasmMatmul(on: boolean): boolean {
  wasmOn = on && wasmMatmulAvailable();
  return wasmOn;
}

/** Whether float32 products currently go through the WebAssembly kernel. */
export function wasmMatmulInUse(): boolean {
  return wasmOn;
}

/**
 * C[m,n] (+)= A[m,k] · B[n,k]ᵀ. Float32 products of some size go to the SIMD kernel; otherwise a JS loop
 * blocked 4 rows of A by 4 rows of B so each loaded value feeds four accumulators (about 1.5x a 1x1 loop in V8).
 */
export function matmulABt<T extends Vec>(a: Vec, b: Vec, m: number, k: number, n: number, out: T, accumulate = false): T {
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

/** y[o] = Σ_i x[i] · w[o, i] (+ bias[o]) for one row: four independent sums per dot product, one pass over w. */
export function matVec(x: Float32Array, inDim: number, w: Float32Array, outDim: number, bias?: Float32Array): Float32Array {
  const y = new Float32Array(outDim);
  const end4 = inDim - (inDim % 4);
  for (let o = 0; o < outDim; o++) {
    const b = o * inDim;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i < end4; i += 4) {
      s0 += x[i] * w[b + i];
      s1 += x[i + 1] * w[b + i + 1];
      s2 += x[i + 2] * w[b + i + 2];
      s3 += x[i + 3] * w[b + i + 3];
    }
    for (; i < inDim; i++) s0 += x[i] * w[b + i];
    y[o] = s0 + s1 + s2 + s3 + (bias ? bias[o] : 0);
  }
  return y;
}

/** y[r, o] = Σ_i x[r, i] · w[o, i] (+ bias[o]) for float32 operands: x rows × inDim, w outDim × inDim. */
export function linearF32(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias?: Float32Array): Float32Array {
  // A single row (the last position's logits, a decoding step) would be padded to 4 and copy the whole
  // weight matrix into the kernel's memory; a plain matrix-vector product is as fast and keeps that memory small.
  // A weight resident in the kernel's memory (the LM head) is split by rows across the thread team, same loop.
  if (rows === 1) return (wasmOn && !bias ? matVecWasm(x, inDim, w, outDim) : undefined) ?? matVec(x, inDim, w, outDim, bias);
  const y = matmulABt(x, w, rows, inDim, outDim, new Float32Array(rows * outDim));
  if (bias) {
    for (let r = 0; r < rows; r++) {
      const y0 = r * outDim;
      for (let o = 0; o < outDim; o++) y[y0 + o] += bias[o];
    }
  }
  return y;
}

/**
 * act(x·Wgᵀ) ⊙ (x·Wuᵀ) ·Wdᵀ for float32 weights on the SIMD kernel (gate, up and the activation on each thread's
 * band at once: wasmMatmul.ts gatedMlpWasm), when linear() would run both products there (the kernel on, more
 * than one row, the same size threshold as matmulABt); undefined otherwise, for the caller's step-by-step path.
 * With `norm`, x is the residual stream and its RMSNorm (kernels.ts rmsNorm's values) is taken on the team first.
 */
export function gatedMlpF32(x: Float32Array, rows: number, gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix, act: 'swiglu' | 'geglu', norm?: RowNorm): Float32Array | undefined {
  const f32 = (w: WeightMatrix): boolean => w.type === 'f32' && !w.stream && w.data instanceof Float32Array;
  const inDim = gate.cols, inter = gate.rows;
  // On one thread the norm costs the same in kernels.ts and saves a copy there: the caller normalises first.
  if (norm && matmulThreads() === 1) return undefined;
  if (!wasmOn || rows < 2 || rows * inDim * inter < 4096 || !f32(gate) || !f32(up) || !f32(down)) return undefined;
  if (up.rows !== inter || up.cols !== inDim || down.rows !== inDim || down.cols !== inter) return undefined;
  return gatedMlpWasm(x, rows, inDim, gate.data as Float32Array, up.data as Float32Array, down.data as Float32Array, inter, act, norm);
}

/**
 * Every head's causal attention on the SIMD kernel, heads split across the thread team (wasmMatmul.ts
 * attentionWasm), when the kernel is on with more than one thread and that path applies; undefined otherwise (the
 * caller's per-head path, identical values).
 */
export function attentionF32(
  q: Float32Array, T: number, k: Float32Array, v: Float32Array, S: number, P: number, start: number, heads: number, kvHeads: number, d: number,
  scale: number, window: number | undefined, softcap: number | undefined, wantProbs: boolean,
): { probs: Float32Array[]; out: Float32Array } | undefined {
  // On one thread the per-head path computes the same values without copying q, k, v and the probabilities in
  // and out of the kernel's memory (about 10% faster there); the team's path pays off from two threads.
  return wasmOn && matmulThreads() > 1 ? attentionWasm(q, T, k, v, S, P, start, heads, kvHeads, d, scale, window, softcap, wantProbs) : undefined;
}

/**
 * linearF32 of several float32 matrices over the same x (a layer's q, k and v, with their biases): one copy of x
 * and one team run on the SIMD kernel (wasmMatmul.ts linearsWasm) where linearF32 would use the kernel for each
 * (the kernel on, more than one row, the same size threshold as matmulABt); undefined otherwise. Identical values.
 * With `norm`, x is the residual stream and its RMSNorm is taken on the team first (kernels.ts rmsNorm's values).
 */
export function linearsF32(x: Float32Array, rows: number, ws: readonly WeightMatrix[], biases: readonly (Float32Array | undefined)[], norm?: RowNorm): Float32Array[] | undefined {
  const inDim = ws[0].cols;
  // On one thread the norm costs the same in kernels.ts and saves a copy there: the caller normalises first.
  if (norm && matmulThreads() === 1) return undefined;
  if (!wasmOn || rows < 2 || ws.some((w) => w.type !== 'f32' || w.stream || !(w.data instanceof Float32Array) || w.cols !== inDim || rows * inDim * w.rows < 4096)) return undefined;
  const ys = linearsWasm(x, rows, inDim, ws.map((w) => w.data as Float32Array), ws.map((w) => w.rows), norm);
  if (!ys) return undefined;
  ys.forEach((y, i) => {
    const bias = biases[i];
    const outDim = ws[i].rows;
    // As linearF32 adds a bias: after the product, rounded to float32 per element.
    if (bias) for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) y[r * outDim + o] += bias[o];
  });
  return ys;
}
