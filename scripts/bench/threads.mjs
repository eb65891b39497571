// Benchmarks the forward pass on 1 vs 2 (or more) threads (issue 14: "use every core"): a random model with
// SmolLM2-135M's shape (30 layers, hidden 576, 9 heads / 3 KV heads, MLP 1536, vocabulary 49,152; BF16 weights
// in a temp dir) over 128 tokens, runAttention as the panel runs it. Runs alternate 1 / N threads so both see
// the same machine load; prints the median of 5 each and their ratio (target ≥ 1.7× on 2 cores, ≤ 0.7 s).
// The team is started once and parked (not ended) while 1 thread runs, as the model process keeps one team for
// its life, so both columns measure steady state. The machine's load average is printed with the numbers (the
// 2-thread figure needs both cores free). LLM_LENS_BENCH_QUICK=1: 2 runs each. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const quick = process.env.LLM_LENS_BENCH_QUICK === '1';
const repeats = quick ? 2 : 5;
const T = 128;
const threads = Math.max(2, availableParallelism());
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = writeRandomLlama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152 });
try {
  const model = await core.loadModel(dir);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % model.config.vocab);
  const started = performance.now();
  const inUse = core.useMatmulThreads(threads);
  console.log(`threads: ${inUse} in use (this machine reports ${availableParallelism()} cores); workers started in ${(performance.now() - started).toFixed(0)} ms`);
  // Warm the JIT on both paths (one thread's and the team's).
  for (const n of [inUse, 1]) {
    core.useMatmulThreads(n);
    await core.runAttention(model, ids.slice(0, 16));
  }
  const times = { 1: [], [inUse]: [] };
  const cpu = { 1: [], [inUse]: [] };
  let reference;
  for (let r = 0; r < repeats; r++) {
    for (const n of [1, inUse]) {
      core.useMatmulThreads(n);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const run = await core.runAttention(model, ids);
      times[n].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[n].push((c.user + c.system) / 1000);
      // The same numbers on any number of threads (checked, not assumed).
      const last = run.probs[model.config.layers - 1][0];
      if (!reference) reference = last;
      else if (last.some((v, i) => v !== reference[i])) throw new Error(`${n} threads changed the attention probabilities`);
    }
  }
  core.stopMatmulThreads();
  const load = `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  const one = median(times[1]);
  const many = median(times[inUse]);
  console.log(`SmolLM2-135M shape, ${T} tokens, runAttention, 1 thread (median of ${repeats}): ${one.toFixed(0)} ms (process CPU ${median(cpu[1]).toFixed(0)} ms)`);
  console.log(`SmolLM2-135M shape, ${T} tokens, runAttention, ${inUse} threads (median of ${repeats}): ${many.toFixed(0)} ms (process CPU ${median(cpu[inUse]).toFixed(0)} ms; target ≤ 700 ms)`);
  console.log(`speed-up ${inUse} threads vs 1, same run, same machine load: ${(one / many).toFixed(2)}× (target ≥ 1.7× on 2 cores); all runs: 1 thread [${times[1].map((t) => t.toFixed(0)).join(', ')}] ms, ${inUse} threads [${times[inUse].map((t) => t.toFixed(0)).join(', ')}] ms; ${load}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
