// The logit lens in 16-bit integers (issue 18): the i16_matmul and lens_scan kernels against plain-JS references
// (exact integer sums, float64 softmax sums), the scales that keep i32 lanes from overflowing at large hidden
// sizes, and the lens itself against a naive float64 unembedding (RMSNorm + LM head by plain loops): the same top-k
// ids, probabilities and entropies within the bounds the lens reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { forward } from '../../src/core/model/runtime';
import { logitLens, LOGIT_LENS_MAX_LOGIT_ERROR, type LogitLens } from '../../src/core/analysis/logitLens';
import { quantizeRow } from '../../src/core/analysis/lensInt16';
import { assemble, useMatmulThreads, wasmMatmulAvailable } from '../../src/core/tensor/wasmMatmul';
import { LENS_CAND_HEADER, LENS_EXP_FLOOR } from '../../src/core/tensor/wasmInt16';
import { makeArch } from './archFixtures';
import { lensReferenceRow, makeLlama, rng } from './attentionFixtures';
import { writeTinyModel } from '../support/ggufModels';

const simd = wasmMatmulAvailable();

/** A fresh instance of the kernel module over its own memory of `pages` 64 KiB pages. */
function kernels(pages: number): { ex: Record<string, (...a: number[]) => void>; buf: () => ArrayBuffer } {
  const memory = new WebAssembly.Memory({ initial: pages });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(assemble(false) as Uint8Array<ArrayBuffer>), { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
  return { ex, buf: () => memory.buffer };
}

/** y[r, o] as i16_matmul defines it, from exact integer lane sums (plain JS, no SIMD). */
function referenceI16(p: Int16Array, q: Int16Array, rows: number, outDim: number, k: number, t: Float32Array, s: Float32Array): Float32Array {
  const f = Math.fround;
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const lane = [0, 0, 0, 0];
      for (let i = 0; i < k; i++) lane[(i & 7) >> 1] += p[r * k + i] * q[o * k + i];
      for (const v of lane) assert.ok(Math.abs(v) < 2 ** 31, 'the reference inputs keep every lane below 2^31');
      y[r * outDim + o] = f(f(f(f(f(lane[0]) + f(lane[1])) + f(f(lane[2]) + f(lane[3]))) * t[r]) * s[o]);
    }
  }
  return y;
}

/** Runs i16_matmul in a fresh module on the given operands. */
function runI16(p: Int16Array, q: Int16Array, rows: number, outDim: number, k: number, t: Float32Array, s: Float32Array): Float32Array {
  const pAt = 0, qAt = p.byteLength, tAt = qAt + q.byteLength, sAt = tAt + t.byteLength, yAt = sAt + s.byteLength;
  const { ex, buf } = kernels(Math.ceil((yAt + rows * outDim * 4) / 65536) + 1);
  new Int16Array(buf(), pAt, p.length).set(p);
  new Int16Array(buf(), qAt, q.length).set(q);
  new Float32Array(buf(), tAt, t.length).set(t);
  new Float32Array(buf(), sAt, s.length).set(s);
  ex.i16_matmul(pAt, qAt, yAt, rows, k, outDim, outDim * 4, tAt, sAt);
  return new Float32Array(buf(), yAt, rows * outDim).slice();
}

test('i16_matmul equals exact integer lane sums, scaled per row and column, also where partial sums wrap around', { skip: !simd }, () => {
  const r = rng(3);
  const rows = 8, outDim = 6, k = 40;
  // Random entries up to 6,000 keep every other lane's true sum (10 products) below 2^31 in the reference too.
  const p = Int16Array.from({ length: rows * k }, () => Math.round((r() * 2 - 1) * 6000));
  const q = Int16Array.from({ length: outDim * k }, () => Math.round((r() * 2 - 1) * 6000));
  // Row 0 against column 0: every product +2^30-ish on the first half of the row, − on the second, so the
  // running i32 sums leave the int32 range on the way and come back (i32 addition wraps; the result is exact).
  for (let i = 0; i < k; i++) {
    p[i] = 32767;
    q[i] = i < k / 2 ? 32767 : -32767;
  }
  const t = Float32Array.from({ length: rows }, () => r() * 1e-4);
  const s = Float32Array.from({ length: outDim }, () => r() * 1e-4);
  const got = runI16(p, q, rows, outDim, k, t, s);
  assert.deepEqual(Array.from(got), Array.from(referenceI16(p, q, rows, outDim, k, t, s)));
  assert.equal(got[0], 0, 'the wrapped-around sum of row 0 · column 0 is its exact value, 0');
});

for (const hidden of [4096, 8192]) {
  test(`scales for hidden size ${hidden}: no i32 lane reaches 2^31 even for the largest aligned rows, and i16_matmul stays exact`, { skip: !simd }, () => {
    const kP = Math.ceil(hidden / 8) * 8;
    // The worst case for overflow: a head row and an x row with every value at the same magnitude and sign.
    const w = new Float32Array(hidden).fill(0.05);
    const x = new Float32Array(hidden).fill(3);
    const q = new Int16Array(2 * kP);
    const [s, , , laneW] = quantizeRow(w, hidden, kP, 46000, q, 0);
    quantizeRow(w.map((v, i) => (i % 3 === 0 ? -v : v)), hidden, kP, 46000, q, kP);
    const xCap = Math.floor(((2 ** 31 - 1) / laneW) * 0.999);
    const p = new Int16Array(4 * kP);
    const [t, , , laneX] = quantizeRow(x, hidden, kP, xCap, p, 0);
    assert.ok(laneW <= 46000 && laneX <= xCap, `lane norms ${laneW}, ${laneX} within their caps`);
    const exactLane = (p[0] * q[0] * hidden) / 4;
    assert.ok(exactLane < 2 ** 31 && exactLane > 2 ** 29, `the aligned rows' lane sum ${exactLane} uses the range without reaching 2^31`);
    const tf = Float32Array.of(t, 0, 0, 0);
    const sf = Float32Array.of(s, s);
    const got = runI16(p, q, 4, 2, kP, tf, sf);
    assert.deepEqual(Array.from(got), Array.from(referenceI16(p, q, 4, 2, kP, tf, sf)));
    // And the value is the dot product to within the quantization: 0.05 · 3 · hidden.
    assert.ok(Math.abs(got[0] - 0.15 * hidden) < 1e-3 * 0.15 * hidden, `${got[0]} vs ${0.15 * hidden}`);
  });
}

test('lens_scan: max, Σe^(x−m), Σe^(x−m)(x−m), Σe^(x−m)(x−m)² over several calls as float64 sums give them; candidates ≥ the threshold, counted past the cap', { skip: !simd }, () => {
  const r = rng(11);
  const rows = 3, n = 64, calls = 4, cap = 5;
  const stAt = 0, thAt = 128, cAt = 256, yAt = 1024;
  const { ex, buf } = kernels(4);
  const st = new Float64Array(buf(), stAt, rows * 4);
  for (let i = 0; i < rows; i++) st.set([-Infinity, 0, 0, 0], i * 4);
  new Float32Array(buf(), thAt, rows).set([2.5, Infinity, -Infinity]);
  const all: number[][] = [[], [], []];
  const candStride = LENS_CAND_HEADER + 8 * cap;
  for (let c = 0; c < calls; c++) {
    const y = new Float32Array(buf(), yAt, rows * n);
    // Rising values in later calls, so the running max moves and the sums are rescaled; one NaN (padding).
    for (let i = 0; i < rows * n; i++) y[i] = Math.fround((r() * 2 - 1) * 3 + c * 1.5 - (i % 17 === 0 ? 90 : 0));
    if (c === calls - 1) y[rows * n - 1] = NaN;
    for (let i = 0; i < rows; i++) all[i].push(...y.subarray(i * n, (i + 1) * n));
    ex.lens_scan(yAt, rows, n, n * 4, stAt, thAt, cAt, cap, c * n);
  }
  for (let i = 0; i < rows; i++) {
    const vals = all[i].filter((v) => !Number.isNaN(v));
    const m = Math.max(...vals);
    let z = 0, w = 0, v2 = 0;
    for (const v of vals) {
      const sv = Math.max(v - m, LENS_EXP_FLOOR), e = Math.exp(sv);
      z += e;
      w += e * sv;
      v2 += e * sv * sv;
    }
    assert.equal(st[i * 4], m, `row ${i} max`);
    assert.ok(Math.abs(st[i * 4 + 1] - z) < 1e-6 * z, `row ${i} Z ${st[i * 4 + 1]} vs ${z}`);
    assert.ok(Math.abs(st[i * 4 + 2] - w) < 1e-5 * Math.abs(w) + 1e-9, `row ${i} W ${st[i * 4 + 2]} vs ${w}`);
    assert.ok(Math.abs(st[i * 4 + 3] - v2) < 1e-5 * v2 + 1e-9, `row ${i} V ${st[i * 4 + 3]} vs ${v2}`);
  }
  const cand = new Int32Array(buf(), cAt, (rows * candStride) / 4);
  const candF = new Float32Array(buf(), cAt, (rows * candStride) / 4);
  const above = all[0].map((v, id) => [v, id]).filter(([v]) => v >= 2.5);
  assert.equal(cand[0], above.length, 'row 0 counts every value ≥ its threshold');
  const kept = Math.min(cap, above.length);
  for (let j = 0; j < kept; j++) {
    assert.equal(cand[2 + 2 * j], above[j][1]);
    assert.equal(candF[3 + 2 * j], above[j][0]);
  }
  assert.equal(cand[candStride / 4], 0, 'a threshold of +∞ keeps nothing');
  assert.equal(cand[(2 * candStride) / 4], calls * n - 1, 'a threshold of −∞ counts every value but the NaN padding');
});

/** The naive reference of one lens row in float64: RMSNorm × weight, every logit by a plain loop, full sort. */
function referenceRow(h: Float32Array, normW: Float32Array, head: Float32Array, vocab: number, topK: number): { ids: number[]; probs: number[]; entropy: number } {
  const H = h.length;
  const rows = Array.from({ length: vocab }, (_, o) => Array.from(head.subarray(o * H, (o + 1) * H)));
  const normed = (x: number[]): number[] => {
    const ms = x.reduce((s, v) => s + v * v, 0) / H;
    return x.map((v, i) => (v / Math.sqrt(ms + 1e-5)) * normW[i]);
  };
  return lensReferenceRow(Array.from(h), normed, rows, topK);
}

async function residuals(model: Model, ids: number[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  await forward(model, ids, { logits: 'none', hooks: { residual: (l, x) => { out[l] = Float32Array.from(x); } } });
  return out;
}

/** Asserts the int16 lens against the naive reference within the bounds it reports (plus float32 output rounding). */
function assertWithinBounds(lens: LogitLens, res: Float32Array[], normW: Float32Array, head: Float32Array, vocab: number, positions: number[], topK: number): void {
  const H = normW.length;
  const probTol = (lens.maxProbError ?? 0) + 1e-6;
  const entTol = (lens.maxEntropyError ?? 0) + 1e-5;
  for (let l = 0; l < res.length; l++) {
    positions.forEach((pos, r) => {
      const want = referenceRow(res[l].subarray(pos * H, (pos + 1) * H), normW, head, vocab, topK);
      for (let j = 0; j < topK; j++) {
        const got = lens.probs[l][r * topK + j];
        assert.ok(Math.abs(got - want.probs[j]) <= probTol, `layer ${l} position ${pos} rank ${j}: ${got} vs ${want.probs[j]} (bound ${probTol})`);
        // Exact ids: only a tie within float32 error may swap two.
        if (j + 1 < topK && want.probs[j] - want.probs[j + 1] > 1e-6 * want.probs[j] && (j === 0 || want.probs[j - 1] - want.probs[j] > 1e-6 * want.probs[j])) {
          assert.equal(lens.ids[l][r * topK + j], want.ids[j], `layer ${l} position ${pos} rank ${j} id`);
        }
      }
      assert.ok(Math.abs(lens.entropy[l][r] - want.entropy) <= entTol, `entropy layer ${l} position ${pos}: ${lens.entropy[l][r]} vs ${want.entropy} (bound ${entTol})`);
    });
  }
}

for (const tied of [false, true]) {
  test(`logit lens in int16 (Llama, ${tied ? 'tied embeddings' : 'separate lm_head'}, 3,000-token vocabulary): exact top-k ids, probabilities and entropy within the reported bounds of the naive float64 unembedding`, { skip: !simd }, async () => {
    const spec = { layers: 2, hidden: 48, heads: 4, kvHeads: 2, intermediate: 64, vocab: 3001, ropeTheta: 10000, qkvBias: false, dtype: 'F32' as const, tied, seed: tied ? 41 : 42 };
    const { dir, ref } = makeLlama(spec);
    for (const threads of [1, 2]) {
      useMatmulThreads(threads);
      try {
        const model = await loadModel(dir);
        const resident = model.residentBytes;
        const r = rng(7);
        const ids = Array.from({ length: 12 }, () => Math.floor(r() * spec.vocab));
        const positions = [11, 0, 6, 7];
        const topK = 8;
        const lens = await logitLens(model, ids, { topK, positions, precision: 'int16' });
        assert.ok((lens.maxLogitError ?? 0) > 0 && (lens.maxLogitError ?? 0) <= LOGIT_LENS_MAX_LOGIT_ERROR, `an int16 lens reports its logit bound (${lens.maxLogitError})`);
        // The int16 head is counted in the model's memory: vocabulary (to 4) × hidden (to 8) int16 + a float32 scale per row.
        assert.equal(model.residentBytes - resident, 3004 * 48 * 2 + 3004 * 4);
        const head = Float32Array.from((tied ? ref.embed : ref.lmHead).flat());
        assertWithinBounds(lens, await residuals(model, ids), Float32Array.from(ref.finalNorm), head, spec.vocab, positions, topK);
        // The same ids as the float32 lens, which reports no error.
        const f32 = await logitLens(model, ids, { topK, positions, precision: 'f32' });
        assert.equal(f32.maxLogitError, 0);
        assert.deepEqual(lens.ids.map((a) => Array.from(a)), f32.ids.map((a) => Array.from(a)));
      } finally {
        useMatmulThreads(1);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
}

test('logit lens in int16 over more rows than one block of the kernel (2 layers × 150 positions, 2 threads): the float32 lens\'s ids, probabilities and entropies within the bounds', { skip: !simd }, async () => {
  const spec = { layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 40, vocab: 2100, ropeTheta: 10000, qkvBias: false, dtype: 'F32' as const, tied: true, seed: 43 };
  const { dir } = makeLlama(spec);
  useMatmulThreads(2);
  try {
    const model = await loadModel(dir);
    const r = rng(9);
    const ids = Array.from({ length: 150 }, () => Math.floor(r() * spec.vocab));
    const lens = await logitLens(model, ids, { topK: 5, precision: 'int16' });
    const f32 = await logitLens(model, ids, { topK: 5, precision: 'f32' });
    assert.ok((lens.maxLogitError ?? 0) > 0, 'the int16 path ran');
    for (let l = 0; l < spec.layers; l++) {
      assert.deepEqual(Array.from(lens.ids[l]), Array.from(f32.ids[l]), `layer ${l} ids`);
      lens.probs[l].forEach((p, i) => assert.ok(Math.abs(p - f32.probs[l][i]) <= (lens.maxProbError ?? 0) + 1e-6, `layer ${l} probability ${i}`));
      lens.entropy[l].forEach((e, i) => assert.ok(Math.abs(e - f32.entropy[l][i]) <= (lens.maxEntropyError ?? 0) + 1e-5, `layer ${l} entropy ${i}`));
    }
  } finally {
    useMatmulThreads(1);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logit lens in int16: rows whose candidates overflow (a head of identical rows: every logit ties) are redone exactly, lower id first', { skip: !simd }, async () => {
  const spec = { layers: 1, hidden: 16, heads: 2, kvHeads: 1, intermediate: 24, vocab: 2500, ropeTheta: 10000, qkvBias: false, dtype: 'F32' as const, tied: false, seed: 5 };
  const { dir } = makeLlama(spec);
  try {
    const model = await loadModel(dir);
    const head = model.weights.lmHead.data as Float32Array;
    // Every row from id 100 on equals row 99, and row 99 is the largest: ids 99… tie for the top.
    for (let o = 100; o < spec.vocab; o++) head.copyWithin(o * 16, 99 * 16, 100 * 16);
    const lens = await logitLens(model, [1, 2, 3], { topK: 4, positions: [2], precision: 'int16' });
    const f32 = await logitLens(model, [1, 2, 3], { topK: 4, positions: [2], precision: 'f32' });
    assert.deepEqual(Array.from(lens.ids[0]), Array.from(f32.ids[0]));
    lens.probs[0].forEach((p, j) => assert.ok(Math.abs(p - f32.probs[0][j]) < 1e-6));
    assert.ok(Math.abs(lens.entropy[0][0] - f32.entropy[0][0]) < 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logit lens in int16 falls back to float32 (and reports no error) for a final soft-cap (Gemma 2) and for a logit bound over 0.01 nats', { skip: !simd }, async () => {
  const gemma = makeArch({ kind: 'gemma2', layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 50, ropeTheta: 10000, seed: 9, slidingWindow: 5, attnSoftcap: 20, finalSoftcap: 30 });
  try {
    const model = await loadModel(gemma.dir);
    const a = await logitLens(model, [3, 4, 5, 6], { topK: 3, precision: 'int16' });
    const b = await logitLens(model, [3, 4, 5, 6], { topK: 3, precision: 'f32' });
    assert.equal(a.maxLogitError, 0);
    assert.deepEqual(a.ids.map((x) => Array.from(x)), b.ids.map((x) => Array.from(x)));
    assert.deepEqual(a.probs.map((x) => Array.from(x)), b.probs.map((x) => Array.from(x)));
  } finally {
    rmSync(gemma.dir, { recursive: true, force: true });
  }
  const spec = { layers: 1, hidden: 64, heads: 2, kvHeads: 1, intermediate: 24, vocab: 1200, ropeTheta: 10000, qkvBias: false, dtype: 'F32' as const, tied: false, seed: 6 };
  const { dir } = makeLlama(spec);
  try {
    const model = await loadModel(dir);
    // Logits in the thousands: the int16 bound grows with them past 0.01 nats.
    const head = model.weights.lmHead.data as Float32Array;
    for (let i = 0; i < head.length; i++) head[i] *= 5000;
    const resident = model.residentBytes;
    const a = await logitLens(model, [1, 2, 3], { topK: 3, precision: 'int16' });
    assert.equal(a.maxLogitError, 0, 'the float32 path ran');
    assert.equal(model.residentBytes, resident, 'the int16 head that was too coarse was let go');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('logit lens in int16 on a GGUF Q8_0 model (a quantized LM head, decoded a row at a time for the re-score): the float32 lens\'s ids, probabilities and entropies within the bounds', { skip: !simd }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-lens16-'));
  try {
    const { ggufPath } = writeTinyModel(dir, { arch: 'llama', layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 1800, type: 'q8_0', seed: 12 }, 'lens-q8');
    const model = await loadModel(ggufPath);
    assert.equal(model.weights.lmHead.type, 'q8_0');
    const ids = [3, 17, 42, 8, 99, 5, 63, 21, 77, 1];
    const lens = await logitLens(model, ids, { topK: 6, precision: 'int16' });
    const f32 = await logitLens(model, ids, { topK: 6, precision: 'f32' });
    assert.ok((lens.maxLogitError ?? 0) > 0, 'the int16 path ran');
    for (let l = 0; l < 2; l++) {
      assert.deepEqual(Array.from(lens.ids[l]), Array.from(f32.ids[l]), `layer ${l} ids`);
      lens.probs[l].forEach((p, i) => assert.ok(Math.abs(p - f32.probs[l][i]) <= (lens.maxProbError ?? 0) + 1e-6, `layer ${l} probability ${i}`));
      lens.entropy[l].forEach((e, i) => assert.ok(Math.abs(e - f32.entropy[l][i]) <= (lens.maxEntropyError ?? 0) + 1e-5, `layer ${l} entropy ${i}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
