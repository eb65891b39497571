// The project's one WebAssembly SIMD matmul kernel, assembled here byte by byte (no toolchain, no binary
// blob): C = A·Bᵀ in blocks of 4 rows of A × 2 rows of B, f32x4 multiply-adds along the shared dimension.
// The attention forward pass (y = x·Wᵀ) and the training run (every C[m,n] (+)= A[m,k]·B[n,k]ᵀ) both use it.
// About 4-5x the best plain-JS kernel on this kind of machine (10.6 vs 2.3 GFLOP/s for 128×576 · 576×1536,
// scripts/bench/attention.mjs); 11 live v128 values, so it fits x86-64's 16 vector registers (a 4×4 block
// with 16 accumulators spilled and ran at 9–15 GFLOP/s against this one's 11–22).
// Binary format: WebAssembly Core Specification 2.0, §5 (binary) and the SIMD opcode table.

import { startTeam, type ThreadTeam } from './threads';

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

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
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
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const ADD = [0x6a];
const MUL = [0x6c];
const LT_U = [0x49];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR_IF_LOOP = [0x0d, 0x00];
const V128_LOAD = [0xfd, 0x00, 0x04, 0x00]; // align 2^4, offset 0
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_ADD = [0xfd, 0xe4, 0x01];
const F32X4_MUL = [0xfd, 0xe6, 0x01];
const lane = (l: number): number[] => [0xfd, 0x1f, l];
const F32_ADD = [0x92];
const f32Store = (offset: number): number[] => [0x38, 0x02, ...uleb(offset)];

/**
 * The module: matmul(x, w, y, rows, inDim, outDim, yStride) with byte pointers, y[r, o] = Σ_i x[r, i]·w[o, i],
 * output rows `yStride` bytes apart (so a thread can fill a band of columns of a wider y). Requires
 * rows % 4 == 0, outDim % 2 == 0, inDim % 4 == 0 (the caller pads). `shared`: it imports a shared memory
 * (worker threads multiply bands of the same product).
 */
export function assemble(shared = false): Uint8Array {
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
  emit(END);
  const fn = [...vec([[...uleb(i32Locals), I32], [...uleb(next - 7 - i32Locals), V128]]), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [I32]]), 0x00]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x01, ...uleb(MAX_PAGES)] : [0x00, 0x01])]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...name('matmul'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ]);
}

/** The WebAssembly API if this runtime has one (Node and VS Code's extension host do). */
function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

interface Kernel {
  memory: WasmMemory;
  matmul: MatmulExport;
  /** Worker threads sharing `memory` (useMatmulThreads), each multiplying a band of columns. */
  team?: ThreadTeam;
}

/** The largest memory the kernel may grow to (4 GiB in 64 KiB pages). */
const MAX_PAGES = 65536;
/** Products below this many multiply-adds stay on one thread (waking the others costs more than they save). */
const PARALLEL_MIN = 1 << 21;

let kernel: Kernel | null | undefined;

/** y = x·wᵀ on the padded operands in the kernel's memory: split into column bands across the team when it pays. */
function runKernel(kern: Kernel, x: number, w: number, y: number, rows: number, inDim: number, outDim: number): void {
  const team = kern.team;
  if (!team || rows * inDim * outDim < PARALLEL_MIN || outDim < 4 * (team.size + 1)) {
    kern.matmul(x, w, y, rows, inDim, outDim, outDim * 4);
    return;
  }
  // Bands of whole weight-row pairs; every output is the same dot product as on one thread (identical results).
  const parts = team.size + 1;
  const pairs = outDim / 2;
  const bands: [number, number, number, number, number, number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const o0 = Math.floor((pairs * p) / parts) * 2;
    const o1 = Math.floor((pairs * (p + 1)) / parts) * 2;
    bands.push([x, w + o0 * inDim * 4, y + o0 * 4, rows, inDim, o1 - o0, outDim * 4]);
  }
  team.run(bands.slice(1), () => kern.matmul(...bands[0]));
}

/**
 * Multiplies on `threads` threads (this one and threads − 1 workers sharing the kernel's memory) from now on;
 * 1 stops the workers. Returns the number in use (1 where WebAssembly threads are unavailable). Results are
 * identical for any number: each output is the same dot product, only which thread computes it changes.
 */
export function useMatmulThreads(threads: number): number {
  const n = Math.max(1, Math.floor(threads));
  const current = getKernel();
  if (!current) return 1;
  if ((current.team?.size ?? 0) + 1 === n) return n;
  current.team?.stop();
  const api = wasmApi();
  if (n === 1 || !api) {
    // Back to the single-thread kernel (a fresh, unshared memory).
    kernel = undefined;
    getKernel();
    return 1;
  }
  try {
    const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const module = new api.Module(assemble(true));
    const instance = new api.Instance(module, { env: { memory } });
    const team = startTeam(module, memory, n - 1);
    kernel = { memory, matmul: instance.exports.matmul as MatmulExport, team };
    return team.size + 1;
  } catch {
    kernel = undefined;
    getKernel();
    return 1;
  }
}

/** Threads the SIMD kernel multiplies on now. */
export function matmulThreads(): number {
  return (kernel?.team?.size ?? 0) + 1;
}

/** Instantiates the kernel once; null when WebAssembly or SIMD is unavailable (then callers use plain JS). */
function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  const api = wasmApi();
  try {
    if (!api) throw new Error('no WebAssembly');
    const memory = new api.Memory({ initial: 16, maximum: MAX_PAGES });
    const instance = new api.Instance(new api.Module(assemble()), { env: { memory } });
    kernel = { memory, matmul: instance.exports.matmul as MatmulExport };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Whether the SIMD kernel can run here. */
export function wasmMatmulAvailable(): boolean {
  return getKernel() !== null;
}

/**
 * C[m,n] = A[m,k]·B[n,k]ᵀ with the SIMD kernel, or C += A·Bᵀ when `accumulate`. Operands are copied into
 * the kernel's memory padded to the block sizes (the copy costs ~2% of the multiply for model-sized
 * layers). Returns false, leaving `out` untouched, when the kernel is unavailable or the operands do not
 * fit in 4 GiB.
 */
export function matmulABtWasm(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array, accumulate = false): boolean {
  const kern = getKernel();
  if (!kern) return false;
  const mP = Math.ceil(m / 4) * 4;
  const nP = Math.ceil(n / 2) * 2;
  const kP = Math.ceil(k / 4) * 4;
  const aFloats = mP * kP;
  const bFloats = nP * kP;
  const needed = (aFloats + bFloats + mP * nP) * 4;
  if (needed > 2 ** 32 - 65536) return false;
  const have = kern.memory.buffer.byteLength;
  if (needed > have) kern.memory.grow(Math.ceil((needed - have) / 65536));
  const mem = new Float32Array(kern.memory.buffer);
  copyPadded(mem, 0, a, m, k, mP, kP);
  copyPadded(mem, aFloats, b, n, k, nP, kP);
  runKernel(kern, 0, aFloats * 4, (aFloats + bFloats) * 4, mP, kP, nP);
  const cBase = aFloats + bFloats;
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
