// Benchmarks one decode step of a Qwen3-30B-A3B-shaped mixture of experts (issue 15): hidden 2048, 32 query / 4 KV
// heads of 128, 128 experts of width 768, top-8, vocabulary 151,936 (its config.json, the KV panel's preset),
// with random Q4_K weights built in memory (no model can be downloaded here; Q4_K as in a Q4_K_M file) and
// BENCH_MOE_LAYERS of its 48 layers (default 4: each layer's experts are ~340 MB in Q4_K). A 64-token prompt
// fills the KV cache, then one token is fed: its time, and which experts ran — 8 of 128 per layer for the step,
// against nearly all of them for the 64 prompt tokens. The router and the mixture follow transformers'
// Qwen3MoeSparseMoeBlock (runtime.ts `moe`): only the chosen experts' matrices are multiplied.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { randomFillSync } from 'node:crypto';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const LAYERS = Number(process.env.BENCH_MOE_LAYERS ?? 4);
const PROMPT = 64;
const preset = core.modelPresets().find((p) => p.id === 'qwen3-30b-a3b');
if (!preset) throw new Error('no qwen3-30b-a3b preset');
const hf = { ...preset.config, num_hidden_layers: LAYERS, tie_word_embeddings: false };
const config = core.parseModelConfig(JSON.stringify(hf));
const { hidden: h, heads, kvHeads, headDim: d, vocab } = config;
const moe = config.block.moe;

/**
 * A random Q4_K matrix centred on 0: random 4-bit codes q, every 6-bit scale and min 21 (all twelve scale bytes
 * 0x55 unpack to sc = m = 21 in ggml-quants.c get_scale_min_k4), d = 2^-11 and dmin = 7.5·d, so each weight is
 * d·21·(q − 7.5). (Uncentred random blocks share one large positive direction that sends every token to the same
 * experts.)
 */
function q4k(rows, cols) {
  const bytesPerRow = core.rowBytes('q4_k', cols);
  const data = new Uint8Array(rows * bytesPerRow);
  randomFillSync(data);
  const view = new DataView(data.buffer);
  // ggml-common.h block_q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128] = 144 bytes per 256 weights.
  for (let b = 0; b < data.length; b += 144) {
    view.setUint16(b, 0x1000, true); // d = 2^-11 (f16)
    view.setUint16(b + 2, 0x1b80, true); // dmin = 7.5 · 2^-11 (f16)
    data.fill(0x55, b + 4, b + 16);
  }
  return { type: 'q4_k', rows, cols, data };
}
const ones = (n) => new Float32Array(n).fill(1);

const t0 = performance.now();
const layers = [];
for (let l = 0; l < LAYERS; l++) {
  layers.push({
    norm1: ones(h), norm2: ones(h), qNorm: ones(d), kNorm: ones(d),
    q: q4k(heads * d, h), k: q4k(kvHeads * d, h), v: q4k(kvHeads * d, h), o: q4k(h, heads * d),
    // The router stays float (llama.cpp keeps ffn_gate_inp in F32); random logits spread tokens over experts.
    router: { type: 'f32', rows: moe.experts, cols: h, data: Float32Array.from({ length: moe.experts * h }, () => Math.random() - 0.5) },
    experts: Array.from({ length: moe.experts }, () => ({ gate: q4k(moe.intermediate, h), up: q4k(moe.intermediate, h), down: q4k(h, moe.intermediate) })),
  });
}
const embed = q4k(vocab, h);
const weights = { embed, layers, finalNorm: ones(h), lmHead: q4k(vocab, h) };
let resident = embed.data.length + weights.lmHead.data.length;
for (const L of layers) for (const e of L.experts) resident += e.gate.data.length + e.up.data.length + e.down.data.length;
const model = {
  dir: '(in memory)', config, weights, parameters: 0, weightBytes: 0, format: 'gguf', fileBytes: 0, residentBytes: resident,
  shape: core.shapeOf(config), parameterCounts: { total: 0, active: 0 },
};
console.log(`moe qwen3-30b-a3b-shape build (${LAYERS} of 48 layers, Q4_K, ${(resident / 2 ** 30).toFixed(2)} GiB): ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 7919 + 13) % vocab);
const cache = core.createKvCache(model);
let t = performance.now();
const pre = await core.forward(model, prompt, { cache, logits: 'none' });
console.log(`moe qwen3-30b-a3b-shape prefill ${PROMPT} tokens: ${(performance.now() - t).toFixed(0)} ms`);
const distinct = (r) => new Set(r.experts).size;
const prefillExperts = pre.routing.map(distinct);
console.log(`moe qwen3-30b-a3b-shape prefill experts touched per layer: ${prefillExperts.join(', ')} of ${moe.experts}`);

const steps = [];
let step;
for (let r = 0; r < 3; r++) {
  const c = cache.clone();
  t = performance.now();
  step = await core.forward(model, [42 + r], { cache: c, logits: 'last' });
  steps.push(performance.now() - t);
}
steps.sort((a, b) => a - b);
const used = step.routing.map(distinct);
const expertBytes = layers[0].experts[0].gate.data.length * 2 + layers[0].experts[0].down.data.length;
console.log(`moe qwen3-30b-a3b-shape decode step (1 token after ${PROMPT}, median of 3): ${steps[1].toFixed(0)} ms`);
console.log(`moe qwen3-30b-a3b-shape decode step experts run per layer: ${used.join(', ')} of ${moe.experts} (${((100 * used[0]) / moe.experts).toFixed(2)}%)`);
console.log(`moe qwen3-30b-a3b-shape decode step expert weights read: ${((used.reduce((a, b) => a + b, 0) * expertBytes) / 2 ** 20).toFixed(1)} MiB of ${((LAYERS * moe.experts * expertBytes) / 2 ** 20).toFixed(0)} MiB held`);
// Without the unembedding (vocab × hidden, the same in a dense model): the layers' own cost.
const c2 = cache.clone();
t = performance.now();
await core.forward(model, [7], { cache: c2, logits: 'none' });
const layerMs = performance.now() - t;
console.log(`moe qwen3-30b-a3b-shape decode step without the LM head: ${layerMs.toFixed(0)} ms (${(layerMs / LAYERS).toFixed(1)} ms per layer; ×48 layers ≈ ${((layerMs / LAYERS) * 48 / 1000).toFixed(2)} s)`);
