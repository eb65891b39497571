// The elementwise and per-row kernels of the core, one implementation each, shared by the forward pass
// (float32) and training (float32, or float64 for gradient checks). Matrices are row-major.
import { like, type Vec } from './matmul';

/** Transpose of a rows × cols matrix (GPT-2's Conv1D stores weights as [in, out]; linear wants [out, in]). */
export function transpose<T extends Vec>(a: T, rows: number, cols: number, out: T = like(a, rows * cols)): T {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[ro + c];
  }
  return out;
}

/** Copies head h's columns out of x[rows, heads·hd] into a contiguous [rows, hd] block. */
export function gatherHead(x: Float32Array, rows: number, heads: number, hd: number, h: number): Float32Array {
  const out = new Float32Array(rows * hd);
  for (let i = 0; i < rows; i++) out.set(x.subarray((i * heads + h) * hd, (i * heads + h + 1) * hd), i * hd);
  return out;
}

/**
 * RMSNorm per row: y = x / sqrt(mean(x²) + eps) · w (Llama family; transformers' LlamaRMSNorm). When `inv`
 * is given it receives each row's 1/rms (training keeps it for the backward pass).
 */
export function rmsNorm<T extends Vec>(x: T, rows: number, dim: number, w: Vec, eps: number, inv?: Float64Array): T {
  const out = like(x, rows * dim);
  // Four rows' sums of squares side by side: four independent float64 chains instead of one (the add's latency
  // bounded the single chain), each row still summed in its own order, so every value is what one row at a time gives.
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const b0 = r * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < dim; i++) {
      s0 += x[b0 + i] * x[b0 + i];
      s1 += x[b1 + i] * x[b1 + i];
      s2 += x[b2 + i] * x[b2 + i];
      s3 += x[b3 + i] * x[b3 + i];
    }
    scaleRow(x, out, b0, dim, w, 1 / Math.sqrt(s0 / dim + eps), inv, r);
    scaleRow(x, out, b1, dim, w, 1 / Math.sqrt(s1 / dim + eps), inv, r + 1);
    scaleRow(x, out, b2, dim, w, 1 / Math.sqrt(s2 / dim + eps), inv, r + 2);
    scaleRow(x, out, b3, dim, w, 1 / Math.sqrt(s3 / dim + eps), inv, r + 3);
  }
  for (; r < rows; r++) {
    const base = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[base + i] * x[base + i];
    scaleRow(x, out, base, dim, w, 1 / Math.sqrt(ss / dim + eps), inv, r);
  }
  return out;
}

/** out[base + i] = x[base + i] · iv · w[i] over one row (RMSNorm's second pass); inv[r] = iv when kept. */
function scaleRow(x: Vec, out: Vec, base: number, dim: number, w: Vec, iv: number, inv: Float64Array | undefined, r: number): void {
  if (inv) inv[r] = iv;
  for (let i = 0; i < dim; i++) out[base + i] = x[base + i] * iv * w[i];
}

/** LayerNorm per row: (x - mean) / sqrt(var + eps) · w + b (GPT-2; biased variance as torch.nn.LayerNorm). */
export function layerNorm<T extends Vec>(x: T, rows: number, dim: number, w: Vec, b: Vec | undefined, eps: number): T {
  const out = like(x, rows * dim);
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[base + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) v += (x[base + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) out[base + i] = (x[base + i] - mean) * inv * w[i] + (b ? b[i] : 0);
  }
  return out;
}

/** In place: a[i] += b[i] (residual connections). */
export function addInPlace(a: Vec, b: Vec): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

/** out[i] = silu(gate[i]) · up[i], silu(g) = g·σ(g) (the SwiGLU product); `out` may be `gate` (in place). */
export function swiglu<T extends Vec>(gate: T, up: Vec, out: T = like(gate, gate.length)): T {
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
  return out;
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU with the tanh approximation (GPT-2's "gelu_new", Gemma's "gelu_pytorch_tanh") of one value. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

/** In place: a[i] = geluTanh(a[i]). */
export function geluTanhInPlace(a: Vec): void {
  for (let i = 0; i < a.length; i++) a[i] = geluTanh(a[i]);
}

/** out[i] = geluTanh(gate[i]) · up[i] (GeGLU, Gemma's MLP); `out` may be `gate`. */
export function geglu<T extends Vec>(gate: T, up: Vec, out: T = like(gate, gate.length)): T {
  for (let i = 0; i < gate.length; i++) out[i] = geluTanh(gate[i]) * up[i];
  return out;
}

/**
 * Softmax in place over a[start..end), after multiplying each value by `scale`. Entries equal to -Infinity
 * become exactly 0; a range with nothing finite becomes all 0.
 */
export function softmaxInPlace(a: Vec, start: number, end: number, scale = 1): void {
  let max = -Infinity;
  for (let j = start; j < end; j++) {
    const v = a[j] * scale;
    a[j] = v;
    if (v > max) max = v;
  }
  if (max === -Infinity) {
    a.fill(0, start, end);
    return;
  }
  let sum = 0;
  for (let j = start; j < end; j++) {
    const e = Math.exp(a[j] - max);
    a[j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = start; j < end; j++) a[j] *= inv;
}

/** Cos/sin of position·θ_i for a run of positions: row p − start, column i < headDim/2. */
export interface RopeTables {
  cos: Float64Array;
  sin: Float64Array;
  /** headDim / 2: the number of rotated pairs per head. */
  half: number;
}

/** RoPE's inverse frequencies θ^(-2i/d), i < d/2 (before any rope_scaling adjustment). */
export function ropeFrequencies(headDim: number, theta: number): Float64Array {
  const inv = new Float64Array(headDim / 2);
  for (let i = 0; i < inv.length; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  return inv;
}

/** Cos/sin tables for positions start … start + count − 1 from inverse frequencies. */
export function ropeTablesAt(inverseFrequencies: Float64Array, start: number, count: number): RopeTables {
  const half = inverseFrequencies.length;
  const cos = new Float64Array(count * half);
  const sin = new Float64Array(count * half);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < half; i++) {
      const angle = (start + p) * inverseFrequencies[i];
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, half };
}

/** Cos/sin tables [T, headDim/2] for positions 0 … t − 1: angle = position · theta^(−2i/headDim). */
export function ropeTables(t: number, headDim: number, theta: number): RopeTables {
  return ropeTablesAt(ropeFrequencies(headDim, theta), 0, t);
}

/**
 * How a head's elements are paired for rotation: 'half' pairs i with i + d/2 (Hugging Face's rotate_half,
 * llama.cpp's NEOX); 'interleaved' pairs 2i with 2i + 1 (the original RoPE, llama.cpp's NORM for GGUF llama).
 */
export type RopeStyle = 'half' | 'interleaved';

/**
 * RoPE in place on x[t, heads·headDim], row p rotated by the tables' row p. `inverse` rotates by −angle,
 * which is exactly the backward pass (rotations are orthogonal).
 */
export function applyRope(x: Vec, t: number, heads: number, headDim: number, tables: RopeTables, inverse = false, style: RopeStyle = 'half'): void {
  const half = tables.half;
  const s = inverse ? -1 : 1;
  // Pair (a, b) of rotation i: half-split (i, i + d/2) or interleaved (2i, 2i + 1).
  const step = style === 'half' ? 1 : 2;
  const partner = style === 'half' ? half : 1;
  for (let p = 0; p < t; p++) {
    for (let h = 0; h < heads; h++) {
      const o = (p * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = tables.cos[p * half + i];
        const sn = s * tables.sin[p * half + i];
        const ia = o + i * step;
        const x1 = x[ia];
        const x2 = x[ia + partner];
        x[ia] = x1 * c - x2 * sn;
        x[ia + partner] = x1 * sn + x2 * c;
      }
    }
  }
}
