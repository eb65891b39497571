import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attentionBackward, attentionForward, crossEntropy, embeddingBackward, embeddingForward, linearBackward, linearForward,
  matmulABt, rmsNormBackward, rmsNormForward, ropeApply, ropeTables, swigluBackward, swigluForward, useWasmMatmul, type Vec,
} from '../../src/core/train/ops';
import { Prng } from '../../src/core/train/prng';
import { initParams, paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../../src/core/train/model';

const rng = new Prng(1234);
const rand = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => rng.normal() * scale);
const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Central finite differences of f at every element of x (x is perturbed in place and restored). */
function numericGrad(f: () => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const up = f();
    x[i] = keep - eps;
    const down = f();
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

function assertClose(analytic: Vec, numeric: Vec, what: string, tol = 1e-6): void {
  assert.equal(analytic.length, numeric.length, `${what}: length`);
  let maxAbs = 0;
  for (let i = 0; i < numeric.length; i++) maxAbs = Math.max(maxAbs, Math.abs(numeric[i]));
  assert.ok(maxAbs > 0, `${what}: numeric gradient is all zero, the check would prove nothing`);
  for (let i = 0; i < numeric.length; i++) {
    const err = Math.abs(analytic[i] - numeric[i]);
    assert.ok(err <= tol * (1 + Math.abs(numeric[i])), `${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric[i]}`);
  }
}

test('matmulABt agrees with the textbook triple loop (odd sizes hit every remainder path)', () => {
  for (const [m, k, n] of [[5, 7, 9], [2, 3, 4], [1, 1, 1], [6, 16, 8]]) {
    const a = rand(m * k);
    const b = rand(n * k);
    const c = matmulABt(a, b, m, k, n, new Float64Array(m * n));
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
      assert.ok(Math.abs(c[i * n + j] - s) < 1e-12);
    }
  }
});

test('gradient check: linear (dx and dW)', () => {
  const [t, inD, outD] = [3, 5, 4];
  const x = rand(t * inD);
  const w = rand(outD * inD);
  const r = rand(t * outD);
  const f = (): number => dot(linearForward(x, w, t, inD, outD), r);
  const dw = new Float64Array(w.length);
  const dx = linearBackward(r, x, w, dw, t, inD, outD) as Vec;
  assertClose(dx, numericGrad(f, x), 'dx');
  assertClose(dw, numericGrad(f, w), 'dW');
});

test('gradient check: embedding (dE, including a repeated id)', () => {
  const d = 3;
  const e = rand(5 * d);
  const ids = [2, 0, 2, 4];
  const r = rand(ids.length * d);
  const f = (): number => dot(embeddingForward(ids, e, d), r);
  const de = new Float64Array(e.length);
  embeddingBackward(ids, r, de, d);
  assertClose(de, numericGrad(f, e), 'dE');
});

test('gradient check: RMSNorm (dx and dw)', () => {
  const [t, d] = [3, 6];
  const x = rand(t * d);
  const w = rand(d);
  const r = rand(t * d);
  const f = (): number => dot(rmsNormForward(x, w, t, d, 1e-5).y, r);
  const { inv } = rmsNormForward(x, w, t, d, 1e-5);
  const dw = new Float64Array(d);
  const dx = rmsNormBackward(r, x, w, inv, dw, t, d);
  assertClose(dx, numericGrad(f, x), 'dx');
  assertClose(dw, numericGrad(f, w), 'dw');
});

test('gradient check: RoPE (half-split pairing) and it preserves norms', () => {
  const [t, heads, hd] = [4, 2, 6];
  const tables = ropeTables(t, hd, 10000);
  const x = rand(t * heads * hd);
  const r = rand(x.length);
  const f = (): number => {
    const y = Float64Array.from(x);
    ropeApply(y, t, heads, hd, tables);
    return dot(y, r);
  };
  const dx = Float64Array.from(r);
  ropeApply(dx, t, heads, hd, tables, true);
  assertClose(dx, numericGrad(f, x), 'dx');
  // Position 0 is unrotated; a rotation keeps each head vector's length.
  const y = Float64Array.from(x);
  ropeApply(y, t, heads, hd, tables);
  for (let i = 0; i < heads * hd; i++) assert.ok(Math.abs(y[i] - x[i]) < 1e-12);
  assert.ok(Math.abs(dot(y, y) - dot(x, x)) < 1e-9);
});

test('gradient check: causal attention with GQA (4 query heads on 2 KV heads), softmax inside', () => {
  const dims = { t: 5, qHeads: 4, kvHeads: 2, headDim: 4 };
  const q = rand(dims.t * dims.qHeads * dims.headDim);
  const k = rand(dims.t * dims.kvHeads * dims.headDim);
  const v = rand(dims.t * dims.kvHeads * dims.headDim);
  const r = rand(q.length);
  const f = (): number => dot(attentionForward(q, k, v, dims).out, r);
  const { probs } = attentionForward(q, k, v, dims);
  const { dq, dk, dv } = attentionBackward(r, q, k, v, probs, dims);
  assertClose(dq, numericGrad(f, q), 'dq');
  assertClose(dk, numericGrad(f, k), 'dk');
  assertClose(dv, numericGrad(f, v), 'dv');
  // Causal: rows sum to 1 and nothing goes to later positions.
  for (let h = 0; h < dims.qHeads; h++) for (let i = 0; i < dims.t; i++) {
    let s = 0;
    for (let j = 0; j < dims.t; j++) {
      const p = probs[(h * dims.t + i) * dims.t + j];
      if (j > i) assert.equal(p, 0);
      s += p;
    }
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
});

test('gradient check: SwiGLU (dg and du)', () => {
  const g = rand(7, 2);
  const u = rand(7);
  const r = rand(7);
  const f = (): number => dot(swigluForward(g, u), r);
  const { dg, du } = swigluBackward(r, g, u);
  assertClose(dg, numericGrad(f, g), 'dg');
  assertClose(du, numericGrad(f, u), 'du');
});

test('gradient check: softmax cross-entropy, and its value against log-sum-exp by hand', () => {
  const [t, vocab] = [3, 5];
  const logits = rand(t * vocab, 3);
  const targets = [4, 0, 2];
  const f = (): number => crossEntropy(logits, targets, t, vocab, 1).lossSum;
  assertClose(crossEntropy(logits, targets, t, vocab, 1).dlogits, numericGrad(f, logits), 'dlogits');
  let expected = 0;
  for (let r = 0; r < t; r++) {
    let z = 0;
    for (let j = 0; j < vocab; j++) z += Math.exp(logits[r * vocab + j]);
    expected += Math.log(z) - logits[r * vocab + targets[r]];
  }
  assert.ok(Math.abs(f() - expected) < 1e-10);
});

test('gradient check: the whole model (tied embeddings, every tensor) in float64', () => {
  const cfg: TrainModelConfig = {
    vocabSize: 11, hiddenSize: 8, layers: 2, qHeads: 4, kvHeads: 2, headDim: 4, intermediateSize: 12,
    ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 16,
  };
  const layout = paramLayout(cfg);
  const params = new Float64Array(layout.total);
  initParams(cfg, layout, 7, params);
  // Larger weights than the 0.02 init so every path carries a visible gradient.
  for (let i = 0; i < params.length; i++) params[i] += rng.normal() * 0.3;
  const ids = [1, 5, 3, 3, 9, 0];
  const targets = [5, 3, 3, 9, 0, 2];
  const grads = new Float64Array(layout.total);
  sequenceForwardBackward(cfg, layout, params, ids, targets, grads, 1);
  const f = (): number => sequenceForwardBackward(cfg, layout, params, ids, targets).lossSum;
  for (const slot of layout.slots) {
    // A few elements of every tensor (all of small ones) keep this fast.
    const picks = slot.size <= 16 ? [...Array(slot.size).keys()] : [0, 3, Math.floor(slot.size / 2), slot.size - 1];
    for (const i of picks) {
      const idx = slot.offset + i;
      const keep = params[idx];
      params[idx] = keep + 1e-6;
      const up = f();
      params[idx] = keep - 1e-6;
      const down = f();
      params[idx] = keep;
      const num = (up - down) / 2e-6;
      assert.ok(Math.abs(grads[idx] - num) <= 1e-5 * (1 + Math.abs(num)), `${slot.name}[${i}]: ${grads[idx]} vs ${num}`);
    }
  }
});

test('the WebAssembly SIMD matmul kernel agrees with the JavaScript kernel (and accumulates)', () => {
  assert.ok(useWasmMatmul(true), 'WebAssembly SIMD is available in Node 20');
  try {
    // Products under 4096 multiply-adds stay in JavaScript; the others go through the kernel, padded
    // when a size is not a multiple of its block (4 rows of A, 2 rows of B, 4 along k).
    for (const [m, k, n] of [[4, 4, 4], [8, 12, 16], [64, 128, 32], [17, 33, 9], [33, 65, 7], [3, 257, 11]]) {
      const a = Float32Array.from(rand(m * k));
      const b = Float32Array.from(rand(n * k));
      const viaWasm = matmulABt(a, b, m, k, n, new Float32Array(m * n));
      const twice = matmulABt(a, b, m, k, n, Float32Array.from(viaWasm), true);
      const ref = matmulABt(Float64Array.from(a), Float64Array.from(b), m, k, n, new Float64Array(m * n));
      for (let i = 0; i < m * n; i++) {
        assert.ok(Math.abs(viaWasm[i] - ref[i]) < 1e-4 * (1 + Math.abs(ref[i])), `[${i}] ${viaWasm[i]} vs ${ref[i]}`);
        assert.ok(Math.abs(twice[i] - 2 * ref[i]) < 2e-4 * (1 + Math.abs(ref[i])));
      }
    }
  } finally {
    useWasmMatmul(false);
  }
});

for (const dims of [{ t: 8, qHeads: 4, kvHeads: 2, headDim: 4 }, { t: 23, qHeads: 6, kvHeads: 3, headDim: 13 }]) test(`attention through the SIMD kernel (matrix-product form) matches the loop form in float64 (t ${dims.t}, head_dim ${dims.headDim})`, () => {
  const q = rand(dims.t * dims.qHeads * dims.headDim);
  const k = rand(dims.t * dims.kvHeads * dims.headDim);
  const v = rand(dims.t * dims.kvHeads * dims.headDim);
  const dOut = rand(q.length);
  const ref = attentionForward(q, k, v, dims);
  const refGrads = attentionBackward(dOut, q, k, v, ref.probs, dims);
  assert.ok(useWasmMatmul(true));
  try {
    const f = (x: Float64Array): Float32Array => Float32Array.from(x);
    const fast = attentionForward(f(q), f(k), f(v), dims);
    const fastGrads = attentionBackward(f(dOut), f(q), f(k), f(v), fast.probs, dims);
    const close = (a: Vec, b: Vec, what: string): void => {
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4 * (1 + Math.abs(b[i])), `${what}[${i}] ${a[i]} vs ${b[i]}`);
    };
    close(fast.out, ref.out, 'out');
    close(fast.probs, ref.probs, 'probs');
    close(fastGrads.dq, refGrads.dq, 'dq');
    close(fastGrads.dk, refGrads.dk, 'dk');
    close(fastGrads.dv, refGrads.dv, 'dv');
  } finally {
    useWasmMatmul(false);
  }
});
