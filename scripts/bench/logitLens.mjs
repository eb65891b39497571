// Benchmarks the logit lens (issue 18) on a generated model with SmolLM2-135M's shape (random BF16 weights in a
// temp dir; HuggingFaceTB/SmolLM2-135M config.json: 30 layers, hidden 576, 9 heads, 3 KV heads, intermediate
// 1536, vocab 49152, tied embeddings): 128 tokens, the last 32 positions unembedded after every layer, against
// the plain forward pass over the same tokens (target: lens ≤ 2× the forward pass; median of 5 ratios, each lens
// run right after its forward pass, on every core as the model process multiplies). Also one head ablation.
// The arithmetic: the unembedding alone is layers × positions × vocab × hidden multiply-adds (30·32·49152·576 =
// 27.2 G), twice the forward pass's matmuls over 128 tokens (13.9 G): at the forward pass's own float32 rate the lens
// could not go below ~3× it. So the lens unembeds in 16-bit integers (core lensInt16.ts: i32x4.dot_i16x8_s does 8
// multiply-adds per instruction where the float32 kernel's f32x4 mul + add do 4 per pair; ~47 G multiply-adds per CPU
// second here against ~20 for float32), re-scores each row's top-k candidates exactly, and reports bounds on the
// error the approximate logits leave in Z and the entropy. At those rates: 13.9 G at the forward's ~19 G/s ≈ 0.73 s,
// 27.2 G at ~47 G/s ≈ 0.58 s, + the softmax scan (47 M exponentials in WebAssembly SIMD, ~0.06 s): ≈ 1.85× floor.
// The lines "GOP/s" show the rates reached; the float32 lens (precision 'f32') is timed once for comparison.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Wall and CPU time of one call (CPU too: on a shared machine the wall clock counts others' turns). */
async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

const dir = writeRandomLlama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152 });
try {
  const threads = core.useMatmulThreads(availableParallelism());
  const model = await core.loadModel(dir);
  const c = model.config;
  const T = 128;
  const shown = 32;
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % c.vocab);
  const positions = Array.from({ length: shown }, (_, i) => T - shown + i);
  await core.forward(model, ids.slice(0, 8)); // warm the JIT on a short input
  await core.logitLens(model, ids.slice(0, 8), { topK: 10 });
  const fwd = [];
  const lens = [];
  for (let r = 0; r < 5; r++) {
    fwd.push(await timed(() => core.forward(model, ids, { logits: 'last' })));
    lens.push(await timed(() => core.logitLens(model, ids, { topK: 10, positions })));
  }
  const ratios = fwd.map((f, i) => lens[i].ms / f.ms);
  const cpuRatios = fwd.map((f, i) => lens[i].cpuMs / f.cpuMs);
  const fMs = median(fwd.map((f) => f.ms));
  const lMs = median(lens.map((l) => l.ms));
  const fCpu = median(fwd.map((f) => f.cpuMs));
  const lCpu = median(lens.map((l) => l.cpuMs));
  console.log(`logit lens smollm2-135m-shape forward ${T} tokens (${threads} threads, median of 5): ${fMs.toFixed(0)} ms (cpu ${fCpu.toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape ${T} tokens, last ${shown} positions × ${c.layers} layers, top 10 (median of 5): ${lMs.toFixed(0)} ms (cpu ${lCpu.toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape lens / forward (median of 5 paired runs): ${median(ratios).toFixed(2)}x wall, ${median(cpuRatios).toFixed(2)}x cpu (target ≤ 2)`);
  const forwardMacs = c.layers * T * (c.hidden * (c.heads * c.headDim + 2 * c.kvHeads * c.headDim) + c.heads * c.headDim * c.hidden + 3 * c.hidden * c.intermediate + c.heads * c.headDim * (T + 1));
  const unembedMacs = c.layers * shown * c.vocab * c.hidden;
  console.log(`logit lens smollm2-135m-shape multiply-adds: forward ${(forwardMacs / 1e9).toFixed(1)} G, unembedding ${(unembedMacs / 1e9).toFixed(1)} G (${(unembedMacs / forwardMacs).toFixed(2)}× the forward's)`);
  // Rates per wall second and per CPU second (all threads): on a busy machine only the CPU figures compare.
  const gops = (macs, ms) => ((2 * macs) / ms / 1e6).toFixed(1);
  console.log(`logit lens smollm2-135m-shape GOP per CPU s (multiply + add = 2): forward ${gops(forwardMacs, fCpu)}, int16 unembedding inside the lens ${gops(unembedMacs, lCpu - fCpu)} (scan, top-k and re-scoring included); per wall s: ${gops(forwardMacs, fMs)}, ${gops(unembedMacs, lMs - fMs)}`);
  const last = await core.logitLens(model, ids, { topK: 10, positions });
  console.log(`logit lens smollm2-135m-shape error bounds of the int16 lens: logit ${last.maxLogitError.toExponential(2)} nats, probability ${last.maxProbError.toExponential(2)}, entropy ${last.maxEntropyError.toExponential(2)} nats`);
  const f32 = await timed(() => core.logitLens(model, ids, { topK: 10, positions, precision: 'f32' }));
  console.log(`logit lens smollm2-135m-shape float32 lens for comparison (one run): ${f32.ms.toFixed(0)} ms (cpu ${f32.cpuMs.toFixed(0)} ms, ${(f32.cpuMs / fCpu).toFixed(2)}x the forward's cpu)`);
  const [l1, l5] = loadavg();
  console.log(`logit lens smollm2-135m-shape load average during the run: ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min) on ${availableParallelism()} cores`);
  const abl = await timed(() => core.ablateHeads(model, ids, [{ layer: 10, head: 3 }]));
  console.log(`head ablation smollm2-135m-shape ${T} tokens (clean + ablated pass): ${abl.ms.toFixed(0)} ms (cpu ${abl.cpuMs.toFixed(0)} ms)`);
} finally {
  core.useMatmulThreads(1);
  rmSync(dir, { recursive: true, force: true });
}
