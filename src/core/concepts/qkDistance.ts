// "Relative position enters through rotation", in a real head's numbers (issue 20): q·k against the relative
// distance, with the model's own RoPE and with the rotation removed, from q and k captured before RoPE (the
// runtime's qkPreRope hook). The rotation is the runtime's own (kernels.applyRope with the model's pairing and
// runtime.ropeInverseFrequencies), so "with RoPE" equals the scores the forward pass computed, before 1/√d.
import type { ModelConfig } from '../model/config';
import { ropeAttentionFactor, ropeInverseFrequencies, slidingWindowOf } from '../model/runtime';
import { applyRope, ropeFrequencies, ropeTablesAt, type RopeTables } from '../tensor/kernels';

/** q·k of one head against the distance m − n between query m and key n (only n ≤ m: the causal half). */
export interface QkByDistance {
  /** Mean q_m·k_n over the pairs at each distance 0 … rows − 1, after RoPE (what the model scores). */
  withRope: Float64Array;
  /** The same pairs with the rotation removed (q and k as projected). */
  withoutRope: Float64Array;
  /** How many (m, n) pairs each mean covers. */
  pairs: Int32Array;
  /**
   * One fixed pair of vectors — the last token's q and the first token's k — placed at distance r = 0 … probe − 1:
   * with RoPE the score changes with r alone; without it stays `fixedWithoutRope`.
   */
  fixedWithRope: Float64Array;
  fixedWithoutRope: number;
}

/** The cos/sin tables the runtime uses for `layer` at positions start … start + count − 1 (sliding layers may have their own base). */
export function layerRopeTables(config: ModelConfig, layer: number, start: number, count: number, seqLen = start + count): RopeTables {
  const sliding = slidingWindowOf(config, layer) !== undefined && config.block.slidingRopeTheta !== undefined;
  if (sliding) return ropeTablesAt(ropeFrequencies(config.headDim, config.block.slidingRopeTheta as number), start, count);
  const t = ropeTablesAt(ropeInverseFrequencies(config, seqLen), start, count);
  const f = ropeAttentionFactor(config);
  if (f !== 1) {
    for (let i = 0; i < t.cos.length; i++) {
      t.cos[i] *= f;
      t.sin[i] *= f;
    }
  }
  return t;
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/**
 * q·k by distance for query head `head` of `layer`, from q (rows × heads·d) and k (rows × kvHeads·d) taken
 * before RoPE. `probe` distances for the fixed pair (default: the model's context, at most 512).
 */
export function qkByDistance(
  config: ModelConfig, layer: number, head: number, qPre: Float32Array, kPre: Float32Array, rows: number, probe?: number,
): QkByDistance {
  const d = config.headDim;
  const kvHead = Math.floor(head / (config.heads / config.kvHeads));
  // One head's q and k rows, as [rows, 1 head, d].
  const q = new Float32Array(rows * d);
  const k = new Float32Array(rows * d);
  for (let t = 0; t < rows; t++) {
    q.set(qPre.subarray((t * config.heads + head) * d, (t * config.heads + head + 1) * d), t * d);
    k.set(kPre.subarray((t * config.kvHeads + kvHead) * d, (t * config.kvHeads + kvHead + 1) * d), t * d);
  }
  const qr = q.slice();
  const kr = k.slice();
  const tables = layerRopeTables(config, layer, 0, rows);
  applyRope(qr, rows, 1, d, tables, false, config.block.ropeStyle);
  applyRope(kr, rows, 1, d, tables, false, config.block.ropeStyle);
  const withRope = new Float64Array(rows);
  const withoutRope = new Float64Array(rows);
  const pairs = new Int32Array(rows);
  for (let m = 0; m < rows; m++) {
    for (let n = 0; n <= m; n++) {
      withRope[m - n] += dot(qr, m * d, kr, n * d, d);
      withoutRope[m - n] += dot(q, m * d, k, n * d, d);
      pairs[m - n]++;
    }
  }
  for (let r = 0; r < rows; r++) {
    withRope[r] /= pairs[r];
    withoutRope[r] /= pairs[r];
  }
  // The fixed pair: k of token 0 stays at position 0; q of the last token is rotated to position r.
  const count = Math.max(1, probe ?? Math.min(512, Math.max(rows, config.maxPositions)));
  const qLast = q.subarray((rows - 1) * d, rows * d);
  const qMoved = new Float32Array(count * d);
  for (let r = 0; r < count; r++) qMoved.set(qLast, r * d);
  applyRope(qMoved, count, 1, d, layerRopeTables(config, layer, 0, count), false, config.block.ropeStyle);
  const k0 = k.slice(0, d);
  applyRope(k0, 1, 1, d, layerRopeTables(config, layer, 0, 1, count), false, config.block.ropeStyle);
  const fixedWithRope = new Float64Array(count);
  for (let r = 0; r < count; r++) fixedWithRope[r] = dot(qMoved, r * d, k0, 0, d);
  return { withRope, withoutRope, pairs, fixedWithRope, fixedWithoutRope: dot(qLast, 0, k, 0, d) };
}
