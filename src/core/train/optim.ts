// AdamW with a linear warm-up + cosine learning-rate schedule and global-norm gradient clipping.
import type { Vec } from './ops';

/** AdamW hyper-parameters. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Learning rate at `step` (0-based): linear warm-up to maxLr, then cosine decay to minLr at totalSteps. */
export function learningRate(step: number, opts: { maxLr: number; minLr: number; warmupSteps: number; totalSteps: number }): number {
  if (step < opts.warmupSteps) return (opts.maxLr * (step + 1)) / opts.warmupSteps;
  const span = Math.max(1, opts.totalSteps - opts.warmupSteps);
  const progress = Math.min(1, (step - opts.warmupSteps) / span);
  return opts.minLr + 0.5 * (opts.maxLr - opts.minLr) * (1 + Math.cos(Math.PI * progress));
}

/** Scales `grads` in place so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: Vec, maxNorm: number): number {
  let ss = 0;
  for (let i = 0; i < grads.length; i++) ss += grads[i] * grads[i];
  const norm = Math.sqrt(ss);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= s;
  }
  return norm;
}

/** AdamW state over a flat parameter buffer; `decayMask[i]` = 1 where weight decay applies (matrices, not norms). */
export class AdamW {
  /** First-moment estimates. */
  readonly m: Float32Array;
  /** Second-moment estimates. */
  readonly v: Float32Array;
  /** Number of updates taken so far. */
  step = 0;

  constructor(
    size: number,
    private readonly opts: AdamWOptions,
    private readonly decayMask: Uint8Array,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update with learning rate lr (decoupled weight decay, bias-corrected moments). */
  update(params: Vec, grads: Vec, lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    const m = this.m;
    const v = this.v;
    const mask = this.decayMask;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const upd = m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps);
      params[i] -= lr * (upd + (mask[i] ? weightDecay * params[i] : 0));
    }
  }
}
