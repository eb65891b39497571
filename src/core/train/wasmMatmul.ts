// A WebAssembly SIMD kernel for C = A·Bᵀ (float32), emitted byte by byte here so the project needs no compiler.
// Each 4×4 block of C keeps 16 f32x4 accumulators running along k, four lanes at a time; the training run uses it
// for every shape whose sizes are multiples of 4 and falls back to the JavaScript kernel otherwise.

// The project's lib settings (ES2022, no DOM) do not declare WebAssembly; this is the little of it used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const I32 = 0x7f;
const V128 = 0x7b;
// Opcodes (WebAssembly core + fixed-width SIMD).
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const I32_CONST = 0x41, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHL = 0x74, I32_LT_U = 0x49;
const BLOCK = 0x02, LOOP = 0x03, BR_IF = 0x0d, END = 0x0b, VOID = 0x40, SELECT = 0x1b;
const F32_CONST_0 = [0x43, 0, 0, 0, 0];
const F32_LOAD = 0x2a, F32_STORE = 0x38, F32_ADD = 0x92;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = simd(0x00), F32X4_ADD = simd(0xe4), F32X4_MUL = simd(0xe6);
const F32X4_EXTRACT = (lane: number): number[] => [...simd(0x1f), lane];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/** The module's one function: mm(a, b, c, m, k, n, accumulate) over byte addresses a, b, c in its memory. */
function kernelModule(): Uint8Array {
  // Parameters 0..6; locals after them.
  const [A, B, C, M, K, N, ACC] = [0, 1, 2, 3, 4, 5, 6];
  const I = 7, J = 8, P = 9, ROWA = 10, ROWB = 11, KB = 12, CI = 13; // i32 locals (14 spare)
  const X = 15; // 4 v128: rows of A
  const Y = 19; // 4 v128: rows of B
  const S = 23; // 16 v128 accumulators
  const get = (l: number): number[] => [LOCAL_GET, ...uleb(l)];
  const set = (l: number): number[] => [LOCAL_SET, ...uleb(l)];
  const c32 = (v: number): number[] => [I32_CONST, ...sleb(v)];
  const body: number[] = [];
  const emit = (...xs: (number | number[])[]): void => {
    for (const x of xs) {
      if (Array.isArray(x)) body.push(...x);
      else body.push(x);
    }
  };
  // kb = k * 4 (bytes per row)
  emit(get(K), c32(2), I32_SHL, set(KB));
  emit(c32(0), set(I));
  emit(BLOCK, VOID, LOOP, VOID); // for i
  emit(get(I), get(M), I32_LT_U, 0x45 /* i32.eqz */, BR_IF, 1);
  emit(c32(0), set(J));
  emit(BLOCK, VOID, LOOP, VOID); // for j
  emit(get(J), get(N), I32_LT_U, 0x45, BR_IF, 1);
  for (let s = 0; s < 16; s++) emit(V128_ZERO, set(S + s));
  // rowA = a + i*kb ; rowB = b + j*kb
  emit(get(A), get(I), get(KB), I32_MUL, I32_ADD, set(ROWA));
  emit(get(B), get(J), get(KB), I32_MUL, I32_ADD, set(ROWB));
  emit(c32(0), set(P));
  emit(BLOCK, VOID, LOOP, VOID); // for p (bytes, step 16)
  emit(get(P), get(KB), I32_LT_U, 0x45, BR_IF, 1);
  for (let r = 0; r < 4; r++) {
    // x_r = load(rowA + r*kb + p)
    emit(get(ROWA), get(P), I32_ADD);
    if (r > 0) emit(get(KB), c32(r), I32_MUL, I32_ADD);
    emit(V128_LOAD, 4, 0, set(X + r));
    emit(get(ROWB), get(P), I32_ADD);
    if (r > 0) emit(get(KB), c32(r), I32_MUL, I32_ADD);
    emit(V128_LOAD, 4, 0, set(Y + r));
  }
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 4; q++) {
      emit(get(S + r * 4 + q), get(X + r), get(Y + q), F32X4_MUL, F32X4_ADD, set(S + r * 4 + q));
    }
  }
  emit(get(P), c32(16), I32_ADD, set(P), 0x0c /* br */, 0, END, END); // end p
  // Store the 16 horizontal sums: c[(i+r)*n + j + q].
  for (let r = 0; r < 4; r++) {
    // ci = c + ((i + r) * n + j) * 4
    emit(get(C), get(I), c32(r), I32_ADD, get(N), I32_MUL, get(J), I32_ADD, c32(2), I32_SHL, I32_ADD, set(CI));
    for (let q = 0; q < 4; q++) {
      const acc = S + r * 4 + q;
      emit(get(CI));
      emit(get(acc), F32X4_EXTRACT(0), get(acc), F32X4_EXTRACT(1), F32_ADD);
      emit(get(acc), F32X4_EXTRACT(2), get(acc), F32X4_EXTRACT(3), F32_ADD, F32_ADD);
      // + (accumulate ? c : 0), branch-free with select.
      emit(get(CI), F32_LOAD, 2, q * 4, F32_CONST_0, get(ACC), SELECT, F32_ADD);
      emit(F32_STORE, 2, q * 4);
    }
  }
  emit(get(J), c32(4), I32_ADD, set(J), 0x0c, 0, END, END); // end j
  emit(get(I), c32(4), I32_ADD, set(I), 0x0c, 0, END, END); // end i
  emit(END);

  const locals = [...uleb(2), ...uleb(8), I32, ...uleb(24), V128];
  const func = [...locals, ...body];
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0]), // type: (i32 x7) -> ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page
    ...section(7, [2, ...str('mm'), 0x00, 0, ...str('mem'), 0x02, 0]), // exports
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return Uint8Array.from(bytes);
}

/** Signed LEB128 (for i32.const). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A compiled instance of the SIMD kernel with its own growable memory. */
export interface WasmMatmul {
  /** C[m,n] (+)= A[m,k]·B[n,k]ᵀ; m, k, n must be multiples of 4. */
  matmulABt(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array, accumulate: boolean): void;
}

/** Compiles the kernel, or returns undefined where WebAssembly SIMD is unavailable. */
export function createWasmMatmul(): WasmMatmul | undefined {
  let instance: { exports: Record<string, unknown> };
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(kernelModule()), {});
  } catch {
    return undefined;
  }
  const mem = instance.exports.mem as WasmMemory;
  const mm = instance.exports.mm as (a: number, b: number, c: number, m: number, k: number, n: number, acc: number) => void;
  return {
    matmulABt(a, b, m, k, n, out, accumulate) {
      const need = 4 * (m * k + n * k + m * n);
      if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
      const f = new Float32Array(mem.buffer);
      const aOff = 0;
      const bOff = m * k;
      const cOff = bOff + n * k;
      f.set(a.subarray(0, m * k), aOff);
      f.set(b.subarray(0, n * k), bOff);
      if (accumulate) f.set(out.subarray(0, m * n), cOff);
      mm(aOff * 4, bOff * 4, cOff * 4, m, k, n, accumulate ? 1 : 0);
      out.set(f.subarray(cOff, cOff + m * n));
    },
  };
}
