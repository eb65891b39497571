// Choose Model's estimated run time (issue 13): FLOPs from the parameter count and the attention rectangle,
// divided by the assumed rate; checked against numbers worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASSUMED_FLOPS_PER_SECOND, estimateRunFlops, estimateRunSeconds } from '../../src/core/model/localModels';

const dims = { layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 64, vocab: 100 };

test('a run costs 2 FLOPs per parameter and token plus Q·Kᵀ and P·V over T × T', () => {
  // 2 · 1,000,000 · 10 = 20,000,000; 4 · 2 layers · 4 heads · 8 · 10² = 25,600.
  assert.equal(estimateRunFlops(1_000_000, dims, 10), 20_025_600);
  // Twice the tokens: the parameter part doubles, the attention part quadruples.
  assert.equal(estimateRunFlops(1_000_000, dims, 20), 40_000_000 + 102_400);
});

test('seconds at the assumed rate (1.7 GFLOP/s) and at a given one', () => {
  assert.equal(ASSUMED_FLOPS_PER_SECOND, 1.7e9);
  // Qwen3-0.6B-sized, 256 tokens: 2 · 0.6e9 · 256 = 3.072e11 plus 4 · 28 · 16 · 128 · 256² = 1.503e10 FLOPs
  // = 3.222e11 → 189.5 s at 1.7 GFLOP/s.
  const s = estimateRunSeconds(0.6e9, { layers: 28, hidden: 1024, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072, vocab: 151936 }, 256);
  assert.ok(s > 189.4 && s < 189.7, `${s} s`);
  assert.equal(estimateRunSeconds(1_000_000, dims, 10, 20_025_600), 1);
});
