// WebAssembly SIMD dequantizers for the fused quantized matmul (quant/linear.ts → wasmMatmul.ts): each turns
// whole blocks at `src` into float32 at `dst` inside the kernel's memory, so a worker thread can dequantize a
// tile of weight rows next to the data and hand it straight to the f32 kernel; and, for decoding (one row of
// x), row-dot kernels that decode the same f32x4 weight vectors in registers and multiply-add them with x. Each computes exactly what
// dequantize.ts (ggml's dequantize_row_* in ggml/src/ggml-quants.c) computes, in float32, 16 weights per step.
// Block layouts: ggml/src/ggml-common.h (block_q8_0, block_q4_K, block_q6_K; QK_K = 256).
import {
  ADD, AND, BR_IF_LOOP, NE, F32, F32_CONVERT_I32_S, F32_MUL, F32_REINTERPRET, F32X4_CONVERT_I32X4_S, F32X4_MUL, F32X4_SPLAT, F32X4_SUB,
  I16X8_EXTEND_HIGH_I8X16_S, I16X8_EXTEND_HIGH_I8X16_U, I16X8_EXTEND_LOW_I8X16_S, I16X8_EXTEND_LOW_I8X16_U, I32, I32_REINTERPRET,
  I32X4_EXTEND_HIGH_I16X8_S, I32X4_EXTEND_HIGH_I16X8_U, I32X4_EXTEND_LOW_I16X8_S, I32X4_EXTEND_LOW_I16X8_U, I32X4_SHL, I8X16_SHL,
  I8X16_SHR_U, I8X16_SUB, LOOP, LT_U, MUL, OR, SHR_U, SELECT, SHL, V128, V128_AND, V128_OR, END, f32c, get, i32, load16u, load8s, load8u, set, tee,
  v128Bytes, v128Load, v128Store, F32_ADD, F32X4_ADD, V128_ZERO, lane, f32Store, type WasmFunction,
} from '../wasmAsm';

/** Names of the exports, by weight type (the types without one dequantize in JavaScript). */
export const WASM_DEQUANT_EXPORTS = { q8_0: 'deq_q8_0', q4_k: 'deq_q4_k', q6_k: 'deq_q6_k', bf16: 'deq_bf16' } as const;

/** Names of the row-dot exports (decoding: one row of x against many weight rows), by weight type. */
export const WASM_DOT_EXPORTS = { q8_0: 'dot_q8_0', q4_k: 'dot_q4_k', q6_k: 'dot_q6_k', bf16: 'dot_bf16' } as const;

/** Weights each export's `count` argument counts in (a block, or 8 BF16 values). */
export const WASM_DEQUANT_UNIT = { q8_0: 32, q4_k: 256, q6_k: 256, bf16: 8 } as const;

/** Bytes of source per unit. */
export const WASM_DEQUANT_UNIT_BYTES = { q8_0: 34, q4_k: 144, q6_k: 210, bf16: 16 } as const;

type Emit = (...parts: number[][]) => void;

function builder(): { body: number[]; emit: Emit } {
  const body: number[] = [];
  return { body, emit: (...parts) => { for (const p of parts) body.push(...p); } };
}

/**
 * GGML_FP16_TO_FP32 of the half in local `h`, left on the stack as f32: the exponent and mantissa shifted into
 * float32 position and scaled by 2^112 (exact for normal and subnormal halves), the sign or'ed back, and
 * Inf/NaN (exponent 31) rebuilt with float32's all-ones exponent.
 */
function halfToFloat(emit: Emit, h: number, tmp: number): void {
  // tmp = (h & 0x7fff) << 13
  emit(get(h), i32(0x7fff), AND, i32(13), SHL, set(tmp));
  // finite: bits(reinterpret(tmp) · 2^112) | sign
  emit(get(tmp), F32_REINTERPRET, f32c(2 ** 112), F32_MUL, I32_REINTERPRET, get(h), i32(0x8000), AND, i32(16), SHL, OR);
  // Inf/NaN: 0x7f800000 | mantissa << 13 | sign
  emit(get(tmp), i32(0x007fe000), AND, i32(0x7f800000), OR, get(h), i32(0x8000), AND, i32(16), SHL, OR);
  // select(finite, inf/nan, exponent ≠ 31)
  emit(get(h), i32(0x7c00), AND, i32(0x7c00), NE, SELECT, F32_REINTERPRET);
}

/**
 * Where a kernel puts each f32x4 of weights: `value` pushes the vector; `offset` is its first weight's index
 * within the unit (block) being decoded.
 */
type Sink = (value: () => void, offset: number) => void;

/** Local indices of one generated function: I32 then F32 then V128 slots after the parameters. */
interface Slots { i32: number[]; f32: number[]; v128: number[] }

const I32_SLOTS = 8, F32_SLOTS = 4, V128_SLOTS = 24;

function slots(params: number): Slots {
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  return { i32: range(params, I32_SLOTS), f32: range(params + I32_SLOTS, F32_SLOTS), v128: range(params + I32_SLOTS + F32_SLOTS, V128_SLOTS) };
}

const SLOT_LOCALS: readonly (readonly [number, number])[] = [[I32_SLOTS, I32], [F32_SLOTS, F32], [V128_SLOTS, V128]];

/**
 * Sends the 16 signed (`signed`) or unsigned bytes of the v128 in local `v` as 4 f32x4 of weights, each
 * q·scale (− min when given; `scale`, `min` are f32x4 locals), to `sink` at weights offset … offset + 15.
 */
function send16(emit: Emit, v: number, signed: boolean, scale: number, min: number | undefined, sink: Sink, offset: number): void {
  const ext16 = signed ? [I16X8_EXTEND_LOW_I8X16_S, I16X8_EXTEND_HIGH_I8X16_S] : [I16X8_EXTEND_LOW_I8X16_U, I16X8_EXTEND_HIGH_I8X16_U];
  const ext32 = signed ? [I32X4_EXTEND_LOW_I16X8_S, I32X4_EXTEND_HIGH_I16X8_S] : [I32X4_EXTEND_LOW_I16X8_U, I32X4_EXTEND_HIGH_I16X8_U];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      sink(() => {
        emit(get(v), ext16[a], ext32[b], F32X4_CONVERT_I32X4_S, get(scale), F32X4_MUL);
        if (min !== undefined) emit(get(min), F32X4_SUB);
      }, offset + a * 8 + b * 4);
    }
  }
}

/** One block type: weights and bytes per unit, and the code that decodes the unit at local `src` into `sink`. */
interface UnitSpec {
  readonly weights: number;
  readonly bytes: number;
  /** Uses i32 slots 4.., f32 slots 0.., v128 slots 4.. (the generators keep the first four of i32 and v128). */
  decode(emit: Emit, src: number, s: Slots, sink: Sink): void;
}

/** block_q8_0 {f16 d; i8 qs[32]}: y = qs[j]·d (dequantize_row_q8_0). */
const Q8_0: UnitSpec = {
  weights: 32,
  bytes: 34,
  decode(emit, src, s, sink) {
    const [h, tmp] = [s.i32[4], s.i32[5]];
    const [d, v] = [s.v128[4], s.v128[5]];
    emit(get(src), load16u(0), set(h));
    halfToFloat(emit, h, tmp);
    emit(F32X4_SPLAT, set(d));
    for (let c = 0; c < 2; c++) {
      emit(get(src), v128Load(2 + 16 * c), set(v));
      send16(emit, v, true, d, undefined, sink, 16 * c);
    }
  },
};

/**
 * block_q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32, w = d·sc·q − dmin·m with
 * get_scale_min_k4's 6-bit packed scales and mins (dequantize_row_q4_K); each 32 bytes of qs hold two
 * sub-blocks (low nibbles, then high).
 */
const Q4_K: UnitSpec = {
  weights: 256,
  bytes: 144,
  decode(emit, src, s, sink) {
    const [h, tmp] = [s.i32[4], s.i32[5]];
    const [d, dmin] = [s.f32[0], s.f32[1]];
    const [bytes, nib, vd1, vm1, vd2, vm2] = s.v128.slice(4, 10);
    emit(get(src), load16u(0), set(h));
    halfToFloat(emit, h, tmp);
    emit(set(d));
    emit(get(src), load16u(2), set(h));
    halfToFloat(emit, h, tmp);
    emit(set(dmin));
    /** Pushes the 6-bit scale (`min` false) or min of sub-block j (get_scale_min_k4 over scales at src + 4). */
    const scaleMin = (j: number, min: boolean): void => {
      const k = 4;
      if (j < 4) emit(get(src), load8u(k + j + (min ? 4 : 0)), i32(63), AND);
      else if (!min) emit(get(src), load8u(k + j + 4), i32(0x0f), AND, get(src), load8u(k + j - 4), i32(6), SHR_U, i32(4), SHL, OR);
      else emit(get(src), load8u(k + j + 4), i32(4), SHR_U, get(src), load8u(k + j), i32(6), SHR_U, i32(4), SHL, OR);
    };
    for (let g = 0; g < 4; g++) {
      // d1 = d·sc[2g], m1 = dmin·m[2g], d2, m2 for the high nibbles (float32 products, as ggml computes them).
      const pairs: [number, number, boolean][] = [[vd1, 2 * g, false], [vm1, 2 * g, true], [vd2, 2 * g + 1, false], [vm2, 2 * g + 1, true]];
      for (const [local, j, min] of pairs) {
        emit(get(min ? dmin : d));
        scaleMin(j, min);
        emit(F32_CONVERT_I32_S, F32_MUL, F32X4_SPLAT, set(local));
      }
      for (let half = 0; half < 2; half++) {
        emit(get(src), v128Load(16 + 32 * g + 16 * half), set(bytes));
        emit(get(bytes), v128Bytes(0x0f), V128_AND, set(nib));
        send16(emit, nib, false, vd1, vm1, sink, 64 * g + 16 * half);
        emit(get(bytes), i32(4), I8X16_SHR_U, set(nib));
        send16(emit, nib, false, vd2, vm2, sink, 64 * g + 32 + 16 * half);
      }
    }
  },
};

/**
 * block_q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: q = (4 low bits from ql | 2 high bits from qh) − 32,
 * w = (d·scale[16-weight group])·q (dequantize_row_q6_K).
 */
const Q6_K: UnitSpec = {
  weights: 256,
  bytes: 210,
  decode(emit, src, s, sink) {
    const [h, tmp] = [s.i32[4], s.i32[5]];
    const d = s.f32[0];
    const [a, b, hb, q, scale] = s.v128.slice(4, 9);
    emit(get(src), load16u(208), set(h));
    halfToFloat(emit, h, tmp);
    emit(set(d));
    for (let half = 0; half < 2; half++) {
      const ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half;
      for (let c = 0; c < 2; c++) {
        emit(get(src), v128Load(ql + 16 * c), set(a), get(src), v128Load(ql + 32 + 16 * c), set(b), get(src), v128Load(qh + 16 * c), set(hb));
        const low = v128Bytes(0x0f), three = v128Bytes(0x03);
        // [low nibble source, high-bits shift, output offset in weights, scale index]
        const parts: [number[], number, number, number][] = [
          [[...get(a), ...low, ...V128_AND], 0, 0, c],
          [[...get(b), ...low, ...V128_AND], 2, 32, c + 2],
          [[...get(a), ...i32(4), ...I8X16_SHR_U], 4, 64, c + 4],
          [[...get(b), ...i32(4), ...I8X16_SHR_U], 6, 96, c + 6],
        ];
        for (const [lo, shift, off, is] of parts) {
          emit(lo, get(hb));
          if (shift) emit(i32(shift), I8X16_SHR_U);
          emit(three, V128_AND, i32(4), I8X16_SHL, V128_OR, v128Bytes(32), I8X16_SUB, set(q));
          // d·scales[is] of these 16 weights (each scale serves one group of 16: computed where used, so
          // eight splats do not sit in registers).
          emit(get(d), get(src), load8s(sc + is), F32_CONVERT_I32_S, F32_MUL, F32X4_SPLAT, set(scale));
          send16(emit, q, true, scale, undefined, sink, 128 * half + off + 16 * c);
        }
      }
    }
  },
};

/** BF16: 8 values per unit, each the high half of a float32. */
const BF16: UnitSpec = {
  weights: 8,
  bytes: 16,
  decode(emit, src, s, sink) {
    const v = s.v128[4];
    emit(get(src), v128Load(0), set(v));
    sink(() => emit(get(v), I32X4_EXTEND_LOW_I16X8_U, i32(16), I32X4_SHL), 0);
    sink(() => emit(get(v), I32X4_EXTEND_HIGH_I16X8_U, i32(16), I32X4_SHL), 4);
  },
};

const SPECS = { q8_0: Q8_0, q4_k: Q4_K, q6_k: Q6_K, bf16: BF16 } as const;

/** deq_*(src, dst, count): `count` units from src into float32 at dst (count ≥ 1). */
function dequantFunction(exportName: string, spec: UnitSpec): WasmFunction {
  const [src, dst, count] = [0, 1, 2];
  const s = slots(3);
  const end = s.i32[0];
  const { body, emit } = builder();
  emit(get(count), i32(spec.bytes), MUL, get(src), ADD, set(end));
  emit(LOOP);
  spec.decode(emit, src, s, (value, offset) => {
    emit(get(dst));
    value();
    emit(v128Store(offset * 4));
  });
  emit(get(dst), i32(spec.weights * 4), ADD, set(dst), get(src), i32(spec.bytes), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  return { exportName, params: 3, locals: SLOT_LOCALS, body };
}

/**
 * dot_*(src, x, y, rows, units): y[r] = Σ_i w[r, i]·x[i] for `rows` consecutive rows of `units` units each at
 * src (rows, units ≥ 1): the weights decoded in registers, never stored; DOT_ACCUMULATORS f32x4 sums per row
 * (one: a factored form, d·Σq·x − m·Σx for Q4_K, needed more live vectors and ran 2× slower here).
 */
function dotFunction(exportName: string, spec: UnitSpec): WasmFunction {
  const [src, x, y, rows, units] = [0, 1, 2, 3, 4];
  const s = slots(5);
  const [end, xp, yEnd] = [s.i32[0], s.i32[1], s.i32[2]];
  const acc = s.v128.slice(0, 4);
  const { body, emit } = builder();
  emit(get(rows), i32(4), MUL, get(y), ADD, set(yEnd));
  emit(LOOP);
  for (const a of acc) emit(V128_ZERO, set(a));
  emit(get(x), set(xp), get(units), i32(spec.bytes), MUL, get(src), ADD, set(end));
  emit(LOOP);
  spec.decode(emit, src, s, (value, offset) => {
    const a = acc[(offset / 4) % DOT_ACCUMULATORS];
    emit(get(a));
    value();
    emit(get(xp), v128Load(offset * 4), F32X4_MUL, F32X4_ADD, set(a));
  });
  emit(get(xp), i32(spec.weights * 4), ADD, set(xp), get(src), i32(spec.bytes), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  emit(get(acc[0]), get(acc[1]), F32X4_ADD, get(acc[2]), get(acc[3]), F32X4_ADD, F32X4_ADD, set(acc[0]));
  emit(get(y), get(acc[0]), lane(0), get(acc[0]), lane(1), F32_ADD, get(acc[0]), lane(2), get(acc[0]), lane(3), F32_ADD, F32_ADD, f32Store(0));
  emit(get(y), i32(4), ADD, tee(y), get(yEnd), LT_U, BR_IF_LOOP, END);
  return { exportName, params: 5, locals: SLOT_LOCALS, body };
}

/**
 * f32x4 sums per row dot. One: V8 keeps the decoder's values in registers; with 2 or 4 (to hide the add's
 * latency) they spill and the kernel ran 1.6-1.9× slower per CPU-second here (Q4_K 0.29 vs 0.55 ns a weight).
 */
const DOT_ACCUMULATORS = 1;

/** The dequantizers and row-dot kernels as functions of the kernel module (wasmMatmul.ts assembles them beside matmul). */
export function dequantFunctions(): WasmFunction[] {
  const types = Object.keys(SPECS) as (keyof typeof SPECS)[];
  return [...types.map((t) => dequantFunction(WASM_DEQUANT_EXPORTS[t], SPECS[t])), ...types.map((t) => dotFunction(WASM_DOT_EXPORTS[t], SPECS[t]))];
}
