// The logit lens's unembedding kernels (issue 18), assembled byte by byte like wasmMatmul.ts:
// - i16_matmul: y = (p·qᵀ)·t[row]·s[col] over 16-bit integer operands with i32x4.dot_i16x8_s (8 multiply-adds per
//   instruction, twice what the f32 kernel's f32x4 mul + add do per pair), the same 4 × 2 register block as the f32
//   kernel. Each i32 lane sums every 8th pair of the row; the caller scales the operands so that no lane's true
//   sum reaches 2^31 (Cauchy–Schwarz on each lane's part of the rows), and i32 addition wraps, so the lane sums are
//   exact whatever the partial sums do on the way.
// - lens_scan: per row of those logits, the running max m, Z = Σ e^(x−m), W = Σ e^(x−m)(x−m) and
//   V = Σ e^(x−m)(x−m)² (float64 per row, float32x4 within one call), with e^x by the polynomial of ggml's
//   ggml_v_expf (ggml/src/ggml-cpu/vec.h, "adapted from arm limited optimized routine", max error 1.45 + 0.5 ulp),
//   arguments clamped to ≥ −80 so 2^n and 2^n·j stay normal floats and the rare-case branch is never needed; and every
//   logit ≥ the row's threshold appended (id, value) to the row's candidate list, for the caller's top-k.
// Binary format: WebAssembly Core Specification 2.0, §5 and the SIMD opcode table (§5.4.8).
import {
  ADD, BR_IF_LOOP, END, F32, F32_ADD, F32_MUL, F32X4_ADD, F32X4_MUL, F32X4_SPLAT, F32X4_SUB, F32X4_CONVERT_I32X4_S, I32, I32X4_SHL, LOOP,
  LT_U, MUL, V128, V128_LOAD, V128_ZERO, f32c, f32Store, get, i32, lane, set, tee, uleb, type WasmFunction,
} from './wasmAsm';

/** Export names of the two kernels. */
export const WASM_INT16_EXPORTS = { matmul: 'i16_matmul', scan: 'lens_scan' } as const;

/** Bytes per row of lens_scan's state: float64 m, Z, W, V. */
export const LENS_STATE_BYTES = 32;
/** Bytes of a candidate list's header (its count, as i32, then padding); each entry is (id i32, value f32). */
export const LENS_CAND_HEADER = 8;

const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const I32X4_DOT_I16X8_S = simd(0xba);
const I32X4_ADD = simd(0xae);
const F32X4_PMAX = simd(0xeb);
const F32X4_GE = simd(0x46);
const V128_ANY_TRUE = simd(0x53);
const F64 = 0x7c;
const F32_LOAD = (offset: number): number[] => [0x2a, 0x02, ...uleb(offset)];
const F64_LOAD = (offset: number): number[] => [0x2b, 0x03, ...uleb(offset)];
const F64_STORE = (offset: number): number[] => [0x39, 0x03, ...uleb(offset)];
const I32_LOAD = (offset: number): number[] => [0x28, 0x02, ...uleb(offset)];
const I32_STORE = (offset: number): number[] => [0x36, 0x02, ...uleb(offset)];
const F32_MAX = [0x97];
const F32_GE = [0x60];
const F64_GT = [0x64];
const F64_ADD = [0xa0];
const F64_SUB = [0xa1];
const F64_MUL = [0xa2];
const F64_MAX = [0xa5];
const F64_PROMOTE = [0xbb];
const F32_DEMOTE = [0xb6];
const f64c = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const IF = [0x04, 0x40];

/** The two kernels (appended to the module wasmMatmul.ts assembles). */
export function int16Functions(): WasmFunction[] {
  return [int16MatmulFunction(), scanFunction()];
}

/**
 * i16_matmul(p, q, y, rows, inDim, outDim, yStride, t, s), byte pointers: y[r, o] = f32(Σ lanes)·t[r]·s[o], where
 * lane j sums p[r, i]·q[o, i] over i ≡ 2j, 2j + 1 (mod 8). p: rows × inDim int16, q: outDim × inDim int16, t and
 * s float32. Requires rows % RB == 0, outDim % CB == 0, inDim % 8 == 0. RB × CB = 4 × 2 (the f32 kernel's block) measured
 * best, ~47 G multiply-adds per CPU second on this machine: 2 × 4 as fast, 4 × 3, 3 × 4, 4 × 4 and larger spill
 * registers and run at ~28.
 */
function int16MatmulFunction(RB = 4, CB = 2, exportName: string = WASM_INT16_EXPORTS.matmul): WasmFunction {
  const P = { x: 0, w: 1, y: 2, rows: 3, inDim: 4, outDim: 5, yStride: 6, t: 7, s: 8 };
  let next = 9;
  const o = next++, t = next++, k = next++;
  const wr = Array.from({ length: CB }, () => next++);
  const xr = Array.from({ length: RB }, () => next++);
  const rowBytes = next++;
  const i32Locals = next - 9;
  const acc = Array.from({ length: RB * CB }, () => next++);
  const wv = Array.from({ length: CB }, () => next++);
  const xv = next++;
  const v128Locals = next - 9 - i32Locals;
  const tr = next++, so = next++;
  const body: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) body.push(...p);
  };
  emit(get(P.inDim), i32(2), MUL, set(rowBytes));
  emit(i32(0), set(o), LOOP);
  emit(get(P.w), get(o), get(rowBytes), MUL, ADD, set(wr[0]));
  for (let c = 1; c < CB; c++) emit(get(wr[c - 1]), get(rowBytes), ADD, set(wr[c]));
  emit(i32(0), set(t), LOOP);
  emit(get(P.x), get(t), get(rowBytes), MUL, ADD, set(xr[0]));
  for (let r = 1; r < RB; r++) emit(get(xr[r - 1]), get(rowBytes), ADD, set(xr[r]));
  for (const a of acc) emit(V128_ZERO, set(a));
  emit(i32(0), set(k), LOOP);
  for (let c = 0; c < CB; c++) emit(get(wr[c]), get(k), ADD, V128_LOAD, set(wv[c]));
  for (let r = 0; r < RB; r++) {
    emit(get(xr[r]), get(k), ADD, V128_LOAD, set(xv));
    for (let c = 0; c < CB; c++) emit(get(acc[CB * r + c]), get(xv), get(wv[c]), I32X4_DOT_I16X8_S, I32X4_ADD, set(acc[CB * r + c]));
  }
  emit(get(k), i32(16), ADD, tee(k), get(rowBytes), LT_U, BR_IF_LOOP, END);
  for (let r = 0; r < RB; r++) {
    emit(get(P.t), get(t), i32(r), ADD, i32(4), MUL, ADD, F32_LOAD(0), set(tr));
    // &y[(t + r)·yStride + o·4] into k (free after the inner loop); output c is 4·c bytes further.
    emit(get(P.y), get(t), i32(r), ADD, get(P.yStride), MUL, ADD, get(o), i32(4), MUL, ADD, set(k));
    for (let c = 0; c < CB; c++) {
      const a = acc[CB * r + c];
      emit(get(a), F32X4_CONVERT_I32X4_S, set(a));
      emit(get(P.s), get(o), i32(c), ADD, i32(4), MUL, ADD, F32_LOAD(0), set(so));
      emit(get(k), get(a), lane(0), get(a), lane(1), F32_ADD, get(a), lane(2), get(a), lane(3), F32_ADD, F32_ADD, get(tr), F32_MUL, get(so), F32_MUL, f32Store(c * 4));
    }
  }
  emit(get(t), i32(RB), ADD, tee(t), get(P.rows), LT_U, BR_IF_LOOP, END);
  emit(get(o), i32(CB), ADD, tee(o), get(P.outDim), LT_U, BR_IF_LOOP, END);
  return { exportName, params: 9, locals: [[i32Locals, I32], [v128Locals, V128], [2, F32]], body };
}

/** ggml_v_expf's constants (ggml/src/ggml-cpu/vec.h, the SSE2 version; there as hex floats 0x1.8p23, 0x1.715476p+0, 0x1.62e4p-1, 0x1.7f7d1cp-20, 0x1.0e4020p-7, 0x1.573e2ep-5, 0x1.555e66p-3, 0x1.fffdb6p-2, 0x1.ffffecp-1). */
const EXP = {
  shift: 12582912.0, log2e: 1.4426950216293335, ln2hi: 0.693145751953125, ln2lo: 1.428606765330187e-06,
  c4: 0.008247390389442444, c3: 0.04189976677298546, c2: 0.16668395698070526, c1: 0.4999912679195404, c0: 0.9999994039535522,
};
/** The smallest argument lens_scan exponentiates (smaller ones are clamped to it): e^−80 ≈ 1.8·10^−35, and every intermediate (2^n·j) stays a normal float (a subnormal one costs a microcode assist on x86). */
export const LENS_EXP_FLOOR = -80;

const splat = (v: number): number[] => [...f32c(v), ...F32X4_SPLAT];

/**
 * Leaves e^x on the stack for the f32x4 in local `x` (every lane in [−80, 0]): n = round(x·log2 e) by the
 * 1.5·2^23 shift, b = x − n·ln2 in two parts, 2^n from the shifted float's low bits, and the degree-5 polynomial
 * j with e^x ≈ k + k·j, as ggml_v_expf (multiply and add separately, its non-FMA form).
 */
function emitExp(emit: (...parts: number[][]) => void, k: ExpConstants, x: number, z: number, n: number, b: number, u: number): void {
  emit(get(x), get(k.log2e), F32X4_MUL, get(k.shift), F32X4_ADD, tee(z), get(k.shift), F32X4_SUB, set(n));
  emit(get(x), get(n), get(k.ln2hi), F32X4_MUL, F32X4_SUB, get(n), get(k.ln2lo), F32X4_MUL, F32X4_SUB, tee(b), get(b), F32X4_MUL, set(u));
  // j = ((c4·b + c3)·u + (c2·b + c1))·u + c0·b
  emit(get(k.c4), get(b), F32X4_MUL, get(k.c3), F32X4_ADD, get(u), F32X4_MUL);
  emit(get(k.c2), get(b), F32X4_MUL, get(k.c1), F32X4_ADD, F32X4_ADD, get(u), F32X4_MUL);
  emit(get(k.c0), get(b), F32X4_MUL, F32X4_ADD, set(b));
  // k = bits(z) << 23 + bits(1.0): 2^n; e^x = j·k + k
  emit(get(z), i32(23), I32X4_SHL, get(k.one), I32X4_ADD, tee(z), get(b), F32X4_MUL, get(z), F32X4_ADD);
}

/** v128 locals holding emitExp's constants (set once per call: a splat inside the loop costs as much as a multiply). */
type ExpConstants = Record<keyof typeof EXP | 'one', number>;

/** Allocates and sets the constant locals from `next` on; returns them. */
function expConstants(emit: (...parts: number[][]) => void, next: () => number): ExpConstants {
  const k = {} as ExpConstants;
  for (const key of Object.keys(EXP) as (keyof typeof EXP)[]) {
    k[key] = next();
    emit(splat(EXP[key]), set(k[key]));
  }
  k.one = next();
  emit(splat(1), set(k.one));
  return k;
}

/**
 * lens_scan(y, rows, n, yStride, state, theta, cand, cap, base), byte pointers: for each row r < rows of y (n
 * logits, n % 4 == 0, rows yStride bytes apart) folds the logits into state[r] (float64 m, Z, W, V: rescaled to
 * a new max when the row's max exceeds m), and appends (base + i, y[r, i]) for every y[r, i] ≥ theta[r] to row r's
 * candidate list at cand + r·(8 + 8·cap) while its count (the list's first i32, incremented past cap too) is < cap.
 * A NaN logit (the caller's padding) adds only e^−80 and never becomes a candidate.
 */
function scanFunction(): WasmFunction {
  const P = { y: 0, rows: 1, n: 2, yStride: 3, state: 4, theta: 5, cand: 6, cap: 7, base: 8 };
  let next = 9;
  const r = next++, i = next++, row = next++, st = next++, cl = next++, cnt = next++, end = next++;
  const i32Count = next - 9;
  const m = next++, d = next++, f = next++, z0 = next++, w0 = next++;
  const f64Count = next - 9 - i32Count;
  const bm = next++, th = next++, lv = next++;
  const f32Count = 3;
  const v = Array.from({ length: 11 }, () => next++);
  const [vmax, vm, vth, l, s, e, zacc, wacc, vacc, tz, tn] = v;
  const tb = next++, tu = next++, floor = next++;
  const body: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) body.push(...p);
  };
  const k = expConstants(emit, () => next++);
  const v128Count = next - 9 - i32Count - f64Count - f32Count;
  emit(splat(LENS_EXP_FLOOR), set(floor));
  emit(get(P.n), i32(4), MUL, set(end));
  emit(i32(0), set(r), LOOP);
  emit(get(P.y), get(r), get(P.yStride), MUL, ADD, set(row));
  emit(get(P.state), get(r), i32(LENS_STATE_BYTES), MUL, ADD, set(st));
  // cl = cand + r·(8 + 8·cap)
  emit(get(P.cand), get(r), get(P.cap), i32(8), MUL, i32(LENS_CAND_HEADER), ADD, MUL, ADD, set(cl));
  // Pass 1: the row's max (pmax keeps the first operand when the second is NaN).
  emit(splat(-Infinity), set(vmax), i32(0), set(i), LOOP);
  emit(get(vmax), get(row), get(i), ADD, V128_LOAD, F32X4_PMAX, set(vmax));
  emit(get(i), i32(16), ADD, tee(i), get(end), LT_U, BR_IF_LOOP, END);
  emit(get(vmax), lane(0), get(vmax), lane(1), F32_MAX, get(vmax), lane(2), get(vmax), lane(3), F32_MAX, F32_MAX, set(bm));
  emit(get(st), F64_LOAD(0), set(m));
  // A higher max: Z' = f·Z, W' = f·(W + d·Z), V' = f·(V + 2d·W + d²·Z) with d = m − m', f = e^d (d clamped at −80).
  emit(get(bm), F64_PROMOTE, get(m), F64_GT, IF);
  emit(get(m), get(bm), F64_PROMOTE, F64_SUB, f64c(LENS_EXP_FLOOR), F64_MAX, tee(d), F32_DEMOTE, F32X4_SPLAT, set(s));
  emitExp(emit, k, s, tz, tn, tb, tu);
  emit(lane(0), F64_PROMOTE, set(f));
  emit(get(st), F64_LOAD(8), set(z0), get(st), F64_LOAD(16), set(w0));
  emit(get(st), get(f), get(z0), F64_MUL, F64_STORE(8));
  emit(get(st), get(f), get(w0), get(d), get(z0), F64_MUL, F64_ADD, F64_MUL, F64_STORE(16));
  emit(get(st), get(f), get(st), F64_LOAD(24), f64c(2), get(d), F64_MUL, get(w0), F64_MUL, F64_ADD, get(d), get(d), F64_MUL, get(z0), F64_MUL, F64_ADD, F64_MUL, F64_STORE(24));
  emit(get(st), get(bm), F64_PROMOTE, tee(m), F64_STORE(0));
  emit(END);
  // Pass 2: exponentials and the threshold.
  emit(get(m), F32_DEMOTE, F32X4_SPLAT, set(vm));
  emit(get(P.theta), get(r), i32(4), MUL, ADD, F32_LOAD(0), tee(th), F32X4_SPLAT, set(vth));
  emit(get(cl), I32_LOAD(0), set(cnt));
  emit(V128_ZERO, set(zacc), V128_ZERO, set(wacc), V128_ZERO, set(vacc));
  emit(i32(0), set(i), LOOP);
  emit(get(row), get(i), ADD, V128_LOAD, set(l));
  emit(get(floor), get(l), get(vm), F32X4_SUB, F32X4_PMAX, set(s));
  emitExp(emit, k, s, tz, tn, tb, tu);
  emit(tee(e), get(zacc), F32X4_ADD, set(zacc));
  emit(get(e), get(s), F32X4_MUL, tee(e), get(wacc), F32X4_ADD, set(wacc));
  emit(get(e), get(s), F32X4_MUL, get(vacc), F32X4_ADD, set(vacc));
  emit(get(l), get(vth), F32X4_GE, V128_ANY_TRUE, IF);
  for (let j = 0; j < 4; j++) {
    emit(get(l), lane(j), tee(lv), get(th), F32_GE, IF);
    emit(get(cnt), get(P.cap), LT_U, IF);
    // entry at cl + 8 + 8·cnt: id = base + i/4 + j, value
    emit(get(cl), get(cnt), i32(8), MUL, ADD, get(P.base), get(i), i32(2), [0x76], ADD, i32(j), ADD, I32_STORE(8));
    emit(get(cl), get(cnt), i32(8), MUL, ADD, get(lv), [0x38, 0x02, 12]);
    emit(END);
    emit(get(cnt), i32(1), ADD, set(cnt));
    emit(END);
  }
  emit(END);
  emit(get(i), i32(16), ADD, tee(i), get(end), LT_U, BR_IF_LOOP, END);
  emit(get(cl), get(cnt), I32_STORE(0));
  for (const [acc, off] of [[zacc, 8], [wacc, 16], [vacc, 24]] as const) {
    emit(get(st), get(st), F64_LOAD(off));
    emit(get(acc), lane(0), F64_PROMOTE, get(acc), lane(1), F64_PROMOTE, F64_ADD, get(acc), lane(2), F64_PROMOTE, get(acc), lane(3), F64_PROMOTE, F64_ADD, F64_ADD);
    emit(F64_ADD, F64_STORE(off));
  }
  emit(get(r), i32(1), ADD, tee(r), get(P.rows), LT_U, BR_IF_LOOP, END);
  return {
    exportName: WASM_INT16_EXPORTS.scan,
    params: 9,
    locals: [[i32Count, I32], [f64Count, F64], [f32Count, F32], [v128Count, V128]],
    body,
  };
}
