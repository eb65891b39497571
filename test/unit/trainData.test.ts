import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawWindow, type DataMix } from '../../src/core/train/data';
import { initParams, paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../../src/core/train/model';
import { AdamW, clipGradNorm, learningRate } from '../../src/core/train/optim';
import { Prng } from '../../src/core/train/prng';

const stream = Int32Array.from({ length: 5000 }, (_, i) => 100 + (i % 97));

test('plain windows are the stream and its shift by one', () => {
  const w = drawWindow(new Prng(1), stream, 64, { randomRepeat: 0, randomInsert: 0, textRepeat: 0 }, 50, 1023);
  assert.equal(w.kind, 'text');
  for (let i = 0; i + 1 < 64; i++) assert.equal(w.targets[i], w.ids[i + 1]);
  assert.ok(w.ids.every((id) => id >= 100));
});

test('repeat windows: [BOS] r r …, the first copy unscored, every later token predictable from the first copy', () => {
  for (let seed = 0; seed < 30; seed++) {
    const w = drawWindow(new Prng(seed), stream, 256, { randomRepeat: 1, randomInsert: 0, textRepeat: 0 }, 50, 1023);
    assert.equal(w.kind, 'randomRepeat');
    assert.equal(w.ids[0], 1023);
    const firstScored = w.targets.findIndex((t) => t >= 0);
    const len = firstScored; // targets[i] is token i + 1: tokens 1 … len (the first copy) are unscored
    assert.ok(len >= 8 && len <= 64, `span length ${len}`);
    for (let i = 0; i < firstScored; i++) assert.equal(w.targets[i], -1);
    for (let i = firstScored; i < 256; i++) assert.equal(w.targets[i], w.ids[i + 1 - len], `position ${i} copies the span`);
    assert.ok(w.ids.slice(1).every((id) => id >= 0 && id < 50), 'only ordinary ids in the span');
  }
});

test('inserted and text-repeat windows contain a span that occurs twice; only the unpredictable part is unscored', () => {
  for (let seed = 0; seed < 30; seed++) {
    const ins = drawWindow(new Prng(seed), stream, 128, { randomRepeat: 0, randomInsert: 1, textRepeat: 0 }, 50, 1023);
    assert.equal(ins.kind, 'randomInsert');
    const randomPositions = [...ins.ids].map((id, i) => (id < 50 ? i : -1)).filter((i) => i >= 0);
    const n = randomPositions.length;
    assert.ok(n >= 8 && n % 2 === 0, `two copies of the random span (${n} positions)`);
    const unscored = [...ins.targets].filter((t) => t === -1).length;
    // Inputs are ids[0..127]; a copy may end at the last target, so count over ids + the final target.
    assert.ok(unscored >= n / 2 && unscored <= n / 2 + 1, `${unscored} unscored for a span of ${n / 2}`);

    const rep = drawWindow(new Prng(seed), stream, 128, { randomRepeat: 0, randomInsert: 0, textRepeat: 1 }, 50, 1023);
    assert.equal(rep.kind, 'textRepeat');
    assert.ok(rep.targets.every((t) => t >= 0), 'copied real text is all scored');
    assert.ok(rep.ids.every((id) => id >= 100), 'no random ids');
  }
});

test('the mix shares come out as asked', () => {
  const mix: DataMix = { randomRepeat: 0.1, randomInsert: 0.2, textRepeat: 0.3 };
  const rng = new Prng(5);
  const kinds: Record<string, number> = {};
  for (let i = 0; i < 4000; i++) {
    const k = drawWindow(rng, stream, 64, mix, 50, 1023).kind;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  assert.ok(Math.abs(kinds.randomRepeat / 4000 - 0.1) < 0.02);
  assert.ok(Math.abs(kinds.randomInsert / 4000 - 0.2) < 0.025);
  assert.ok(Math.abs(kinds.textRepeat / 4000 - 0.3) < 0.025);
  assert.ok(Math.abs(kinds.text / 4000 - 0.4) < 0.025);
});

/**
 * A small run of the trainer's recipe on one thread: windows from the seeded mix, two shards summed in order,
 * clipping, AdamW on the warm-up + cosine schedule (scripts/trainModel.ts does the same with two workers).
 */
function smallRun(cfg: TrainModelConfig, seed: number, steps: number): Float32Array {
  const layout = paramLayout(cfg);
  const params = new Float32Array(layout.total);
  initParams(cfg, layout, seed, params);
  const mask = new Uint8Array(layout.total);
  for (const s of layout.slots) if (s.shape.length === 2) mask.fill(1, s.offset, s.offset + s.size);
  const opt = new AdamW(layout.total, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, mask);
  const rng = new Prng(seed ^ 0x5eed);
  const tokens = Int32Array.from({ length: 800 }, (_, i) => (i * 7) % 13);
  const ctx = 16;
  const g0 = new Float32Array(layout.total);
  const g1 = new Float32Array(layout.total);
  const mix: DataMix = { randomRepeat: 0.25, randomInsert: 0.25, textRepeat: 0.25 };
  for (let step = 0; step < steps; step++) {
    const windows = Array.from({ length: 4 }, () => drawWindow(rng, tokens, ctx, mix, cfg.vocabSize - 1, cfg.vocabSize - 1));
    g0.fill(0);
    g1.fill(0);
    windows.forEach((w, i) => sequenceForwardBackward(cfg, layout, params, w.ids, w.targets, i < 2 ? g0 : g1, 1 / (4 * ctx)));
    for (let i = 0; i < g0.length; i++) g0[i] += g1[i];
    clipGradNorm(g0, 1);
    opt.update(params, g0, learningRate(step, { maxLr: 5e-3, minLr: 5e-4, warmupSteps: 2, totalSteps: steps }));
  }
  return params;
}

for (const moe of [false, true]) {
  test(`the same seed gives the same weights, another seed others (${moe ? 'MoE' : 'dense'}, small run)`, () => {
    const cfg: TrainModelConfig = {
      vocabSize: 16, hiddenSize: 16, layers: 2, qHeads: 4, kvHeads: 2, headDim: 4, intermediateSize: 12,
      ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 16, ...(moe ? { moe: { experts: 4, topK: 2, auxCoef: 0.01 } } : {}),
    };
    const a = smallRun(cfg, 7, 6);
    const b = smallRun(cfg, 7, 6);
    const c = smallRun(cfg, 8, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
}

test('a plain-text mix draws one start per window, as the trainer did before the mix (older recipes reproduce)', () => {
  const a = new Prng(42);
  const b = new Prng(42);
  for (let i = 0; i < 50; i++) {
    const w = drawWindow(a, stream, 128, { randomRepeat: 0, randomInsert: 0, textRepeat: 0 }, 50, 1023);
    const start = b.int(stream.length - 128 - 1);
    assert.deepEqual(Array.from(w.ids), Array.from(stream.subarray(start, start + 128)));
  }
});
