// Benchmarks the logit lens (issue 18) on a generated model with SmolLM2-135M's shape (random BF16 weights in a
// temp dir; HuggingFaceTB/SmolLM2-135M config.json: 30 layers, hidden 576, 9 heads, 3 KV heads, intermediate
// 1536, vocab 49152, tied embeddings): 128 tokens, the last 32 positions unembedded after every layer, against
// the plain forward pass over the same tokens (target: lens ≤ 2× the forward pass). Also one head ablation.
// Note: the unembedding alone is layers × positions × vocab × hidden multiply-adds (30·32·49152·576 = 27.2 G),
// twice the forward pass's matmuls over 128 tokens (13.6 G), so dense unembedding puts a floor near 3×; the
// line "multiply-add floor" prints that bound so the measured ratio can be read against it.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

/** Best wall and CPU time of `repeats` runs of `fn` (CPU too: on a shared machine the wall clock counts others' turns). */
async function best(fn, repeats) {
  let ms = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000);
  }
  return { ms, cpuMs };
}

const dir = writeRandomLlama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152 });
try {
  const model = await core.loadModel(dir);
  const T = 128;
  const shown = 32;
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % model.config.vocab);
  const positions = Array.from({ length: shown }, (_, i) => T - shown + i);
  await core.forward(model, ids.slice(0, 8)); // warm the JIT on a short input
  await core.logitLens(model, ids.slice(0, 8), { topK: 10 });
  const fwd = await best(() => core.forward(model, ids, { logits: 'last' }), 2);
  const lens = await best(() => core.logitLens(model, ids, { topK: 10, positions }), 2);
  console.log(`logit lens smollm2-135m-shape forward ${T} tokens: ${fwd.ms.toFixed(0)} ms (cpu ${fwd.cpuMs.toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape ${T} tokens, last ${shown} positions × 30 layers, top 10: ${lens.ms.toFixed(0)} ms (cpu ${lens.cpuMs.toFixed(0)} ms)`);
  console.log(`logit lens smollm2-135m-shape lens / forward: ${(lens.ms / fwd.ms).toFixed(2)}x wall, ${(lens.cpuMs / fwd.cpuMs).toFixed(2)}x cpu (target ≤ 2)`);
  const c = model.config;
  const forwardMacs = c.layers * T * (c.hidden * (c.heads * c.headDim + 2 * c.kvHeads * c.headDim) + c.heads * c.headDim * c.hidden + 3 * c.hidden * c.intermediate + c.heads * c.headDim * (T + 1));
  const lensMacs = forwardMacs + c.layers * shown * c.vocab * c.hidden;
  console.log(`logit lens smollm2-135m-shape multiply-add floor (lens / forward): ${(lensMacs / forwardMacs).toFixed(2)}x`);
  const abl = await best(() => core.ablateHeads(model, ids, [{ layer: 10, head: 3 }]), 1);
  console.log(`head ablation smollm2-135m-shape ${T} tokens (clean + ablated pass): ${abl.ms.toFixed(0)} ms (cpu ${abl.cpuMs.toFixed(0)} ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
