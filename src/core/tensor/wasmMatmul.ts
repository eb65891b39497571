// The project's one WebAssembly SIMD matmul kernel, assembled here byte by byte (no toolchain, no binary
// blob): C = A·Bᵀ in blocks of 4 rows of A × 2 rows of B, f32x4 multiply-adds along the shared dimension.
// The attention forward pass (y = x·Wᵀ) and the training run (every C[m,n] (+)= A[m,k]·B[n,k]ᵀ) both use it.
// About 4-5x the best plain-JS kernel on this kind of machine (10.6 vs 2.3 GFLOP/s for 128×576 · 576×1536,
// scripts/bench/attention.mjs); 11 live v128 values, so it fits x86-64's 16 vector registers (a 4×4 block
// with 16 accumulators spilled and ran at 9–15 GFLOP/s against this one's 11–22).
// Binary format: WebAssembly Core Specification 2.0, §5 (binary) and the SIMD opcode table.
// The kernel's memory (one shared WebAssembly.Memory for the process's life): 64 reserved bytes (the team's
// chunk counter), then resident weights (placeInKernel), then scratch for each operation's operands above them.
// The thread team (threads.ts) splits products, the gated MLP, attention heads and the LM head's one-row product
// into chunks (teamOps.ts); results never depend on the number of threads.

import { WASM_DEQUANT_EXPORTS, WASM_DOT_EXPORTS, WASM_DEQUANT_UNIT, WASM_DEQUANT_UNIT_BYTES, dequantFunctions } from './quant/wasmDequant';
import { int16Functions } from './wasmInt16';
import type { WeightMatrix } from './weights';
import { OP_DEQUANT_MATMUL, OP_DOT, OP_JS, opRunner, startTeam, type ThreadTeam } from './threads';
import { JS_ATTENTION_HEADS, JS_GATE_UP_ACT, JS_MATMUL_CHUNKS, JS_MATMUL_TABLE, JS_MAT_VEC, JS_RMS_NORM_ROWS } from './teamOps';
import {
  ADD, BR_IF_LOOP, END, F32_ADD, F32X4_ADD, F32X4_MUL, I32, LOOP, LT_U, MUL, V128, V128_LOAD, V128_ZERO, assembleModule, f32Store, get, i32,
  lane, set, tee, type WasmFunction,
} from './wasmAsm';

/** The slice of the WebAssembly JS API this module uses (the core's lib settings have no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

type MatmulExport = (x: number, w: number, y: number, rows: number, inDim: number, outDim: number, yStride: number) => void;

/**
 * The module: matmul(x, w, y, rows, inDim, outDim, yStride) with byte pointers, y[r, o] = Σ_i x[r, i]·w[o, i],
 * output rows `yStride` bytes apart (so a thread can fill a band of columns of a wider y). Requires
 * rows % 4 == 0, outDim % 2 == 0, inDim % 4 == 0 (the caller pads). `shared`: it imports a shared memory
 * (worker threads multiply bands of the same product).
 */
export function assemble(shared = false): Uint8Array {
  return assembleModule([matmulFunction(), ...dequantFunctions(), ...int16Functions()], shared, MAX_PAGES);
}

/** The matmul function (see assemble). */
function matmulFunction(): WasmFunction {
  const P = { x: 0, w: 1, y: 2, rows: 3, inDim: 4, outDim: 5, yStride: 6 };
  let next = 7;
  const o = next++, t = next++, k = next++, wr0 = next++, wr1 = next++;
  const xr = [next++, next++, next++, next++];
  const rowBytes = next++, outBytes = next++;
  const i32Locals = next - 7;
  const acc = Array.from({ length: 8 }, () => next++);
  const w0 = next++, w1 = next++, xv = next++;
  const body: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const p of parts) body.push(...p);
  };
  emit(get(P.inDim), i32(4), MUL, set(rowBytes), get(P.yStride), set(outBytes));
  // Outer loop over pairs of weight rows, so the two rows stay in L1 while all x rows stream past.
  emit(i32(0), set(o), LOOP);
  emit(get(P.w), get(o), get(rowBytes), MUL, ADD, tee(wr0), get(rowBytes), ADD, set(wr1));
  emit(i32(0), set(t), LOOP);
  emit(get(P.x), get(t), get(rowBytes), MUL, ADD, tee(xr[0]), get(rowBytes), ADD, tee(xr[1]), get(rowBytes), ADD, tee(xr[2]), get(rowBytes), ADD, set(xr[3]));
  for (const a of acc) emit(V128_ZERO, set(a));
  emit(i32(0), set(k), LOOP);
  emit(get(wr0), get(k), ADD, V128_LOAD, set(w0), get(wr1), get(k), ADD, V128_LOAD, set(w1));
  for (let r = 0; r < 4; r++) {
    emit(get(xr[r]), get(k), ADD, V128_LOAD, set(xv));
    emit(get(acc[2 * r]), get(xv), get(w0), F32X4_MUL, F32X4_ADD, set(acc[2 * r]));
    emit(get(acc[2 * r + 1]), get(xv), get(w1), F32X4_MUL, F32X4_ADD, set(acc[2 * r + 1]));
  }
  emit(get(k), i32(16), ADD, tee(k), get(rowBytes), LT_U, BR_IF_LOOP, END);
  for (let r = 0; r < 4; r++) {
    // &y[(t + r)·outDim + o] into k (free after the inner loop); the second output is 4 bytes further.
    emit(get(P.y), get(t), i32(r), ADD, get(outBytes), MUL, ADD, get(o), i32(4), MUL, ADD, set(k));
    for (let c = 0; c < 2; c++) {
      const a = acc[2 * r + c];
      emit(get(k), get(a), lane(0), get(a), lane(1), F32_ADD, get(a), lane(2), get(a), lane(3), F32_ADD, F32_ADD, f32Store(c * 4));
    }
  }
  emit(get(t), i32(4), ADD, tee(t), get(P.rows), LT_U, BR_IF_LOOP, END);
  emit(get(o), i32(2), ADD, tee(o), get(P.outDim), LT_U, BR_IF_LOOP, END);
  return { exportName: 'matmul', params: 7, locals: [[i32Locals, I32], [next - 7 - i32Locals, V128]], body };
}

/** The WebAssembly API if this runtime has one (Node and VS Code's extension host do). */
function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The kernel's memory, operation runner and thread team (also driven by lensInt16.ts's logit lens). */
export interface Kernel {
  memory: WasmMemory;
  matmul: MatmulExport;
  /** Runs one team operation (threads.ts) on this thread. */
  runOp: (op: ArrayLike<number>) => void;
  /** The compiled module (shared memory) the workers instantiate; undefined when the memory is not shared. */
  module?: object;
  /** Worker threads sharing `memory` (useMatmulThreads); kept parked while fewer threads are asked for. */
  team?: ThreadTeam;
  /** Workers of `team` in use now (0: everything on this thread, the team, if any, parked). */
  active: number;
}

/** The largest memory the kernel may grow to (4 GiB in 64 KiB pages). */
const MAX_PAGES = 65536;
/** Products below this many multiply-adds stay on one thread (waking the others costs more than they save). */
const PARALLEL_MIN = 1 << 21;

let kernel: Kernel | null | undefined;

/** The team in use, or undefined when everything runs on this thread. */
function activeTeam(kern: Kernel): ThreadTeam | undefined {
  return kern.active > 0 ? kern.team : undefined;
}

/** Threads an operation is split across now (this one and the active workers). */
export function partsOf(kern: Kernel): number {
  return kern.active + 1;
}

/** Runs ops[0] here and ops[1…] on the active workers (all of them here when none is active). */
export function runParts(kern: Kernel, ops: readonly (readonly number[])[]): void {
  const team = activeTeam(kern);
  if (team) team.run(ops.slice(1), () => kern.runOp(ops[0]));
  else for (const op of ops) kern.runOp(op);
}

/** Byte address of the Int32 chunk counter of chunked team operations (the bottom 64 bytes are reserved for it). */
const COUNTER_AT = 0;

/**
 * Runs a chunked operation (teamOps.ts: threads claim chunks from a shared counter) on this thread and every
 * active worker. `op` is [OP_JS, index, counter, …arguments].
 */
function runChunked(kern: Kernel, op: readonly number[]): void {
  const counter = new Int32Array(kern.memory.buffer, COUNTER_AT, 1);
  Atomics.store(counter, 0, 0);
  const team = activeTeam(kern);
  if (team) team.run(Array.from({ length: kern.active }, () => op), () => kern.runOp(op));
  else kern.runOp(op);
}

/**
 * Columns per chunk of a product split across `parts` threads: about 8 chunks per thread (so a slowed thread
 * costs at most a chunk's wait), even (the kernel's weight-row pairs), at least 16.
 */
function chunkOf(cols: number, parts: number): number {
  return Math.max(16, Math.ceil(cols / (8 * parts) / 2) * 2);
}

/** y = x·wᵀ on the padded operands in the kernel's memory: chunks of columns across the team when it pays. */
function runKernel(kern: Kernel, x: number, w: number, y: number, rows: number, inDim: number, outDim: number): void {
  const parts = partsOf(kern);
  if (parts === 1 || rows * inDim * outDim < PARALLEL_MIN || outDim < 4 * parts) {
    kern.matmul(x, w, y, rows, inDim, outDim, outDim * 4);
    return;
  }
  // Chunks of whole weight-row pairs; every output is the same dot product as on one thread (identical results).
  runChunked(kern, [OP_JS, JS_MATMUL_CHUNKS, COUNTER_AT, x, w, y, rows, inDim, outDim, outDim * 4, chunkOf(outDim, parts)]);
}

/**
 * Multiplies on `threads` threads (this one and threads − 1 workers sharing the kernel's memory) from now on;
 * 1 runs everything on this thread and parks the workers (asleep in Atomics.wait, no CPU), so switching back
 * costs nothing; stopMatmulThreads ends them. Returns the number in use (1 where WebAssembly threads are
 * unavailable). Results are identical for any number: each output is the same dot product, only which thread
 * computes it changes.
 */
export function useMatmulThreads(threads: number): number {
  const n = Math.max(1, Math.floor(threads));
  const kern = getKernel();
  if (!kern) return 1;
  if (n === 1 || !kern.module) {
    kern.active = 0;
    return 1;
  }
  if (!kern.team || kern.team.size < n - 1) {
    kern.team?.stop();
    kern.team = undefined;
    kern.active = 0;
    try {
      kern.team = startTeam(kern.module, kern.memory, n - 1, DEQUANT_NAMES);
    } catch {
      return 1;
    }
  }
  kern.active = n - 1;
  return n;
}

/** Ends the worker threads (the next useMatmulThreads(n > 1) starts new ones); everything runs on this thread. */
export function stopMatmulThreads(): void {
  if (!kernel) return;
  kernel.team?.stop();
  kernel.team = undefined;
  kernel.active = 0;
}

/** The dequantizer and row-dot exports in the order OP_DEQUANT_MATMUL's and OP_DOT's first argument indexes them. */
const DEQUANT_NAMES: readonly string[] = [...Object.values(WASM_DEQUANT_EXPORTS), ...Object.values(WASM_DOT_EXPORTS)];

/** Threads the SIMD kernel multiplies on now. */
export function matmulThreads(): number {
  return kernel ? partsOf(kernel) : 1;
}

/**
 * Instantiates the kernel once for the life of the process: over a shared memory where WebAssembly threads
 * exist (so workers can join later without a new memory or a new compile), else an unshared one; null when
 * WebAssembly or SIMD is unavailable (then callers use plain JS).
 */
function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const api = wasmApi();
  kernel = null;
  if (!api) return kernel;
  try {
    const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const module = new api.Module(assemble(true));
    const instance = new api.Instance(module, { env: { memory } });
    kernel = { memory, matmul: instance.exports.matmul as MatmulExport, runOp: opRunner(instance.exports, DEQUANT_NAMES, memory), module, active: 0 };
  } catch {
    try {
      const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES });
      const instance = new api.Instance(new api.Module(assemble()), { env: { memory } });
      kernel = { memory, matmul: instance.exports.matmul as MatmulExport, runOp: opRunner(instance.exports, DEQUANT_NAMES, memory), active: 0 };
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

/** The SIMD kernel (instantiated on first use), or null where WebAssembly SIMD is unavailable. */
export function simdKernel(): Kernel | null {
  return getKernel();
}

/** Whether the SIMD kernel can run here. */
export function wasmMatmulAvailable(): boolean {
  return getKernel() !== null;
}

/**
 * C[m,n] = A[m,k]·B[n,k]ᵀ with the SIMD kernel, or C += A·Bᵀ when `accumulate`. Operands are copied into
 * the kernel's scratch memory padded to the block sizes, except a B already resident there (weights placed
 * by placeInKernel, when no padding is needed: read where they are). Returns false, leaving `out` untouched,
 * when the kernel is unavailable or the operands do not fit in 4 GiB.
 */
export function matmulABtWasm(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array, accumulate = false): boolean {
  const kern = getKernel();
  if (!kern) return false;
  const mP = Math.ceil(m / 4) * 4;
  const nP = Math.ceil(n / 2) * 2;
  const kP = Math.ceil(k / 4) * 4;
  const bResident = nP === n && kP === k ? residentAddress(b, n * k) : undefined;
  const aFloats = mP * kP;
  const bFloats = bResident === undefined ? nP * kP : 0;
  const base = scratch(kern, (aFloats + bFloats + mP * nP) * 4);
  if (base === undefined) return false;
  const mem = new Float32Array(kern.memory.buffer);
  const at = base / 4;
  copyPadded(mem, at, a, m, k, mP, kP);
  if (bResident === undefined) copyPadded(mem, at + aFloats, b, n, k, nP, kP);
  runKernel(kern, base, bResident ?? base + aFloats * 4, base + (aFloats + bFloats) * 4, mP, kP, nP);
  const cBase = at + aFloats + bFloats;
  if (accumulate) {
    for (let r = 0; r < m; r++) {
      const src = cBase + r * nP;
      const dst = r * n;
      for (let c = 0; c < n; c++) out[dst + c] += mem[src + c];
    }
  } else if (nP === n) out.set(mem.subarray(cBase, cBase + m * n));
  else for (let r = 0; r < m; r++) out.set(mem.subarray(cBase + r * nP, cBase + r * nP + n), r * n);
  return true;
}

/** An RMSNorm to apply to x's rows in the kernel's memory before its products (the block's input norm). */
export interface RowNorm {
  readonly weight: Float32Array;
  readonly eps: number;
}

/** Bytes of scratch putInput needs beside the padded x it writes (the raw rows and the norm's weight). */
function inputExtraBytes(rows: number, dim: number, norm: RowNorm | undefined): number {
  return norm ? align64(rows * dim * 4) + align64(dim * 4) + 64 : 0;
}

/**
 * Writes x (rows × dim) at byte `xAt` padded with zero rows to rowsP; with `norm`, x goes raw to `extraAt` and the
 * team writes its RMSNorm there (rows split across the threads: the same values as kernels.ts rmsNorm).
 */
function putInput(kern: Kernel, x: Float32Array, rows: number, dim: number, rowsP: number, xAt: number, extraAt: number, norm: RowNorm | undefined): void {
  const mem = new Float32Array(kern.memory.buffer);
  mem.fill(0, xAt / 4 + rows * dim, xAt / 4 + rowsP * dim);
  if (!norm) {
    mem.set(x.subarray(0, rows * dim), xAt / 4);
    return;
  }
  const rawAt = extraAt, wAt = extraAt + align64(rows * dim * 4), pAt = wAt + align64(dim * 4);
  mem.set(x.subarray(0, rows * dim), rawAt / 4);
  mem.set(norm.weight.subarray(0, dim), wAt / 4);
  const parts = partsOf(kern);
  const chunk = Math.max(4, Math.ceil(rows / (4 * parts)));
  new Float64Array(kern.memory.buffer, pAt, 7).set([rawAt, wAt, xAt, rows, dim, norm.eps, chunk]);
  runChunked(parts > 1 && rows >= 2 * chunk ? kern : { ...kern, active: 0 }, [OP_JS, JS_RMS_NORM_ROWS, COUNTER_AT, pAt]);
}

/**
 * y_i = x·W_iᵀ for several weight matrices of the same input (q, k and v): x goes into the kernel's memory once
 * and one team run computes every product in chunks of columns. Each output is the same kernel dot product as
 * matmulABtWasm's, so identical to one product at a time. Undefined where the kernel cannot take them (rows < 2,
 * inDim or an output size not a multiple of 4, over 4 GiB).
 */
export function linearsWasm(x: Float32Array, rows: number, inDim: number, ws: readonly Float32Array[], outDims: readonly number[], norm?: RowNorm): Float32Array[] | undefined {
  const kern = getKernel();
  if (!kern || rows < 2 || inDim % 4 !== 0 || outDims.some((n) => n % 4 !== 0)) return undefined;
  const mP = Math.ceil(rows / 4) * 4;
  const parts = partsOf(kern);
  const addr = ws.map((w, i) => residentAddress(w, outDims[i] * inDim));
  const chunked = outDims.map((n) => (parts > 1 && mP * inDim * n >= PARALLEL_MIN ? chunkOf(n, parts) : n));
  const chunks = outDims.reduce((sum, n, i) => sum + Math.ceil(n / chunked[i]), 0);
  const xOff = align64(32 + chunks * 32);
  const yOffs: number[] = [];
  let at = xOff + mP * inDim * 4;
  for (const n of outDims) {
    yOffs.push(at);
    at += mP * n * 4;
  }
  const wOffs: number[] = [];
  ws.forEach((_, i) => {
    wOffs.push(at);
    if (addr[i] === undefined) at += outDims[i] * inDim * 4;
  });
  const extraOff = align64(at);
  const base = scratch(kern, extraOff + inputExtraBytes(rows, inDim, norm));
  if (base === undefined) return undefined;
  putInput(kern, x, rows, inDim, mP, base + xOff, base + extraOff, norm);
  const mem = new Float32Array(kern.memory.buffer);
  const table = new Float64Array(kern.memory.buffer, base, 4 + chunks * 4);
  table.set([chunks, base + xOff, mP, inDim]);
  let c = 0;
  ws.forEach((w, i) => {
    const n = outDims[i];
    const wAt = addr[i] ?? base + wOffs[i];
    if (addr[i] === undefined) mem.set(w.subarray(0, n * inDim), wAt / 4);
    for (let o0 = 0; o0 < n; o0 += chunked[i], c++) table.set([wAt + o0 * inDim * 4, base + yOffs[i] + o0 * 4, Math.min(chunked[i], n - o0), n * 4], 4 + 4 * c);
  });
  const any = outDims.some((n) => parts > 1 && mP * inDim * n >= PARALLEL_MIN);
  runChunked(any ? kern : { ...kern, active: 0 }, [OP_JS, JS_MATMUL_TABLE, COUNTER_AT, base]);
  const out = new Float32Array(kern.memory.buffer);
  return outDims.map((n, i) => out.slice((base + yOffs[i]) / 4, (base + yOffs[i]) / 4 + rows * n));
}

/**
 * A gated MLP's products and activation in the kernel's memory: act(x·Wgᵀ) ⊙ (x·Wuᵀ), then ·Wdᵀ (x rows ×
 * inDim, Wg/Wu inter × inDim, Wd inDim × inter; act 'swiglu' or 'geglu'). Each thread computes a band of the
 * gate and up columns and activates that band at once (one wake-up for all three), then the down product is
 * split as any other. The same kernel dot products and the same activation expressions as linear() + swiglu /
 * geglu, so the result is identical to that path and for any thread count. Undefined where the kernel cannot
 * take it (no kernel, fewer than 2 rows, dimensions not multiples of 4, over 4 GiB): the caller takes that path.
 */
export function gatedMlpWasm(x: Float32Array, rows: number, inDim: number, gate: Float32Array, up: Float32Array, down: Float32Array, inter: number, act: 'swiglu' | 'geglu', norm?: RowNorm): Float32Array | undefined {
  const kern = getKernel();
  if (!kern || rows < 2 || inDim % 4 !== 0 || inter % 4 !== 0) return undefined;
  const mP = Math.ceil(rows / 4) * 4;
  const wBytes = inter * inDim * 4;
  const addr = [gate, up, down].map((w) => residentAddress(w, inter * inDim));
  const xAt = 0;
  const gAt = xAt + mP * inDim * 4;
  const uAt = gAt + mP * inter * 4;
  const yAt = uAt + mP * inter * 4;
  let wAt = yAt + mP * inDim * 4;
  const extraAt = align64(wAt + addr.filter((a) => a === undefined).length * wBytes);
  const base = scratch(kern, extraAt + inputExtraBytes(rows, inDim, norm));
  if (base === undefined) return undefined;
  putInput(kern, x, rows, inDim, mP, base + xAt, base + extraAt, norm);
  const mem = new Float32Array(kern.memory.buffer);
  const [wg, wu, wd] = [gate, up, down].map((w, i) => {
    const resident = addr[i];
    if (resident !== undefined) return resident;
    mem.set(w.subarray(0, inter * inDim), (base + wAt) / 4);
    wAt += wBytes;
    return base + wAt - wBytes;
  });
  const op = [OP_JS, JS_GATE_UP_ACT, COUNTER_AT, base + xAt, wg, wu, base + gAt, base + uAt, mP, inDim, inter, inter * 4, act === 'swiglu' ? 0 : 1];
  if (rows * inDim * inter < PARALLEL_MIN || partsOf(kern) === 1) runChunked({ ...kern, active: 0 }, [...op, inter]);
  else runChunked(kern, [...op, chunkOf(inter, partsOf(kern))]);
  runKernel(kern, base + gAt, wd, base + yAt, mP, inter, inDim);
  return new Float32Array(kern.memory.buffer, base + yAt, rows * inDim).slice();
}

/**
 * y = x·Wᵀ for one row of x and a W resident in the kernel's memory, each thread a band of W's rows, with
 * matVec's own loop (float64 sums): identical to matVec. Undefined when W is not resident.
 */
export function matVecWasm(x: Float32Array, inDim: number, w: Float32Array, outDim: number): Float32Array | undefined {
  const kern = getKernel();
  const wAt = kern ? residentAddress(w, outDim * inDim) : undefined;
  if (!kern || wAt === undefined) return undefined;
  const base = scratch(kern, align64(inDim * 4) + outDim * 4);
  if (base === undefined) return undefined;
  new Float32Array(kern.memory.buffer).set(x.subarray(0, inDim), base / 4);
  const yAt = base + align64(inDim * 4);
  const op = [OP_JS, JS_MAT_VEC, COUNTER_AT, base, wAt, yAt, inDim, outDim];
  if (outDim * inDim < PARALLEL_MIN || partsOf(kern) === 1) runChunked({ ...kern, active: 0 }, [...op, outDim]);
  else runChunked(kern, [...op, Math.ceil(outDim / (8 * partsOf(kern)))]);
  return new Float32Array(kern.memory.buffer, yAt, outDim).slice();
}

/**
 * Causal scaled dot-product attention of every head in the kernel's memory, one head per chunk of the team
 * (teamOps.ts attentionHeadsOp): q is T × heads·d, k and v S × kvHeads·d (keys at positions start … P+T−1,
 * queries at P … P+T−1), heads grouped in order over the KV heads. Returns each head's probabilities (T × S,
 * when `wantProbs`) and the concatenated head outputs (T × heads·d): the same products (same padding, same
 * kernel) and the same softmax arithmetic as runtime.ts headAttention + linearF32, so identical to that path
 * and for any thread count. Undefined where that path would not use the kernel for both products (one row,
 * fewer than 4,096 multiply-adds) or d is not a multiple of 4, or it does not fit.
 */
export function attentionWasm(
  q: Float32Array, T: number, k: Float32Array, v: Float32Array, S: number, P: number, start: number, heads: number, kvHeads: number, d: number,
  scale: number, window: number | undefined, softcap: number | undefined, wantProbs: boolean,
): { probs: Float32Array[]; out: Float32Array } | undefined {
  const kern = getKernel();
  if (!kern || T < 2 || d % 4 !== 0 || T * d * S < 4096 || heads % kvHeads !== 0) return undefined;
  const Tp = Math.ceil(T / 4) * 4, SP = Math.ceil(S / 2) * 2, S4 = Math.ceil(S / 4) * 4;
  // q, k and v go in as they are (three copies); each head gathers its own operands on its thread.
  const qOff = 192;
  const kOff = align64(qOff + T * heads * d * 4);
  const vOff = align64(kOff + S * kvHeads * d * 4);
  const sOff = align64(vOff + S * kvHeads * d * 4);
  const pOff = align64(sOff + heads * (Tp * d + SP * d + d * S4) * 4);
  const oOff = align64(pOff + heads * Tp * S4 * 4);
  const base = scratch(kern, oOff + Tp * heads * d * 4);
  if (base === undefined) return undefined;
  const f = new Float32Array(kern.memory.buffer);
  f.set(q.subarray(0, T * heads * d), (base + qOff) / 4);
  f.set(k.subarray(0, S * kvHeads * d), (base + kOff) / 4);
  f.set(v.subarray(0, S * kvHeads * d), (base + vOff) / 4);
  new Float64Array(kern.memory.buffer, base, 20).set([
    scale, softcap ?? NaN, window ?? -1, P, start, T, Tp, S, SP, S4, d, heads, heads / kvHeads, kvHeads,
    base + qOff, base + kOff, base + vOff, base + sOff, base + pOff, base + oOff,
  ]);
  runChunked(T * d * S * heads < PARALLEL_MIN ? { ...kern, active: 0 } : kern, [OP_JS, JS_ATTENTION_HEADS, COUNTER_AT, base]);
  const mem = new Float32Array(kern.memory.buffer);
  const O = (base + oOff) / 4;
  const probs: Float32Array[] = [];
  if (wantProbs) {
    for (let h = 0; h < heads; h++) {
      const ph = (base + pOff) / 4 + h * Tp * S4;
      if (S4 === S) {
        probs.push(mem.slice(ph, ph + T * S));
        continue;
      }
      const p = new Float32Array(T * S);
      for (let i = 0; i < T; i++) p.set(mem.subarray(ph + i * S4, ph + i * S4 + S), i * S);
      probs.push(p);
    }
  }
  return { probs, out: mem.slice(O, O + T * heads * d) };
}

/** Bytes at the bottom of the kernel's memory that resident weights may take (the rest is scratch for products). */
const RESIDENT_MAX = 2 ** 31;
/** Resident blocks in use (address → bytes) and free ones, and the top of the resident region. */
const residentBlocks = new Map<number, number>();
let freeBlocks: { at: number; bytes: number }[] = [];
let residentTop = 64;
/** Every buffer object the kernel's memory has handed out (a shared memory gives a new one after each grow). */
const kernelBuffers = new WeakSet<ArrayBufferLike>();
/** Frees a model's blocks once the model is collected (placeInKernel's owner). */
const blockReaper = new FinalizationRegistry<number[]>((blocks) => {
  for (const at of blocks) {
    const bytes = residentBlocks.get(at);
    if (bytes === undefined) continue;
    residentBlocks.delete(at);
    freeBlocks.push({ at, bytes });
  }
  // Coalesce neighbours; a free run at the top lowers the top (scratch starts lower again).
  freeBlocks.sort((p, q) => p.at - q.at);
  const merged: { at: number; bytes: number }[] = [];
  for (const f of freeBlocks) {
    const last = merged[merged.length - 1];
    if (last && last.at + last.bytes === f.at) last.bytes += f.bytes;
    else merged.push({ ...f });
  }
  const top = merged[merged.length - 1];
  if (top && top.at + top.bytes === residentTop) {
    residentTop = top.at;
    merged.pop();
  }
  freeBlocks = merged;
});

/** The kernel memory's buffer now, remembered as the kernel's. */
function kernelBuffer(kern: Kernel): ArrayBufferLike {
  const buf = kern.memory.buffer;
  kernelBuffers.add(buf);
  return buf;
}

/** Where `a` (its first `floats` values) lives in the kernel's memory when it is a resident weight; else undefined. */
function residentAddress(a: Float32Array, floats: number): number | undefined {
  if (!kernelBuffers.has(a.buffer) || a.length < floats) return undefined;
  // Views of resident blocks are the only views of the kernel's memory that leave this file.
  return a.byteOffset;
}

/** Bytes of the resident block holding `a`'s first value when `a` is a view of the kernel's memory (for memory accounting), else undefined. */
export function kernelResidentBlock(a: ArrayBufferView): { at: number; bytes: number } | undefined {
  if (!kernelBuffers.has(a.buffer)) return undefined;
  for (const [at, bytes] of residentBlocks) if (a.byteOffset >= at && a.byteOffset < at + bytes) return { at, bytes };
  return undefined;
}

/**
 * Copies float32 weight matrices into the kernel's shared memory once, so products read them where they are
 * instead of copying them in for every product (about 420 MB per 128-token forward pass of SmolLM2-135M) and
 * the team can split one-row products (the LM head) too. Returns each array's resident view (the same view for
 * the same array, so tied weights stay one block), or the array itself when the kernel is not shared or the
 * resident region would pass RESIDENT_MAX. The blocks are freed when `owner` (the model) is garbage collected:
 * nothing may keep a view beyond its owner.
 */
export function placeInKernel(arrays: readonly Float32Array[], owner: object): Map<Float32Array, Float32Array> {
  const placed = new Map<Float32Array, Float32Array>();
  const kern = getKernel();
  const unique = [...new Set(arrays)];
  const total = unique.reduce((n, a) => n + align64(a.byteLength), 0);
  if (!kern?.module || residentTop + total > RESIDENT_MAX) {
    for (const a of unique) placed.set(a, a);
    return placed;
  }
  const blocks: number[] = [];
  for (const a of unique) {
    const bytes = align64(a.byteLength);
    const free = freeBlocks.findIndex((f) => f.bytes >= bytes);
    let at: number;
    if (free >= 0) {
      at = freeBlocks[free].at;
      if (freeBlocks[free].bytes === bytes) freeBlocks.splice(free, 1);
      else freeBlocks[free] = { at: at + bytes, bytes: freeBlocks[free].bytes - bytes };
    } else {
      at = residentTop;
      residentTop += bytes;
      ensureBytes(kern, residentTop);
    }
    residentBlocks.set(at, bytes);
    blocks.push(at);
    const view = new Float32Array(kernelBuffer(kern), at, a.length);
    view.set(a);
    placed.set(a, view);
  }
  blockReaper.register(owner, blocks);
  return placed;
}

/** Grows the kernel's memory to at least `bytes`. */
function ensureBytes(kern: Kernel, bytes: number): void {
  const have = kern.memory.buffer.byteLength;
  if (bytes > have) kern.memory.grow(Math.ceil((bytes - have) / 65536));
  kernelBuffer(kern);
}

/** The start of `bytes` of scratch above the resident weights (grown as needed); undefined past 4 GiB. */
export function scratch(kern: Kernel, bytes: number): number | undefined {
  const base = align64(residentTop);
  if (base + bytes > 2 ** 32 - 65536) return undefined;
  ensureBytes(kern, base + bytes);
  return base;
}

/** y = x Wᵀ (+ bias), x being rows × inDim and w outDim × inDim, with the SIMD kernel; undefined where it cannot run. */
export function linearWasm(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias?: Float32Array): Float32Array | undefined {
  const y = new Float32Array(rows * outDim);
  if (!matmulABtWasm(x, w, rows, inDim, outDim, y)) return undefined;
  if (bias) {
    for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) y[r * outDim + o] += bias[o];
  }
  return y;
}

/** Copies a rows × cols matrix to `dst` at `offset` as rowsP × colsP, zero-filling the padding. */
function copyPadded(dst: Float32Array, offset: number, src: Float32Array, rows: number, cols: number, rowsP: number, colsP: number): void {
  if (cols === colsP) dst.set(src.subarray(0, rows * cols), offset);
  else {
    for (let r = 0; r < rows; r++) {
      dst.set(src.subarray(r * cols, (r + 1) * cols), offset + r * colsP);
      dst.fill(0, offset + r * colsP + cols, offset + (r + 1) * colsP);
    }
  }
  dst.fill(0, offset + rows * colsP, offset + rowsP * colsP);
}

/** Weight types the fused kernel dequantizes in WebAssembly. */
type WasmDequantType = keyof typeof WASM_DEQUANT_EXPORTS;

function isWasmDequantType(t: string): t is WasmDequantType {
  return t in WASM_DEQUANT_EXPORTS;
}

/** Bytes of quantized rows copied into the kernel's memory per step (each step is one wake-up of the team). */
const STEP_BYTES = 4 << 20;
/** Bytes of one thread's dequantized sub-tile: with x's rows streaming past, it stays in a 1 MiB L2. */
const SUBTILE_BYTES = 256 << 10;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/**
 * y = x·Wᵀ (+ bias) for a resident Q8_0 / Q4_K / Q6_K / BF16 matrix, fused in the kernel's memory: x is copied
 * in once, then each step copies a run of quantized rows in and every thread dequantizes sub-tiles of its band
 * of those rows with the WebAssembly dequantizer and multiplies them against all rows of x with the f32
 * kernel, so dequantization is spread over the threads and amortised over all of x's rows. The weights are the
 * same float32 values dequantize.ts gives, and each output the same kernel dot product as matmulABt over them.
 * Undefined when the kernel, the type or the shape does not allow it (the caller takes the JavaScript path).
 */
export function linearQuantizedWasm(x: Float32Array, rows: number, w: WeightMatrix, bias?: Float32Array): Float32Array | undefined {
  const kern = getKernel();
  const type = w.type;
  if (!kern || w.stream || !isWasmDequantType(type) || !(w.data instanceof Uint8Array) || rows < 1 || w.rows < 1) return undefined;
  // One row of BF16 keeps matVec's summation order: a streamed BF16 matrix must give what the same weights
  // widened to float32 at load give (linearF32's matVec), bit for bit.
  if (rows === 1 && type === 'bf16') return undefined;
  const inDim = w.cols, outDim = w.rows;
  const unit = WASM_DEQUANT_UNIT[type];
  if (inDim % unit !== 0 || inDim % 4 !== 0) return undefined;
  const units = inDim / unit;
  const qRowBytes = units * WASM_DEQUANT_UNIT_BYTES[type];
  if (w.data.length < outDim * qRowBytes) return undefined;
  const rowsP = Math.ceil(rows / 4) * 4;
  const outP = Math.ceil(outDim / 2) * 2;
  const parts = partsOf(kern);
  // Sub-tile rows: even, at least 2; a step: whole sub-tiles for every thread, at least one each.
  const sub = Math.max(2, Math.floor(SUBTILE_BYTES / (inDim * 4)) & ~1);
  const stepRows = Math.min(outP, Math.max(sub * parts, Math.floor(STEP_BYTES / qRowBytes / (sub * parts)) * sub * parts));
  const yOff = align64(rowsP * inDim * 4);
  const qOff = align64(yOff + rowsP * outP * 4);
  const sOff = align64(qOff + stepRows * qRowBytes);
  const xAt = scratch(kern, sOff + parts * align64(sub * inDim * 4));
  if (xAt === undefined) return undefined;
  const yAt = xAt + yOff, qAt = xAt + qOff, sAt = xAt + sOff;
  const buf = kern.memory.buffer;
  const mem = new Float32Array(buf);
  const bytes = new Uint8Array(buf);
  mem.set(x.subarray(0, rows * inDim), xAt / 4);
  mem.fill(0, xAt / 4 + rows * inDim, xAt / 4 + rowsP * inDim);
  const deq = DEQUANT_NAMES.indexOf(WASM_DEQUANT_EXPORTS[type]);
  const dot = DEQUANT_NAMES.indexOf(WASM_DOT_EXPORTS[type]);
  for (let o0 = 0; o0 < outDim; o0 += stepRows) {
    const n = Math.min(stepRows, outDim - o0);
    bytes.set(w.data.subarray(o0 * qRowBytes, (o0 + n) * qRowBytes), qAt);
    if (rows === 1) {
      // Decoding: each thread dots its band of rows with x, the weights decoded in registers (no scratch).
      const ops: number[][] = [];
      for (let p = 0; p < parts; p++) {
        const r0 = Math.floor((n * p) / parts), r1 = Math.floor((n * (p + 1)) / parts);
        ops.push([OP_DOT, dot, qAt + r0 * qRowBytes, r1 - r0, units, xAt, yAt + (o0 + r0) * 4]);
      }
      if (parts > 1 && n >= 2 * parts) runParts(kern, ops);
      else kern.runOp([OP_DOT, dot, qAt, n, units, xAt, yAt + o0 * 4]);
      continue;
    }
    // Bands of whole row pairs (an odd n leaves its last row alone in the last band).
    const pairs = Math.ceil(n / 2);
    const ops: number[][] = [];
    for (let p = 0; p < parts; p++) {
      const r0 = Math.min(n, Math.floor((pairs * p) / parts) * 2);
      const r1 = Math.min(n, Math.floor((pairs * (p + 1)) / parts) * 2);
      ops.push([OP_DEQUANT_MATMUL, deq, qAt + r0 * qRowBytes, qRowBytes, r1 - r0, units, xAt, rowsP, inDim, yAt + (o0 + r0) * 4, outP * 4, sAt + p * align64(sub * inDim * 4), sub]);
    }
    if (parts > 1 && n >= 2 * parts) runParts(kern, ops);
    else kern.runOp([OP_DEQUANT_MATMUL, deq, qAt, qRowBytes, n, units, xAt, rowsP, inDim, yAt + o0 * 4, outP * 4, sAt, sub]);
  }
  const y = new Float32Array(rows * outDim);
  const yMem = new Float32Array(kern.memory.buffer, yAt, rowsP * outP);
  if (outP === outDim) y.set(yMem.subarray(0, rows * outDim));
  else for (let r = 0; r < rows; r++) y.set(yMem.subarray(r * outP, r * outP + outDim), r * outDim);
  if (bias) for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) y[r * outDim + o] += bias[o];
  return y;
}
