// Quantizers for tests and benchmarks, written from ggml's reference quantize_row_*_ref
// (ggml/src/ggml-quants.c, ggml-org/ggml d99724f). Q8_0, Q4_0 and Q5_0 follow the reference exactly; for the
// k-quants the per-sub-block scale/min search (make_qkx2_quants / make_qx_quants, an iterative fit) is
// replaced by the plain min/max fit, and everything after it (6-bit scale packing, super-block d/dmin,
// bit layouts) follows the reference. The blocks are valid ggml blocks either way; only the fit is simpler.
import { floatToHalfBits } from '../../src/core/tensor/dtypes';
import { BLOCK_TYPES, QK_K } from '../../src/core/tensor/quant/blockTypes';
import { halfToFloatTable } from '../../src/core/tensor/quant/dequantize';
import type { WeightType } from '../../src/core/tensor/weights';

/** ggml's nearest_int: round half to even (its 1.5·2^23 trick). */
function nearestInt(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
/** C's roundf: half away from zero. */
const roundf = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));
const fp = Math.fround;
/** GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(v)). */
const viaHalf = (v: number): number => halfToFloatTable()[floatToHalfBits(v)];

function putHalf(out: Uint8Array, p: number, v: number): void {
  const h = floatToHalfBits(v);
  out[p] = h & 0xff;
  out[p + 1] = h >> 8;
}

function q8_0(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, p = 0; b < x.length / 32; b++, p += 34) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
    const d = fp(amax / 127);
    const id = d ? fp(1 / d) : 0;
    putHalf(out, p, d);
    for (let j = 0; j < 32; j++) out[p + 2 + j] = roundf(fp(x[b * 32 + j] * id)) & 0xff;
  }
}

/** Q4_0 (nmax 8, offset 8.5, 4 bits) and Q5_0 (16, 16.5, 5 bits): d = max / −nmax, the signed max of largest magnitude. */
function q_0(x: Float32Array, out: Uint8Array, five: boolean): void {
  const nmax = five ? 16 : 8;
  const bb = five ? 22 : 18;
  for (let b = 0, p = 0; b < x.length / 32; b++, p += bb) {
    let amax = 0, max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[b * 32 + j];
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = fp(max / -nmax);
    const id = d ? fp(1 / d) : 0;
    putHalf(out, p, d);
    let qh = 0;
    const qs = five ? p + 6 : p + 2;
    for (let j = 0; j < 16; j++) {
      // (int8_t)(x + 8.5f) truncates toward zero, then MIN(15 or 31, …).
      const xi0 = Math.min(2 * nmax - 1, Math.trunc(fp(fp(x[b * 32 + j] * id) + nmax + 0.5)));
      const xi1 = Math.min(2 * nmax - 1, Math.trunc(fp(fp(x[b * 32 + 16 + j] * id) + nmax + 0.5)));
      out[qs + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >> 4) << j;
      qh |= ((xi1 & 0x10) >> 4) << (j + 16);
    }
    if (five) for (let k = 0; k < 4; k++) out[p + 2 + k] = (qh >>> (8 * k)) & 0xff;
  }
}

/** Q4_K (nmax 15) and Q5_K (31): scale and min per 32-weight sub-block, packed to 6 bits as quantize_row_q4_K_ref does. */
function qK(x: Float32Array, out: Uint8Array, five: boolean): void {
  const nmax = five ? 31 : 15;
  const bb = five ? 176 : 144;
  for (let b = 0, p = 0; b < x.length / QK_K; b++, p += bb) {
    const xb = x.subarray(b * QK_K, (b + 1) * QK_K);
    const scales: number[] = [];
    const mins: number[] = [];
    for (let j = 0; j < 8; j++) {
      let lo = Infinity, hi = -Infinity;
      for (let l = 0; l < 32; l++) { lo = Math.min(lo, xb[32 * j + l]); hi = Math.max(hi, xb[32 * j + l]); }
      if (lo > 0) lo = 0; // make_qkx2_quants: the min is never positive, it is stored negated
      scales.push(fp((hi - lo) / nmax));
      mins.push(-lo);
    }
    const maxScale = Math.max(...scales), maxMin = Math.max(...mins);
    const invScale = maxScale > 0 ? fp(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fp(63 / maxMin) : 0;
    const sc = p + 4;
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(fp(invScale * scales[j])));
      const lm = Math.min(63, nearestInt(fp(invMin * mins[j])));
      if (j < 4) { out[sc + j] = ls; out[sc + j + 4] = lm; }
      else {
        out[sc + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
        out[sc + j - 4] |= (ls >> 4) << 6;
        out[sc + j] |= (lm >> 4) << 6;
      }
    }
    putHalf(out, p, fp(maxScale / 63));
    putHalf(out, p + 2, fp(maxMin / 63));
    const dAll = viaHalf(fp(maxScale / 63)), mAll = viaHalf(fp(maxMin / 63));
    const L = new Uint8Array(QK_K);
    for (let j = 0; j < 8; j++) {
      const [s, m] = scaleMinOf(out, sc, j);
      const d = fp(dAll * s);
      if (!d) continue;
      const dm = fp(mAll * m);
      for (let l = 0; l < 32; l++) L[32 * j + l] = Math.max(0, Math.min(nmax, nearestInt(fp(fp(xb[32 * j + l] + dm) / d))));
    }
    if (!five) {
      for (let j = 0, q = p + 16; j < QK_K; j += 64, q += 32) for (let l = 0; l < 32; l++) out[q + l] = L[j + l] | (L[j + l + 32] << 4);
    } else {
      const qh = p + 16;
      let m1 = 1, m2 = 2;
      for (let n = 0, ql = p + 48; n < QK_K; n += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
        for (let j = 0; j < 32; j++) {
          let l1 = L[n + j], l2 = L[n + j + 32];
          if (l1 > 15) { l1 -= 16; out[qh + j] |= m1; }
          if (l2 > 15) { l2 -= 16; out[qh + j] |= m2; }
          out[ql + j] = l1 | (l2 << 4);
        }
      }
    }
  }
}

function scaleMinOf(q: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [q[s + j] & 63, q[s + j + 4] & 63];
  return [(q[s + j + 4] & 0x0f) | ((q[s + j - 4] >> 6) << 4), (q[s + j + 4] >> 4) | ((q[s + j] >> 6) << 4)];
}

/** Q6_K: a signed scale per 16 weights (max / −32), int8 scales under one f16 d, as quantize_row_q6_K_ref. */
function q6K(x: Float32Array, out: Uint8Array): void {
  for (let b = 0, p = 0; b < x.length / QK_K; b++, p += 210) {
    const xb = x.subarray(b * QK_K, (b + 1) * QK_K);
    const scales: number[] = [];
    let maxScale = 0, maxAbs = 0;
    for (let ib = 0; ib < 16; ib++) {
      let amax = 0, max = 0;
      for (let l = 0; l < 16; l++) { const v = xb[16 * ib + l]; if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; } }
      const scale = max === 0 ? 0 : fp(max / -32);
      scales.push(scale);
      if (Math.abs(scale) > maxAbs) { maxAbs = Math.abs(scale); maxScale = scale; }
    }
    if (maxAbs < 1e-15) continue; // an all-zero block: zero bytes, d = 0 (GROUP_MAX_EPS)
    const iscale = fp(-128 / maxScale);
    putHalf(out, p + 208, fp(1 / iscale));
    const d0 = viaHalf(fp(1 / iscale));
    for (let ib = 0; ib < 16; ib++) out[p + 192 + ib] = Math.min(127, nearestInt(fp(iscale * scales[ib]))) & 0xff;
    const L = new Uint8Array(QK_K);
    for (let j = 0; j < 16; j++) {
      const d = fp(d0 * ((out[p + 192 + j] << 24) >> 24));
      if (!d) { L.fill(32, 16 * j, 16 * j + 16); continue; }
      for (let l = 0; l < 16; l++) L[16 * j + l] = Math.max(-32, Math.min(31, nearestInt(fp(xb[16 * j + l] / d)))) + 32;
    }
    for (let j = 0, ql = p, qh = p + 128; j < QK_K; j += 128, ql += 64, qh += 32) {
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf, q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
        out[ql + l] = q1 | (q3 << 4);
        out[ql + l + 32] = q2 | (q4 << 4);
        out[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
      }
    }
  }
}

/** Encodes `x` (whole blocks) as `type`; f32/f16/bf16 are plain little-endian encodings. */
export function quantize(type: WeightType, x: Float32Array): Uint8Array {
  const b = BLOCK_TYPES[type];
  if (x.length % b.blockSize !== 0) throw new RangeError(`${b.name} needs whole blocks of ${b.blockSize}`);
  const out = new Uint8Array((x.length / b.blockSize) * b.blockBytes);
  switch (type) {
    case 'f32': out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)); break;
    case 'f16': for (let i = 0; i < x.length; i++) putHalf(out, 2 * i, x[i]); break;
    case 'bf16': {
      const u = new Uint32Array(Float32Array.from(x).buffer);
      for (let i = 0; i < x.length; i++) {
        const r = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16; // round to nearest even
        out[2 * i] = r & 0xff;
        out[2 * i + 1] = (r >> 8) & 0xff;
      }
      break;
    }
    case 'q8_0': q8_0(x, out); break;
    case 'q4_0': q_0(x, out, false); break;
    case 'q5_0': q_0(x, out, true); break;
    case 'q4_k': qK(x, out, false); break;
    case 'q5_k': qK(x, out, true); break;
    case 'q6_k': q6K(x, out); break;
  }
  return out;
}
