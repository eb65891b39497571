// What the Attention panel draws, made small where the run is kept: one head's matrix (kept, or recomputed
// from the run's q and k by the core's headProbs), max-pooled into blocks of tokens and quantised on the colour scale's √p axis. A
// panel a few hundred pixels wide cannot show more than a few hundred cells a side, so it is sent no more.
import { isVisible, softcapInPlace, type AttentionRun } from '../model/runtime';
import { AttentionInputError } from '../model/errors';
import { softmaxInPlace } from '../tensor/kernels';

/** Tokens per cell side so that a seqLen × seqLen matrix fits in `maxBins` cells a side. */
export function blockSizeFor(seqLen: number, maxBins: number): number {
  return Math.max(1, Math.ceil(seqLen / Math.max(1, maxBins)));
}

/**
 * Max-pools a T × T matrix into ⌈T/block⌉² cells (row-major). Max, not mean: a one-token-wide pattern (the
 * previous-token diagonal, a sink column) keeps its full weight in its cell, where a mean would divide it by
 * `block` and fade it into the background.
 */
export function maxPool(p: Float32Array, T: number, block: number): Float32Array {
  const bins = Math.ceil(T / block);
  const out = new Float32Array(bins * bins);
  for (let i = 0; i < T; i++) {
    const o = Math.floor(i / block) * bins;
    const row = i * T;
    // Keys after the query are masked (0), so a row is read only up to its query.
    for (let j = 0; j <= i; j++) {
      const v = p[row + j];
      const c = o + Math.floor(j / block);
      if (v > out[c]) out[c] = v;
    }
  }
  return out;
}

/** Mean and max over a layer's heads (each T × T), accumulated head by head (one matrix at a time is enough). */
export class HeadCombiner {
  readonly mean: Float32Array;
  readonly max: Float32Array;
  private count = 0;

  constructor(size: number) {
    this.mean = new Float32Array(size);
    this.max = new Float32Array(size);
  }

  /** Adds one head's matrix. */
  add(p: Float32Array): void {
    const { mean, max } = this;
    for (let i = 0; i < p.length; i++) {
      mean[i] += p[i];
      if (p[i] > max[i]) max[i] = p[i];
    }
    this.count++;
  }

  /** Divides the sum by the number of heads (call once, after the last add). */
  finish(): this {
    if (this.count > 0) for (let i = 0; i < this.mean.length; i++) this.mean[i] /= this.count;
    return this;
  }
}

/** Quantises probabilities to 8 bits on the colour scale's axis: round(255·√p). */
export function sqrtBytes(p: Float32Array, out = new Uint8Array(p.length), offset = 0): Uint8Array {
  for (let i = 0; i < p.length; i++) out[offset + i] = Math.round(255 * Math.sqrt(Math.max(0, Math.min(1, p[i]))));
  return out;
}

/**
 * The lower triangle of a bins × bins matrix (row i keeps cells 0..i; the rest is masked), as round(65535·√p):
 * a readout of p from it is within 3·10⁻⁵ of the value, below what the panel prints.
 */
export function lowerTriangleSqrt16(m: Float32Array, bins: number): Uint16Array {
  const out = new Uint16Array((bins * (bins + 1)) / 2);
  let k = 0;
  for (let i = 0; i < bins; i++) {
    for (let j = 0; j <= i; j++) out[k++] = Math.round(65535 * Math.sqrt(Math.max(0, Math.min(1, m[i * bins + j]))));
  }
  return out;
}

/** One query's weights over every key for one head (seqLen values): a row of the kept matrix, or recomputed. */
export function headRow(run: AttentionRun, layer: number, head: number, query: number): Float32Array {
  const T = run.seqLen;
  const kept = run.probs[layer]?.[head];
  if (kept) return kept.slice(query * T, (query + 1) * T);
  const qkv = run.qkv?.[layer];
  if (!qkv) throw new AttentionInputError('this run kept neither probabilities nor q and k');
  const d = run.headDim;
  const g = run.kvHeadOf[head];
  const row = new Float32Array(T);
  const qo = query * run.heads * d + head * d;
  const window = run.slidingWindows[layer];
  for (let j = 0; j <= query; j++) {
    if (!isVisible(query, j, window)) continue;
    let s = 0;
    const ko = j * run.kvHeads * d + g * d;
    for (let e = 0; e < d; e++) s += qkv.q[qo + e] * qkv.k[ko + e];
    row[j] = s * run.scales[layer];
  }
  const first = window === undefined ? 0 : Math.max(0, query - window + 1);
  if (run.attnSoftcap !== undefined) softcapInPlace(row, run.attnSoftcap, first, query + 1);
  softmaxInPlace(row, first, query + 1, 1);
  return row;
}
