// The Concept Lab's RoPE numbers (issue 20): each frequency pair's angle by position, the wavelengths, the
// long-term decay bound of Su et al. 2021 (RoFormer, arXiv:2104.09864, §3.4.3), and how the context-extension
// methods change the frequencies. The formulas follow huggingface/transformers
// src/transformers/modeling_rope_utils.py (_compute_default/_linear_scaling/_ntk/_dynamic_ntk/_yarn/_llama3_parameters).
import { ropeFrequencies } from '../tensor/kernels';

/** The context-extension methods the lab compares (rope_scaling "rope_type" in config.json). */
export const ropeExtensionMethods = ['llama3', 'linear', 'ntk', 'dynamic', 'yarn'] as const;

/** One context-extension method. */
export type RopeExtensionMethod = (typeof ropeExtensionMethods)[number];

/** A context extension: the factor s = new context / original context, and the original context L. */
export interface RopeExtension {
  factor: number;
  originalContext: number;
  /** Llama 3's bands (defaults 1 and 4, as Llama 3.1's config). */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  /** YaRN's ramp ends in rotations (defaults 32 and 1, as the YaRN paper and transformers). */
  betaFast?: number;
  betaSlow?: number;
  /** Dynamic NTK: the sequence length the base is computed for (default s·L). */
  seqLen?: number;
}

/** Inverse frequencies ω_i = θ^(−2i/d), i < d/2 (the default RoPE of every Llama-family model). */
export function ropePairFrequencies(headDim: number, theta: number): Float64Array {
  return ropeFrequencies(headDim, theta);
}

/** Wavelength of each pair in positions: λ_i = 2π/ω_i (a full turn of that pair). */
export function ropeWavelengths(inverseFrequencies: ArrayLike<number>): Float64Array {
  return Float64Array.from(Array.from(inverseFrequencies, (w) => (2 * Math.PI) / w));
}

/** The angle of every pair at positions 0 … positions − 1, reduced to [0, 2π): positions × pairs, row-major. */
export function ropeAngleTable(inverseFrequencies: ArrayLike<number>, positions: number): Float32Array {
  const half = inverseFrequencies.length;
  const out = new Float32Array(positions * half);
  const turn = 2 * Math.PI;
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = (p * inverseFrequencies[i]) % turn;
      out[p * half + i] = a < 0 ? a + turn : a;
    }
  }
  return out;
}

/**
 * The long-term decay of RoFormer §3.4.3: for relative distance r, (1/(d/2)) Σ_{j=1..d/2} |S_j(r)| with
 * S_j(r) = Σ_{k<j} e^{i·r·ω_k}. Abel summation bounds |q·k| by max_k |h_{k+1} − h_k| times d/2 times this mean,
 * and the mean falls as r grows (the paper's Figure 2 draws it for θ = 10000). Returns r = 0 … maxDistance.
 */
export function ropeDecayBound(inverseFrequencies: ArrayLike<number>, maxDistance: number): Float64Array {
  const half = inverseFrequencies.length;
  const out = new Float64Array(maxDistance + 1);
  for (let r = 0; r <= maxDistance; r++) {
    let re = 0;
    let im = 0;
    let sum = 0;
    for (let k = 0; k < half; k++) {
      re += Math.cos(r * inverseFrequencies[k]);
      im += Math.sin(r * inverseFrequencies[k]);
      sum += Math.hypot(re, im);
    }
    out[r] = sum / half;
  }
  return out;
}

/** Llama 3's defaults for the two band edges (transformers' _compute_llama3_parameters reads them from rope_scaling). */
const LLAMA3_LOW = 1;
const LLAMA3_HIGH = 4;

/**
 * Inverse frequencies after a context extension, and the factor cos/sin are multiplied by (YaRN's attention
 * scaling; 1 otherwise). Each branch is one function of modeling_rope_utils.py:
 * - linear (_compute_linear_scaling_rope_parameters): ω_i / s — every pair slowed by s (position interpolation).
 * - ntk (_compute_ntk_parameters, "NTK-aware", /u/bloc97): base θ·s^(d/(d−2)), so the last pair slows by s and the
 *   first pair not at all.
 * - dynamic (_compute_dynamic_ntk_parameters): base θ·(s·n/L − (s − 1))^(d/(d−2)) for the current length n > L.
 * - yarn (_compute_yarn_parameters, arXiv:2309.00071): pairs that turn more than β_fast times in L positions keep
 *   ω_i, pairs that turn fewer than β_slow times take ω_i/s, a linear ramp between; attention × (0.1·ln s + 1).
 * - llama3 (_compute_llama3_parameters): wavelengths above L/low_freq_factor divided by s, below
 *   L/high_freq_factor kept, a smooth blend between.
 */
export function extendedInverseFrequencies(
  method: RopeExtensionMethod, headDim: number, theta: number, ext: RopeExtension,
): { inverseFrequencies: Float64Array; attentionFactor: number } {
  const d = headDim;
  const s = ext.factor;
  const L = ext.originalContext;
  const base = ropeFrequencies(d, theta);
  const half = base.length;
  const out = new Float64Array(half);
  let attentionFactor = 1;
  switch (method) {
    case 'linear':
      for (let i = 0; i < half; i++) out[i] = base[i] / s;
      break;
    case 'ntk':
      out.set(ropeFrequencies(d, theta * s ** (d / (d - 2))));
      break;
    case 'dynamic': {
      const n = Math.max(ext.seqLen ?? s * L, L);
      out.set(ropeFrequencies(d, theta * ((s * n) / L - (s - 1)) ** (d / (d - 2))));
      break;
    }
    case 'yarn': {
      const fast = ext.betaFast ?? 32;
      const slow = ext.betaSlow ?? 1;
      // find_correction_dim: the pair index whose wavelength fits `rotations` turns into L positions.
      const correctionDim = (rotations: number): number => (d * Math.log(L / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
      const low = Math.max(Math.floor(correctionDim(fast)), 0);
      let high = Math.min(Math.ceil(correctionDim(slow)), d - 1);
      if (low === high) high += 0.001;
      for (let i = 0; i < half; i++) {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const keep = 1 - ramp;
        out[i] = (base[i] / s) * (1 - keep) + base[i] * keep;
      }
      attentionFactor = s <= 1 ? 1 : 0.1 * Math.log(s) + 1;
      break;
    }
    case 'llama3': {
      const lowF = ext.lowFreqFactor ?? LLAMA3_LOW;
      const highF = ext.highFreqFactor ?? LLAMA3_HIGH;
      const lowWavelen = L / lowF;
      const highWavelen = L / highF;
      for (let i = 0; i < half; i++) {
        const wavelen = (2 * Math.PI) / base[i];
        if (wavelen < highWavelen) out[i] = base[i];
        else if (wavelen > lowWavelen) out[i] = base[i] / s;
        else {
          const smooth = (L / wavelen - lowF) / (highF - lowF);
          out[i] = (1 - smooth) * (base[i] / s) + smooth * base[i];
        }
      }
      break;
    }
  }
  return { inverseFrequencies: out, attentionFactor };
}

/** Which band each pair falls in under Llama 3's scaling: 'high' kept, 'low' divided by s, 'mid' blended. */
export function llama3Bands(headDim: number, theta: number, ext: RopeExtension): ('high' | 'mid' | 'low')[] {
  const lowWavelen = ext.originalContext / (ext.lowFreqFactor ?? LLAMA3_LOW);
  const highWavelen = ext.originalContext / (ext.highFreqFactor ?? LLAMA3_HIGH);
  return Array.from(ropeFrequencies(headDim, theta), (w) => {
    const wavelen = (2 * Math.PI) / w;
    return wavelen < highWavelen ? 'high' : wavelen > lowWavelen ? 'low' : 'mid';
  });
}
