// Benchmarks the logit lens (issue 18) on a generated model with SmolLM2-135M's shape (random BF16 weights in a
// temp dir; HuggingFaceTB/SmolLM2-135M config.json: 30 layers, hidden 576, 9 heads, 3 KV heads, intermediate
// 1536, vocab 49152, tied embeddings): 128 tokens, the last 32 positions unembedded after every layer, against
// the plain forward pass over the same tokens (target: lens ≤ 2× the forward pass; median of 5 ratios, each lens
// run right after its forward pass, on every core as the model process multiplies). Also one head ablation.
// The arithmetic: the unembedding alone is layers × positions × vocab × hidden multiply-adds (30·32·49152·576 =
// 27.2 G), twice the forward pass's matmuls over 128 tokens (13.9 G). The lens feeds all 960 rows through one
// product per vocabulary block; the lines "GFLOP/s" and "multiply-add floor" show what that leaves: at the forward
// pass's own rate the lens cannot go below ~3× it, whatever the kernel.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
  console.log(`logit lens smollm2-135m-shape forward ${T} tokens (${threads} threads, median of 5): ${fMs.toFixed(0)} ms (cpu ${median(fwd.map((f) => f.cpuMs)).toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape ${T} tokens, last ${shown} positions × ${c.layers} layers, top 10 (median of 5): ${lMs.toFixed(0)} ms (cpu ${median(lens.map((l) => l.cpuMs)).toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape lens / forward (median of 5 paired runs): ${median(ratios).toFixed(2)}x wall, ${median(cpuRatios).toFixed(2)}x cpu (target ≤ 2)`);
  const forwardMacs = c.layers * T * (c.hidden * (c.heads * c.headDim + 2 * c.kvHeads * c.headDim) + c.heads * c.headDim * c.hidden + 3 * c.hidden * c.intermediate + c.heads * c.headDim * (T + 1));
  const unembedMacs = c.layers * shown * c.vocab * c.hidden;
  console.log(`logit lens smollm2-135m-shape multiply-add floor (lens / forward): ${((forwardMacs + unembedMacs) / forwardMacs).toFixed(2)}x (forward ${(forwardMacs / 1e9).toFixed(1)} G, unembedding ${(unembedMacs / 1e9).toFixed(1)} G multiply-adds)`);
  // The unembedding's own rate: the lens's time beyond its forward pass, and one block of the product alone. Per
  // wall second and per CPU second (all threads): on a busy machine only the CPU figures compare.
  const fCpu = median(fwd.map((f) => f.cpuMs));
  const lCpu = median(lens.map((l) => l.cpuMs));
  const x = new Float32Array(c.layers * shown * c.hidden).map((_, i) => Math.sin(i));
  const block = core.weightRows(model.weights.lmHead, 0, 4096);
  const kernelRuns = [];
  for (let r = 0; r < 3; r++) kernelRuns.push(await timed(() => core.linear(x, c.layers * shown, block)));
  const kernelFlop = 2 * c.layers * shown * 4096 * c.hidden;
  const gflops = (flop, ms) => (flop / ms / 1e6).toFixed(1);
  const kernelCpu = median(kernelRuns.map((k) => k.cpuMs));
  console.log(`logit lens smollm2-135m-shape GFLOP per wall s: forward ${gflops(2 * forwardMacs, fMs)}, unembedding inside the lens ${gflops(2 * unembedMacs, lMs - fMs)} (top-k and entropy included), the product alone (960 × 576 · 4096 × 576ᵀ) ${gflops(kernelFlop, median(kernelRuns.map((k) => k.ms)))}`);
  console.log(`logit lens smollm2-135m-shape GFLOP per CPU s: forward ${gflops(2 * forwardMacs, fCpu)}, unembedding inside the lens ${gflops(2 * unembedMacs, lCpu - fCpu)}, the product alone ${gflops(kernelFlop, kernelCpu)}`);
  console.log(`logit lens smollm2-135m-shape lower bound at the product's CPU rate: ${((fCpu + (2 * unembedMacs) / (kernelFlop / kernelCpu)) / fCpu).toFixed(2)}x the forward pass`);
  const abl = await timed(() => core.ablateHeads(model, ids, [{ layer: 10, head: 3 }]));
  console.log(`head ablation smollm2-135m-shape ${T} tokens (clean + ablated pass): ${abl.ms.toFixed(0)} ms (cpu ${abl.cpuMs.toFixed(0)} ms)`);
} finally {
  core.useMatmulThreads(1);
  rmSync(dir, { recursive: true, force: true });
}
