// WebAssembly SIMD dequantizers for the fused quantized matmul (quant/linear.ts → wasmMatmul.ts): each turns
// whole blocks at `src` into float32 at `dst` inside the kernel's memory, so a worker thread can dequantize a
// tile of weight rows next to the data and hand it straight to the f32 kernel. Each computes exactly what
// dequantize.ts (ggml's dequantize_row_* in ggml/src/ggml-quants.c) computes, in float32, 16 weights per step.
// Block layouts: ggml/src/ggml-common.h (block_q8_0, block_q4_K, block_q6_K; QK_K = 256).
import {
  ADD, AND, BR_IF_LOOP, NE, F32, F32_CONVERT_I32_S, F32_MUL, F32_REINTERPRET, F32X4_CONVERT_I32X4_S, F32X4_MUL, F32X4_SPLAT, F32X4_SUB,
  I16X8_EXTEND_HIGH_I8X16_S, I16X8_EXTEND_HIGH_I8X16_U, I16X8_EXTEND_LOW_I8X16_S, I16X8_EXTEND_LOW_I8X16_U, I32, I32_REINTERPRET,
  I32X4_EXTEND_HIGH_I16X8_S, I32X4_EXTEND_HIGH_I16X8_U, I32X4_EXTEND_LOW_I16X8_S, I32X4_EXTEND_LOW_I16X8_U, I32X4_SHL, I8X16_SHL,
  I8X16_SHR_U, I8X16_SUB, LOOP, LT_U, MUL, OR, SHR_U, SELECT, SHL, V128, V128_AND, V128_OR, END, f32c, get, i32, load16u, load8s, load8u, set, tee,
  v128Bytes, v128Load, v128Store, type WasmFunction,
} from '../wasmAsm';

/** Names of the exports, by weight type (the types without one dequantize in JavaScript). */
export const WASM_DEQUANT_EXPORTS = { q8_0: 'deq_q8_0', q4_k: 'deq_q4_k', q6_k: 'deq_q6_k', bf16: 'deq_bf16' } as const;

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
 * Stores the 16 signed (`signed`) or unsigned bytes of the v128 in local `v` as 16 float32 values multiplied by
 * the f32x4 in local `scale` (minus local `min` when given) at `dst` + offset.
 */
function store16(emit: Emit, v: number, signed: boolean, scale: number, min: number | undefined, dst: number, offset: number): void {
  const ext16 = signed ? [I16X8_EXTEND_LOW_I8X16_S, I16X8_EXTEND_HIGH_I8X16_S] : [I16X8_EXTEND_LOW_I8X16_U, I16X8_EXTEND_HIGH_I8X16_U];
  const ext32 = signed ? [I32X4_EXTEND_LOW_I16X8_S, I32X4_EXTEND_HIGH_I16X8_S] : [I32X4_EXTEND_LOW_I16X8_U, I32X4_EXTEND_HIGH_I16X8_U];
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      emit(get(dst), get(v), ext16[a], ext32[b], F32X4_CONVERT_I32X4_S, get(scale), F32X4_MUL);
      if (min !== undefined) emit(get(min), F32X4_SUB);
      emit(v128Store(offset + (a * 8 + b * 4) * 4));
    }
  }
}

/** deq_q8_0(src, dst, blocks): y = qs[j]·d (dequantize_row_q8_0). */
function q8_0(): WasmFunction {
  const [src, dst, blocks] = [0, 1, 2];
  const [end, h, tmp] = [3, 4, 5];
  const [d, v] = [6, 7];
  const { body, emit } = builder();
  emit(get(blocks), i32(34), MUL, get(src), ADD, set(end));
  emit(LOOP);
  emit(get(src), load16u(0), set(h));
  halfToFloat(emit, h, tmp);
  emit(F32X4_SPLAT, set(d));
  for (let c = 0; c < 2; c++) {
    emit(get(src), v128Load(2 + 16 * c), set(v));
    store16(emit, v, true, d, undefined, dst, 64 * c);
  }
  emit(get(dst), i32(128), ADD, set(dst), get(src), i32(34), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  return { exportName: WASM_DEQUANT_EXPORTS.q8_0, params: 3, locals: [[3, I32], [2, V128]], body };
}

/**
 * deq_q4_k(src, dst, blocks): 8 sub-blocks of 32, w = d·sc·q − dmin·m with get_scale_min_k4's 6-bit packed
 * scales and mins (dequantize_row_q4_K); each 32 bytes of qs hold two sub-blocks (low nibbles, then high).
 */
function q4_k(): WasmFunction {
  const [src, dst, blocks] = [0, 1, 2];
  const [end, h, tmp] = [3, 4, 5];
  const [d, dmin] = [6, 7];
  const [bytes, nib, vd1, vm1, vd2, vm2] = [8, 9, 10, 11, 12, 13];
  const { body, emit } = builder();
  emit(get(blocks), i32(144), MUL, get(src), ADD, set(end));
  emit(LOOP);
  emit(get(src), load16u(0), set(h));
  halfToFloat(emit, h, tmp);
  emit(set(d));
  emit(get(src), load16u(2), set(h));
  halfToFloat(emit, h, tmp);
  emit(set(dmin));
  /** Pushes the 6-bit scale (`min` false) or min of sub-block j (get_scale_min_k4 over scales at src + 4). */
  const scaleMin = (j: number, min: boolean): void => {
    const s = 4;
    if (j < 4) emit(get(src), load8u(s + j + (min ? 4 : 0)), i32(63), AND);
    else if (!min) emit(get(src), load8u(s + j + 4), i32(0x0f), AND, get(src), load8u(s + j - 4), i32(6), SHR_U, i32(4), SHL, OR);
    else emit(get(src), load8u(s + j + 4), i32(4), SHR_U, get(src), load8u(s + j), i32(6), SHR_U, i32(4), SHL, OR);
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
      store16(emit, nib, false, vd1, vm1, dst, (64 * g + 16 * half) * 4);
      emit(get(bytes), i32(4), I8X16_SHR_U, set(nib));
      store16(emit, nib, false, vd2, vm2, dst, (64 * g + 32 + 16 * half) * 4);
    }
  }
  emit(get(dst), i32(1024), ADD, set(dst), get(src), i32(144), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  return { exportName: WASM_DEQUANT_EXPORTS.q4_k, params: 3, locals: [[3, I32], [2, F32], [6, V128]], body };
}

/**
 * deq_q6_k(src, dst, blocks): q = (4 low bits from ql | 2 high bits from qh) − 32, w = (d·scale[16-weight
 * group])·q (dequantize_row_q6_K; block {ql[128], qh[64], scales[16], d}).
 */
function q6_k(): WasmFunction {
  const [src, dst, blocks] = [0, 1, 2];
  const [end, h, tmp] = [3, 4, 5];
  const d = 6;
  const [a, b, hb, q, s0] = [7, 8, 9, 10, 11]; // s0..s7: the 8 scales of one 128-weight half as f32x4 splats
  const { body, emit } = builder();
  emit(get(blocks), i32(210), MUL, get(src), ADD, set(end));
  emit(LOOP);
  emit(get(src), load16u(208), set(h));
  halfToFloat(emit, h, tmp);
  emit(set(d));
  for (let half = 0; half < 2; half++) {
    const ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half;
    for (let k = 0; k < 8; k++) emit(get(d), get(src), load8s(sc + k), F32_CONVERT_I32_S, F32_MUL, F32X4_SPLAT, set(s0 + k));
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
        store16(emit, q, true, s0 + is, undefined, dst, (128 * half + off + 16 * c) * 4);
      }
    }
  }
  emit(get(dst), i32(1024), ADD, set(dst), get(src), i32(210), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  return { exportName: WASM_DEQUANT_EXPORTS.q6_k, params: 3, locals: [[3, I32], [1, F32], [4 + 8, V128]], body };
}

/** deq_bf16(src, dst, groups): 8 BF16 values per group, each the high half of a float32. */
function bf16(): WasmFunction {
  const [src, dst, groups] = [0, 1, 2];
  const end = 3;
  const v = 4;
  const { body, emit } = builder();
  emit(get(groups), i32(16), MUL, get(src), ADD, set(end));
  emit(LOOP);
  emit(get(src), v128Load(0), set(v));
  emit(get(dst), get(v), I32X4_EXTEND_LOW_I16X8_U, i32(16), I32X4_SHL, v128Store(0));
  emit(get(dst), get(v), I32X4_EXTEND_HIGH_I16X8_U, i32(16), I32X4_SHL, v128Store(16));
  emit(get(dst), i32(32), ADD, set(dst), get(src), i32(16), ADD, tee(src), get(end), LT_U, BR_IF_LOOP, END);
  return { exportName: WASM_DEQUANT_EXPORTS.bf16, params: 3, locals: [[1, I32], [1, V128]], body };
}

/** The dequantizers as functions of the kernel module (wasmMatmul.ts assembles them beside matmul). */
export function dequantFunctions(): WasmFunction[] {
  return [q8_0(), q4_k(), q6_k(), bf16()];
}
