// The Concept Lab's RMSNorm and SwiGLU numbers (issue 20), for one token's real residual vector and MLP values.
// RMSNorm: x / sqrt(mean(x²) + eps) · g (Zhang & Sennrich 2019; transformers models/llama/modeling_llama.py
// LlamaRMSNorm). LayerNorm: (x − mean) / sqrt(var + eps) · g + b (torch.nn.LayerNorm, biased variance).
// SwiGLU: down(silu(gate(x)) · up(x)) (Shazeer 2020; modeling_llama.py LlamaMLP). GELU: the tanh approximation
// (GPT-2's gelu_new) and the exact erf form are both drawn by the webview from these samples.
import { geluTanh } from '../tensor/kernels';

/** Statistics of one vector before and after RMSNorm, and what LayerNorm would do instead. */
export interface NormStats {
  dim: number;
  /** Mean and root-mean-square of the input x. */
  mean: number;
  rms: number;
  /** Standard deviation (biased) of x: LayerNorm's divisor (before eps). */
  std: number;
  /** RMS of x / sqrt(mean(x²)+eps) (≈ 1), and of the output after the gain g. */
  rmsNormalized: number;
  rmsAfterGain: number;
  /** Mean of the RMSNorm output: RMSNorm keeps the input's mean direction (it does not centre). */
  meanAfter: number;
  /** The input vector (a copy). */
  input: Float32Array;
  /** The RMSNorm output (with the model's gain) and LayerNorm's with the same gain and no bias. */
  rmsOut: Float32Array;
  layerOut: Float32Array;
  /** Gain statistics (the learned g). */
  gainMean: number;
  gainMin: number;
  gainMax: number;
  /**
   * Arithmetic per token, counted as one operation per add, multiply, subtract or divide over the d values
   * (square roots once): RMSNorm squares+sums (2d), scales (d), gains (d); LayerNorm adds the mean (d), the
   * subtraction (d) and the bias (d).
   */
  opsRms: number;
  opsLayer: number;
}

/** RMSNorm and LayerNorm of `x` with gain `g` (and optional LayerNorm bias `b`), with the statistics above. */
export function normStats(x: ArrayLike<number>, g: ArrayLike<number>, eps: number, b?: ArrayLike<number>): NormStats {
  const d = x.length;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < d; i++) {
    sum += x[i];
    sq += x[i] * x[i];
  }
  const mean = sum / d;
  const rms = Math.sqrt(sq / d);
  let v = 0;
  for (let i = 0; i < d; i++) v += (x[i] - mean) ** 2;
  const std = Math.sqrt(v / d);
  const inv = 1 / Math.sqrt(sq / d + eps);
  const invLayer = 1 / Math.sqrt(v / d + eps);
  const rmsOut = new Float32Array(d);
  const layerOut = new Float32Array(d);
  let sqN = 0;
  let sqG = 0;
  let sumOut = 0;
  let gSum = 0;
  let gMin = Infinity;
  let gMax = -Infinity;
  for (let i = 0; i < d; i++) {
    const n = x[i] * inv;
    sqN += n * n;
    rmsOut[i] = n * g[i];
    sqG += rmsOut[i] * rmsOut[i];
    sumOut += rmsOut[i];
    layerOut[i] = (x[i] - mean) * invLayer * g[i] + (b ? b[i] : 0);
    gSum += g[i];
    gMin = Math.min(gMin, g[i]);
    gMax = Math.max(gMax, g[i]);
  }
  return {
    dim: d, mean, rms, std, input: Float32Array.from(x),
    rmsNormalized: Math.sqrt(sqN / d), rmsAfterGain: Math.sqrt(sqG / d), meanAfter: sumOut / d,
    rmsOut, layerOut, gainMean: gSum / d, gainMin: gMin, gainMax: gMax,
    opsRms: 4 * d, opsLayer: 7 * d,
  };
}

/** silu(x) = x·σ(x) (SwiGLU's activation). */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** GELU exact: x·Φ(x), Φ from erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
export function geluErf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  const erf = x >= 0 ? y : -y;
  return 0.5 * x * (1 + erf);
}

/** The activation curves drawn side by side, sampled at `n` points over [lo, hi]. */
export function activationCurves(lo = -6, hi = 6, n = 121): { x: Float32Array; silu: Float32Array; gelu: Float32Array; relu: Float32Array } {
  const x = new Float32Array(n);
  const s = new Float32Array(n);
  const ge = new Float32Array(n);
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = lo + ((hi - lo) * i) / (n - 1);
    x[i] = v;
    s[i] = silu(v);
    ge[i] = geluTanh(v);
    r[i] = Math.max(0, v);
  }
  return { x, silu: s, gelu: ge, relu: r };
}

/** One token's SwiGLU values: gate g, up u, silu(g), and the product h = silu(g)·u that down_proj reads. */
export interface SwigluToken {
  gate: Float32Array;
  up: Float32Array;
  act: Float32Array;
  product: Float32Array;
}

/** SwiGLU's (or GeGLU's) values of row `row` from the MLP hook's gate and up (rows × intermediate). */
export function swigluToken(gate: Float32Array, up: Float32Array, intermediate: number, row: number, activation: 'silu' | 'gelu' = 'silu'): SwigluToken {
  const g = gate.slice(row * intermediate, (row + 1) * intermediate);
  const u = up.slice(row * intermediate, (row + 1) * intermediate);
  // GeGLU (Gemma) gates with GELU instead of SiLU; the product is the same shape.
  const act = g.map(activation === 'silu' ? silu : geluTanh);
  const product = act.map((a, i) => a * u[i]);
  return { gate: g, up: u, act, product };
}

/** A histogram: `bins` equal bins over [min, max] and their counts. */
export interface Histogram {
  min: number;
  max: number;
  counts: Int32Array;
}

/** Histogram of `values` over their own range (both ends included). */
export function histogram(values: ArrayLike<number>, bins: number): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  if (!(max > min)) max = min + 1;
  const counts = new Int32Array(bins);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor(((values[i] - min) / (max - min)) * bins))]++;
  return { min, max, counts };
}

/**
 * How sparse the gate is: the share of gate values below 0 (where silu(g) ∈ (−0.28, 0): the unit is nearly
 * off) and the share of products h with |h| under 1 % of the largest |h| in the same row.
 */
export function gateSparsity(gate: Float32Array, up: Float32Array, intermediate: number): { negative: number; small: number } {
  let negative = 0;
  let small = 0;
  const rows = gate.length / intermediate;
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0;
    const h = new Float64Array(intermediate);
    for (let i = 0; i < intermediate; i++) {
      const g = gate[r * intermediate + i];
      if (g < 0) negative++;
      h[i] = Math.abs(silu(g) * up[r * intermediate + i]);
      maxAbs = Math.max(maxAbs, h[i]);
    }
    for (let i = 0; i < intermediate; i++) if (h[i] < 0.01 * maxAbs) small++;
  }
  return { negative: negative / gate.length, small: small / gate.length };
}
