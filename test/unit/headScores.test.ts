import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  collectPatternSums, headScores, headScoresFromSums, inductionTestScores, inductionTestSequences, patternSupport, sinkSharesFromSums,
  standardInductionTest, INDUCTION_TEST, type AttentionPatterns,
} from '../../src/core/analysis/headScores';
import { sinkShares } from '../../src/core/analysis/sinks';
import { loadModel } from '../../src/core/model/load';
import { createKvCache, forward, runAttention } from '../../src/core/model/runtime';
import { makeLlama, rng } from './attentionFixtures';
import { makeArch } from './archFixtures';

/** A one-layer result whose heads are the given n × n matrices. */
function result(mats: Float32Array[], n: number): AttentionPatterns {
  return { layers: 1, heads: mats.length, seqLen: n, probs: [mats] };
}

/** A row-stochastic causal matrix with, in each row i, all mass on the keys pick(i) (uniform among them). */
function pattern(n: number, pick: (i: number) => number[]): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const keys = pick(i).filter((j) => j >= 0 && j <= i);
    const use = keys.length ? keys : [i];
    for (const j of use) m[i * n + j] += 1 / use.length;
  }
  return m;
}

const uniform = (n: number): Float32Array => pattern(n, (i) => Array.from({ length: i + 1 }, (_, j) => j));

/**
 * A literal transcription of detect_head's "mul" path: build each TransformerLens detection pattern as a full
 * n × n 0/1 matrix (tril, roll, zero first column), mask A, then sum(A ⊙ P) / sum(A).
 */
function referenceScores(a: Float32Array, ids: number[], opts: { excludeBos?: boolean; excludeCurrentToken?: boolean }): number[] {
  const n = ids.length;
  const prevP: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i >= 1 && j === i - 1 ? 1 : 0)));
  const eq: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i !== j && ids[i] === ids[j] ? 1 : 0)));
  const dupP = eq.map((row, i) => row.map((v, j) => (j <= i ? v : 0)));
  const rolled = dupP.map((row) => row.map((_, j) => (j === 0 ? 0 : row[j - 1])));
  const indP = rolled.map((row, i) => row.map((v, j) => (j <= i ? v : 0)));
  const A: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => a[i * n + j]));
  if (opts.excludeBos) for (let i = 0; i < n; i++) A[i][0] = 0;
  if (opts.excludeCurrentToken) for (let i = 0; i < n; i++) A[i][i] = 0;
  const score = (P: number[][]): number => {
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { num += A[i][j] * P[i][j]; den += A[i][j]; }
    return num / den;
  };
  return [score(prevP), score(dupP), score(indP)];
}

test('a perfect previous-token head scores 1 on previous-token and 0 on the others over distinct tokens', () => {
  const n = 8;
  const ids = [7, 1, 2, 3, 4, 5, 6, 8];
  // Row 0 has only itself to attend to; TransformerLens counts that row in the denominator too.
  const prev = pattern(n, (i) => [i - 1]);
  const s = headScores(result([prev], n), ids);
  assert.ok(Math.abs(s.previousToken[0] - 7 / 8) < 1e-6, `${s.previousToken[0]}`);
  assert.equal(s.duplicateToken[0], 0);
  assert.equal(s.induction[0], 0);
  // Excluding BOS removes row 0's self-attention (its only mass is on key 0): a clean 1.
  const e = headScores(result([prev], n), ids, { excludeBos: true });
  assert.ok(Math.abs(e.previousToken[0] - 1) < 1e-6);
});

test('on [BOS] r r a perfect induction head scores 0.5 with "mul" and 1 on the standard test; uniform scores its chance', () => {
  const half = 6;
  const r = [11, 12, 13, 14, 15, 16];
  const ids = [0, ...r, ...r];
  const n = ids.length;
  // Second copy attends to the token after the earlier occurrence; the first copy attends to BOS.
  const induction = pattern(n, (i) => (i > half ? [i - half + 1] : [0]));
  const s = headScores(result([induction], n), ids);
  // Rows 0..half put everything on BOS; rows half+1..2·half (half rows out of 2·half + 1) are induction-perfect.
  assert.ok(Math.abs(s.induction[0] - half / n) < 1e-6, `${s.induction[0]}`);
  const noBos = headScores(result([induction], n), ids, { excludeBos: true });
  assert.ok(Math.abs(noBos.induction[0] - 1) < 1e-6, 'with BOS excluded only induction mass is left');
  assert.ok(Math.abs(inductionTestScores([result([induction], n)], half)[0] - 1) < 1e-6);

  const u = uniform(n);
  const su = inductionTestScores([result([u], n)], half);
  let chance = 0;
  for (let i = half + 1; i <= 2 * half; i++) chance += 1 / (i + 1);
  assert.ok(Math.abs(su[0] - chance / half) < 1e-6, 'uniform attention scores the mean of 1/(i+1)');
});

test('a perfect duplicate-token head scores 1 on duplicate-token (BOS excluded)', () => {
  const ids = [0, 5, 6, 7, 5, 6, 7, 5];
  const n = ids.length;
  const dup = pattern(n, (i) => ids.slice(0, i).flatMap((t, j) => (t === ids[i] ? [j] : [])).concat(ids.slice(0, i).includes(ids[i]) ? [] : [0]));
  const s = headScores(result([dup], n), ids, { excludeBos: true });
  assert.ok(Math.abs(s.duplicateToken[0] - 1) < 1e-6, `${s.duplicateToken[0]}`);
});

test('headScores equals a literal transcription of TransformerLens detect_head on random patterns and tokens', () => {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + (trial % 9);
    const ids = Array.from({ length: n }, () => Math.floor(rand() * 4));
    const mats = [0, 1].map(() => {
      const m = new Float32Array(n * n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += (m[i * n + j] = rand());
        for (let j = 0; j <= i; j++) m[i * n + j] /= s;
      }
      return m;
    });
    for (const opts of [{}, { excludeBos: true }, { excludeCurrentToken: true }, { excludeBos: true, excludeCurrentToken: true }]) {
      const s = headScores({ layers: 2, heads: 1, seqLen: n, probs: [[mats[0]], [mats[1]]] }, ids, opts);
      mats.forEach((m, l) => {
        const ref = referenceScores(m, ids, opts);
        assert.ok(Math.abs(s.previousToken[l] - ref[0]) < 1e-5, `previous ${trial} ${JSON.stringify(opts)}`);
        assert.ok(Math.abs(s.duplicateToken[l] - ref[1]) < 1e-5, `duplicate ${trial} ${JSON.stringify(opts)}`);
        assert.ok(Math.abs(s.induction[l] - ref[2]) < 1e-5, `induction ${trial} ${JSON.stringify(opts)}`);
      });
    }
  }
});

test('headScores reads headProbs when probs is empty, and rejects mismatched token ids', () => {
  const n = 4;
  const m = pattern(n, (i) => [i - 1]);
  const lazy: AttentionPatterns = { layers: 1, heads: 1, seqLen: n, probs: [], headProbs: () => m };
  assert.deepEqual(headScores(lazy, [1, 2, 3, 4]).previousToken, headScores(result([m], n), [1, 2, 3, 4]).previousToken);
  assert.throws(() => headScores(lazy, [1, 2, 3]), /3 token ids for a 4-token result/);
});

test('the standard test: 10 seeded sequences of [BOS] + 50 ordinary ids twice; runs through any forward pass', async () => {
  const seqs = inductionTestSequences(1023, 1023);
  assert.equal(seqs.length, INDUCTION_TEST.batch);
  for (const s of seqs) {
    assert.equal(s.length, 101);
    assert.equal(s[0], 1023);
    assert.deepEqual(s.slice(1, 51), s.slice(51));
    assert.ok(s.slice(1).every((id) => id >= 0 && id < 1023), 'no special ids in the random part');
  }
  assert.deepEqual(inductionTestSequences(1023, 1023), seqs, 'fixed seed');
  // A fake forward pass that is a perfect induction head in head 1 and uniform in head 0.
  const scores = await standardInductionTest((ids) => {
    const n = ids.length;
    return { layers: 1, heads: 2, seqLen: n, probs: [[uniform(n), pattern(n, (i) => (i > 50 ? [i - 49] : [0]))]] };
  }, 1023, 1023);
  assert.ok(scores[0] < 0.05);
  assert.ok(Math.abs(scores[1] - 1) < 1e-6);
});

test('patternSupport: per row, key 0, the query, the previous token, earlier copies and the tokens after them', () => {
  const ids = [5, 7, 5, 7, 5];
  const sup = patternSupport(ids);
  const row = (i: number): number[] => Array.from(sup.keys.subarray(sup.rowStart[i], sup.rowStart[i + 1]));
  assert.deepEqual(row(0), [0]);
  assert.deepEqual(row(1), [0, 1]);
  // Row 2 (token 5): copy at 0 (duplicate), key 1 after it (induction, also the previous token), itself.
  assert.deepEqual(row(2), [0, 1, 2]);
  // Row 4 (token 5): copies at 0 and 2, keys 1 and 3 after them; 3 is also the previous token.
  assert.deepEqual(row(4), [0, 1, 2, 3, 4]);
  const flagsOf = (i: number, j: number): number => sup.flags[sup.rowStart[i] + row(i).indexOf(j)];
  assert.equal(flagsOf(4, 3), 1 | 4, 'previous and induction');
  assert.equal(flagsOf(4, 2), 2, 'duplicate only');
  assert.equal(flagsOf(4, 0), 2 | 8, 'duplicate and the first key');
  assert.equal(flagsOf(4, 4), 16, 'the query itself');
});

/** Repeated random ids: many duplicate and induction entries, the way code repeats its tokens. */
function repeatedIds(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  const half = Array.from({ length: Math.ceil(n / 2) }, () => Math.floor(r() * vocab));
  return [...half, ...half].slice(0, n);
}

for (const kind of ['llama', 'gemma2'] as const) {
  test(`headScoresFromSums (pattern entries summed during the pass) equals the TransformerLens transcription on the full matrices (${kind})`, async () => {
    const { dir } = kind === 'llama'
      ? makeLlama({ layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 12, ropeTheta: 10000, qkvBias: false, dtype: 'F32', seed: 7, tied: true })
      // Soft-capped scores and a sliding window: the entries are read from the pass's own probabilities either way.
      : makeArch({ kind: 'gemma2', layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 12, ropeTheta: 10000, seed: 3, slidingWindow: 5, attnSoftcap: 20, finalSoftcap: 30 });
    try {
      const model = await loadModel(dir);
      const ids = repeatedIds(4, 17, 12);
      const full = await runAttention(model, ids);
      const { kept, hook } = collectPatternSums(model.config.layers, model.config.heads, ids);
      await forward(model, ids, { logits: 'none', hooks: { attention: hook } });
      for (const opts of [{}, { excludeBos: true }, { excludeCurrentToken: true }, { excludeBos: true, excludeCurrentToken: true }]) {
        const s = headScoresFromSums(kept, opts);
        const dense = headScores(full, ids, opts);
        for (let l = 0; l < full.layers; l++) {
          for (let h = 0; h < full.heads; h++) {
            const ref = referenceScores(full.probs[l][h], ids, opts);
            const at = l * full.heads + h;
            const label = `layer ${l} head ${h} ${JSON.stringify(opts)}`;
            assert.ok(Math.abs(s.previousToken[at] - ref[0]) < 1e-5, `previous ${label}: ${s.previousToken[at]} vs ${ref[0]}`);
            assert.ok(Math.abs(s.duplicateToken[at] - ref[1]) < 1e-5, `duplicate ${label}`);
            assert.ok(Math.abs(s.induction[at] - ref[2]) < 1e-5, `induction ${label}`);
            assert.ok(Math.abs(dense.induction[at] - ref[2]) < 1e-5, `dense induction ${label}`);
          }
        }
      }
      // The tokens repeat, so the duplicate and induction scores are not trivially 0.
      assert.ok(headScoresFromSums(kept).duplicateToken.some((v) => v > 0.01));
      const sinks = sinkSharesFromSums(kept);
      sinkShares(full).forEach((v, i) => assert.ok(Math.abs(sinks[i] - v) < 1e-7, `sink ${i}`));
      // A pass after cached positions does not see every row from position 0: refused.
      const cache = createKvCache(model);
      await forward(model, ids.slice(0, 3), { cache, logits: 'none' });
      const other = collectPatternSums(model.config.layers, model.config.heads, ids.slice(3));
      await assert.rejects(forward(model, ids.slice(3), { cache, logits: 'none', hooks: { attention: other.hook } }), /position 0, without a cache/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
