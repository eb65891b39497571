import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearF32, matVec, useWasmMatmul } from '../../src/core/tensor/matmul';
import { topPredictions } from '../../src/core/model/runtime';
import { linearWasm, wasmMatmulAvailable } from '../../src/core/tensor/wasmMatmul';
import { rng } from './attentionFixtures';

/** y = x Wᵀ + b with three plain loops in float64. */
function naive(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

test('WebAssembly SIMD is available in this Node (the fast path is the one benchmarked)', () => {
  assert.equal(wasmMatmulAvailable(), true);
});

test('both matmul kernels match a naive triple loop on odd and even shapes', () => {
  const r = rng(77);
  const shapes = [[1, 1, 1], [1, 7, 3], [3, 5, 5], [4, 8, 2], [5, 16, 9], [9, 13, 11], [17, 64, 33], [128, 300, 7], [2, 600, 5]];
  for (const [rows, inDim, outDim] of shapes) {
    const x = Float32Array.from({ length: rows * inDim }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: outDim * inDim }, () => r() * 2 - 1);
    const b = Float32Array.from({ length: outDim }, () => r() - 0.5);
    const expected = naive(x, rows, inDim, w, outDim, b);
    useWasmMatmul(false);
    const js = linearF32(x, rows, inDim, w, outDim, b);
    useWasmMatmul(true);
    const mv = rows === 1 ? matVec(x, inDim, w, outDim, b) : undefined;
    const wasm = linearWasm(x, rows, inDim, w, outDim, b);
    assert.ok(wasm, 'wasm kernel ran');
    for (let i = 0; i < expected.length; i++) {
      const tol = 1e-5 * Math.sqrt(inDim) * 4;
      assert.ok(Math.abs(js[i] - expected[i]) < tol, `js ${rows}x${inDim}x${outDim} [${i}]`);
      if (mv) assert.ok(Math.abs(mv[i] - expected[i]) < tol, `matVec ${inDim}x${outDim} [${i}]`);
      assert.ok(Math.abs(wasm[i] - expected[i]) < tol, `wasm ${rows}x${inDim}x${outDim} [${i}]: ${wasm[i]} vs ${expected[i]}`);
    }
  }
});

test('linearF32 honours the one kernel switch and a large operand after a small one (memory growth)', () => {
  const r = rng(5);
  const big = [64, 512, 1024] as const;
  const x = Float32Array.from({ length: big[0] * big[1] }, () => r() - 0.5);
  const w = Float32Array.from({ length: big[2] * big[1] }, () => r() - 0.5);
  assert.equal(useWasmMatmul(false), false);
  const viaJs = linearF32(x, big[0], big[1], w, big[2]);
  assert.equal(useWasmMatmul(true), true);
  const viaWasm = linearF32(x, big[0], big[1], w, big[2]);
  let worst = 0;
  for (let i = 0; i < viaJs.length; i++) worst = Math.max(worst, Math.abs(viaJs[i] - viaWasm[i]));
  assert.ok(worst < 1e-4, `js and wasm differ by ${worst}`);
});

test('topPredictions: the k largest logits in order (ties by id), probabilities over the whole vocabulary', () => {
  const logits = Float32Array.from([0.5, 3, -1, 3, 2, 7, 0]);
  const top = topPredictions(logits, 3);
  assert.deepEqual(top.map((p) => p.id), [5, 1, 3]);
  const z = Array.from(logits).reduce((s, v) => s + Math.exp(v - 7), 0);
  assert.ok(Math.abs(top[0].probability - 1 / z) < 1e-7);
  assert.deepEqual(topPredictions(logits, 10).map((p) => p.id), [5, 1, 3, 4, 0, 6, 2]);
  assert.deepEqual(topPredictions(logits, 0), []);
});
