// Reading heads (issue 18): the logit lens against plain-loop unembeddings of each layer's residual stream
// (Llama with an untied LM head, Llama with tied embeddings, GPT-2 with LayerNorm), head ablation against
// hand-edited weights and a plain KL, attention sinks and the first-key view on hand-made matrices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadModel, type Model } from '../../src/core/model/load';
import { forward, runAttention, unembed, type AttentionResult } from '../../src/core/model/runtime';
import { f32Weight } from '../../src/core/tensor/weights';
import { ablateHeads, answerFirstLayer, logitLens, sinkShares, withoutFirstKeyView, type LogitLens } from '../../src/core/index';
import { lensReferenceRow as referenceRow, makeGpt2, makeLlama, rng, type LlamaSpec } from './attentionFixtures';
import { makeArch } from './archFixtures';

const llama: Omit<LlamaSpec, 'seed' | 'tied'> = { layers: 3, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 40, ropeTheta: 10000, qkvBias: false, dtype: 'F32' };

function randomIds(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/** Residual stream after each layer (copied from the runtime's hook: that part is the runtime's, the unembedding below is not). */
async function residuals(model: Model, ids: number[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  await forward(model, ids, { logits: 'none', hooks: { residual: (l, x) => { out[l] = Float32Array.from(x); } } });
  return out;
}


function assertLensMatches(lens: LogitLens, res: Float32Array[], hidden: number, positions: number[], topK: number, normed: (x: number[]) => number[], head: number[][]): void {
  assert.equal(lens.ids.length, res.length, 'one entry per layer');
  for (let l = 0; l < res.length; l++) {
    assert.equal(lens.ids[l].length, positions.length * topK);
    assert.equal(lens.entropy[l].length, positions.length);
    positions.forEach((pos, r) => {
      const want = referenceRow(Array.from(res[l].subarray(pos * hidden, (pos + 1) * hidden)), normed, head, topK);
      // Ids must match except where two probabilities are equal within float error.
      for (let j = 0; j < topK; j++) {
        const got = lens.probs[l][r * topK + j];
        assert.ok(Math.abs(got - want.probs[j]) < 1e-5, `layer ${l} position ${pos} rank ${j}: ${got} vs ${want.probs[j]}`);
        if (j + 1 < topK && Math.abs(want.probs[j] - want.probs[j + 1]) > 1e-5 && (j === 0 || Math.abs(want.probs[j - 1] - want.probs[j]) > 1e-5)) assert.equal(lens.ids[l][r * topK + j], want.ids[j], `layer ${l} position ${pos} rank ${j} id`);
      }
      assert.ok(Math.abs(lens.entropy[l][r] - want.entropy) < 1e-4, `entropy layer ${l} position ${pos}: ${lens.entropy[l][r]} vs ${want.entropy}`);
    });
  }
}

/** The model's own output at every position (its logits), to compare with the lens's last layer. */
async function ownOutput(model: Model, ids: number[], positions: number[], topK: number): Promise<{ ids: number[]; probs: number[] }> {
  const { logits } = await forward(model, ids, { logits: 'all' });
  const V = model.config.vocab;
  const outIds: number[] = [];
  const outProbs: number[] = [];
  for (const pos of positions) {
    const row = Array.from(logits.subarray(pos * V, (pos + 1) * V));
    const max = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
    const order = row.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, topK);
    for (const [v, i] of order) { outIds.push(i); outProbs.push(Math.exp(v - max) / z); }
  }
  return { ids: outIds, probs: outProbs };
}

for (const tied of [false, true]) {
  test(`logit lens (Llama, ${tied ? 'tied embeddings' : 'separate lm_head'}): every layer equals RMSNorm + LM head by plain loops; the last layer is the model's own output`, async () => {
    const { dir, ref } = makeLlama({ ...llama, tied, seed: tied ? 31 : 32 });
    try {
      const model = await loadModel(dir);
      const ids = randomIds(5, 9, llama.vocab);
      const positions = [8, 0, 4];
      const topK = 5;
      const lens = await logitLens(model, ids, { topK, positions });
      const rms = (x: number[]): number[] => {
        const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
        return x.map((v, i) => (v / Math.sqrt(ms + 1e-5)) * ref.finalNorm[i]);
      };
      const head = tied ? ref.embed : ref.lmHead;
      assertLensMatches(lens, await residuals(model, ids), llama.hidden, positions, topK, rms, head);
      const own = await ownOutput(model, ids, positions, topK);
      assert.deepEqual(Array.from(lens.ids[llama.layers - 1]), own.ids, 'last layer = the model output');
      own.probs.forEach((p, i) => assert.ok(Math.abs(lens.probs[llama.layers - 1][i] - p) < 1e-6));
      // The layers differ from each other (the lens is not just the output repeated).
      assert.notDeepEqual(Array.from(lens.probs[0]), Array.from(lens.probs[llama.layers - 1]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('logit lens (GPT-2): LayerNorm ln_f with bias + tied wte, by plain loops; default is every position', async () => {
  const { dir, ref } = makeGpt2({ layers: 2, hidden: 16, heads: 4, vocab: 31, positions: 12, prefix: true, maskBuffers: false, dtype: 'F32', seed: 41 });
  try {
    const model = await loadModel(dir);
    const ids = randomIds(6, 7, 31);
    const lens = await logitLens(model, ids, { topK: 3 });
    const ln = (x: number[]): number[] => {
      const mean = x.reduce((a, v) => a + v, 0) / x.length;
      const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
      return x.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * ref.lnf[0][i] + ref.lnf[1][i]);
    };
    const all = ids.map((_, i) => i);
    assertLensMatches(lens, await residuals(model, ids), 16, all, 3, ln, ref.wte);
    const own = await ownOutput(model, ids, all, 3);
    assert.deepEqual(Array.from(lens.ids[1]), own.ids);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logit lens: bad positions and topK are refused with a clear message', async () => {
  const { dir } = makeLlama({ ...llama, tied: true, seed: 33 });
  try {
    const model = await loadModel(dir);
    await assert.rejects(logitLens(model, [1, 2, 3], { positions: [3] }), /position 3 is outside the 3 tokens/);
    await assert.rejects(logitLens(model, [1, 2, 3], { positions: [1.5] }), /position 1.5/);
    await assert.rejects(logitLens(model, [1, 2, 3], { topK: 0 }), /topK must be/);
    await assert.rejects(logitLens(model, [1, 2, 3], { topK: llama.vocab + 1 }), /topK must be/);
    const one = await logitLens(model, [1, 2, 3], { topK: llama.vocab, positions: [] });
    assert.deepEqual(one.ids.map((a) => a.length), [0, 0, 0]);
    const full = await logitLens(model, [1, 2, 3], { topK: llama.vocab, positions: [2] });
    for (const p of full.probs) assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5, 'topK = vocab: the probabilities sum to 1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('answerFirstLayer: first layer whose top-1 is the final answer, or the first from which it stays', () => {
  // 4 layers, 2 rows, topK 2. Row 0: answer 7 appears at layer 1, leaves at 2, returns at 3. Row 1: 5 from layer 0.
  const lens: LogitLens = {
    ids: [Int32Array.from([1, 7, 5, 2]), Int32Array.from([7, 1, 5, 2]), Int32Array.from([2, 7, 5, 3]), Int32Array.from([7, 2, 5, 9])],
    probs: [0, 1, 2, 3].map(() => new Float32Array(4)),
    entropy: [0, 1, 2, 3].map(() => new Float32Array(2)),
  };
  assert.deepEqual(Array.from(answerFirstLayer(lens)), [1, 0]);
  assert.deepEqual(Array.from(answerFirstLayer(lens, { stays: true })), [3, 0]);
});

test('ablateHeads: equals a forward pass with that head\'s o_proj columns zeroed by hand; KL against a plain computation', async () => {
  const { dir } = makeLlama({ ...llama, tied: false, seed: 34 });
  try {
    const model = await loadModel(dir);
    const ids = randomIds(8, 10, llama.vocab);
    const layer = 1;
    const head = 2;
    const result = await ablateHeads(model, ids, [{ layer, head }], { topK: 4 });
    const clean = (await forward(model, ids)).logits;
    const o = model.weights.layers[layer].o;
    const d = model.config.headDim;
    const edited = Float32Array.from(o.data as Float32Array);
    for (let r = 0; r < o.rows; r++) edited.fill(0, r * o.cols + head * d, r * o.cols + (head + 1) * d);
    const copy: Model = { ...model, weights: { ...model.weights, layers: model.weights.layers.map((lw, l) => (l === layer ? { ...lw, o: f32Weight(edited, o.rows, o.cols) } : lw)) } };
    const byHand = (await forward(copy, ids)).logits;
    const softmax = (z: Float32Array): number[] => {
      const max = Math.max(...z);
      const e = Array.from(z, (v) => Math.exp(v - max));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const p = softmax(clean);
    const q = softmax(byHand);
    const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);
    assert.ok(kl > 1e-6, `the ablation moved the distribution (${kl})`);
    assert.ok(Math.abs(result.klDivergence - kl) < 1e-6 + 1e-4 * kl, `KL ${result.klDivergence} vs ${kl}`);
    const top = (probs: number[]): number[] => probs.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 4).map((x) => x[1]);
    assert.deepEqual(result.before.map((t) => t.id), top(p));
    assert.deepEqual(result.after.map((t) => t.id), top(q));
    result.after.forEach((t) => assert.ok(Math.abs(t.probability - q[t.id]) < 1e-6));
    assert.ok(Math.abs(result.afterProbabilityOfBeforeTop - q[result.before[0].id]) < 1e-6);
    // No ablation: KL 0 and the same predictions.
    const none = await ablateHeads(model, ids, []);
    assert.equal(none.klDivergence, 0);
    assert.deepEqual(none.before.map((t) => t.id), none.after.map((t) => t.id));
    await assert.rejects(ablateHeads(model, ids, [{ layer: 3, head: 0 }]), /layer 3 does not exist/);
    await assert.rejects(ablateHeads(model, ids, [{ layer: 0, head: 4 }]), /head 4 does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A hand-made 1-layer, 2-head attention result over 3 tokens. */
function handMade(): AttentionResult {
  const a = Float32Array.from([1, 0, 0, 0.8, 0.2, 0, 0.5, 0.25, 0.25]);
  const b = Float32Array.from([1, 0, 0, 0, 1, 0, 0.1, 0.3, 0.6]);
  return { layers: 1, heads: 2, seqLen: 3, probs: [[a, b]], kvHeadOf: [0, 0] };
}

test('sinkShares: mean attention on key 0 over query rows 1…n−1 (row 0 left out)', async () => {
  const shares = sinkShares(handMade());
  assert.ok(Math.abs(shares[0] - (0.8 + 0.5) / 2) < 1e-7);
  assert.ok(Math.abs(shares[1] - (0 + 0.1) / 2) < 1e-7);
  assert.ok(Number.isNaN(sinkShares({ layers: 1, heads: 1, seqLen: 1, probs: [[Float32Array.of(1)]], kvHeadOf: [0] })[0]));
  // On a real run every share is a probability mass.
  const { dir } = makeLlama({ ...llama, tied: true, seed: 35 });
  try {
    const run = await runAttention(await loadModel(dir), randomIds(3, 6, llama.vocab));
    const s = sinkShares(run);
    assert.equal(s.length, llama.layers * llama.heads);
    for (const v of s) assert.ok(v >= 0 && v <= 1);
    const l = 2;
    const h = 1;
    let sum = 0;
    for (let i = 1; i < 6; i++) sum += run.probs[l][h][i * 6];
    assert.ok(Math.abs(s[l * llama.heads + h] - sum / 5) < 1e-6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withoutFirstKeyView: drops key 0, renormalises each row, keeps the hidden share; marked as a view', () => {
  const view = withoutFirstKeyView(handMade().probs[0][0], 3);
  assert.equal(view.isView, true);
  assert.equal(view.keyOffset, 1);
  assert.deepEqual([view.rows, view.cols], [3, 2]);
  const expected = [0, 0, 1, 0, 0.5, 0.5];
  view.values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-7, `${i}: ${v}`));
  assert.deepEqual(Array.from(view.hiddenShare, (v) => Number(v.toFixed(6))), [1, 0.8, 0.5]);
  assert.throws(() => withoutFirstKeyView(new Float32Array(5), 3), /not a 3 × 3 matrix/);
});

test('logit lens in small vocabulary blocks equals the runtime\'s own unembedding row by row (Gemma 2: final soft-cap, tied embeddings)', async () => {
  const { dir } = makeArch({ kind: 'gemma2', layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 50, ropeTheta: 10000, seed: 9, slidingWindow: 5, attnSoftcap: 20, finalSoftcap: 30 });
  try {
    const model = await loadModel(dir);
    const ids = randomIds(8, 9, 50);
    const positions = [8, 2, 5];
    const topK = 4;
    const res = await residuals(model, ids);
    const lens = await logitLens(model, ids, { topK, positions, vocabBlock: 7 });
    const whole = await logitLens(model, ids, { topK, positions });
    for (let l = 0; l < res.length; l++) {
      positions.forEach((pos, r) => {
        // The naive reference: the runtime's final norm + LM head + soft-cap on one row, then a full sort.
        const logits = Array.from(unembed(model, res[l].slice(pos * 32, (pos + 1) * 32), 1));
        const max = Math.max(...logits);
        const z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
        const p = logits.map((v) => Math.exp(v - max) / z);
        const entropy = -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
        const order = p.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, topK);
        order.forEach(([v, id], j) => {
          assert.equal(lens.ids[l][r * topK + j], id, `layer ${l} position ${pos} rank ${j}`);
          assert.ok(Math.abs(lens.probs[l][r * topK + j] - v) < 1e-6);
        });
        assert.ok(Math.abs(lens.entropy[l][r] - entropy) < 1e-5, `entropy ${lens.entropy[l][r]} vs ${entropy}`);
      });
    }
    // The block size changes nothing.
    assert.deepEqual(lens.ids.map((a) => Array.from(a)), whole.ids.map((a) => Array.from(a)));
    lens.entropy.forEach((e, l) => e.forEach((v, r) => assert.ok(Math.abs(v - whole.entropy[l][r]) < 1e-5)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
