// The quantized block types: dequantization against values worked out by hand from ggml's dequantize_row_*
// (ggml/src/ggml-quants.c), the test quantizers' round trip, and linearQuantized against dequantize-then-F32.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useWasmMatmul } from '../../src/core/tensor/matmul';
import { BLOCK_TYPES, blockTypeById, ggmlTypeName, rowBytes } from '../../src/core/tensor/quant/blockTypes';
import { dequantizeRow, dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import { linearQuantized } from '../../src/core/tensor/quant/linear';
import type { WeightMatrix, WeightType } from '../../src/core/tensor/weights';
import { rng } from './attentionFixtures';
import { quantize } from '../support/quantize';

/** An independent reference: y[r, o] = Σ_i x[r, i]·w[o, i] (+ bias[o]) in float64, one plain loop. */
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

function deq(type: WeightType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantizeRow(type, bytes, 0, out, 0, n);
  return out;
}

describe('block types', () => {
  it('has ggml-common.h block sizes and the ggml.h ids', () => {
    assert.deepEqual(
      Object.values(BLOCK_TYPES).map((b) => [b.name, b.id, b.blockSize, b.blockBytes]),
      [['F32', 0, 1, 4], ['F16', 1, 1, 2], ['Q4_0', 2, 32, 18], ['Q5_0', 6, 32, 22], ['Q8_0', 8, 32, 34], ['Q4_K', 12, 256, 144], ['Q5_K', 13, 256, 176], ['Q6_K', 14, 256, 210], ['BF16', 30, 1, 2]],
    );
    assert.equal(blockTypeById(39), undefined);
    assert.equal(ggmlTypeName(39), 'MXFP4');
    assert.equal(ggmlTypeName(16), 'IQ2_XXS');
    assert.equal(ggmlTypeName(999), 'type 999');
    assert.throws(() => rowBytes('q4_k', 100), RangeError);
  });
});

describe('dequantization, one block of each type worked by hand', () => {
  it('F16 and BF16', () => {
    assert.deepEqual([...deq('f16', Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]), 2)], [1, -2]);
    assert.deepEqual([...deq('bf16', Uint8Array.from([0x80, 0x3f, 0x49, 0x40]), 2)], [1, 3.140625]);
  });

  it('Q8_0: y = qs·d', () => {
    const b = new Uint8Array(34);
    b[0] = 0x00; b[1] = 0x38; // d = 0.5
    b[2] = 0xfd; // qs[0] = −3
    b[33] = 127; // qs[31]
    const y = deq('q8_0', b, 32);
    assert.equal(y[0], -1.5);
    assert.equal(y[31], 63.5);
    assert.equal(y[1], 0);
  });

  it('Q4_0: (nibble − 8)·d, low nibbles first', () => {
    const b = new Uint8Array(18);
    b[1] = 0x40; // d = 2
    b[2] = 0x3c; // qs[0]: low 12 → weight 0, high 3 → weight 16
    const y = deq('q4_0', b, 32);
    assert.equal(y[0], 8); // (12 − 8)·2
    assert.equal(y[16], -10); // (3 − 8)·2
    assert.equal(y[1], -16); // (0 − 8)·2
  });

  it('Q5_0: fifth bit from qh bit j (low) and bit j + 16 (high)', () => {
    const b = new Uint8Array(22);
    b[1] = 0x3c; // d = 1
    b[2] = 0x01; b[4] = 0x01; // qh = bits 0 and 16
    b[6] = 0x21; // qs[0]: low 1, high 2
    const y = deq('q5_0', b, 32);
    assert.equal(y[0], 1); // (1 | 16) − 16
    assert.equal(y[16], 2); // (2 | 16) − 16
    assert.equal(y[1], -16); // (0 | 0) − 16
  });

  // Scales bytes: s[0] = 3 | 0x40, s[1] = 5, s[2] = 1, s[4] = 2, s[5] = 4, s[6] = 1, s[8] = 0x21.
  // get_scale_min_k4: j=0 → sc 3, m 2; j=1 → sc 5, m 4; j=2 → sc 1, m 1;
  // j=4 → sc (s[8] & 15) | (s[0] >> 6) << 4 = 17, m (s[8] >> 4) | (s[4] >> 6) << 4 = 2.
  const kScales = [3 | 0x40, 5, 1, 0, 2, 4, 1, 0, 0x21, 0, 0, 0];

  it('Q4_K: d·sc·q − dmin·m with 6-bit packed scales', () => {
    const b = new Uint8Array(144);
    b[1] = 0x3c; b[3] = 0x38; // d = 1, dmin = 0.5
    b.set(kScales, 4);
    b[16] = 0xa7; // qs[0]: low 7 → weight 0 (sub-block 0), high 10 → weight 32 (sub-block 1)
    b[16 + 64] = 0x0f; // qs[64]: low 15 → weight 128 (sub-block 4)
    const y = deq('q4_k', b, 256);
    assert.equal(y[0], 20); // 1·3·7 − 0.5·2
    assert.equal(y[32], 48); // 1·5·10 − 0.5·4
    assert.equal(y[128], 254); // 1·17·15 − 0.5·2
    assert.equal(y[64], -0.5); // sub-block 2, q 0: −0.5·1
    assert.equal(y[1], -1); // −0.5·2
  });

  it('Q5_K: as Q4_K plus 16 where qh has bit u1 (low) / u2 (high)', () => {
    const b = new Uint8Array(176);
    b[1] = 0x3c; b[3] = 0x38;
    b.set(kScales, 4);
    b[16] = 0b0000_0011; // qh[0]: u1 = 1 → weight 0, u2 = 2 → weight 32
    b[48] = 0xa7; // ql[0]
    const y = deq('q5_k', b, 256);
    assert.equal(y[0], 68); // 3·(7 + 16) − 1
    assert.equal(y[32], 128); // 5·(10 + 16) − 2
    assert.equal(y[64], -0.5); // sub-block 2, bit 4 of qh[0] clear
  });

  it('Q6_K: (low 4 | high 2 << 4) − 32, times d·scale', () => {
    const b = new Uint8Array(210);
    b[208] = 0x00; b[209] = 0x34; // d = 0.25
    b[0] = 0x5a; // ql[0]: low 10 → weight 0, high 5 → weight 64
    b[32] = 0x03; // ql[32]: low 3 → weight 32, high 0 → weight 96
    b[128] = 0b0000_1001; // qh[0]: bits 0-1 = 1 (weight 0), bits 2-3 = 2 (weight 32)
    b.set([2, 4, 0xfd, 0, 1, 0, 1, 0], 192); // scales[0] = 2, [1] = 4, [2] = −3, [4] = 1, [6] = 1
    const y = deq('q6_k', b, 256);
    assert.equal(y[0], -3); // 0.25·2·((10 | 16) − 32)
    assert.equal(y[32], -2.25); // 0.25·(−3)·((3 | 32) − 32)
    assert.equal(y[64], -6.75); // 0.25·1·(5 − 32)
    assert.equal(y[96], -8); // 0.25·1·(0 − 32)
    assert.equal(y[16], -32); // 0.25·4·(0 − 32), scale index l/16 = 1
  });
});

const TYPES: WeightType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q5_0', 'q4_k', 'q5_k', 'q6_k'];
/**
 * Worst error, as a fraction of the largest |x| (0.1 here), each type can make: half a step, or a whole step
 * at the clipped end of the symmetric types (Q4_0's d = max/−8 leaves +8 unreachable: q ≤ 15 − 8 = 7).
 */
const TOLERANCE: Record<WeightType, number> = { f32: 0, f16: 1e-3, bf16: 8e-3, q8_0: 8e-3, q4_0: 0.13, q5_0: 0.065, q4_k: 0.07, q5_k: 0.035, q6_k: 0.04 };

function randomValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * 0.1);
}

describe('test quantizers round trip', () => {
  for (const type of TYPES) {
    it(`${type}: dequantize(quantize(x)) ≈ x`, () => {
      const x = randomValues(1024, 7);
      const y = deq(type, quantize(type, x), x.length);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - x[i]));
      assert.ok(worst <= TOLERANCE[type] * 0.1 + 1e-9, `${type}: worst error ${worst}`);
    });
  }
});

function weightOf(type: WeightType, rows: number, cols: number, seed: number): WeightMatrix {
  const values = randomValues(rows * cols, seed);
  return { type, rows, cols, data: type === 'f32' ? values : quantize(type, values) };
}

function assertClose(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}: [${i}] ${a[i]} vs ${b[i]}`);
}

describe('linearQuantized = dequantize then the float kernel', () => {
  // 4096 inputs make the tile 256 rows, so 600 outputs take three tiles (the last one partial and 88 rows).
  for (const type of TYPES) {
    it(`${type}: several rows, several tiles, bias`, () => {
      const w = weightOf(type, 600, 4096, 11);
      const x = randomValues(3 * 4096, 12);
      const bias = randomValues(600, 13);
      const ref = naiveLinear(x, 3, 4096, dequantizeRows(w, 0, w.rows), 600, bias);
      assertClose(linearQuantized(x, 3, w, bias), ref, 1e-5, type);
      const wasWasm = useWasmMatmul(false);
      try {
        assertClose(linearQuantized(x, 3, w, bias), ref, 1e-5, `${type} (JS)`);
      } finally {
        useWasmMatmul(wasWasm);
      }
    });
  }

  it('one row (matrix-vector) and odd output counts', () => {
    const w = weightOf('q4_k', 7, 512, 21);
    const x = randomValues(512, 22);
    assertClose(linearQuantized(x, 1, w), naiveLinear(x, 1, 512, dequantizeRows(w, 0, 7), 7), 1e-5, 'q4_k row');
  });

  it('refuses an x shorter than rows × cols', () => {
    assert.throws(() => linearQuantized(new Float32Array(10), 1, weightOf('q8_0', 2, 32, 1)), RangeError);
  });

  it('dequantizeRows of a middle run equals the same rows of the whole matrix', () => {
    const w = weightOf('q6_k', 9, 512, 31);
    const all = dequantizeRows(w, 0, 9);
    assert.deepEqual(dequantizeRows(w, 3, 4), all.subarray(3 * 512, 7 * 512));
  });
});
