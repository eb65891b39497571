// A team of worker threads for the SIMD matmul kernel: every worker instantiates the same WebAssembly module
// over the same shared memory, sleeps on a generation counter (Atomics.wait), multiplies the band of columns
// its slot names, and counts itself done. The calling thread multiplies its own band meanwhile and waits for
// the count, so a product stays a synchronous call (linear() and the forward pass do not change shape).
import { Worker } from 'node:worker_threads';

/** Int32 slots of the control block: [generation, done, ready, unused, then 8 per worker: the kernel's 7 arguments + 1]. */
const HEADER = 4;
const SLOT = 8;

/** The worker's whole program (plain JavaScript, evaluated: the core is bundled into several files, none a worker entry). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, slot } = workerData;
const matmul = new WebAssembly.Instance(module, { env: { memory } }).exports.matmul;
const ctl = new Int32Array(control);
Atomics.add(ctl, 2, 1);
Atomics.notify(ctl, 2);
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  const b = ${HEADER} + slot * ${SLOT};
  if (ctl[b + 5] > 0) matmul(ctl[b] >>> 0, ctl[b + 1] >>> 0, ctl[b + 2] >>> 0, ctl[b + 3], ctl[b + 4], ctl[b + 5], ctl[b + 6]);
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
`;

/** Workers multiplying bands of one product at a time. */
export interface ThreadTeam {
  /** Number of workers (the calling thread is one more). */
  readonly size: number;
  /** Gives band i to worker i, runs `own` here, and returns when every worker is done. */
  run(bands: readonly (readonly number[])[], own: () => void): void;
  stop(): void;
}

/** Starts `workers` workers over `memory` running `module`'s matmul; throws when they do not start within 30 s. */
export function startTeam(module: object, memory: object, workers: number): ThreadTeam {
  const control = new SharedArrayBuffer((HEADER + SLOT * workers) * 4);
  const ctl = new Int32Array(control);
  const threads: Worker[] = [];
  for (let slot = 0; slot < workers; slot++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, slot } });
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
    run(bands, own) {
      for (let i = 0; i < workers; i++) {
        const band = bands[i];
        const b = HEADER + i * SLOT;
        for (let j = 0; j < 7; j++) ctl[b + j] = band ? band[j] | 0 : 0;
        if (!band) ctl[b + 5] = 0;
      }
      Atomics.store(ctl, 1, 0);
      generation = (generation + 1) & 0x3fffffff;
      Atomics.store(ctl, 0, generation);
      Atomics.notify(ctl, 0);
      own();
      for (let done = Atomics.load(ctl, 1); done < workers; done = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, done);
    },
    stop() {
      Atomics.store(ctl, 0, -1);
      Atomics.notify(ctl, 0);
      for (const w of threads) void w.terminate();
    },
  };
}
