// The architectures beyond Llama and GPT-2 against the tests' own naive reference (archFixtures.ts, written
// from transformers' modeling files): probabilities and logits to 1e-5, MoE routing ids and gate weights,
// sliding windows longer than the window, soft-capping, LongRoPE frequencies by hand, the KV cache, the step
// view's per-architecture arithmetic, parameter counts, and the load errors of bad configs and tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { createKvCache, forward, ropeAttentionFactor, ropeInverseFrequencies, runAttention, type AttentionRun } from '../../src/core/model/runtime';
import { parseModelConfig } from '../../src/core/model/arch/index';
import { attentionStep } from '../../src/core/analysis/step';
import { ModelLoadError } from '../../src/core/model/errors';
import { encodeSafetensors } from '../../src/core/model/formats/safetensorsWriter';
import { countParameters } from '../../src/core/kvcache/parameters';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { rng } from './attentionFixtures';
import { isSlidingLayer, makeArch, referenceArch, roundBf16, type ArchRefResult, type ArchSpec } from './archFixtures';

const TOL = 1e-5;

function randomIds(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

async function withModel(spec: ArchSpec, body: (model: Model, dir: string, ref: ReturnType<typeof makeArch>['ref']) => Promise<void>, override?: (c: Record<string, unknown>) => void): Promise<void> {
  const { dir, ref } = makeArch(spec, override);
  try {
    await body(await loadModel(dir), dir, ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Probabilities to 1e-5 absolute, every row's logits to 1e-5 relative, routing ids exact and weights to 1e-5. */
function assertMatches(run: AttentionRun, logits: Float32Array, expected: ArchRefResult, vocab: number): void {
  let worst = 0;
  for (let l = 0; l < run.layers; l++) {
    for (let h = 0; h < run.heads; h++) {
      for (let i = 0; i < run.seqLen; i++) {
        for (let j = 0; j < run.seqLen; j++) worst = Math.max(worst, Math.abs(run.probs[l][h][i * run.seqLen + j] - expected.probs[l][h][i][j]));
      }
    }
  }
  assert.ok(worst <= TOL, `largest probability difference ${worst}`);
  let worstLogit = 0;
  expected.logits.forEach((row, t) => row.forEach((v, i) => (worstLogit = Math.max(worstLogit, Math.abs(logits[t * vocab + i] - v) / Math.max(1, Math.abs(v))))));
  assert.ok(worstLogit <= TOL, `largest logit difference ${worstLogit}`);
  run.scales.forEach((s, l) => assert.ok(Math.abs(s - expected.scales[l]) <= 1e-12, `scale of layer ${l}`));
  expected.routing.forEach((r, l) => {
    const got = run.routing[l];
    if (!r) {
      assert.equal(got, undefined, `layer ${l} is dense`);
      return;
    }
    assert.ok(got, `layer ${l} has routing`);
    assert.equal(got.topK, r.experts[0].length);
    assert.equal(got.experts.length, run.seqLen * got.topK);
    r.experts.forEach((ids, t) => ids.forEach((e, k) => {
      assert.equal(got.experts[t * got.topK + k], e, `layer ${l} token ${t} choice ${k}`);
      assert.ok(Math.abs(got.weights[t * got.topK + k] - r.weights[t][k]) <= TOL, `layer ${l} token ${t} weight ${k}`);
    }));
  });
}

const cases: [string, ArchSpec, number][] = [
  ['Qwen3: q/k norm, head_dim 6 ≠ hidden/heads, GQA, tied, BF16', { kind: 'qwen3', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 6, intermediate: 24, vocab: 31, ropeTheta: 1e6, tied: true, dtype: 'BF16', seed: 1 }, 9],
  ['Qwen3-MoE: 6 experts top-2, no renormalisation, mlp_only_layers [1]', { kind: 'qwen3moe', layers: 3, hidden: 16, heads: 4, kvHeads: 1, headDim: 4, intermediate: 20, vocab: 29, ropeTheta: 10000, seed: 2, experts: 6, topK: 2, moeIntermediate: 8, normTopK: false, mlpOnlyLayers: [1] }, 9],
  ['Qwen3-MoE: norm_topk_prob, decoder_sparse_step 2, top-3 of 4', { kind: 'qwen3moe', layers: 4, hidden: 16, heads: 2, kvHeads: 2, headDim: 8, intermediate: 12, vocab: 23, ropeTheta: 10000, seed: 3, experts: 4, topK: 3, moeIntermediate: 6, normTopK: true, decoderSparseStep: 2 }, 8],
  ['Mixtral: 4 experts top-2 renormalised, sliding window 3 < 9 tokens, F16', { kind: 'mixtral', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 12, vocab: 27, ropeTheta: 1e6, seed: 4, experts: 4, topK: 2, slidingWindow: 3, dtype: 'F16' }, 9],
  ['Gemma 2: soft-caps 1.5 / 3, query_pre_attn_scalar 12, window 3 on alternating layers, bf16 normalizer', { kind: 'gemma2', layers: 3, hidden: 24, heads: 2, kvHeads: 1, headDim: 8, intermediate: 20, vocab: 33, ropeTheta: 10000, seed: 5, attnSoftcap: 1.5, finalSoftcap: 3, queryPreAttnScalar: 12, slidingWindow: 3, torchDtype: 'bfloat16' }, 9],
  ['Gemma 3 text: q/k norm, 2 local per global, local RoPE base 10, linear ×4 on globals, window 4', { kind: 'gemma3', layers: 6, hidden: 16, heads: 4, kvHeads: 2, headDim: 8, intermediate: 16, vocab: 25, ropeTheta: 10000, seed: 6, pattern: 3, localRopeTheta: 10, linearRope: 4, slidingWindow: 4 }, 10],
  ['Gemma 3 multimodal checkpoint: text_config, language_model.model. names, vision tensors skipped', { kind: 'gemma3mm', layers: 6, hidden: 16, heads: 2, kvHeads: 1, headDim: 8, intermediate: 16, vocab: 21, ropeTheta: 1e6, seed: 7, slidingWindow: 2, linearRope: 8, torchDtype: 'bfloat16' }, 8],
  ['Phi-3: fused qkv/gate_up, LongRoPE past the original context (long factors), sliding window 5', { kind: 'phi3', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 12, vocab: 27, ropeTheta: 10000, seed: 8, slidingWindow: 5, longrope: { short: [1, 1.5], long: [2, 6], original: 8, maxPositions: 64 } }, 11],
  ['Phi-3: LongRoPE within the original context (short factors), untied, BF16', { kind: 'phi3', layers: 2, hidden: 16, heads: 2, kvHeads: 2, headDim: 8, intermediate: 12, vocab: 19, ropeTheta: 10000, seed: 9, dtype: 'BF16', longrope: { short: [1, 1.25, 2, 3], long: [4, 5, 6, 7], original: 16, maxPositions: 128 } }, 9],
];

for (const [name, spec, n] of cases) {
  test(`${name}: matches the naive reference to 1e-5`, async () => {
    await withModel(spec, async (model, _dir, ref) => {
      const ids = randomIds(spec.seed + 50, n, spec.vocab);
      const run = await runAttention(model, ids);
      const all = await forward(model, ids, { logits: 'all' });
      const expected = referenceArch(ref, ids);
      assertMatches(run, all.logits, expected, spec.vocab);
      // Sliding-window layers really mask: the first query's keys beyond the window get probability 0.
      for (let l = 0; l < run.layers; l++) {
        assert.equal(run.slidingWindows[l], isSlidingLayer(spec, l) ? spec.slidingWindow : undefined, `window of layer ${l}`);
        const w = run.slidingWindows[l];
        if (w !== undefined && n > w) assert.equal(run.probs[l][0][(n - 1) * n + (n - 1 - w)], 0);
      }
      // The KV cache: feeding the tokens in two calls gives the same last logits as one call (LongRoPE cannot
      // cross its original context with a cache: the earlier keys used the short factors).
      const cache = createKvCache(model);
      if (spec.longrope && n > spec.longrope.original) {
        await forward(model, ids.slice(0, 5), { cache, logits: 'none' });
        await assert.rejects(forward(model, ids.slice(5), { cache }), /LongRoPE switches to its long factors past 8 positions/);
        return;
      }
      await forward(model, ids.slice(0, 5), { cache, logits: 'none' });
      const second = await forward(model, ids.slice(5), { cache });
      const last = expected.logits[n - 1];
      last.forEach((v, i) => assert.ok(Math.abs(second.logits[i] - v) <= TOL * Math.max(1, Math.abs(v)), `cached logit ${i}`));
      // Sliding layers keep only their window: the cache holds exactly what the KV-cache formula says.
      assert.equal(cache.bytes, kvCacheBytes(model.shape, { seqLen: n, bytesPerElement: 4 }));
    });
  });
}

test('Mixtral (the embedded MoE model\'s format): routing, and total vs active parameters', async () => {
  const spec: ArchSpec = { kind: 'mixtral', layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 12, vocab: 27, ropeTheta: 1e6, seed: 11, experts: 8, topK: 2 };
  await withModel(spec, async (model) => {
    assert.equal(model.config.family, 'mixtral');
    assert.deepEqual(model.config.block.moe, { experts: 8, topK: 2, normalizeTopK: true, intermediate: 12, layers: [0, 1] });
    // Per layer: attention 4 × 16·16 − GQA (k, v are 8 × 16), 2 norms, router 8 × 16, 8 experts × 3 × 12 × 16.
    const attention = 16 * 16 + 8 * 16 + 8 * 16 + 16 * 16;
    const perLayer = attention + 2 * 16 + 8 * 16 + 8 * 3 * 12 * 16;
    const total = 27 * 16 * 2 + 16 + 2 * perLayer; // embed + lm_head (untied) + final norm
    assert.equal(model.parameterCounts.total, total);
    // Active: the 6 experts a token skips in each layer do not count.
    assert.equal(model.parameterCounts.active, total - 2 * 6 * 3 * 12 * 16);
    const run = await runAttention(model, [1, 2, 3, 4]);
    for (const r of run.routing) {
      assert.ok(r);
      for (let t = 0; t < 4; t++) {
        const w = r.weights.subarray(t * 2, t * 2 + 2);
        assert.ok(w[0] >= w[1], 'best first');
        assert.ok(Math.abs(w[0] + w[1] - 1) < 1e-6, 'renormalised');
        assert.notEqual(r.experts[t * 2], r.experts[t * 2 + 1]);
      }
    }
  });
});

test('Gemma 2: soft-capped logits stay inside ±cap; the step view shows the cap, the scale used and each layer\'s window', async () => {
  const spec = cases[4][1];
  await withModel(spec, async (model) => {
    const ids = randomIds(77, 9, spec.vocab);
    const all = await forward(model, ids, { logits: 'all' });
    for (const v of all.logits) assert.ok(Math.abs(v) < 3);
    // √24 in bfloat16 (Gemma2Model's normalizer cast to the dtype) is not √24 in float32.
    assert.equal(model.config.block.embedScale, roundBf16(Math.sqrt(24)));
    assert.notEqual(roundBf16(Math.sqrt(24)), Math.fround(Math.sqrt(24)));
    const run = await runAttention(model, ids);
    for (let l = 0; l < run.layers; l++) {
      const step = attentionStep(run, l, 1, 8);
      assert.equal(step.softcap, 1.5);
      assert.equal(step.scale, 12 ** -0.5);
      assert.equal(step.defaultScale, 1 / Math.sqrt(8));
      assert.equal(step.qkNorm, false);
      assert.equal(step.slidingWindow, l % 2 === 0 ? 3 : undefined);
      step.cappedScores.forEach((c, j) => assert.ok(Math.abs(c - 1.5 * Math.tanh(step.scaledScores[j] / 1.5)) < 1e-6));
      // Masked: beyond the causal limit, and on sliding layers further back than the window.
      step.mask.forEach((m, j) => assert.equal(m, j <= 8 && (l % 2 === 1 || 8 - j < 3) ? 0 : -Infinity, `layer ${l} key ${j}`));
      step.probs.forEach((p, j) => assert.ok(Math.abs(p - run.probs[l][1][8 * 9 + j]) <= 1e-6, `layer ${l} key ${j}`));
    }
  });
});

test('Qwen3 and Gemma 3: the step view says q and k were normalised per head', async () => {
  await withModel(cases[0][1], async (model) => {
    const run = await runAttention(model, [1, 2, 3]);
    const step = attentionStep(run, 0, 0, 2);
    assert.equal(step.qkNorm, true);
    assert.equal(step.softcap, undefined);
    assert.equal(step.scale, 1 / Math.sqrt(6));
  });
});

test('Phi-3 LongRoPE: inverse frequencies and attention factor equal the formula computed by hand', () => {
  const config = parseModelConfig(JSON.stringify({
    architectures: ['Phi3ForCausalLM'], model_type: 'phi3', hidden_size: 16, num_attention_heads: 2, num_key_value_heads: 2, intermediate_size: 8,
    num_hidden_layers: 1, vocab_size: 10, rope_theta: 10000, max_position_embeddings: 32, original_max_position_embeddings: 8,
    rope_scaling: { type: 'longrope', short_factor: [1, 2, 4, 8], long_factor: [2, 4, 8, 16] },
  }));
  // head_dim 8: θ^(2i/8) = 1, 10, 100, 1000; inv_freq = 1 / (factor_i · θ^(2i/d)).
  const short = ropeInverseFrequencies(config, 8);
  [1, 0.05, 0.0025, 0.000125].forEach((v, i) => assert.ok(Math.abs(short[i] - v) < 1e-15, `short ${i}: ${short[i]}`));
  const long = ropeInverseFrequencies(config, 9);
  [0.5, 0.025, 0.00125, 0.0000625].forEach((v, i) => assert.ok(Math.abs(long[i] - v) < 1e-15, `long ${i}: ${long[i]}`));
  // factor = 32 / 8 = 4: √(1 + ln 4 / ln 8) = √(1 + 2/3) = √(5/3).
  assert.ok(Math.abs(ropeAttentionFactor(config) - Math.sqrt(5 / 3)) < 1e-15);
  // An explicit attention_factor wins.
  const explicit = parseModelConfig(JSON.stringify({
    model_type: 'phi3', hidden_size: 16, num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10,
    max_position_embeddings: 32, original_max_position_embeddings: 8,
    rope_scaling: { type: 'longrope', short_factor: [1, 1, 1, 1], long_factor: [1, 1, 1, 1], attention_factor: 1.25 },
  }));
  assert.equal(ropeAttentionFactor(explicit), 1.25);
  // transformers 5: the same in rope_parameters (rope_theta and original_max_position_embeddings inside).
  const v5 = parseModelConfig(JSON.stringify({
    model_type: 'phi3', hidden_size: 16, num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10, max_position_embeddings: 32,
    rope_parameters: { rope_type: 'longrope', rope_theta: 10000, original_max_position_embeddings: 8, short_factor: [1, 2, 4, 8], long_factor: [2, 4, 8, 16] },
  }));
  assert.deepEqual(Array.from(ropeInverseFrequencies(v5, 9)), Array.from(long));
  assert.ok(Math.abs(ropeAttentionFactor(v5) - Math.sqrt(5 / 3)) < 1e-15);
});

test('Gemma 3: five local layers per global one by default, layer_types when given', () => {
  const base = { model_type: 'gemma3_text', hidden_size: 16, intermediate_size: 8, num_hidden_layers: 12, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8, vocab_size: 10, sliding_window: 512 };
  const c = parseModelConfig(JSON.stringify(base));
  assert.deepEqual(c.slidingWindowLayers, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
  assert.equal(c.block.slidingRopeTheta, 10000);
  assert.equal(c.ropeTheta, 1e6);
  const types = Array.from({ length: 12 }, (_, l) => (l % 3 === 2 ? 'full_attention' : 'sliding_attention'));
  assert.deepEqual(parseModelConfig(JSON.stringify({ ...base, layer_types: types })).slidingWindowLayers, [0, 1, 3, 4, 6, 7, 9, 10]);
  // Gemma3Attention never passes attn_logit_softcapping on: no attention cap for Gemma 3 even when configured.
  assert.equal(parseModelConfig(JSON.stringify({ ...base, attn_logit_softcapping: 50 })).block.attnSoftcap, undefined);
  // transformers 5 writes rope_parameters per layer type instead of rope_theta / rope_scaling / rope_local_base_freq.
  const v5 = parseModelConfig(JSON.stringify({
    ...base, rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 10000 } },
  }));
  assert.deepEqual([v5.ropeTheta, v5.ropeScaling, v5.block.slidingRopeTheta], [1e6, { type: 'linear', factor: 8 }, 10000]);
  const g2 = parseModelConfig(JSON.stringify({ ...base, model_type: 'gemma2', num_hidden_layers: 4 }));
  assert.deepEqual(g2.slidingWindowLayers, [0, 2]);
  assert.deepEqual([g2.block.attnSoftcap, g2.block.finalSoftcap], [50, 30]);
});

test('a config that lacks a key the architecture needs: ModelLoadError naming the key', () => {
  const cases: [object, string][] = [
    [{ model_type: 'qwen3', hidden_size: 16, num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10 }, 'head_dim'],
    [{ model_type: 'mixtral', hidden_size: 16, num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10, num_experts_per_tok: 2 }, 'num_local_experts'],
    [{ model_type: 'qwen3_moe', hidden_size: 16, num_attention_heads: 2, head_dim: 8, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10, num_experts: 4, num_experts_per_tok: 2 }, 'moe_intermediate_size'],
    [{ model_type: 'gemma2', num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10 }, 'hidden_size'],
    [{ model_type: 'phi3', hidden_size: 16, num_attention_heads: 2, intermediate_size: 8, num_hidden_layers: 1, vocab_size: 10, max_position_embeddings: 32, original_max_position_embeddings: 8, rope_scaling: { type: 'longrope', short_factor: [1, 1, 1, 1] } }, 'long_factor'],
  ];
  for (const [config, key] of cases) {
    assert.throws(() => parseModelConfig(JSON.stringify(config)), (e: unknown) => e instanceof ModelLoadError && e.code === 'config' && e.message.includes(`"${key}"`), key);
  }
});

test('an unsupported architecture: the message lists every supported one', () => {
  assert.throws(() => parseModelConfig(JSON.stringify({ model_type: 'deepseek_v3', architectures: ['DeepseekV3ForCausalLM'] })), (e: unknown) => {
    if (!(e instanceof ModelLoadError) || e.code !== 'unsupportedArchitecture') return false;
    return ['Llama', 'GPT-2', 'Qwen3', 'Qwen3-MoE', 'Gemma 2', 'Gemma 3', 'Phi-3', 'Mixtral'].every((n) => e.message.includes(n));
  });
});

test('tensors that do not match the config: ModelLoadError naming the tensor', async () => {
  const spec: ArchSpec = { kind: 'mixtral', layers: 1, hidden: 8, heads: 2, kvHeads: 1, headDim: 4, intermediate: 6, vocab: 11, ropeTheta: 1e6, seed: 12, experts: 3, topK: 2 };
  // A config claiming more experts than the file holds: the missing expert is named.
  const { dir } = makeArch(spec, (c) => { c.num_local_experts = 4; });
  try {
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'missingTensor' && e.message.includes('model.layers.0.block_sparse_moe.experts.3.w1.weight'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Qwen3 with q_norm over the wrong size.
  const q = makeArch({ kind: 'qwen3', layers: 1, hidden: 8, heads: 2, kvHeads: 1, headDim: 4, intermediate: 6, vocab: 11, ropeTheta: 1e6, seed: 13 });
  try {
    const config = JSON.parse(readFileSync(join(q.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(q.dir, 'config.json'), JSON.stringify({ ...config, head_dim: 2 }));
    await assert.rejects(loadModel(q.dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'tensorShape' && e.message.includes('q_proj.weight'));
    // Phi-3's fused projection of the wrong height.
    const bad = encodeSafetensors([{ name: 'model.embed_tokens.weight', shape: [11, 8], data: new Array<number>(88).fill(0), dtype: 'F32' },
      { name: 'model.layers.0.input_layernorm.weight', shape: [8], data: new Array<number>(8).fill(1), dtype: 'F32' },
      { name: 'model.layers.0.self_attn.qkv_proj.weight', shape: [8, 8], data: new Array<number>(64).fill(0), dtype: 'F32' }]);
    writeFileSync(join(q.dir, 'model.safetensors'), bad);
    writeFileSync(join(q.dir, 'config.json'), JSON.stringify({ model_type: 'phi3', hidden_size: 8, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 6, num_hidden_layers: 1, vocab_size: 11 }));
    await assert.rejects(loadModel(q.dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'tensorShape' && e.message.includes('qkv_proj.weight') && e.message.includes('[16, 8]'));
  } finally {
    rmSync(q.dir, { recursive: true, force: true });
  }
});

test('total and active parameters of loaded MoE models equal the KV-cache panel\'s count from config.json alone', async () => {
  for (const spec of [cases[1][1], cases[2][1], cases[3][1]]) {
    await withModel(spec, async (model, dir) => {
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(model.parameterCounts, countParameters(config), spec.kind);
      assert.ok(model.parameterCounts.active < model.parameterCounts.total);
    });
  }
});
