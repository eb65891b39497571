// The forward pass's work on the kernel's thread team (tensor/teamOps.ts, wasmMatmul.ts): attention heads, the
// gated MLP and q/k/v in one run (each optionally after the block's RMSNorm) and the LM head's one-row product run in the kernel's shared memory, split across 1, 2 or 3 threads.
// Each is compared bit for bit with the step-by-step path it replaces (the exported kernels: linearF32,
// softmaxInPlace, swiglu, geglu, matVec), and with a plain float64 reference written here from the math.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { gatherHead, geglu, rmsNorm, softmaxInPlace, swiglu, transpose } from '../../src/core/tensor/kernels';
import { linearF32, linearsF32, matVec, useMatmulThreads } from '../../src/core/tensor/matmul';
import { f32Weight } from '../../src/core/tensor/weights';
import { assemble, attentionWasm, gatedMlpWasm, linearsWasm, matVecWasm, placeInKernel } from '../../src/core/tensor/wasmMatmul';
import { OP_JS, startTeam } from '../../src/core/tensor/threads';
import { JS_MAT_VEC } from '../../src/core/tensor/teamOps';
import { heldWeightBytes } from '../../src/core/model/ggufModel';
import { loadModel } from '../../src/core/model/load';
import { forward } from '../../src/core/model/runtime';
import { makeArch } from './archFixtures';
import { makeLlama, referenceLlama, rng } from './attentionFixtures';

function random(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** Runs `body` on 1, 2 and 3 threads, back on 1 afterwards. */
function onThreads(body: (threads: number) => void): void {
  try {
    for (const threads of [1, 2, 3]) {
      assert.equal(useMatmulThreads(threads), threads);
      body(threads);
    }
  } finally {
    useMatmulThreads(1);
  }
}

function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.fail(`${what}: value ${i} is ${got[i]}, the step-by-step path gives ${want[i]}`);
}

interface AttnCase {
  name: string;
  T: number;
  P: number;
  start: number;
  heads: number;
  kvHeads: number;
  d: number;
  window?: number;
  softcap?: number;
}

const CASES: AttnCase[] = [
  { name: '128 tokens, 9 heads over 3 KV heads (SmolLM2-135M)', T: 128, P: 0, start: 0, heads: 9, kvHeads: 3, d: 64 },
  { name: 'odd lengths (T 37: padded rows and key columns)', T: 37, P: 0, start: 0, heads: 4, kvHeads: 2, d: 16 },
  { name: 'sliding window 7 and soft-cap 5', T: 40, P: 0, start: 0, heads: 4, kvHeads: 1, d: 32, window: 7, softcap: 5 },
  { name: 'after 21 cached positions, 3 dropped by a window of 20', T: 18, P: 21, start: 3, heads: 2, kvHeads: 2, d: 32, window: 20 },
];

/** The step-by-step path (runtime.ts attend + headAttention): per head, Q·Kᵀ, mask + softmax, ·V with the exported kernels. */
function stepByStep(c: AttnCase, q: Float32Array, k: Float32Array, v: Float32Array, scale: number): { probs: Float32Array[]; out: Float32Array } {
  const S = c.P + c.T - c.start;
  const out = new Float32Array(c.T * c.heads * c.d);
  const probs: Float32Array[] = [];
  for (let h = 0; h < c.heads; h++) {
    const g = Math.floor(h / (c.heads / c.kvHeads));
    const p = linearF32(gatherHead(q, c.T, c.heads, c.d, h), c.T, c.d, gatherHead(k, S, c.kvHeads, c.d, g), S);
    for (let i = 0; i < c.T; i++) {
      const row = i * S;
      const last = c.P + i - c.start;
      const first = c.window === undefined ? 0 : Math.max(0, c.P + i - c.window + 1 - c.start);
      if (c.softcap !== undefined) {
        for (let j = row + first; j <= row + last; j++) p[j] = c.softcap * Math.tanh((p[j] * scale) / c.softcap);
        softmaxInPlace(p, row + first, row + last + 1, 1);
      } else softmaxInPlace(p, row + first, row + last + 1, scale);
      p.fill(0, row, row + first);
      p.fill(0, row + last + 1, row + S);
    }
    const o = linearF32(p, c.T, S, transpose(gatherHead(v, S, c.kvHeads, c.d, g), S, c.d), c.d);
    for (let t = 0; t < c.T; t++) out.set(o.subarray(t * c.d, (t + 1) * c.d), (t * c.heads + h) * c.d);
    probs.push(p);
  }
  return { probs, out };
}

test('attention heads on the team equal the per-head path bit for bit (windows, soft-cap, cache offsets), on 1-3 threads', () => {
  for (const c of CASES) {
    const S = c.P + c.T - c.start;
    const q = random(c.T * c.heads * c.d, 1), k = random(S * c.kvHeads * c.d, 2), v = random(S * c.kvHeads * c.d, 3);
    const scale = 1 / Math.sqrt(c.d);
    const want = stepByStep(c, q, k, v, scale);
    onThreads((threads) => {
      const got = attentionWasm(q, c.T, k, v, S, c.P, c.start, c.heads, c.kvHeads, c.d, scale, c.window, c.softcap, true);
      assert.ok(got, `${c.name}: the kernel path applies`);
      got.probs.forEach((p, h) => assertSame(p, want.probs[h], `${c.name}, ${threads} threads, head ${h} probabilities`));
      assertSame(got.out, want.out, `${c.name}, ${threads} threads, head outputs`);
    });
  }
});

test('attention heads on the team match a float64 reference written from the formula', () => {
  const c = CASES[2];
  const S = c.T;
  const q = random(c.T * c.heads * c.d, 4), k = random(S * c.kvHeads * c.d, 5), v = random(S * c.kvHeads * c.d, 6);
  const scale = 1 / Math.sqrt(c.d);
  const got = attentionWasm(q, c.T, k, v, S, 0, 0, c.heads, c.kvHeads, c.d, scale, c.window, c.softcap, true);
  assert.ok(got);
  const cap = c.softcap as number, window = c.window as number;
  for (let h = 0; h < c.heads; h++) {
    const g = Math.floor(h / (c.heads / c.kvHeads));
    for (let i = 0; i < c.T; i++) {
      // Visible keys: i − window < j ≤ i; scores soft-capped after scaling, then softmax.
      const s: number[] = [];
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let e = 0; e < c.d; e++) dot += q[(i * c.heads + h) * c.d + e] * k[(j * c.kvHeads + g) * c.d + e];
        s.push(j <= i && i - j < window ? cap * Math.tanh((dot * scale) / cap) : -Infinity);
      }
      const max = Math.max(...s);
      const e = s.map((x) => Math.exp(x - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < S; j++) assert.ok(Math.abs(got.probs[h][i * S + j] - e[j] / sum) < 1e-6, `head ${h} query ${i} key ${j}`);
      for (let col = 0; col < c.d; col++) {
        let o = 0;
        for (let j = 0; j < S; j++) o += (e[j] / sum) * v[(j * c.kvHeads + g) * c.d + col];
        assert.ok(Math.abs(got.out[(i * c.heads + h) * c.d + col] - o) < 1e-5, `head ${h} query ${i} output ${col}`);
      }
    }
  }
});

test('the gated MLP on the team equals linear + swiglu / geglu + linear bit for bit, resident weights or not, on 1-3 threads', () => {
  const rows = 37, hidden = 64, inter = 160;
  const x = random(rows * hidden, 7);
  const gate = random(inter * hidden, 8, 0.2), up = random(inter * hidden, 9, 0.2), down = random(hidden * inter, 10, 0.2);
  const owner = {};
  const placed = placeInKernel([gate, up, down], owner);
  for (const act of ['swiglu', 'geglu'] as const) {
    const g = linearF32(x, rows, hidden, gate, inter);
    const u = linearF32(x, rows, hidden, up, inter);
    const want = linearF32(act === 'swiglu' ? swiglu(g, u) : geglu(g, u), rows, inter, down, hidden);
    const residual = random(rows * hidden, 20, 3);
    const normWeight = random(hidden, 21);
    const hn = rmsNorm(residual, rows, hidden, normWeight, 1e-6);
    const gn = linearF32(hn, rows, hidden, gate, inter);
    const un = linearF32(hn, rows, hidden, up, inter);
    const wantNormed = linearF32(act === 'swiglu' ? swiglu(gn, un) : geglu(gn, un), rows, inter, down, hidden);
    onThreads((threads) => {
      for (const [where, w] of [['copied', [gate, up, down]], ['resident', [gate, up, down].map((a) => placed.get(a) as Float32Array)]] as const) {
        const got = gatedMlpWasm(x, rows, hidden, w[0], w[1], w[2], inter, act);
        assert.ok(got);
        assertSame(got, want, `${act}, ${where} weights, ${threads} threads`);
      }
      // With the block's RMSNorm taken on the team first: as rmsNorm then the same products.
      const normed = gatedMlpWasm(residual, rows, hidden, gate, up, down, inter, act, { weight: normWeight, eps: 1e-6 });
      assert.ok(normed);
      assertSame(normed, wantNormed, `${act} after RMSNorm, ${threads} threads`);
    });
    // Against the formula: silu(g)·u or gelu_tanh(g)·u, then the down projection, in float64.
    const got = gatedMlpWasm(x, rows, hidden, gate, up, down, inter, act) as Float32Array;
    for (const r of [0, 17, 36]) {
      const a: number[] = [];
      for (let i = 0; i < inter; i++) {
        let gs = 0, us = 0;
        for (let e = 0; e < hidden; e++) {
          gs += x[r * hidden + e] * gate[i * hidden + e];
          us += x[r * hidden + e] * up[i * hidden + e];
        }
        const actv = act === 'swiglu' ? gs / (1 + Math.exp(-gs)) : 0.5 * gs * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (gs + 0.044715 * gs ** 3)));
        a.push(actv * us);
      }
      for (let o = 0; o < hidden; o++) {
        let y = 0;
        for (let i = 0; i < inter; i++) y += a[i] * down[o * inter + i];
        assert.ok(Math.abs(got[r * hidden + o] - y) < 1e-4, `${act} row ${r} output ${o}: ${got[r * hidden + o]} vs ${y}`);
      }
    }
  }
  assert.ok(owner);
});

test('q, k and v in one team run equal three linearF32 products (with biases) bit for bit, resident or copied, on 1-3 threads', () => {
  const rows = 45, hidden = 96;
  const x = random(rows * hidden, 13);
  const ws = [random(96 * hidden, 14, 0.2), random(32 * hidden, 15, 0.2), random(32 * hidden, 16, 0.2)];
  const biases = [random(96, 17), undefined, random(32, 18)];
  const matrices = ws.map((w, i) => f32Weight(w, [96, 32, 32][i], hidden));
  const owner = {};
  const placed = placeInKernel(ws, owner);
  const resident = matrices.map((m) => f32Weight(placed.get(m.data as Float32Array) as Float32Array, m.rows, m.cols));
  const want = matrices.map((m, i) => linearF32(x, rows, hidden, m.data as Float32Array, m.rows, biases[i]));
  const normWeight = random(hidden, 19);
  const h = rmsNorm(x, rows, hidden, normWeight, 1e-5);
  const wantNormed = matrices.map((m, i) => linearF32(h, rows, hidden, m.data as Float32Array, m.rows, biases[i]));
  onThreads((threads) => {
    for (const [where, ms] of [['copied', matrices], ['resident', resident]] as const) {
      const got = linearsF32(x, rows, ms, biases);
      assert.ok(got);
      got.forEach((y, i) => assertSame(y, want[i], `${where}, ${threads} threads, product ${i}`));
    }
    // The block's input RMSNorm taken on the team first: the same values as rmsNorm, then the products.
    const normed = linearsF32(x, rows, resident, biases, { weight: normWeight, eps: 1e-5 });
    // One thread: left to the caller (kernels.ts rmsNorm is as fast there and saves a copy).
    if (threads === 1) assert.equal(normed, undefined);
    const normedHere = linearsWasm(x, rows, hidden, resident.map((m) => m.data as Float32Array), [96, 32, 32], { weight: normWeight, eps: 1e-5 });
    assert.ok(normedHere);
    normedHere.forEach((y, i) => {
      const bias = biases[i];
      if (bias) for (let r = 0; r < rows; r++) for (let o = 0; o < y.length / rows; o++) y[r * (y.length / rows) + o] += bias[o];
    });
    (normed ?? normedHere).forEach((y, i) => assertSame(y, wantNormed[i], `RMSNorm first, ${threads} threads, product ${i}`));
  });
  assert.ok(owner);
});

test('the one-row product over a resident matrix (the LM head) equals matVec bit for bit on 1-3 threads; not resident: undefined', () => {
  const inDim = 96, outDim = 30001;
  const x = random(inDim, 11);
  const w = random(outDim * inDim, 12, 0.1);
  const owner = {};
  const resident = placeInKernel([w], owner).get(w) as Float32Array;
  assertSame(resident, w, 'the resident copy');
  const want = matVec(x, inDim, w, outDim);
  onThreads((threads) => assertSame(matVecWasm(x, inDim, resident, outDim) as Float32Array, want, `${threads} threads`));
  assert.equal(matVecWasm(x, inDim, w, outDim), undefined);
  assert.ok(owner);
});

test('a loaded model keeps its resident byte count with its weights in the kernel memory; tied weights stay one block', async () => {
  const { dir } = makeArch({ kind: 'gemma2', layers: 2, hidden: 64, heads: 4, kvHeads: 2, headDim: 16, intermediate: 96, vocab: 90, ropeTheta: 10000, seed: 9, slidingWindow: 6, attnSoftcap: 20, finalSoftcap: 30, tied: true });
  try {
    const model = await loadModel(dir);
    assert.equal(model.weights.embed.data, model.weights.lmHead.data);
    // Every parameter held once as float32: moving weights into the kernel changes where, not how much.
    assert.equal(model.residentBytes, model.parameters * 4);
    assert.equal(heldWeightBytes(model.weights), model.residentBytes);
    // Gemma 2's soft-caps and alternating window with a KV cache, on 1-3 threads: identical.
    const ids = Array.from({ length: 48 }, (_, i) => (i * 31 + 7) % 90);
    let first: Float32Array | undefined;
    for (const threads of [1, 2, 3]) {
      useMatmulThreads(threads);
      const run = await forward(model, ids, { logits: 'all', keepProbs: true });
      if (!first) first = run.logits;
      else assertSame(run.logits, first, `${threads} threads`);
    }
  } finally {
    useMatmulThreads(1);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Llama forward pass large enough for the team paths matches the float64 reference model, on 1 and 2 threads', async () => {
  // 40 tokens × head size 16 × 40 keys and 40 × 64 × 128 multiply-adds: attention, the gated MLP and the
  // resident LM head all take the kernel paths above (the small models of the other runtime tests do not).
  const { dir, ref } = makeLlama({ layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 70, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 21 });
  try {
    const model = await loadModel(dir);
    const ids = Array.from({ length: 40 }, (_, i) => (i * 13 + 5) % 70);
    const want = referenceLlama(ref, ids);
    const scale = Math.max(...want.logits.map(Math.abs));
    for (const threads of [1, 2]) {
      useMatmulThreads(threads);
      const run = await forward(model, ids, { logits: 'last', keepProbs: true });
      for (let i = 0; i < want.logits.length; i++) assert.ok(Math.abs(run.logits[i] - want.logits[i]) <= 1e-5 * scale, `${threads} threads, logit ${i}: ${run.logits[i]} vs ${want.logits[i]}`);
      for (let l = 0; l < 2; l++) {
        for (let h = 0; h < 4; h++) {
          const p = run.probs?.[l][h] as Float32Array;
          want.probs[l][h].forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(p[i * 40 + j] - v) <= 1e-5, `${threads} threads, layer ${l} head ${h} (${i}, ${j})`)));
        }
      }
    }
  } finally {
    useMatmulThreads(1);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker whose operation throws is reported to the caller, who is not left waiting, and the team goes on working', () => {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 64, shared: true });
  const team = startTeam(new WebAssembly.Module(assemble(true) as Uint8Array<ArrayBuffer>), memory, 1, []);
  try {
    let ranHere = false;
    // OP_JS with no such operation: the worker's runOp throws.
    assert.throws(() => team.run([[OP_JS, 99]], () => { ranHere = true; }), /worker thread failed/);
    assert.ok(ranHere);
    // A valid operation afterwards: the worker counts 8 chunks with this thread (a one-row product of zeros).
    const f = new Float32Array(memory.buffer);
    f.fill(1, 64, 64 + 8 * 16 * 2);
    const op = [OP_JS, JS_MAT_VEC, 0, 256, 256 + 64, 4096, 16, 8, 1];
    new Int32Array(memory.buffer)[0] = 0;
    team.run([op], () => undefined);
    assert.equal(new Int32Array(memory.buffer)[0] >= 8, true, 'every chunk was claimed');
    assert.deepEqual(Array.from(f.subarray(1024, 1032)), [16, 16, 16, 16, 16, 16, 16, 16]);
  } finally {
    team.stop();
  }
});
