// Byte-level helpers for the hand-assembled WebAssembly kernels (wasmMatmul.ts, quant/wasmDequant.ts):
// LEB128 integers, the instructions the kernels use, and the module's sections.
// Encoding: WebAssembly Core Specification 2.0, §5 (binary format) and its SIMD opcode table (§5.4.8).

/** Unsigned LEB128. */
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** Signed LEB128. */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

/** A length-prefixed name. */
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** A length-prefixed vector of already-encoded items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A section with its id and byte length. */
export const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** local.get / local.set / local.tee. */
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
/** i32.const / f32.const. */
export const i32 = (v: number): number[] => [0x41, ...sleb(v)];
export const f32c = (v: number): number[] => {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return [0x43, ...b];
};
export const ADD = [0x6a];
export const SUB = [0x6b];
export const MUL = [0x6c];
export const AND = [0x71];
export const OR = [0x72];
export const SHL = [0x74];
export const SHR_U = [0x76];
export const EQ = [0x46];
export const NE = [0x47];
export const LT_U = [0x49];
export const SELECT = [0x1b];
export const F32_MUL = [0x94];
export const F32_ADD = [0x92];
export const F32_CONVERT_I32_S = [0xb2];
export const F32_REINTERPRET = [0xbe];
export const I32_REINTERPRET = [0xbc];
export const LOOP = [0x03, 0x40];
export const END = [0x0b];
export const BR_IF_LOOP = [0x0d, 0x00];
/** i32.load8_u / i32.load8_s / i32.load16_u at a constant byte offset from the address on the stack. */
export const load8u = (offset: number): number[] => [0x2d, 0x00, ...uleb(offset)];
export const load8s = (offset: number): number[] => [0x2c, 0x00, ...uleb(offset)];
export const load16u = (offset: number): number[] => [0x2f, 0x00, ...uleb(offset)];
/** f32.store at a constant offset (align 2^2). */
export const f32Store = (offset: number): number[] => [0x38, 0x02, ...uleb(offset)];

const simd = (op: number): number[] => [0xfd, ...uleb(op)];
/** v128.load / v128.store at a constant offset; alignment hint 1 byte (the operands need not be aligned). */
export const v128Load = (offset = 0): number[] => [...simd(0x00), 0x00, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [...simd(0x0b), 0x00, ...uleb(offset)];
/** v128.load with alignment hint 2^4 at offset 0 (the matmul kernel's padded operands). */
export const V128_LOAD = [0xfd, 0x00, 0x04, 0x00];
export const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
/** v128.const with every byte `b`. */
export const v128Bytes = (b: number): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(b & 0xff)];
export const I8X16_SPLAT = simd(0x0f);
export const F32X4_SPLAT = simd(0x13);
export const V128_AND = simd(0x4e);
export const V128_OR = simd(0x50);
export const I8X16_SHL = simd(0x6b);
export const I8X16_SHR_U = simd(0x6d);
export const I8X16_SUB = simd(0x71);
export const I16X8_EXTEND_LOW_I8X16_S = simd(0x87);
export const I16X8_EXTEND_HIGH_I8X16_S = simd(0x88);
export const I16X8_EXTEND_LOW_I8X16_U = simd(0x89);
export const I16X8_EXTEND_HIGH_I8X16_U = simd(0x8a);
export const I32X4_EXTEND_LOW_I16X8_S = simd(0xa7);
export const I32X4_EXTEND_HIGH_I16X8_S = simd(0xa8);
export const I32X4_EXTEND_LOW_I16X8_U = simd(0xa9);
export const I32X4_EXTEND_HIGH_I16X8_U = simd(0xaa);
export const I32X4_SHL = simd(0xab);
export const F32X4_ADD = simd(0xe4);
export const F32X4_SUB = simd(0xe5);
export const F32X4_MUL = simd(0xe6);
export const F32X4_CONVERT_I32X4_S = simd(0xfa);
/** f32x4.extract_lane l. */
export const lane = (l: number): number[] => [0xfd, 0x1f, l];

/** One function of a module: its parameter count (all i32), locals by type, body (without the final END), export name. */
export interface WasmFunction {
  readonly exportName: string;
  readonly params: number;
  readonly locals: readonly (readonly [count: number, type: number])[];
  readonly body: readonly number[];
}

/**
 * A module of `fns` (each (i32 × params) → ()) importing env.memory (shared, up to `maxPages`, when `shared`).
 */
export function assembleModule(fns: readonly WasmFunction[], shared: boolean, maxPages: number): Uint8Array {
  const arities = [...new Set(fns.map((f) => f.params))];
  const types = arities.map((n) => [0x60, ...vec(Array.from({ length: n }, () => [I32])), 0x00]);
  const bodies = fns.map((f) => {
    const code = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...END];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x01, ...uleb(maxPages)] : [0x00, 0x01])]])),
    ...section(3, vec(fns.map((f) => uleb(arities.indexOf(f.params))))),
    ...section(7, vec(fns.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
