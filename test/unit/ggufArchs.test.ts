// The round-2 architectures from GGUF run exactly as from safetensors: each small random model of archFixtures.ts
// is saved both ways (the GGUF under llama.cpp's names and conventions: test/support/ggufArchs.ts) and the two
// loaded models must give the same attention, every row's logits and the same MoE routing (ids exact, gate
// weights to 1e-5), and both must match the tests' naive reference (archFixtures.referenceArch). Quantized GGUFs
// are compared with the F32 GGUF of their dequantized weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { forward, runAttention } from '../../src/core/model/runtime';
import { ModelLoadError } from '../../src/core/model/errors';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import type { GgufModel } from '../../src/core/model/ggufModel';
import { rng } from './attentionFixtures';
import { makeArch, referenceArch, type ArchRef, type ArchSpec } from './archFixtures';
import { writeArchGguf } from '../support/ggufArchs';
import { quantize } from '../support/quantize';

const TOL = 1e-5;

function ids(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

interface Outputs { probs: Float32Array[][]; logits: Float32Array; routing: ({ experts: Int32Array; weights: Float32Array } | undefined)[] }

async function outputs(model: Model, tokens: number[]): Promise<Outputs> {
  const run = await runAttention(model, tokens, { topK: 0, keepQkv: false });
  const logits = (await forward(model, tokens, { logits: 'all' })).logits;
  return { probs: run.probs, logits, routing: run.routing };
}

function assertSame(a: Outputs, b: Outputs, what: string): void {
  let worst = 0;
  a.probs.forEach((layer, l) => layer.forEach((p, h) => p.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.probs[l][h][i]))))));
  assert.ok(worst <= TOL, `${what}: attention differs by ${worst}`);
  let worstLogit = 0;
  a.logits.forEach((v, i) => (worstLogit = Math.max(worstLogit, Math.abs(v - b.logits[i]) / Math.max(1, Math.abs(v)))));
  assert.ok(worstLogit <= TOL, `${what}: logits differ by ${worstLogit}`);
  assert.equal(a.logits.length, b.logits.length);
  a.routing.forEach((r, l) => {
    const o = b.routing[l];
    if (!r) return assert.equal(o, undefined, `${what}: layer ${l} dense on both`);
    assert.ok(o, `${what}: layer ${l} routed on both`);
    assert.deepEqual(Array.from(o.experts), Array.from(r.experts), `${what}: layer ${l} expert ids`);
    r.weights.forEach((w, i) => assert.ok(Math.abs(w - o.weights[i]) <= TOL, `${what}: layer ${l} gate weight ${i}`));
  });
}

/** Saves `spec` as safetensors and as GGUF (`type`), loads both, compares them with each other and the reference. */
async function compare(spec: ArchSpec, n: number, type: 'f32' | 'f16' = 'f32'): Promise<{ hf: Model; gg: GgufModel; ref: ArchRef }> {
  const { dir, ref } = makeArch(spec);
  const path = join(dir, 'model.gguf');
  writeArchGguf(ref, path, type);
  const hf = await loadModel(dir);
  const gg = (await loadModel(path)) as GgufModel;
  const tokens = ids(spec.seed + 100, n, spec.vocab);
  const a = await outputs(hf, tokens);
  const b = await outputs(gg, tokens);
  assertSame(a, b, `${spec.kind} ${type}`);
  // And against the independent reference (so the GGUF path is not merely as wrong as the safetensors one).
  const expected = referenceArch(ref, tokens);
  let worst = 0;
  expected.logits.forEach((row, t) => row.forEach((v, i) => (worst = Math.max(worst, Math.abs(b.logits[t * spec.vocab + i] - v) / Math.max(1, Math.abs(v))))));
  assert.ok(worst <= TOL, `${spec.kind}: GGUF logits differ from the reference by ${worst}`);
  expected.routing.forEach((r, l) => r?.experts.forEach((row, t) => assert.deepEqual(Array.from(b.routing[l]?.experts.subarray(t * row.length, (t + 1) * row.length) ?? []), row)));
  for (const k of ['family', 'layers', 'hidden', 'heads', 'kvHeads', 'headDim', 'vocab', 'slidingWindow', 'slidingWindowLayers'] as const) {
    assert.deepEqual(gg.config[k], hf.config[k], `${spec.kind}: config.${k}`);
  }
  // GGUF carries LongRoPE's attention factor as a float32 (rope.scaling.attn_factor).
  const rs = hf.config.ropeScaling;
  assert.deepEqual(gg.config.ropeScaling, rs.type === 'longrope' ? { ...rs, attentionFactor: Math.fround(rs.attentionFactor) } : rs, `${spec.kind}: config.ropeScaling`);
  assert.deepEqual({ ...gg.config.block }, { ...hf.config.block }, `${spec.kind}: the block`);
  assert.deepEqual(gg.parameterCounts, hf.parameterCounts, `${spec.kind}: parameter counts`);
  rmSync(dir, { recursive: true, force: true });
  return { hf, gg, ref };
}

test('GGUF qwen3 (attn_q_norm / attn_k_norm, key_length ≠ hidden/heads) = safetensors = reference, F32 and F16', async () => {
  const spec: ArchSpec = { kind: 'qwen3', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 6, intermediate: 24, vocab: 31, ropeTheta: 1e6, tied: true, seed: 1 };
  await compare(spec, 9);
  await compare({ ...spec, tied: false, seed: 21 }, 9, 'f16');
});

test('GGUF qwen3moe (ffn_*_exps stacked, ffn_gate_inp, every layer sparse, top-k renormalised)', async () => {
  const { gg } = await compare({ kind: 'qwen3moe', layers: 2, hidden: 16, heads: 2, kvHeads: 1, headDim: 8, intermediate: 12, vocab: 23, ropeTheta: 10000, seed: 3, experts: 6, topK: 2, moeIntermediate: 6, normTopK: true }, 10);
  assert.equal(gg.architecture, 'qwen3moe');
  assert.deepEqual(gg.config.block.moe, { experts: 6, topK: 2, normalizeTopK: true, intermediate: 6, layers: [0, 1] });
  // 2 layers × 4 unused experts × 3 matrices of 16 × 6.
  assert.equal(gg.parameterCounts.total - gg.parameterCounts.active, 2 * 4 * 3 * 16 * 6);
});

test('GGUF llama with expert_count (Mixtral): Q/K un-permuted, experts stacked, same routing', async () => {
  const { gg } = await compare({ kind: 'mixtral', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 12, vocab: 27, ropeTheta: 1e6, seed: 4, experts: 4, topK: 2 }, 9, 'f16');
  assert.equal(gg.architecture, 'llama');
  assert.equal(gg.config.family, 'mixtral');
});

test('GGUF gemma2 (norms hold +1, post norms, soft-caps, window on even layers, √hidden in float32)', async () => {
  await compare({ kind: 'gemma2', layers: 3, hidden: 24, heads: 2, kvHeads: 1, headDim: 8, intermediate: 20, vocab: 33, ropeTheta: 10000, seed: 5, attnSoftcap: 1.5, finalSoftcap: 3, slidingWindow: 3 }, 9);
});

test('GGUF gemma3 (q/k norms hold +1, 5 local per global, local base 10000, linear RoPE on globals only)', async () => {
  const { gg } = await compare({ kind: 'gemma3', layers: 7, hidden: 16, heads: 4, kvHeads: 2, headDim: 8, intermediate: 16, vocab: 25, ropeTheta: 1e6, seed: 6, linearRope: 4, slidingWindow: 4 }, 10);
  assert.deepEqual(gg.config.slidingWindowLayers, [0, 1, 2, 3, 4, 6]);
});

test('GGUF phi3 (fused attn_qkv and ffn_up, LongRoPE from rope_factors tensors, sliding window)', async () => {
  await compare({ kind: 'phi3', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 12, vocab: 27, ropeTheta: 10000, seed: 8, slidingWindow: 5, longrope: { short: [1, 1.5], long: [2, 6], original: 8, maxPositions: 64 } }, 11);
  await compare({ kind: 'phi3', layers: 2, hidden: 16, heads: 2, kvHeads: 2, headDim: 8, intermediate: 12, vocab: 19, ropeTheta: 10000, seed: 9, longrope: { short: [1, 1.25, 2, 3], long: [4, 5, 6, 7], original: 16, maxPositions: 128 } }, 9, 'f16');
});

test('GGUF qwen3moe Q8_0 = the F32 GGUF of its dequantized weights (experts stay quantized)', async () => {
  const spec: ArchSpec = { kind: 'qwen3moe', layers: 2, hidden: 32, heads: 2, kvHeads: 1, headDim: 16, intermediate: 32, vocab: 40, ropeTheta: 10000, seed: 31, experts: 4, topK: 2, moeIntermediate: 32, normTopK: true };
  const { dir, ref } = makeArch(spec);
  // Round every matrix to what Q8_0 keeps, then write it twice: quantized and as F32.
  const deq = (m: number[][]): number[][] => {
    const rows = m.length, cols = m[0].length;
    const q = dequantizeRows({ type: 'q8_0', rows, cols, data: quantize('q8_0', Float32Array.from(m.flat())) }, 0, rows);
    return Array.from({ length: rows }, (_, i) => Array.from(q.subarray(i * cols, (i + 1) * cols)));
  };
  ref.embed = deq(ref.embed);
  ref.lmHead = ref.embed;
  for (const L of ref.layers) {
    L.q = deq(L.q); L.k = deq(L.k); L.v = deq(L.v); L.o = deq(L.o);
    if (L.router) L.router = deq(L.router);
    L.experts = L.experts?.map((e) => ({ gate: deq(e.gate), up: deq(e.up), down: deq(e.down) }));
  }
  writeArchGguf(ref, join(dir, 'q8.gguf'), 'q8_0');
  writeArchGguf(ref, join(dir, 'f32.gguf'), 'f32');
  const q8 = (await loadModel(join(dir, 'q8.gguf'))) as GgufModel;
  const f32 = await loadModel(join(dir, 'f32.gguf'));
  assert.equal(q8.weights.layers[0].experts?.[0].gate.type, 'q8_0');
  assert.ok(q8.residentBytes < f32.residentBytes / 2, `Q8_0 held ${q8.residentBytes} B vs F32 ${f32.residentBytes} B`);
  const tokens = ids(7, 10, spec.vocab);
  assertSame(await outputs(f32, tokens), await outputs(q8, tokens), 'qwen3moe q8_0');
  rmSync(dir, { recursive: true, force: true });
});

test('GGUF bad input: a missing expert tensor is named, expert_used_count > expert_count is refused', async () => {
  const spec: ArchSpec = { kind: 'qwen3moe', layers: 1, hidden: 16, heads: 2, kvHeads: 1, headDim: 8, intermediate: 12, vocab: 23, ropeTheta: 10000, seed: 41, experts: 4, topK: 2, moeIntermediate: 6, normTopK: true };
  const { dir, ref } = makeArch(spec);
  const good = join(dir, 'good.gguf');
  writeArchGguf(ref, good);
  // Rename the stacked down tensor so it is missing (same byte length keeps the file well formed).
  const bytes = readFileSync(good);
  const renamed = Buffer.from(bytes);
  const at = renamed.indexOf('blk.0.ffn_down_exps.weight');
  renamed.write('blk.0.ffn_down_expX.weight', at);
  writeFileSync(join(dir, 'missing.gguf'), renamed);
  await assert.rejects(loadModel(join(dir, 'missing.gguf')), (e: unknown) => e instanceof ModelLoadError && /blk\.0\.ffn_down_exps\.weight/.test(e.message));
  // expert_used_count larger than expert_count.
  const tooMany = Buffer.from(bytes);
  const key = tooMany.indexOf('qwen3moe.expert_used_count');
  tooMany.writeUInt32LE(9, key + 'qwen3moe.expert_used_count'.length + 4);
  writeFileSync(join(dir, 'topk.gguf'), tooMany);
  await assert.rejects(loadModel(join(dir, 'topk.gguf')), (e: unknown) => e instanceof ModelLoadError && /expert_used_count/.test(e.message));
  rmSync(dir, { recursive: true, force: true });
});
