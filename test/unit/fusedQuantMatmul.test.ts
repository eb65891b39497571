// The fused quantized matmul (tensor/wasmMatmul.ts linearQuantizedWasm with the WebAssembly SIMD dequantizers of
// tensor/quant/wasmDequant.ts) against the independent reference: dequantize.ts's dequantizeRows (ggml's
// dequantize_row_*) then a plain float64 multiply, on random blocks (random bytes; random finite f16 scales,
// subnormals included), odd sizes, rows not a multiple of the kernel's 4, outputs not a multiple of a tile.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useMatmulThreads, useWasmMatmul } from '../../src/core/tensor/matmul';
import { BLOCK_TYPES } from '../../src/core/tensor/quant/blockTypes';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import { linearQuantized } from '../../src/core/tensor/quant/linear';
import { linearQuantizedWasm } from '../../src/core/tensor/wasmMatmul';
import type { WeightMatrix, WeightType } from '../../src/core/tensor/weights';
import { rng } from './attentionFixtures';

const FUSED: WeightType[] = ['q8_0', 'q4_k', 'q6_k', 'bf16'];

/** A random finite f16 bit pattern of magnitude below ~2: normal or subnormal, either sign. */
function randomHalf(r: () => number): number {
  const sign = r() < 0.5 ? 0x8000 : 0;
  const exp = r() < 0.1 ? 0 : Math.floor(r() * 16); // exponents 0..15: subnormals and values up to < 2
  return sign | (exp << 10) | Math.floor(r() * 1024);
}

/** A rows × cols matrix of random blocks of `type`: random bytes, with every f16 scale random and finite. */
function randomWeight(type: WeightType, rows: number, cols: number, seed: number): WeightMatrix {
  const r = rng(seed);
  const b = BLOCK_TYPES[type];
  const n = (rows * cols) / b.blockSize;
  const data = new Uint8Array(n * b.blockBytes);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  const putHalf = (at: number): void => {
    const h = randomHalf(r);
    data[at] = h & 0xff;
    data[at + 1] = h >> 8;
  };
  for (let k = 0; k < n; k++) {
    const p = k * b.blockBytes;
    if (type === 'q8_0') putHalf(p);
    else if (type === 'q4_k') { putHalf(p); putHalf(p + 2); }
    else if (type === 'q6_k') putHalf(p + 208);
    else if (type === 'bf16') {
      // A bfloat16 of magnitude about 2^-65 .. 2^63 (finite products and sums): exponent field 0x3e..0xbd.
      data[p + 1] = (data[p + 1] & 0x80) | (0x1f + (data[p + 1] & 0x3f));
    }
  }
  return { type, rows, cols, data };
}

function randomValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

/** y[r, o] = Σ_i x[r, i]·w[o, i] (+ bias[o]) in float64, one plain loop. */
function naiveLinear(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, bias?: Float32Array): Float32Array {
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

/** |a − b| within `tol` of the sum of |terms| (float32 accumulation error scales with it, not with the result). */
function assertClose(a: Float32Array, b: Float32Array, scale: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1e-30 + scale[i]), `${what}: [${i}] ${a[i]} vs ${b[i]}`);
}

function absolute(v: Float32Array): Float32Array {
  return v.map(Math.abs);
}

describe('the WebAssembly dequantizers give dequantize.ts values exactly', () => {
  for (const type of FUSED) {
    it(`${type}: x = identity makes y the dequantized weights, bit for bit`, () => {
      // y[r, o] = Σ_i I[r, i]·w[o, i] = w[o, r] exactly (one product by 1, the rest adds of +0).
      const cols = 512, rows = 37;
      const w = randomWeight(type, rows, cols, 7 + cols);
      const eye = new Float32Array(cols * cols);
      for (let i = 0; i < cols; i++) eye[i * cols + i] = 1;
      const y = linearQuantizedWasm(eye, cols, w);
      if (!y) throw new Error('the fused path did not run (WebAssembly SIMD unavailable?)');
      const ref = dequantizeRows(w, 0, rows);
      for (let o = 0; o < rows; o++) {
        for (let i = 0; i < cols; i++) {
          const got: number = y[i * rows + o], want: number = ref[o * cols + i];
          // Equal as numbers (a −0 weight comes out +0 after the kernel's adds).
          if (!(got === want)) assert.fail(`${type} w[${o}, ${i}]: ${got} vs ${want}`);
        }
      }
    });
  }
});

describe('linearQuantized (fused) = dequantize then multiply', () => {
  const shapes: [rows: number, outDim: number, inDim: number][] = [[1, 7, 256], [1, 301, 512], [3, 33, 512], [5, 129, 768], [130, 67, 256]];
  for (const type of FUSED) {
    it(`${type}: 1 (decoding's row dot), 3, 5 and 130 rows, odd output counts, bias, on 1 and 2 threads (identical)`, () => {
      for (const [rows, outDim, inDim] of shapes) {
        // One BF16 row stays on matVec (the order float32 weights get), tested in quantKernels.test.ts.
        if (rows === 1 && type === 'bf16') continue;
        const w = randomWeight(type, outDim, inDim, rows * 1000 + outDim);
        const x = randomValues(rows * inDim, rows + outDim);
        const bias = randomValues(outDim, 3);
        const deq = dequantizeRows(w, 0, outDim);
        const ref = naiveLinear(x, rows, inDim, deq, outDim, bias);
        const scale = naiveLinear(absolute(x), rows, inDim, absolute(deq), outDim, absolute(bias));
        const one = linearQuantized(x, rows, w, bias);
        assertClose(one, ref, scale, 1e-5, `${type} ${rows}×${inDim}·${outDim}`);
        try {
          assert.equal(useMatmulThreads(2), 2);
          const two = linearQuantized(x, rows, w, bias);
          assert.deepEqual(Array.from(two), Array.from(one), `${type} ${rows}×${inDim}·${outDim} on 2 threads`);
        } finally {
          useMatmulThreads(1);
        }
      }
    });
  }

  it('Q4_K rows wider than a step: several steps, several sub-tiles per thread, a partial last step', () => {
    // 16,384 inputs: 9,216 bytes a row, so a 4 MiB step holds a few hundred rows and 1,001 outputs take several.
    const inDim = 16384, outDim = 1001, rows = 5;
    const w = randomWeight('q4_k', outDim, inDim, 99);
    const x = randomValues(rows * inDim, 98);
    const deq = dequantizeRows(w, 0, outDim);
    const ref = naiveLinear(x, rows, inDim, deq, outDim);
    const scale = naiveLinear(absolute(x), rows, inDim, absolute(deq), outDim);
    const one = linearQuantized(x, rows, w);
    assertClose(one, ref, scale, 1e-5, 'q4_k wide');
    try {
      useMatmulThreads(3);
      assert.deepEqual(Array.from(linearQuantized(x, rows, w)), Array.from(one), '3 threads');
    } finally {
      useMatmulThreads(1);
    }
  });

  it('equals the JavaScript tile path within float tolerance, and that path still runs when the kernel is off', () => {
    const w = randomWeight('q6_k', 41, 512, 5);
    const x = randomValues(6 * 512, 6);
    const fused = linearQuantized(x, 6, w);
    const was = useWasmMatmul(false);
    try {
      const js = linearQuantized(x, 6, w);
      const scale = naiveLinear(absolute(x), 6, 512, absolute(dequantizeRows(w, 0, 41)), 41);
      assertClose(fused, js, scale, 1e-5, 'fused vs JS');
    } finally {
      useWasmMatmul(was);
    }
  });

  it('leaves types without a WebAssembly dequantizer, and one BF16 row, to the JavaScript path', () => {
    assert.equal(linearQuantizedWasm(new Float32Array(32), 1, { type: 'q4_0', rows: 1, cols: 32, data: new Uint8Array(18) }), undefined);
    assert.equal(linearQuantizedWasm(new Float32Array(8), 1, { type: 'bf16', rows: 1, cols: 8, data: new Uint8Array(16) }), undefined);
  });
});
