// generate() against independent rollouts: greedy equals a naive loop that recomputes the whole sequence each
// step (no cache), the cached logits equal the uncached ones at every step (GQA, MQA, sliding window), beam search
// equals a brute-force search on a tiny vocabulary, stop tokens, cancel, and the cache's bytes against kvCacheBytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { nextTokenLogits } from '../../src/core/model/runtime';
import { generate } from '../../src/core/decode/generate';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { makeLlama, rng, type LlamaSpec } from './attentionFixtures';

const small: Omit<LlamaSpec, 'seed'> = { layers: 3, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 40, ropeTheta: 10000, tied: false, qkvBias: true, modelType: 'qwen2', dtype: 'F32' };

async function withModel(spec: Omit<LlamaSpec, 'seed'>, seed: number, body: (model: Model) => Promise<void>, edit?: (c: Record<string, unknown>) => void): Promise<void> {
  const { dir } = makeLlama({ ...spec, seed });
  try {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete c.eos_token_id;
    edit?.(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    await body(await loadModel(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const prompt = (seed: number, n: number, vocab: number): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
};

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

function logSoftmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const z = Array.from(logits).reduce((s, v) => s + Math.exp(v - max), 0);
  return Array.from(logits, (v) => v - max - Math.log(z));
}

for (const [name, spec, window] of [
  ['GQA 4→2', small, undefined],
  ['MQA 6→1', { ...small, heads: 6, kvHeads: 1, hidden: 24, qkvBias: false, modelType: 'llama' }, undefined],
  ['sliding window 4 (Mistral)', { ...small, modelType: 'mistral', qkvBias: false }, 4],
] as const) {
  test(`greedy equals a naive rollout without a cache, and every step's logits match it (1e-4): ${name}`, async () => {
    await withModel(spec, 21, async (model) => {
      const ids = prompt(5, 3, spec.vocab);
      const gen = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 10 });
      const seq = [...ids];
      for (let step = 0; step < 10; step++) {
        const full = await nextTokenLogits(model, seq); // recomputes the whole sequence
        const next = argmax(full);
        assert.equal(gen.steps[step].chosen, next, `step ${step}`);
        const scale = Math.max(1, ...Array.from(full, Math.abs));
        for (const c of gen.steps[step].candidates) assert.ok(Math.abs(c.logit - full[c.id]) <= 1e-4 * scale, `step ${step} token ${c.id}: ${c.logit} vs ${full[c.id]}`);
        seq.push(next);
      }
      assert.deepEqual(gen.tokenIds, seq.slice(3));
      // The cache held the prompt and every new token but the last (never fed back).
      assert.equal(gen.kvCache.positions, 3 + 10 - 1);
      assert.equal(gen.kvCache.batch, 1);
      assert.equal(gen.kvCache.bytes, kvCacheBytes(model.shape, { seqLen: gen.kvCache.positions, bytesPerElement: 4 }));
      if (window !== undefined) assert.ok(gen.kvCache.bytes < kvCacheBytes({ ...model.shape, slidingWindow: undefined }, { seqLen: gen.kvCache.positions, bytesPerElement: 4 }));
    }, window === undefined ? undefined : (c) => { c.sliding_window = window; });
  });
}

test('beam search with W ≥ V^(n−1) finds the brute-force best of all V^n continuations (sum of log-probs)', async () => {
  const tiny = { ...small, vocab: 5, hidden: 8, heads: 2, kvHeads: 1, intermediate: 12, layers: 2 };
  await withModel(tiny, 31, async (model) => {
    const ids = prompt(6, 3, 5);
    const all: { seq: number[]; logProb: number }[] = [];
    for (let a = 0; a < 5; a++) {
      const la = logSoftmax(await nextTokenLogits(model, ids))[a];
      for (let b = 0; b < 5; b++) {
        const lb = logSoftmax(await nextTokenLogits(model, [...ids, a]))[b];
        for (let c = 0; c < 5; c++) {
          const lc = logSoftmax(await nextTokenLogits(model, [...ids, a, b]))[c];
          all.push({ seq: [a, b, c], logProb: la + lb + lc });
        }
      }
    }
    all.sort((x, y) => y.logProb - x.logProb);
    const gen = await generate(model, ids, { strategy: 'beam', beamWidth: 25, maxNewTokens: 3 });
    assert.deepEqual(gen.tokenIds, all[0].seq);
    // The final beams are the 25 best sequences of all 125, in order, with their scores.
    const beams = gen.beams ?? [];
    assert.equal(beams.length, 25);
    beams.forEach((b, i) => {
      assert.deepEqual(b.tokenIds, all[i].seq);
      assert.ok(Math.abs(b.logProb - all[i].logProb) <= 1e-4);
    });
    // 25 live caches of prompt + 2 positions each: batch 25 in the formula.
    assert.deepEqual({ positions: gen.kvCache.positions, batch: gen.kvCache.batch }, { positions: 5, batch: 25 });
    assert.equal(gen.kvCache.bytes, kvCacheBytes(model.shape, { seqLen: 5, batch: 25, bytesPerElement: 4 }));
  });
});

test('beam search with W = 2: each step keeps the 2 best extensions of the previous beams, computed without a cache', async () => {
  const tiny = { ...small, vocab: 6, hidden: 8, heads: 2, kvHeads: 1, intermediate: 12, layers: 2 };
  await withModel(tiny, 41, async (model) => {
    const ids = prompt(7, 4, 6);
    const gen = await generate(model, ids, { strategy: 'beam', beamWidth: 2, maxNewTokens: 4 });
    let beams = [{ seq: [] as number[], logProb: 0 }];
    for (let step = 0; step < 4; step++) {
      const ext: { seq: number[]; logProb: number }[] = [];
      for (const b of beams) {
        const lp = logSoftmax(await nextTokenLogits(model, [...ids, ...b.seq]));
        lp.forEach((l, t) => ext.push({ seq: [...b.seq, t], logProb: b.logProb + l }));
      }
      ext.sort((x, y) => y.logProb - x.logProb);
      beams = ext.slice(0, 2);
      const got = gen.steps[step].beams ?? [];
      assert.deepEqual(got.map((b) => b.tokenIds), beams.map((b) => b.seq), `step ${step}`);
      got.forEach((b, i) => assert.ok(Math.abs(b.logProb - beams[i].logProb) <= 1e-4));
      assert.equal(gen.steps[step].chosen, beams[0].seq[step]);
    }
    assert.deepEqual(gen.tokenIds, beams[0].seq);
  });
});

test('stop tokens: a user stop id and the model\'s EOS end the run (the stop token included); without EOS it runs to the cap', async () => {
  const ids = prompt(8, 3, small.vocab);
  let free: number[] = [];
  await withModel(small, 51, async (model) => {
    free = (await generate(model, ids, { strategy: 'greedy', maxNewTokens: 8 })).tokenIds;
    assert.equal(free.length, 8);
    const at = free.findIndex((t) => t === free[3]);
    const stopped = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 8, stopTokenIds: [free[3]] });
    assert.deepEqual(stopped.tokenIds, free.slice(0, at + 1));
  });
  await withModel(small, 51, async (model) => {
    const eos = free[2];
    const at = free.findIndex((t) => t === eos);
    const gen = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 8 });
    assert.deepEqual(gen.tokenIds, free.slice(0, at + 1));
    // Beam search: a beam that emits EOS is finished and never extended.
    const beam = await generate(model, ids, { strategy: 'beam', beamWidth: 3, maxNewTokens: 6 });
    for (const b of beam.beams ?? []) assert.ok(!b.tokenIds.slice(0, -1).includes(eos));
  }, (c) => { c.eos_token_id = free[2]; });
});

test('cancel returns the tokens made so far with cancelled: true; sampling repeats for a seed; top-k 1 sampling is greedy', async () => {
  await withModel(small, 61, async (model) => {
    const ids = prompt(9, 4, small.vocab);
    let steps = 0;
    const gen = await generate(model, ids, { strategy: 'sample', maxNewTokens: 20, seed: 3, onStep: (s) => { steps = s; }, isCancelled: () => steps >= 3 });
    assert.equal(gen.cancelled, true);
    assert.equal(gen.tokenIds.length, 3);
    const full = await generate(model, ids, { strategy: 'sample', maxNewTokens: 20, seed: 3 });
    assert.equal(full.cancelled, undefined);
    assert.deepEqual(gen.tokenIds, full.tokenIds.slice(0, 3));
    const early = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 5, isCancelled: () => true });
    assert.deepEqual({ n: early.tokenIds.length, cancelled: early.cancelled }, { n: 0, cancelled: true });
    const other = await generate(model, ids, { strategy: 'sample', maxNewTokens: 20, seed: 4, temperature: 1.5 });
    assert.notDeepEqual(other.tokenIds, full.tokenIds);
    const greedy = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 6 });
    const k1 = await generate(model, ids, { strategy: 'sample', maxNewTokens: 6, topK: 1, seed: 9 });
    assert.deepEqual(k1.tokenIds, greedy.tokenIds);
    // Sampling steps: kept candidates' renormalised probabilities and the chosen token among them.
    for (const s of full.steps) {
      const chosen = s.candidates.find((c) => c.id === s.chosen);
      assert.ok(chosen?.kept && chosen.prob > 0);
    }
  });
});

test('bad options are refused with a clear message', async () => {
  await withModel(small, 71, async (model) => {
    await assert.rejects(generate(model, [], { strategy: 'greedy', maxNewTokens: 3 }), /at least one token/);
    await assert.rejects(generate(model, [1], { strategy: 'greedy', maxNewTokens: 0 }), /maxNewTokens/);
    await assert.rejects(generate(model, [1], { strategy: 'sample', maxNewTokens: 3, temperature: 0 }), /temperature/);
    await assert.rejects(generate(model, [1], { strategy: 'sample', maxNewTokens: 3, topP: 1.5 }), /top-p/);
    await assert.rejects(generate(model, [1], { strategy: 'greedy', maxNewTokens: 3, stopTokenIds: [99] }), /stop token/);
  });
});
