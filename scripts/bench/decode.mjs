// Benchmarks decoding (issue 17): new tokens per second with the KV cache (generate: the prompt fed once, then
// one position per token) and without it (each token recomputes the whole sequence, as nextTokenLogits on
// prompt + tokens so far), at a 256-token context and 32 new tokens, for the embedded model and a generated
// model with SmolLM2-135M's shape. Target: the cache ≥ 5× faster on the SmolLM2 shape.
// Both rates include the prompt's cost (the cached run's prefill is part of its time). Without the cache each
// SmolLM2 token costs a 256+-token forward pass, so by default only its first NOCACHE_TOKENS tokens are timed
// (later ones are only costlier, so the ratio printed is a lower bound); BENCH_DECODE_FULL=1 times all 32.
// Medians of the repeats (the machine is shared). Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const CONTEXT = 256;
const NEW_TOKENS = 32;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function bench(name, model, repeats, noCacheTokens) {
  const prompt = Array.from({ length: CONTEXT }, (_, i) => (i * 7919 + 13) % model.config.vocab);
  await core.generate(model, prompt.slice(0, 8), { strategy: 'greedy', maxNewTokens: 4 }); // warm the JIT
  // With the cache: prompt once, then one position per token; no stop token so all 32 are made.
  const cached = [];
  let gen;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    gen = await core.generate(model, prompt, { strategy: 'greedy', maxNewTokens: NEW_TOKENS, stopTokenIds: [] });
    cached.push(performance.now() - t0);
  }
  // generate stops at the model's EOS; count what it really made.
  const made = gen.tokenIds.length;
  const perTokenCached = median(cached) / made;
  // Without: each token is a full forward pass over prompt + tokens so far (the naive rollout).
  const seq = [...prompt];
  const stepMs = [];
  for (let i = 0; i < noCacheTokens; i++) {
    const t0 = performance.now();
    const logits = await core.nextTokenLogits(model, seq);
    stepMs.push(performance.now() - t0);
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    seq.push(best);
  }
  const perTokenFull = median(stepMs);
  console.log(`decode ${name} ${CONTEXT}-token context, ${made} new tokens with cache: ${(1000 / perTokenCached).toFixed(1)} tokens/s (median of ${repeats} runs, ${median(cached).toFixed(0)} ms incl. prompt)`);
  console.log(`decode ${name} without cache: ${(1000 / perTokenFull).toFixed(2)} tokens/s (median of ${noCacheTokens} tokens, ${perTokenFull.toFixed(0)} ms each)`);
  console.log(`decode ${name} cache speed-up: ${(perTokenFull / perTokenCached).toFixed(1)} x${name.includes('smollm2') ? ' (target 5)' : ''}`);
  const expected = core.kvCacheBytes(model.shape, { seqLen: gen.kvCache.positions, bytesPerElement: 4 });
  console.log(`decode ${name} cache bytes: ${gen.kvCache.bytes} (formula ${expected}, ${gen.kvCache.bytes === expected ? 'equal' : 'DIFFERENT'})`);
}

{
  const dir = core.embeddedModelDir();
  if (existsSync(join(dir, 'model.safetensors'))) await bench('embedded', await core.loadModel(dir), 5, NEW_TOKENS);
  else console.log('decode embedded: skipped (no data/embedded-model/model.safetensors)');
}

// SmolLM2-135M's shape (HuggingFaceTB/SmolLM2-135M config.json: 30 layers, hidden 576, 9 heads, 3 KV heads,
// intermediate 1536, vocab 49152, tied embeddings), random weights.
{
  const dir = writeRandomLlama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152 });
  try {
    await bench('smollm2-135m-shape', await core.loadModel(dir), 3, process.env.BENCH_DECODE_FULL ? NEW_TOKENS : 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
