// Conversions between float32 and the 16-bit float formats safetensors files use (IEEE half, bfloat16).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let halfTable: Float32Array | undefined;

/** The float32 value of every IEEE-754 half-precision bit pattern (65,536 entries, built once). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let value: number;
    if (exponent === 0) value = sign * mantissa * 2 ** -24; // subnormal
    else if (exponent === 31) value = mantissa ? NaN : sign * Infinity;
    else value = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
    table[h] = value;
  }
  halfTable = table;
  return table;
}

/** Decodes little-endian IEEE half floats into `out` (a table lookup per element). */
export function decodeF16(bytes: Uint8Array, out: Float32Array): void {
  const table = halfToFloatTable();
  for (let i = 0, b = 0; i < out.length; i++, b += 2) out[i] = table[bytes[b] | (bytes[b + 1] << 8)];
}

/** Decodes little-endian bfloat16 values into `out`: a bfloat16 is the top half of a float32. */
export function decodeBF16(bytes: Uint8Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0, b = 0; i < out.length; i++, b += 2) bits[i] = ((bytes[b] | (bytes[b + 1] << 8)) << 16) >>> 0;
}

/** Decodes little-endian float32 values into `out` (byte copy; every platform Node runs VS Code on is little-endian). */
export function decodeF32(bytes: Uint8Array, out: Float32Array): void {
  new Uint8Array(out.buffer, out.byteOffset, out.length * 4).set(bytes.subarray(0, out.length * 4));
}

/** Rounds a number to the nearest IEEE half (ties to even) and returns its bit pattern. */
export function floatToHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  let e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflows to signed zero
    mantissa |= 0x800000; // make the implicit bit explicit, then shift into the subnormal range
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let m = mantissa >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mantissa >>> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** Rounds a number to the nearest bfloat16 (ties to even) and returns its bit pattern. */
export function floatToBF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff; // keep NaN a NaN
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
