// runAttention with probs: false keeps q and k (after RoPE) instead of every head's matrix; headProbs then
// recomputes one head on demand. It must equal the full run's matrix exactly, for plain causal attention
// (Llama with GQA) and for Gemma 2's soft-capped, sliding-window layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadModel } from '../../src/core/model/load';
import { headProbs, runAttention } from '../../src/core/model/runtime';
import { headScores } from '../../src/core/analysis/headScores';
import { makeLlama, rng } from './attentionFixtures';
import { makeArch } from './archFixtures';

function ids(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

async function assertSameMatrices(dir: string, tokenIds: number[]): Promise<void> {
  const model = await loadModel(dir);
  const full = await runAttention(model, tokenIds);
  const lazy = await runAttention(model, tokenIds, { probs: false, keepQkv: false });
  assert.deepEqual(lazy.probs, [], 'no matrices are kept');
  assert.ok(lazy.qkv, 'q and k are kept even when keepQkv is false');
  for (let l = 0; l < full.layers; l++) {
    for (let h = 0; h < full.heads; h++) {
      const want = full.probs[l][h];
      const got = headProbs(model, lazy, l, h);
      assert.equal(got.length, tokenIds.length * tokenIds.length);
      assert.deepEqual(Array.from(got), Array.from(want), `layer ${l} head ${h}`);
      // The run's own method is the same computation.
      assert.deepEqual(Array.from(lazy.headProbs?.(l, h) ?? []), Array.from(want));
    }
  }
  // Analyses accept either form and agree.
  const a = headScores(full, tokenIds);
  const b = headScores(lazy, tokenIds);
  assert.deepEqual(Array.from(b.previousToken), Array.from(a.previousToken));
  // The method is not enumerable, so a run still structured-clones (worker boundary).
  assert.doesNotThrow(() => structuredClone({ ...lazy, qkv: undefined }));
  assert.throws(() => headProbs(model, lazy, full.layers, 0), /layer/);
  assert.throws(() => headProbs(model, lazy, 0, full.heads), /head/);
}

test('headProbs equals the full run\'s matrix (Llama with GQA)', async () => {
  const { dir } = makeLlama({ layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 40, vocab: 50, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 11 });
  try {
    await assertSameMatrices(dir, ids(5, 23, 50));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('headProbs equals the full run\'s matrix under soft-capping and a sliding window (Gemma 2)', async () => {
  const { dir } = makeArch({ kind: 'gemma2', layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 50, ropeTheta: 10000, seed: 3, slidingWindow: 5, attnSoftcap: 20, finalSoftcap: 30 });
  try {
    await assertSameMatrices(dir, ids(9, 17, 50));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
