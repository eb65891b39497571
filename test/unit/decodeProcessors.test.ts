// The logit processors against hand-computed cases (transformers' logits_process.py semantics), and the seeded
// sampler's frequencies against a fixed distribution with a chi-square test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRepetitionPenalty, applyTemperature, drawFrom, entropy, minPFilter, processLogits, softmax, topKFilter, topPFilter } from '../../src/core/decode/processors';
import { Prng } from '../../src/core/train/prng';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);
const keptIds = (keep: Uint8Array): number[] => Array.from(keep).flatMap((k, i) => (k ? [i] : []));
/** Logits whose softmax is exactly `probs` (up to rounding). */
const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs.map(Math.log));

test('repetition penalty: seen tokens with a positive logit are divided by it, negative ones multiplied; others untouched', () => {
  const out = applyRepetitionPenalty(Float32Array.of(2, -1, 0.5, 3), [0, 1, 1], 2);
  assert.deepEqual(Array.from(out), [1, -2, 0.5, 3]);
  // A penalty below 1 rewards repetition the same way round.
  assert.deepEqual(Array.from(applyRepetitionPenalty(Float32Array.of(2, -1), [0, 1], 0.5)), [4, -0.5]);
});

test('temperature divides the logits: T = 2 flattens, T = 0.5 sharpens', () => {
  assert.deepEqual(Array.from(applyTemperature(Float32Array.of(2, 4), 2)), [1, 2]);
  const p = softmax(Float32Array.of(0, Math.log(3)));
  close(p[1], 0.75, 1e-6);
  const sharp = softmax(applyTemperature(Float32Array.of(0, Math.log(3)), 0.5));
  close(sharp[1], 0.9, 1e-6); // 3² / (1 + 3²)
});

test('top-k keeps the k best scores, ties with the k-th kept; k = 0 is off', () => {
  const s = Float32Array.of(1, 3, 2, 3, 0);
  const keep = (k: number): number[] => {
    const m = new Uint8Array(s.length).fill(1);
    topKFilter(s, m, k);
    return keptIds(m);
  };
  assert.deepEqual(keep(2), [1, 3]);
  assert.deepEqual(keep(3), [1, 2, 3]);
  assert.deepEqual(keep(1), [1, 3]); // both 3s tie with the best
  assert.deepEqual(keep(0), [0, 1, 2, 3, 4]);
  assert.deepEqual(keep(9), [0, 1, 2, 3, 4]);
});

test('top-p keeps the smallest set of best tokens whose probability reaches p, at least one', () => {
  const s = logitsOf([0.5, 0.3, 0.15, 0.05]);
  const keep = (p: number): number[] => {
    const m = new Uint8Array(s.length).fill(1);
    topPFilter(s, m, p);
    return keptIds(m);
  };
  assert.deepEqual(keep(0.7), [0, 1]); // 0.5 + 0.3 = 0.8 ≥ 0.7; 0.5 alone is not
  assert.deepEqual(keep(0.9), [0, 1, 2]); // 0.95
  assert.deepEqual(keep(0.4), [0]); // 0.5 alone reaches 0.4
  assert.deepEqual(keep(0.01), [0]); // never empty
  assert.deepEqual(keep(1), [0, 1, 2, 3]);
});

test('min-p removes tokens below min-p × the top probability', () => {
  const s = logitsOf([0.5, 0.3, 0.15, 0.05]);
  const keep = (p: number): number[] => {
    const m = new Uint8Array(s.length).fill(1);
    minPFilter(s, m, p);
    return keptIds(m);
  };
  assert.deepEqual(keep(0.2), [0, 1, 2]); // threshold 0.1
  assert.deepEqual(keep(0.7), [0]); // threshold 0.35
  assert.deepEqual(keep(0), [0, 1, 2, 3]);
});

test('processLogits: temperature runs before top-p (Hugging Face order) and the survivors are renormalised', () => {
  const probs = [0.5, 0.3, 0.15, 0.05];
  const p = processLogits(logitsOf(probs), [], { temperature: 2, topP: 0.7 });
  // T = 2: probabilities ∝ √p. Their sorted cumulative mass from the worst: 0.120, 0.328 → only the worst is cut,
  // whereas without the temperature top-p 0.7 would keep two tokens.
  const root = probs.map(Math.sqrt);
  const z = root.reduce((a, b) => a + b, 0);
  root.forEach((r, i) => close(p.probBefore[i], r / z, 1e-6));
  assert.deepEqual(Array.from(p.kept), [1, 1, 1, 0]);
  const kz = root[0] + root[1] + root[2];
  [0, 1, 2].forEach((i) => close(p.prob[i], root[i] / kz, 1e-6));
  assert.equal(p.prob[3], 0);
  assert.deepEqual(Array.from(processLogits(logitsOf(probs), [], { topP: 0.7 }).kept), [1, 1, 0, 0]);
  // The penalty runs first: token 0 seen with penalty 2 → its log-prob logit ln 0.5 < 0 is doubled to ln 0.25.
  const pen = processLogits(logitsOf(probs), [0], { repetitionPenalty: 2 });
  close(pen.scores[0], 2 * Math.log(0.5), 1e-6);
  // With every cut on: top-k 3 drops 0.05; top-p 0.9 over {0.5, 0.3, 0.15}/0.95 keeps all three (cum from worst 0.158 > 0.1);
  // min-p 0.4 then drops 0.15 (0.158 < 0.4 × 0.526).
  const all = processLogits(logitsOf(probs), [], { topK: 3, topP: 0.9, minP: 0.4 });
  assert.deepEqual(Array.from(all.kept), [1, 1, 0, 0]);
  close(all.prob[0], 0.625, 1e-6);
  close(entropy(all.prob), -(0.625 * Math.log(0.625) + 0.375 * Math.log(0.375)), 1e-6);
});

test('seeded sampler: 10,000 draws from a fixed distribution pass a chi-square test (3 d.o.f., critical 16.27 at p = 0.001); the seed repeats', () => {
  const probs = [0.5, 0.25, 0.15, 0.1];
  const counts = [0, 0, 0, 0];
  const prng = new Prng(1234);
  const N = 10000;
  for (let i = 0; i < N; i++) counts[drawFrom(probs, prng.next())]++;
  const chi2 = counts.reduce((s, c, i) => s + (c - N * probs[i]) ** 2 / (N * probs[i]), 0);
  assert.ok(chi2 < 16.27, `chi-square ${chi2.toFixed(2)} for counts ${counts.join(', ')}`);
  // Not degenerate: a sampler that always returned the mode would fail above; the same seed gives the same draws.
  const a = new Prng(7);
  const b = new Prng(7);
  const drawsA = Array.from({ length: 50 }, () => drawFrom(probs, a.next()));
  const drawsB = Array.from({ length: 50 }, () => drawFrom(probs, b.next()));
  assert.deepEqual(drawsA, drawsB);
  // Cut tokens (probability 0) are never drawn.
  const c = new Prng(3);
  for (let i = 0; i < 2000; i++) assert.notEqual(drawFrom([0.6, 0, 0.4, 0], c.next()) % 2, 1);
});
