import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadModel } from '../../src/core/model/load';
import { runAttention, type AttentionRun } from '../../src/core/model/runtime';
import { attentionStep, combineHeads } from '../../src/core/analysis/step';
import { AttentionInputError, ModelLoadError } from '../../src/core/model/errors';
import { makeGpt2, makeLlama, referenceGpt2, referenceLlama, rng, type LlamaSpec, type RefResult } from './attentionFixtures';

const TOL = 1e-5;

function randomIds(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/** Every probability of the engine equals the reference to 1e-5; predictions match the reference logits. */
function assertMatchesReference(run: AttentionRun, ref: RefResult): void {
  assert.equal(run.layers, ref.probs.length);
  assert.equal(run.heads, ref.probs[0].length);
  let worst = 0;
  for (let l = 0; l < run.layers; l++) {
    for (let h = 0; h < run.heads; h++) {
      const p = run.probs[l][h];
      assert.equal(p.length, run.seqLen * run.seqLen);
      for (let i = 0; i < run.seqLen; i++) {
        for (let j = 0; j < run.seqLen; j++) worst = Math.max(worst, Math.abs(p[i * run.seqLen + j] - ref.probs[l][h][i][j]));
      }
    }
  }
  assert.ok(worst <= TOL, `largest probability difference ${worst} > ${TOL}`);
  // Top predictions: same ids in the same order as the reference logits, same probabilities.
  const order = ref.logits.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const max = order[0][0];
  const z = ref.logits.reduce((s, v) => s + Math.exp(v - max), 0);
  for (let r = 0; r < Math.min(3, run.predictions.length); r++) {
    const pred = run.predictions[r];
    const expected = Math.exp(ref.logits[pred.id] - max) / z;
    assert.ok(Math.abs(pred.probability - expected) <= 1e-5, `prediction ${r}: p=${pred.probability} vs ${expected}`);
    assert.ok(Math.abs(pred.logit - ref.logits[pred.id]) <= 1e-4 * Math.max(1, Math.abs(pred.logit)));
  }
  assert.equal(run.predictions[0].id, order[0][1]);
}

const llamaCases: [string, Omit<LlamaSpec, 'seed'>][] = [
  ['MHA, untied, F32, θ=10000', { layers: 2, hidden: 16, heads: 4, kvHeads: 4, intermediate: 24, vocab: 40, ropeTheta: 10000, tied: false, qkvBias: false, dtype: 'F32' }],
  ['GQA 4→2, tied embeddings, F16, θ=500000', { layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 20, vocab: 37, ropeTheta: 500000, tied: true, qkvBias: false, dtype: 'F16' }],
  ['MQA 6→1, BF16, θ=100', { layers: 3, hidden: 24, heads: 6, kvHeads: 1, intermediate: 32, vocab: 33, ropeTheta: 100, tied: false, qkvBias: false, dtype: 'BF16' }],
  ['Qwen2 q/k/v biases, head_dim 12 ≠ hidden/heads, GQA, θ=1e6', { layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 12, intermediate: 24, vocab: 29, ropeTheta: 1e6, tied: true, qkvBias: true, modelType: 'qwen2', dtype: 'BF16' }],
  ['Llama 3.1 rope_scaling (all three frequency bands), GQA, F32', { layers: 2, hidden: 16, heads: 2, kvHeads: 1, headDim: 8, intermediate: 16, vocab: 25, ropeTheta: 10000, tied: false, qkvBias: false, dtype: 'F32', llama3Rope: { factor: 8, low: 1, high: 4, original: 16 } }],
  ['sharded (index.json), Mistral type, F16', { layers: 2, hidden: 8, heads: 2, kvHeads: 1, intermediate: 12, vocab: 21, ropeTheta: 10000, tied: false, qkvBias: false, modelType: 'mistral', dtype: 'F16', sharded: true }],
];

llamaCases.forEach(([name, spec], i) => {
  test(`Llama family matches the naive reference to 1e-5: ${name}`, async () => {
    const { dir, ref } = makeLlama({ ...spec, seed: 100 + i });
    try {
      const model = await loadModel(dir);
      const ids = randomIds(7 + i, 9, spec.vocab);
      const run = await runAttention(model, ids);
      const expected = referenceLlama(ref, ids);
      assertMatchesReference(run, expected);
      // The step view's head output (weighted sum of V) equals the reference head output at the last query.
      for (let l = 0; l < run.layers; l++) {
        for (let h = 0; h < run.heads; h++) {
          const step = attentionStep(run, l, h, ids.length - 1);
          step.output.forEach((v, e) => assert.ok(Math.abs(v - expected.lastHeadOutputs[l][h][e]) <= 1e-4, `layer ${l} head ${h} out[${e}]`));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const [name, prefix, maskBuffers, dtype, inverseLayerScale] of [
  ['with transformer. prefix and attn.bias buffers, F32', true, true, 'F32', false],
  ['without prefix, F16, scale_attn_by_inverse_layer_idx', false, false, 'F16', true],
] as const) {
  test(`GPT-2 matches the naive reference to 1e-5: ${name}`, async () => {
    const { dir, ref } = makeGpt2({ layers: 2, hidden: 16, heads: 4, vocab: 31, positions: 12, prefix, maskBuffers, dtype, inverseLayerScale, seed: 5 });
    try {
      const model = await loadModel(dir);
      const ids = randomIds(3, 10, 31);
      const run = await runAttention(model, ids);
      const expected = referenceGpt2(ref, ids);
      assertMatchesReference(run, expected);
      assert.deepEqual(run.kvHeadOf, [0, 1, 2, 3]);
      await assert.rejects(runAttention(model, randomIds(3, 13, 31)), AttentionInputError, 'more tokens than learned positions');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('invariants: rows sum to 1, zeros above the diagonal, GQA groups share K, step = run', async () => {
  const { dir } = makeLlama({ layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 16, vocab: 50, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 9 });
  try {
    const model = await loadModel(dir);
    const ids = randomIds(11, 12, 50);
    const run = await runAttention(model, ids);
    const T = run.seqLen;
    assert.deepEqual(run.kvHeadOf, [0, 0, 1, 1]);
    for (const layer of run.probs) {
      for (const p of layer) {
        for (let i = 0; i < T; i++) {
          let sum = 0;
          for (let j = 0; j < T; j++) {
            if (j > i) assert.equal(p[i * T + j], 0, 'no attention to later tokens');
            sum += p[i * T + j];
          }
          assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
        }
      }
    }
    // Heads 0 and 1 read KV head 0; head 2 reads KV head 1: their keys are identical within a group only.
    const s0 = attentionStep(run, 1, 0, T - 1);
    const s1 = attentionStep(run, 1, 1, T - 1);
    const s2 = attentionStep(run, 1, 2, T - 1);
    assert.deepEqual(s0.keys, s1.keys);
    assert.deepEqual(s0.values, s1.values);
    assert.notDeepEqual(s0.keys, s2.keys);
    assert.notDeepEqual(s0.q, s1.q);
    // The step view reproduces the run's row, with the intermediate values consistent with each other.
    for (let h = 0; h < run.heads; h++) {
      const step = attentionStep(run, 1, h, 5);
      for (let j = 0; j < T; j++) {
        assert.ok(Math.abs(step.probs[j] - run.probs[1][h][5 * T + j]) < 1e-6);
        assert.equal(step.mask[j], j <= 5 ? 0 : -Infinity);
        let dot = 0;
        for (let e = 0; e < step.headDim; e++) dot += step.q[e] * step.keys[j * step.headDim + e];
        assert.ok(Math.abs(step.rawScores[j] - dot) < 1e-5);
        assert.ok(Math.abs(step.scaledScores[j] - dot / Math.sqrt(step.headDim)) < 1e-5);
      }
    }
    // Mean and max over heads.
    const mean = combineHeads(run.probs[0], 'mean');
    const max = combineHeads(run.probs[0], 'max');
    const cell = 3 * T + 2;
    const values = run.probs[0].map((p) => p[cell]);
    assert.ok(Math.abs(mean[cell] - values.reduce((a, b) => a + b, 0) / values.length) < 1e-7);
    assert.equal(max[cell], Math.max(...values));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Entropy of a distribution in nats. */
function entropy(p: Float32Array): number {
  let h = 0;
  for (const v of p) if (v > 0) h -= v * Math.log(v);
  return h;
}

test('step view: dropping √d_k and raising/lowering temperature sharpen and flatten the softmax', async () => {
  const { dir } = makeLlama({ layers: 1, hidden: 32, heads: 2, kvHeads: 2, intermediate: 16, vocab: 30, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 21 });
  try {
    const run = await runAttention(await loadModel(dir), randomIds(4, 16, 30));
    const q = 15;
    const base = attentionStep(run, 0, 1, q);
    const unscaled = attentionStep(run, 0, 1, q, { scaled: false });
    assert.equal(unscaled.scale, 1);
    // Without scaling, softmax(raw) computed here directly.
    const raw = Array.from(unscaled.rawScores);
    const m = Math.max(...raw);
    const z = raw.reduce((s, v) => s + Math.exp(v - m), 0);
    raw.forEach((v, j) => assert.ok(Math.abs(unscaled.probs[j] - Math.exp(v - m) / z) < 1e-6));
    assert.ok(entropy(unscaled.probs) < entropy(base.probs), 'dropping 1/√d_k sharpens the distribution');
    const hot = attentionStep(run, 0, 1, q, { temperature: 4 });
    const cold = attentionStep(run, 0, 1, q, { temperature: 0.25 });
    assert.ok(entropy(hot.probs) > entropy(base.probs) && entropy(cold.probs) < entropy(base.probs));
    assert.throws(() => attentionStep(run, 0, 1, q, { temperature: 0 }), AttentionInputError);
    assert.throws(() => attentionStep(run, 1, 0, 0), AttentionInputError);
    assert.throws(() => attentionStep(run, 0, 2, 0), AttentionInputError);
    assert.throws(() => attentionStep(run, 0, 0, 16), AttentionInputError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress is reported per layer and cancellation stops the pass', async () => {
  const { dir } = makeLlama({ layers: 3, hidden: 8, heads: 2, kvHeads: 1, intermediate: 8, vocab: 20, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 2 });
  try {
    const model = await loadModel(dir);
    const seen: number[] = [];
    await runAttention(model, [1, 2, 3], { onProgress: (done, total) => seen.push(done / total) });
    assert.deepEqual(seen, [1 / 3, 2 / 3, 1]);
    let calls = 0;
    await assert.rejects(runAttention(model, [1, 2, 3], { isCancelled: () => ++calls > 1 }), { name: 'AttentionCancelledError' });
    await assert.rejects(runAttention(model, []), AttentionInputError);
    await assert.rejects(runAttention(model, [20]), AttentionInputError);
    await assert.rejects(runAttention(model, [1.5]), AttentionInputError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unsupported architectures and inconsistent weights get typed errors naming what is supported', async () => {
  const { dir } = makeLlama({ layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 8, vocab: 20, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 3 });
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'] }));
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'unsupportedArchitecture' && /Llama/.test(e.message) && /GPT-2/.test(e.message));
    writeFileSync(join(dir, 'config.json'), '{not json');
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'config');
    // Config claims a bigger hidden size than the weights hold.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 16, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 20, tie_word_embeddings: true }));
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'tensorShape');
    // More layers than the file has.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 8, vocab_size: 20, tie_word_embeddings: true }));
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'missingTensor' && /layers\.1\./.test(e.message));
    await assert.rejects(loadModel(join(dir, 'nope')), (e: unknown) => e instanceof ModelLoadError && e.code === 'notFound');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model directory with tokenizer.json encodes text and labels predictions', async () => {
  const { dir } = makeLlama({ layers: 1, hidden: 8, heads: 2, kvHeads: 2, intermediate: 8, vocab: 6, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 4 });
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  try {
    // A hand-written byte-less BPE: vocab a, b, c, ab, abc, <s>; merges a+b, ab+c.
    const tokenizer = {
      version: '1.0', truncation: null, padding: null,
      added_tokens: [{ id: 5, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
        vocab: { a: 0, b: 1, c: 2, ab: 3, abc: 4, '<s>': 5 }, merges: ['a b', 'ab c'] },
    };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    const model = await loadModel(dir);
    assert.ok(model.tokenizer);
    const ids = model.tokenizer.encode('abcab');
    assert.deepEqual(ids, [4, 3]);
    assert.equal(model.tokenizer.label(4), 'abc');
    const run = await runAttention(model, ids, { topK: 6 });
    assert.equal(run.predictions.length, 6);
    assert.deepEqual(new Set(run.predictions.map((p) => p.label)), new Set(['a', 'b', 'c', 'ab', 'abc', '<s>']));
    assert.ok(Math.abs(run.predictions.reduce((s, p) => s + p.probability, 0) - 1) < 1e-6, 'all 6 tokens: probabilities sum to 1');
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": 3');
    await assert.rejects(loadModel(dir), (e: unknown) => e instanceof ModelLoadError && e.code === 'tokenizer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV export: header of keys, a row per query, quoting and formula defusing', async () => {
  const { attentionCsv } = await import('../../src/core/analysis/export');
  const csv = attentionCsv(['a', ' b', '=SUM(1)', 'x,"y"'], Float32Array.from([1, 0, 0, 0, 0.5, 0.5, 0, 0, 0.25, 0.25, 0.5, 0, 0.125, 0.125, 0.25, 0.5]));
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[0], 'query \\ key,0:a,1: b,2:=SUM(1),"3:x,""y"""');
  assert.equal(lines[2], '1: b,0.5,0.5,0,0');
  assert.equal(lines[4], '"3:x,""y""",0.125,0.125,0.25,0.5');
  assert.equal(attentionCsv(['=1'], Float32Array.from([1])).split('\r\n')[0], "query \\ key,0:=1");
  assert.throws(() => attentionCsv(['a'], new Float32Array(2)));
});
