// The plain-JavaScript operations of the kernel's thread team (threads.ts OP_JS): elementwise and per-row work
// of the forward pass run by every thread on its share of the kernel's shared memory, next to the SIMD
// products, so that work is split across cores too (ggml does the same: every op, not only the products, is
// split across its threads — ggml/src/ggml-cpu/ops.cpp, e.g. ggml_compute_forward_rms_norm_f32 takes rows
// i01 = ith, ith + nth, … and sums in double, as rmsNormRowsOp below does). The workers cannot import the core (it is bundled and minified, none of it a worker
// entry), so they receive these functions' own source text (Function.prototype.toString): each must be
// self-contained — only its arguments, Math and typed arrays, no other function of this file or the core.
// The arithmetic is the same JavaScript as kernels.ts / matmul.ts (float64 intermediates, Math.exp, rounded to
// float32 on store), so results are identical to the single-thread path and do not depend on the thread count.

/** A team operation: `ex` the kernel instance's exports, `buf` its memory's buffer now, `a` the op (a[0] OP_JS, a[1] its index, then arguments). */
export type TeamJsOp = (ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>) => void;

/**
 * Work is split into chunks that the threads claim one at a time from a shared counter (Atomics.add), so a
 * thread the machine slows down (a shared 2-core machine) takes fewer and nobody waits long for it: ggml's
 * dynamic chunking of mul_mat (ggml/src/ggml-cpu/ggml-cpu.c ggml_compute_forward_mul_mat: each thread takes the
 * next chunk with atomic_fetch_add on threadpool->current_chunk until none is left). Which thread computes
 * a chunk never changes its values: every output is the same computation whoever does it.
 */

/**
 * y = x·wᵀ in chunks of `chunk` weight rows (even): the SIMD kernel on each. Arguments: counter (byte
 * pointer of an Int32 set to 0 before the run), x, w, y (byte pointers), rows, inDim, outDim, yStride, chunk.
 */
export function matmulChunksOp(ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const x = a[3] >>> 0, w = a[4] >>> 0, y = a[5] >>> 0, rows = a[6], inDim = a[7], outDim = a[8], yStride = a[9], chunk = a[10];
  const matmul = ex.matmul as (x: number, w: number, y: number, rows: number, inDim: number, outDim: number, yStride: number) => void;
  for (let o0 = Atomics.add(counter, at, 1) * chunk; o0 < outDim; o0 = Atomics.add(counter, at, 1) * chunk) {
    matmul(x, w + o0 * inDim * 4, y + o0 * 4, rows, inDim, Math.min(chunk, outDim - o0), yStride);
  }
}

/**
 * RMSNorm of rows in chunks of `chunk` rows, into a separate buffer: kernels.ts rmsNorm's arithmetic (the sum of
 * squares in float64 in index order, 1/√(mean + eps), x·iv·w rounded to float32). Arguments: counter, then a
 * Float64 block's byte address: [src, w, dst (byte pointers), rows, dim, eps, chunk].
 */
export function rmsNormRowsOp(_ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const m = new Float64Array(buf, a[3] >>> 0, 7);
  const src = m[0] / 4, w = m[1] / 4, dst = m[2] / 4, rows = m[3], dim = m[4], eps = m[5], chunk = m[6];
  const f = new Float32Array(buf);
  for (let r0 = Atomics.add(counter, at, 1) * chunk; r0 < rows; r0 = Atomics.add(counter, at, 1) * chunk) {
    const r1 = Math.min(rows, r0 + chunk);
    // Two rows' sums side by side (independent chains, each row in its own order), as kernels.ts rmsNorm does.
    let r = r0;
    for (; r + 2 <= r1; r += 2) {
      const a0 = src + r * dim, a1 = a0 + dim;
      let s0 = 0, s1 = 0;
      for (let i = 0; i < dim; i++) {
        s0 += f[a0 + i] * f[a0 + i];
        s1 += f[a1 + i] * f[a1 + i];
      }
      const i0 = 1 / Math.sqrt(s0 / dim + eps), i1 = 1 / Math.sqrt(s1 / dim + eps);
      const d0 = dst + r * dim, d1 = d0 + dim;
      for (let i = 0; i < dim; i++) {
        f[d0 + i] = f[a0 + i] * i0 * f[w + i];
        f[d1 + i] = f[a1 + i] * i1 * f[w + i];
      }
    }
    for (; r < r1; r++) {
      const base = r * dim;
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += f[src + base + i] * f[src + base + i];
      const iv = 1 / Math.sqrt(ss / dim + eps);
      for (let i = 0; i < dim; i++) f[dst + base + i] = f[src + base + i] * iv * f[w + i];
    }
  }
}

/**
 * Several products of the same x at once (q, k and v): chunks of output columns from a table, so one wake-up of
 * the team covers all of them. Arguments: counter, then the table's byte address: a Float64 block [chunks, x,
 * rows, inDim, then per chunk: w, y, outDim, yStride] (w and y already offset to the chunk's first column).
 */
export function matmulTableOp(ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const head = new Float64Array(buf, a[3] >>> 0, 4);
  const chunks = head[0], x = head[1], rows = head[2], inDim = head[3];
  const table = new Float64Array(buf, (a[3] >>> 0) + 32, chunks * 4);
  const matmul = ex.matmul as (x: number, w: number, y: number, rows: number, inDim: number, outDim: number, yStride: number) => void;
  for (let c = Atomics.add(counter, at, 1); c < chunks; c = Atomics.add(counter, at, 1)) {
    matmul(x, table[4 * c], table[4 * c + 1], rows, inDim, table[4 * c + 2], table[4 * c + 3]);
  }
}

/**
 * Gated MLP, first half, in chunks of `chunk` columns (even) of the intermediate: G = X·Wgᵀ and U = X·Wuᵀ with
 * the SIMD kernel, then G = act(G) · U in place over the chunk (act 0: SiLU (SwiGLU), 1: GELU tanh (GeGLU)):
 * the same expressions as kernels.ts swiglu / geluTanh. Arguments: counter, x, wGate, wUp, g, u (byte
 * pointers; g and u rows × inter with rows `stride` bytes apart), rows, inDim, inter, stride, act, chunk.
 */
export function gateUpActOp(ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const x = a[3] >>> 0, wg = a[4] >>> 0, wu = a[5] >>> 0, g = a[6] >>> 0, u = a[7] >>> 0;
  const rows = a[8], inDim = a[9], inter = a[10], stride = a[11], act = a[12], chunk = a[13];
  const matmul = ex.matmul as (x: number, w: number, y: number, rows: number, inDim: number, outDim: number, yStride: number) => void;
  const f = new Float32Array(buf);
  const n = stride >>> 2;
  const gelu = Math.sqrt(2 / Math.PI);
  for (let o0 = Atomics.add(counter, at, 1) * chunk; o0 < inter; o0 = Atomics.add(counter, at, 1) * chunk) {
    const o1 = Math.min(inter, o0 + chunk);
    matmul(x, wg + o0 * inDim * 4, g + o0 * 4, rows, inDim, o1 - o0, stride);
    matmul(x, wu + o0 * inDim * 4, u + o0 * 4, rows, inDim, o1 - o0, stride);
    for (let r = 0; r < rows; r++) {
      const gi = (g >>> 2) + r * n;
      const ui = (u >>> 2) + r * n;
      if (act === 0) {
        for (let c = o0; c < o1; c++) {
          const v = f[gi + c];
          f[gi + c] = (v / (1 + Math.exp(-v))) * f[ui + c];
        }
      } else {
        for (let c = o0; c < o1; c++) {
          const v = f[gi + c];
          f[gi + c] = 0.5 * v * (1 + Math.tanh(gelu * (v + 0.044715 * v * v * v))) * f[ui + c];
        }
      }
    }
  }
}

/**
 * y[o] = Σ_i x[i]·w[o, i] over w's rows in chunks of `chunk` (one input row: the last position's logits):
 * matmul.ts matVec's loop (four float64 sums, one pass over w). Arguments: counter, x, w, y (byte pointers),
 * inDim, outDim, chunk.
 */
export function matVecOp(_ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const f = new Float32Array(buf);
  const x = (a[3] >>> 0) >>> 2, w = (a[4] >>> 0) >>> 2, y = (a[5] >>> 0) >>> 2, inDim = a[6], outDim = a[7], chunk = a[8];
  const end4 = inDim - (inDim % 4);
  for (let o0 = Atomics.add(counter, at, 1) * chunk; o0 < outDim; o0 = Atomics.add(counter, at, 1) * chunk) {
    const o1 = Math.min(outDim, o0 + chunk);
    for (let o = o0; o < o1; o++) {
      const b = w + o * inDim;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let i = 0;
      for (; i < end4; i += 4) {
        s0 += f[x + i] * f[b + i];
        s1 += f[x + i + 1] * f[b + i + 1];
        s2 += f[x + i + 2] * f[b + i + 2];
        s3 += f[x + i + 3] * f[b + i + 3];
      }
      for (; i < inDim; i++) s0 += f[x + i] * f[b + i];
      // + 0 as matVec adds its absent bias (so a sum of −0 is stored as +0 there and here alike).
      f[y + o] = s0 + s1 + s2 + s3 + 0;
    }
  }
}

/**
 * Causal attention, one head per chunk: the head's q rows and its KV group's k rows and Vᵀ are gathered
 * (zero-padded) into the head's own scratch, then P = softmax(mask(Q_h·K_gᵀ · scale)) (soft-capped first when
 * set) and O_h = P·V_g, as runtime.ts headAttention + attend do it: the SIMD kernel for both products on the
 * same padded operands matmulABtWasm builds, and kernels.ts softmaxInPlace's arithmetic (the scaled score
 * rounded to float32 on store while the maximum is taken from the unrounded one; float64 sum). Arguments:
 * counter, then a Float64 parameter block's byte address: [scale, softcap (NaN: none), window (−1: none), P,
 * start, T, Tp, S, SP, S4, d, heads, group, kvHeads, q, k, v, scratch, probs, out] (q: T × heads·d; k, v:
 * S × kvHeads·d; scratch per head Tp·d + SP·d + d·S4 floats; probs: heads × Tp × S4; out: Tp × heads·d).
 */
export function attentionHeadsOp(ex: Record<string, unknown>, buf: ArrayBufferLike, a: ArrayLike<number>): void {
  const counter = new Int32Array(buf), at = (a[2] >>> 0) >>> 2;
  const m = new Float64Array(buf, a[3] >>> 0, 20);
  const scale = m[0], softcap = m[1], window = m[2], P = m[3], start = m[4], T = m[5], Tp = m[6], S = m[7], SP = m[8], S4 = m[9];
  const d = m[10], heads = m[11], group = m[12], kvHeads = m[13], q = m[14], k = m[15], v = m[16], scratch = m[17], probs = m[18], out = m[19];
  const matmul = ex.matmul as (x: number, w: number, y: number, rows: number, inDim: number, outDim: number, yStride: number) => void;
  const f = new Float32Array(buf);
  const per = Tp * d + SP * d + d * S4;
  for (let h = Atomics.add(counter, at, 1); h < heads; h = Atomics.add(counter, at, 1)) {
    const g = Math.floor(h / group);
    const qh = (scratch >>> 2) + h * per, kg = qh + Tp * d, vt = kg + SP * d;
    // Plain loops: a head's rows are short (d values), where copyWithin's per-call cost dominated.
    for (let t = 0; t < T; t++) {
      const src = (q >>> 2) + (t * heads + h) * d, dst = qh + t * d;
      for (let c = 0; c < d; c++) f[dst + c] = f[src + c];
    }
    f.fill(0, qh + T * d, qh + Tp * d);
    for (let j = 0; j < S; j++) {
      const src = (k >>> 2) + (j * kvHeads + g) * d, dst = kg + j * d;
      for (let c = 0; c < d; c++) f[dst + c] = f[src + c];
    }
    f.fill(0, kg + S * d, kg + SP * d);
    for (let c = 0; c < d; c++) {
      const src = (v >>> 2) + g * d + c, dst = vt + c * S4, step = kvHeads * d;
      for (let j = 0; j < S; j++) f[dst + j] = f[src + j * step];
      for (let j = S; j < S4; j++) f[dst + j] = 0;
    }
    const ph = probs + h * Tp * S4 * 4;
    matmul(qh * 4, kg * 4, ph, Tp, d, SP, S4 * 4);
    for (let i = 0; i < T; i++) {
      const row = (ph >>> 2) + i * S4;
      const last = P + i - start;
      const first = window < 0 ? 0 : Math.max(0, P + i - window + 1 - start);
      const lo = row + first, hi = row + last + 1;
      let sc = scale;
      if (softcap === softcap) {
        for (let j = lo; j < hi; j++) f[j] = softcap * Math.tanh((f[j] * scale) / softcap);
        sc = 1;
      }
      let max = -Infinity;
      for (let j = lo; j < hi; j++) {
        const x = f[j] * sc;
        f[j] = x;
        if (x > max) max = x;
      }
      if (max === -Infinity) f.fill(0, lo, hi);
      else {
        let sum = 0;
        for (let j = lo; j < hi; j++) {
          const e = Math.exp(f[j] - max);
          f[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = lo; j < hi; j++) f[j] *= inv;
      }
      f.fill(0, row, lo);
      f.fill(0, hi, row + S4);
    }
    // Padded query rows' probabilities are zero too (their scores are 0 but no softmax ran over them).
    f.fill(0, (ph >>> 2) + T * S4, (ph >>> 2) + Tp * S4);
    matmul(ph, vt * 4, out + h * d * 4, Tp, S4, d, heads * d * 4);
  }
}

/** The team's JavaScript operations, by index (OP_JS's first argument). */
export const TEAM_JS_OPS: readonly TeamJsOp[] = [gateUpActOp, matVecOp, matmulChunksOp, attentionHeadsOp, matmulTableOp, rmsNormRowsOp];
/** Indexes into TEAM_JS_OPS. */
export const JS_GATE_UP_ACT = 0;
export const JS_MAT_VEC = 1;
export const JS_MATMUL_CHUNKS = 2;
export const JS_ATTENTION_HEADS = 3;
export const JS_MATMUL_TABLE = 4;
export const JS_RMS_NORM_ROWS = 5;
