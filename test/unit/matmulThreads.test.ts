// The SIMD matmul split across worker threads sharing the kernel's memory: bands of output columns, each the
// same dot product as on one thread, so products and a whole forward pass are identical bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { matmulABt, matmulThreads, useMatmulThreads } from '../../src/core/tensor/matmul';
import { loadModel } from '../../src/core/model/load';
import { forward } from '../../src/core/model/runtime';
import { makeLlama, rng } from './attentionFixtures';

function random(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

test('matmul on 2 and 3 threads equals one thread exactly, for odd and padded shapes', () => {
  const shapes: [number, number, number][] = [[128, 576, 1536], [37, 130, 301], [5, 64, 4000], [128, 64, 128]];
  const single = shapes.map(([m, k, n], i) => matmulABt(random(m * k, i), random(n * k, 100 + i), m, k, n, new Float32Array(m * n)));
  try {
    for (const threads of [2, 3]) {
      assert.equal(useMatmulThreads(threads), threads);
      assert.equal(matmulThreads(), threads);
      shapes.forEach(([m, k, n], i) => {
        const y = matmulABt(random(m * k, i), random(n * k, 100 + i), m, k, n, new Float32Array(m * n));
        assert.deepEqual(Array.from(y), Array.from(single[i]), `${threads} threads, ${m}×${k}·${n}×${k}ᵀ`);
      });
    }
  } finally {
    assert.equal(useMatmulThreads(1), 1);
  }
});

test('a forward pass on 2 threads equals one thread exactly', async () => {
  const { dir } = makeLlama({ layers: 2, hidden: 128, heads: 4, kvHeads: 2, intermediate: 512, vocab: 300, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 8 });
  try {
    const model = await loadModel(dir);
    const ids = Array.from({ length: 64 }, (_, i) => (i * 37 + 5) % 300);
    const one = await forward(model, ids, { logits: 'all', keepProbs: true });
    useMatmulThreads(2);
    const two = await forward(model, ids, { logits: 'all', keepProbs: true });
    assert.deepEqual(Array.from(two.logits), Array.from(one.logits));
    assert.deepEqual(Array.from(two.hidden), Array.from(one.hidden));
  } finally {
    useMatmulThreads(1);
    rmSync(dir, { recursive: true, force: true });
  }
});
