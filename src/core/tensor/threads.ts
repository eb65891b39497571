// A team of worker threads for the SIMD kernels: every worker instantiates the same WebAssembly module over
// the same shared memory, waits on a generation counter (polling briefly, then Atomics.wait), runs the operation
// its slot names (a JavaScript operation of teamOps.ts claiming chunks of a product, of attention heads or of
// rows from a shared counter; or dequantize-and-multiply / row-dot a band of quantized weight rows), and counts
// itself done. The calling thread runs its own part meanwhile and waits for the count, so an operation stays a
// synchronous call (linear() and the forward pass do not change shape).
import { Worker } from 'node:worker_threads';
import { TEAM_JS_OPS, type TeamJsOp } from './teamOps';

/** Int32 slots of the control block: [generation, done, ready, failed, then SLOT per worker: an operation]. */
const HEADER = 4;
/** Int32 values of one operation: its code, then its arguments. */
export const OP_SLOT = 16;
/** Operation codes (the first value of an operation). */
export const OP_NONE = 0;
export const OP_MATMUL = 1;
export const OP_DEQUANT_MATMUL = 2;
export const OP_DOT = 3;
/** A JavaScript operation of teamOps.ts over the shared memory: [OP_JS, index into TEAM_JS_OPS, arguments…]. */
export const OP_JS = 4;
export const OP_LENS = 5;

/**
 * The one program both sides run (plain JavaScript: the core is bundled into several files, none a worker
 * entry, and minified in the .vsix, so the worker cannot import it): `runOp(ex, a)` executes operation `a` with
 * the kernel module's exports `ex`. Pointers are byte offsets into the shared memory (read unsigned).
 * OP_MATMUL: matmul(x, w, y, rows, inDim, outDim, yStride).
 * OP_DEQUANT_MATMUL: [export name index, q, qRowBytes, nRows, unitsPerRow, x, rowsP, kP, y, yStride, scratch,
 * sub]: `sub` weight rows at a time are dequantized into `scratch` and multiplied against all rows of x (an odd
 * last tile multiplies one stale scratch row into y's padding column, which the caller drops).
 * OP_DOT: [export name index, q, nRows, unitsPerRow, x, y]: y[r] = row r · x for one row of x.
 * OP_JS: jsOps[a[1]](ex, memory.buffer, a) (teamOps.ts; the buffer read anew, as the memory may have grown).
 * OP_LENS (wasmInt16.ts): [p, q, y, rowsP, kP, n, t, s, state, theta, cand, cap, base, rows, sub]: `sub` vocabulary
 * rows at a time, i16_matmul into y (256 rows of p at a time) then lens_scan of y's first `rows` rows.
 */
export const RUN_OP_SOURCE = `
function runOp(ex, a, names, memory, jsOps) {
  const op = a[0];
  if (op === ${OP_MATMUL}) {
    if (a[6] > 0) ex.matmul(a[1] >>> 0, a[2] >>> 0, a[3] >>> 0, a[4], a[5], a[6], a[7]);
  } else if (op === ${OP_DEQUANT_MATMUL}) {
    const deq = ex[names[a[1]]];
    const q = a[2] >>> 0, qRowBytes = a[3], nRows = a[4], units = a[5], x = a[6] >>> 0, rowsP = a[7], kP = a[8];
    const y = a[9] >>> 0, yStride = a[10], scratch = a[11] >>> 0, sub = a[12];
    for (let r = 0; r < nRows; r += sub) {
      const n = Math.min(sub, nRows - r);
      deq(q + r * qRowBytes, scratch, n * units);
      ex.matmul(x, scratch, y + r * 4, rowsP, kP, (n + 1) & ~1, yStride);
    }
  } else if (op === ${OP_DOT}) {
    if (a[3] > 0) ex[names[a[1]]](a[2] >>> 0, a[5] >>> 0, a[6] >>> 0, a[3], a[4]);
  } else if (op === ${OP_JS}) {
    jsOps[a[1]](ex, memory.buffer, a);
  } else if (op === ${OP_LENS}) {
    for (let o = 0; o < a[6]; o += a[15]) {
      const c = Math.min(a[15], a[6] - o);
      // Blocks of 256 rows of p, so they and the sub-band of q stay in L2 together.
      for (let r = 0; r < a[4]; r += 256) ex.i16_matmul((a[1] >>> 0) + r * a[5] * 2, (a[2] >>> 0) + o * a[5] * 2, (a[3] >>> 0) + r * c * 4, Math.min(256, a[4] - r), a[5], c, c * 4, (a[7] >>> 0) + r * 4, (a[8] >>> 0) + o * 4);
      ex.lens_scan(a[3] >>> 0, a[14], c, c * 4, a[9] >>> 0, a[10] >>> 0, a[11] >>> 0, a[12], a[13] + o);
    }
  }
}
`;

/** TEAM_JS_OPS as source text for the workers (each function is self-contained: see teamOps.ts). */
const JS_OPS_SOURCE = `const jsOps = [${TEAM_JS_OPS.map((f) => `(${f.toString()})`).join(',\n')}];`;

/**
 * Milliseconds a thread polls before it sleeps (Atomics.wait): between the operations of a forward pass the
 * gaps are short (a norm, a residual add), and waking a sleeping thread took 60-85 µs here against 10 µs for one
 * that polls (ggml's threadpool likewise spins before it waits: ggml/src/ggml-cpu/ggml-cpu.c
 * ggml_graph_compute_poll_for_work polls 1024·128·poll rounds before a condition-variable wait).
 * Bounded, so an idle team sleeps.
 */
const SPIN_MS = 0.2;

/** The worker's whole program. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, slot, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
${RUN_OP_SOURCE}
${JS_OPS_SOURCE}
Atomics.add(ctl, 2, 1);
Atomics.notify(ctl, 2);
let gen = 0;
const b = ${HEADER} + slot * ${OP_SLOT};
for (;;) {
  const until = performance.now() + ${SPIN_MS};
  while (Atomics.load(ctl, 0) === gen && performance.now() < until);
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  try {
    runOp(ex, ctl.subarray(b, b + ${OP_SLOT}), names, memory, jsOps);
  } catch {
    // Counted as done all the same (the caller waits for every worker), and reported to it.
    Atomics.store(ctl, 3, 1);
  }
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
`;

/** runOp for this thread, over an instance's exports and its memory (the same source the workers run). */
export function opRunner(exports: Record<string, unknown>, names: readonly string[], memory: { readonly buffer: ArrayBufferLike }): (op: ArrayLike<number>) => void {
  // The workers' program, evaluated here too so both sides run the same code (TEAM_JS_OPS are the functions
  // whose source the workers get).
  type Make = (ex: Record<string, unknown>, names: readonly string[], memory: { readonly buffer: ArrayBufferLike }, jsOps: readonly TeamJsOp[]) => (op: ArrayLike<number>) => void;
  const make = new Function('ex', 'names', 'memory', 'jsOps', `${RUN_OP_SOURCE}\nreturn (a) => runOp(ex, a, names, memory, jsOps);`) as Make;
  return make(exports, names, memory, TEAM_JS_OPS);
}

/** Workers running one operation each at a time. */
export interface ThreadTeam {
  /** Number of workers (the calling thread is one more). */
  readonly size: number;
  /** Gives operation i to worker i (none when missing), runs `own` here, and returns when every worker is done. */
  run(ops: readonly (readonly number[])[], own: () => void): void;
  stop(): void;
}

/**
 * Starts `workers` workers over `memory` running `module`; `names` are the exports an OP_DEQUANT_MATMUL or
 * OP_DOT refers to by index. Throws when they do not start within 30 s.
 */
export function startTeam(module: object, memory: object, workers: number, names: readonly string[]): ThreadTeam {
  const control = new SharedArrayBuffer((HEADER + OP_SLOT * workers) * 4);
  const ctl = new Int32Array(control);
  const threads: Worker[] = [];
  for (let slot = 0; slot < workers; slot++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, slot, names } });
    // The workers never keep the process alive, and an error there falls back to one thread below.
    w.unref();
    threads.push(w);
  }
  // Wait (synchronously: a product is a synchronous call) until every worker has its instance.
  const deadline = Date.now() + 30_000;
  for (let ready = Atomics.load(ctl, 2); ready < workers; ready = Atomics.load(ctl, 2)) {
    if (Date.now() > deadline) {
      for (const w of threads) void w.terminate();
      throw new Error('matmul workers did not start');
    }
    Atomics.wait(ctl, 2, ready, 1000);
  }
  let generation = 0;
  return {
    size: workers,
    run(ops, own) {
      for (let i = 0; i < workers; i++) {
        const op = ops[i];
        const b = HEADER + i * OP_SLOT;
        for (let j = 0; j < OP_SLOT; j++) ctl[b + j] = op && j < op.length ? op[j] | 0 : 0;
      }
      Atomics.store(ctl, 1, 0);
      generation = (generation + 1) & 0x3fffffff;
      Atomics.store(ctl, 0, generation);
      Atomics.notify(ctl, 0);
      try {
        own();
      } finally {
        // Even when this thread's part threw: the workers still write to the shared memory until they are done.
        const until = performance.now() + SPIN_MS;
        while (Atomics.load(ctl, 1) < workers && performance.now() < until);
        for (let done = Atomics.load(ctl, 1); done < workers; done = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, done);
      }
      if (Atomics.exchange(ctl, 3, 0) !== 0) throw new Error('a kernel worker thread failed its operation');
    },
    stop() {
      Atomics.store(ctl, 0, -1);
      Atomics.notify(ctl, 0);
      for (const w of threads) void w.terminate();
    },
  };
}
