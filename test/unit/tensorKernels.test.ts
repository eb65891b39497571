// The tensor library's entry points that the runtime and the formats build on: linear over a WeightMatrix
// (f32 now; other storage types refused with a clear error until their kernels land), RoPE in both pairings,
// GeGLU, and the shared softmax — each against plain loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRope, geglu, geluTanh, ropeTables, softmaxInPlace } from '../../src/core/tensor/kernels';
import { f32Weight, linear, weightRow, type WeightMatrix } from '../../src/core/tensor/weights';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import { quantize } from '../support/quantize';
import { rng } from './attentionFixtures';

test('linear(x, rows, WeightMatrix, bias) equals x·Wᵀ + b by plain loops, for one row and many', () => {
  const r = rng(21);
  for (const [rows, inDim, outDim] of [[1, 9, 5], [6, 32, 20], [33, 64, 48]]) {
    const x = Float32Array.from({ length: rows * inDim }, () => r() - 0.5);
    const w = Float32Array.from({ length: outDim * inDim }, () => r() - 0.5);
    const b = Float32Array.from({ length: outDim }, () => r() - 0.5);
    const y = linear(x, rows, f32Weight(w, outDim, inDim), b);
    assert.equal(y.length, rows * outDim);
    for (let i = 0; i < rows; i++) {
      for (let o = 0; o < outDim; o++) {
        let s = b[o];
        for (let k = 0; k < inDim; k++) s += x[i * inDim + k] * w[o * inDim + k];
        assert.ok(Math.abs(y[i * outDim + o] - s) < 1e-4, `${rows}x${inDim}x${outDim} [${i},${o}]`);
      }
    }
  }
});

test('linear multiplies quantized weights as their dequantized floats; weightRow dequantizes one row; sizes are checked', () => {
  const r0 = rng(9);
  const values = Float32Array.from({ length: 6 * 256 }, () => r0() - 0.5);
  const q: WeightMatrix = { type: 'q4_k', rows: 6, cols: 256, data: quantize('q4_k', values) };
  const floats = f32Weight(dequantizeRows(q, 0, 6), 6, 256);
  const x = Float32Array.from({ length: 3 * 256 }, () => r0() - 0.5);
  const got = linear(x, 3, q), want = linear(x, 3, floats);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `[${i}] ${got[i]} vs ${want[i]}`);
  const row = new Float32Array(256 + 3);
  weightRow(q, 4, row, 3);
  assert.deepEqual(row.subarray(3), floats.data.subarray(4 * 256, 5 * 256));
  assert.throws(() => weightRow(q, 6, row), /row 6/);
  // A quantized matrix whose bytes are short of its rows is refused, not read past its end.
  assert.throws(() => linear(new Float32Array(256), 1, { type: 'q4_k', rows: 2, cols: 256, data: new Uint8Array(144) }), RangeError);
  assert.throws(() => f32Weight(new Float32Array(5), 2, 3), /5 values for 2 × 3/);
  assert.throws(() => linear(new Float32Array(4), 2, f32Weight(new Float32Array(6), 2, 3)), /x has 4 values/);
});

test('RoPE: half-split pairs (i, i + d/2), interleaved pairs (2i, 2i + 1); the inverse undoes it', () => {
  const d = 8;
  const heads = 2;
  const t = 3;
  const tables = ropeTables(t, d, 100);
  const r = rng(4);
  const x = Float32Array.from({ length: t * heads * d }, () => r() - 0.5);
  for (const style of ['half', 'interleaved'] as const) {
    const y = Float32Array.from(x);
    applyRope(y, t, heads, d, tables, false, style);
    for (let p = 0; p < t; p++) {
      for (let h = 0; h < heads; h++) {
        const o = (p * heads + h) * d;
        for (let i = 0; i < d / 2; i++) {
          const angle = p * Math.pow(100, (-2 * i) / d);
          const [a, b] = style === 'half' ? [o + i, o + i + d / 2] : [o + 2 * i, o + 2 * i + 1];
          assert.ok(Math.abs(y[a] - (x[a] * Math.cos(angle) - x[b] * Math.sin(angle))) < 1e-6, `${style} p${p} h${h} i${i}`);
          assert.ok(Math.abs(y[b] - (x[b] * Math.cos(angle) + x[a] * Math.sin(angle))) < 1e-6);
        }
      }
    }
    applyRope(y, t, heads, d, tables, true, style);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i]) < 1e-6);
  }
});

test('GeGLU is gelu_tanh(gate)·up; softmax scales, ignores -Infinity and sums to 1', () => {
  const gate = Float32Array.from([-2, -0.5, 0, 0.7, 3]);
  const up = Float32Array.from([1, 2, -1, 0.5, 4]);
  const out = geglu(gate, up);
  gate.forEach((g, i) => {
    const gelu = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g ** 3)));
    assert.ok(Math.abs(out[i] - gelu * up[i]) < 1e-6);
    assert.ok(Math.abs(geluTanh(g) - gelu) < 1e-12);
  });
  const a = Float32Array.from([9, 1, 2, -Infinity, 3, 9]);
  softmaxInPlace(a, 1, 5, 0.5);
  const z = Math.exp(0.5) + Math.exp(1) + Math.exp(1.5);
  assert.deepEqual([a[0], a[5], a[3]], [9, 9, 0]);
  [1, 2, 4].forEach((j, n) => assert.ok(Math.abs(a[j] - Math.exp(0.5 * (n + 1)) / z) < 1e-6));
});
