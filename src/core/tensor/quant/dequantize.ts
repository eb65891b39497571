// Block dequantizers, one per type, following ggml's reference dequantize_row_* in ggml/src/ggml-quants.c
// (ggml-org/ggml d99724f) for the block layouts of ggml/src/ggml-common.h. Each writes float32 exactly as
// ggml's scalar code computes it (f16 scales widened to float, products in float).
import type { WeightMatrix, WeightType } from '../weights';
import { BLOCK_TYPES, QK_K, rowBytes } from './blockTypes';

let halfTable: Float32Array | undefined;

/** float32 value of every IEEE half bit pattern (ggml's GGML_FP16_TO_FP32), built once. */
export function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? sign * m * 2 ** -24 : e === 31 ? (m ? NaN : sign * Infinity) : sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  halfTable = t;
  return t;
}

// Products are rounded to float32 where ggml's C code computes in float (d * sc, then * q).
const f = Math.fround;

/** dequantize_row_q8_0: y = qs[j] · d. */
function q8_0(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 34, o += 32) {
    const d = h[src[p] | (src[p + 1] << 8)];
    for (let j = 0; j < 32; j++) out[o + j] = ((src[p + 2 + j] << 24) >> 24) * d;
  }
}

/** dequantize_row_q4_0: low nibbles are weights 0..15, high nibbles 16..31, both minus 8, times d. */
function q4_0(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 18, o += 32) {
    const d = h[src[p] | (src[p + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = src[p + 2 + j];
      out[o + j] = ((q & 0x0f) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/** dequantize_row_q5_0: as Q4_0 with a fifth bit per weight from the 32-bit qh (bit j, bit j + 16), minus 16. */
function q5_0(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 22, o += 32) {
    const d = h[src[p] | (src[p + 1] << 8)];
    const qh = (src[p + 2] | (src[p + 3] << 8) | (src[p + 4] << 16) | (src[p + 5] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = src[p + 6 + j];
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      out[o + j] = (((q & 0x0f) | h0) - 16) * d;
      out[o + j + 16] = (((q >> 4) | h1) - 16) * d;
    }
  }
}

/** get_scale_min_k4 for all 8 sub-blocks: 6-bit scales into sc[0..7], mins into m[0..7], from the 12 bytes at `s`. */
function scalesMins(src: Uint8Array, s: number, sc: Uint8Array, m: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    sc[j] = src[s + j] & 63;
    m[j] = src[s + j + 4] & 63;
  }
  for (let j = 4; j < 8; j++) {
    sc[j] = (src[s + j + 4] & 0x0f) | ((src[s + j - 4] >> 6) << 4);
    m[j] = (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4);
  }
}

const scBuf = new Uint8Array(8);
const mBuf = new Uint8Array(8);

/** dequantize_row_q4_K: 8 sub-blocks of 32, w = d·sc·q − dmin·m; each 32 bytes of qs hold two sub-blocks (low, high nibbles). */
function q4_k(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 144) {
    const d = h[src[p] | (src[p + 1] << 8)];
    const dmin = h[src[p + 2] | (src[p + 3] << 8)];
    scalesMins(src, p + 4, scBuf, mBuf);
    let q = p + 16;
    for (let is = 0; is < 8; is += 2, q += 32) {
      const d1 = f(d * scBuf[is]), mm1 = f(dmin * mBuf[is]), d2 = f(d * scBuf[is + 1]), mm2 = f(dmin * mBuf[is + 1]);
      for (let l = 0; l < 32; l++) {
        const byte = src[q + l];
        out[o + l] = f(d1 * (byte & 0x0f)) - mm1;
        out[o + l + 32] = f(d2 * (byte >> 4)) - mm2;
      }
      o += 64;
    }
  }
}

/** dequantize_row_q5_K: as Q4_K with a fifth bit from qh (bits u1, u2 moving up two per 64 weights). */
function q5_k(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 176) {
    const d = h[src[p] | (src[p + 1] << 8)];
    const dmin = h[src[p + 2] | (src[p + 3] << 8)];
    scalesMins(src, p + 4, scBuf, mBuf);
    const qh = p + 16;
    let ql = p + 48;
    let u1 = 1, u2 = 2;
    for (let is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      const d1 = f(d * scBuf[is]), mm1 = f(dmin * mBuf[is]), d2 = f(d * scBuf[is + 1]), mm2 = f(dmin * mBuf[is + 1]);
      for (let l = 0; l < 32; l++) {
        const byte = src[ql + l], hb = src[qh + l];
        out[o + l] = f(d1 * ((byte & 0x0f) + (hb & u1 ? 16 : 0))) - mm1;
        out[o + l + 32] = f(d2 * ((byte >> 4) + (hb & u2 ? 16 : 0))) - mm2;
      }
      o += 64;
    }
  }
}

const s6 = new Float32Array(8);

/** dequantize_row_q6_K: q = (4 low bits from ql | 2 high bits from qh) − 32, w = d·scale[16-weight group]·q. */
function q6_k(src: Uint8Array, p: number, out: Float32Array, o: number, blocks: number, h: Float32Array): void {
  for (let b = 0; b < blocks; b++, p += 210) {
    const d = h[src[p + 208] | (src[p + 209] << 8)];
    let ql = p, qh = p + 128, sc = p + 192;
    for (let n = 0; n < QK_K; n += 128, o += 128, ql += 64, qh += 32, sc += 8) {
      // d·scales[is + k] for the 8 int8 scales of these 128 weights (is = l / 16).
      for (let k = 0; k < 8; k++) s6[k] = f(d * ((src[sc + k] << 24) >> 24));
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const hb = src[qh + l];
        const lo = src[ql + l], hi = src[ql + l + 32];
        out[o + l] = s6[is] * (((lo & 0x0f) | ((hb & 3) << 4)) - 32);
        out[o + l + 32] = s6[is + 2] * (((hi & 0x0f) | (((hb >> 2) & 3) << 4)) - 32);
        out[o + l + 64] = s6[is + 4] * (((lo >> 4) | (((hb >> 4) & 3) << 4)) - 32);
        out[o + l + 96] = s6[is + 6] * (((hi >> 4) | (((hb >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

function f16(src: Uint8Array, p: number, out: Float32Array, o: number, n: number, h: Float32Array): void {
  for (let i = 0; i < n; i++, p += 2) out[o + i] = h[src[p] | (src[p + 1] << 8)];
}

function bf16(src: Uint8Array, p: number, out: Float32Array, o: number, n: number): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset + o * 4, n);
  for (let i = 0; i < n; i++, p += 2) bits[i] = ((src[p] | (src[p + 1] << 8)) << 16) >>> 0;
}

function f32(src: Uint8Array, p: number, out: Float32Array, o: number, n: number): void {
  // Every platform VS Code runs on is little-endian, as GGUF files are: a byte copy is the decode.
  new Uint8Array(out.buffer, out.byteOffset + o * 4, n * 4).set(src.subarray(p, p + n * 4));
}

/**
 * Dequantizes `n` weights (whole blocks) of `type` from `src` at byte `srcOffset` into `out` at `outOffset`.
 * Throws RangeError when `n` is not whole blocks or either buffer is too short.
 */
export function dequantizeRow(type: WeightType, src: Uint8Array, srcOffset: number, out: Float32Array, outOffset: number, n: number): void {
  const bytes = rowBytes(type, n);
  if (srcOffset < 0 || srcOffset + bytes > src.length) throw new RangeError(`dequantizeRow: ${bytes} bytes at ${srcOffset} pass the end of a ${src.length}-byte buffer`);
  if (outOffset < 0 || outOffset + n > out.length) throw new RangeError(`dequantizeRow: ${n} values at ${outOffset} pass the end of the output`);
  const h = halfToFloatTable();
  const blocks = n / BLOCK_TYPES[type].blockSize;
  switch (type) {
    case 'f32': return f32(src, srcOffset, out, outOffset, n);
    case 'f16': return f16(src, srcOffset, out, outOffset, n, h);
    case 'bf16': return bf16(src, srcOffset, out, outOffset, n);
    case 'q8_0': return q8_0(src, srcOffset, out, outOffset, blocks, h);
    case 'q4_0': return q4_0(src, srcOffset, out, outOffset, blocks, h);
    case 'q5_0': return q5_0(src, srcOffset, out, outOffset, blocks, h);
    case 'q4_k': return q4_k(src, srcOffset, out, outOffset, blocks, h);
    case 'q5_k': return q5_k(src, srcOffset, out, outOffset, blocks, h);
    case 'q6_k': return q6_k(src, srcOffset, out, outOffset, blocks, h);
  }
}

/** The raw bytes behind a weight matrix (a Float32Array's own bytes for f32). */
export function weightBytesView(w: WeightMatrix): Uint8Array {
  return w.data instanceof Uint8Array ? w.data : new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
}

/** Rows [rowStart, rowStart + count) of `w` as float32, row-major, into `out` (allocated when omitted). */
export function dequantizeRows(w: WeightMatrix, rowStart: number, count: number, out?: Float32Array): Float32Array {
  if (rowStart < 0 || count < 0 || rowStart + count > w.rows) throw new RangeError(`dequantizeRows: rows ${rowStart}..${rowStart + count} outside 0..${w.rows}`);
  const dst = out ?? new Float32Array(count * w.cols);
  if (w.stream) {
    // A streamed matrix: read from disk (a permuted one a row at a time unless the range is whole groups).
    const g = w.stream.rowGroup;
    if (count === 0) return dst;
    if (g === 1 || (rowStart % g === 0 && count % g === 0)) return dequantizeRows(w.stream.readRows(rowStart, count), 0, count, dst);
    for (let r = 0; r < count; r++) dequantizeRows(w.stream.readRows(rowStart + r, 1), 0, 1, dst.subarray(r * w.cols, (r + 1) * w.cols));
    return dst;
  }
  if (w.data instanceof Float32Array) {
    dst.set(w.data.subarray(rowStart * w.cols, (rowStart + count) * w.cols));
    return dst;
  }
  const rb = rowBytes(w.type, w.cols);
  // Rows are contiguous whole blocks, so a run of rows dequantizes as one long row.
  dequantizeRow(w.type, w.data, rowStart * rb, dst, 0, count * w.cols);
  return dst;
}

/** The whole matrix as float32 (rows × cols). */
export function toFloat32(w: WeightMatrix): Float32Array {
  if (w.type === 'f32' && w.data instanceof Float32Array && !w.stream) return w.data;
  return dequantizeRows(w, 0, w.rows);
}
