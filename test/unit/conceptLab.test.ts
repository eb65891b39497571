import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir } from '../../src/core/paths';
import { loadModel } from '../../src/core/model/load';
import { forward, ropeInverseFrequencies } from '../../src/core/model/runtime';
import type { ModelConfig } from '../../src/core/model/config';
import { extendedInverseFrequencies, llama3Bands, ropeAngleTable, ropeDecayBound, ropePairFrequencies, ropeWavelengths } from '../../src/core/concepts/rope';
import { layerRopeTables } from '../../src/core/concepts/qkDistance';
import { activationCurves, gateSparsity, geluErf, histogram, normStats, silu } from '../../src/core/concepts/normMlp';
import { attentionMask, visibleKeys } from '../../src/core/concepts/masks';
import { probeConcepts } from '../../src/core/concepts/probe';
import { bigramLoss, loadParamsIntoModel, textLoss, trainOnText } from '../../src/core/concepts/liveTraining';
import { loadTrainModel } from '../../src/core/train/hf';
import { paramLayout } from '../../src/core/train/model';
import { applyRope } from '../../src/core/tensor/kernels';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('RoPE pair frequencies and wavelengths are θ^(−2i/d) and 2π·θ^(2i/d)', () => {
  const inv = ropePairFrequencies(128, 10000);
  assert.equal(inv.length, 64);
  close(inv[0], 1, 1e-12, 'ω0');
  close(inv[63], 10000 ** (-126 / 128), 1e-12, 'ω63');
  const wl = ropeWavelengths(inv);
  close(wl[0], 2 * Math.PI, 1e-12, 'λ0');
  close(wl[32], 2 * Math.PI * 10000 ** (64 / 128), 1e-12, 'λ32');
  const angles = ropeAngleTable(inv, 10);
  close(angles[3 * 64 + 0], 3 % (2 * Math.PI), 1e-6, 'angle p=3 i=0');
  close(angles[9 * 64 + 0], 9 - 2 * Math.PI, 1e-6, 'angle p=9 i=0 wraps');
  close(angles[9 * 64 + 10], 9 * 10000 ** (-20 / 128), 1e-6, 'angle p=9 i=10');
});

test('linear interpolation divides every frequency by s; NTK-aware keeps the first pair and slows the last by exactly s', () => {
  const d = 128;
  const base = ropePairFrequencies(d, 10000);
  const ext = { factor: 4, originalContext: 4096 };
  const linear = extendedInverseFrequencies('linear', d, 10000, ext).inverseFrequencies;
  for (let i = 0; i < 64; i++) close(linear[i], base[i] / 4, 1e-12, `linear ${i}`);
  const ntk = extendedInverseFrequencies('ntk', d, 10000, ext).inverseFrequencies;
  close(ntk[0], 1, 1e-12, 'ntk first pair');
  close(ntk[63], base[63] / 4, 1e-9, 'ntk last pair');
  assert.ok(ntk[32] < base[32] && ntk[32] > base[32] / 4, 'ntk middle pair is between');
  // Dynamic NTK: base θ·(s·n/L − (s − 1))^(d/(d−2)); at n = L it is the default, at n = s·L the base is θ·(s² − s + 1)^(d/(d−2)).
  const atL = extendedInverseFrequencies('dynamic', d, 10000, { ...ext, seqLen: 4096 }).inverseFrequencies;
  for (let i = 0; i < 64; i++) close(atL[i], base[i], 1e-12, `dynamic at L ${i}`);
  const atSL = extendedInverseFrequencies('dynamic', d, 10000, ext).inverseFrequencies;
  close(atSL[63], (10000 * 13 ** (128 / 126)) ** (-126 / 128), 1e-9, 'dynamic at s·L');
});

test('YaRN: pairs under 20 kept, from 46 on interpolated, a linear ramp between (Llama 2 shape, s = 4), attention × (0.1·ln s + 1)', () => {
  // By hand from the YaRN paper's definitions: find_correction_dim(32 turns) = 128·ln(4096/(64π))/(2·ln 10000) = 20.95 → 20;
  // find_correction_dim(1 turn) = 128·ln(4096/(2π))/(2·ln 10000) = 45.03 → 46.
  const d = 128;
  const base = ropePairFrequencies(d, 10000);
  const { inverseFrequencies: y, attentionFactor } = extendedInverseFrequencies('yarn', d, 10000, { factor: 4, originalContext: 4096 });
  for (let i = 0; i <= 20; i++) close(y[i], base[i], 1e-12, `kept ${i}`);
  for (let i = 46; i < 64; i++) close(y[i], base[i] / 4, 1e-12, `interpolated ${i}`);
  const ramp = (33 - 20) / 26;
  close(y[33], base[33] / 4 * ramp + base[33] * (1 - ramp), 1e-12, 'ramp at 33');
  close(attentionFactor, 0.1 * Math.log(4) + 1, 1e-12, 'attention factor');
});

test('Llama 3 scaling equals the runtime\'s (Llama 3.1: θ 500000, s 8, bands at L/4 and L)', () => {
  const d = 128;
  const ext = { factor: 8, originalContext: 8192, lowFreqFactor: 1, highFreqFactor: 4 };
  const mine = extendedInverseFrequencies('llama3', d, 500000, ext).inverseFrequencies;
  const config = { headDim: d, ropeTheta: 500000, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } } as unknown as ModelConfig;
  const runtime = ropeInverseFrequencies(config);
  for (let i = 0; i < 64; i++) close(mine[i], runtime[i], 1e-12, `pair ${i}`);
  const base = ropePairFrequencies(d, 500000);
  const bands = llama3Bands(d, 500000, ext);
  bands.forEach((band, i) => {
    const wl = (2 * Math.PI) / base[i];
    if (wl < 2048) assert.equal(band, 'high');
    else if (wl > 8192) assert.equal(band, 'low');
    else assert.equal(band, 'mid');
    if (band === 'high') close(mine[i], base[i], 1e-12);
    if (band === 'low') close(mine[i], base[i] / 8, 1e-12);
  });
  assert.ok(bands.includes('high') && bands.includes('mid') && bands.includes('low'));
});

test('the decay bound starts at (d/2 + 1)/2, falls with distance, and bounds |Σ h_i e^{irω_i}| as RoFormer §3.4.3 states', () => {
  const inv = ropePairFrequencies(128, 10000);
  const bound = ropeDecayBound(inv, 400);
  close(bound[0], 32.5, 1e-12, 'r = 0');
  const mean = (a: number, b: number): number => bound.slice(a, b).reduce((s, v) => s + v, 0) / (b - a);
  assert.ok(mean(1, 10) > mean(100, 200) && mean(100, 200) > mean(300, 400), 'decays');
  // Abel summation with h_{d/2} = 0: |Σ h_i e^{irω_i}| ≤ max|h_{i+1} − h_i| · Σ_{j=1..d/2} |S_j| = max diff · (d/2) · bound.
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const h = Array.from({ length: 65 }, (_, i) => (i === 64 ? 0 : rand()));
  let maxDiff = 0;
  for (let i = 0; i < 64; i++) maxDiff = Math.max(maxDiff, Math.abs(h[i + 1] - h[i]));
  for (let r = 0; r <= 400; r += 7) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < 64; i++) {
      re += h[i] * Math.cos(r * inv[i]);
      im += h[i] * Math.sin(r * inv[i]);
    }
    assert.ok(Math.hypot(re, im) <= maxDiff * 64 * bound[r] + 1e-9, `r = ${r}`);
  }
});

test('RMSNorm and LayerNorm statistics match a hand computation', () => {
  const s = normStats([1, 2, 3, 4], [1, 1, 2, 0.5], 0);
  close(s.mean, 2.5, 1e-12, 'mean');
  close(s.rms, Math.sqrt(7.5), 1e-12, 'rms');
  close(s.std, Math.sqrt(1.25), 1e-12, 'std');
  close(s.rmsNormalized, 1, 1e-7, 'normalised rms');
  const r = Math.sqrt(7.5);
  [1 / r, 2 / r, (3 / r) * 2, (4 / r) * 0.5].forEach((v, i) => close(s.rmsOut[i], v, 1e-6, `rms out ${i}`));
  const sd = Math.sqrt(1.25);
  [-1.5 / sd, -0.5 / sd, (0.5 / sd) * 2, (1.5 / sd) * 0.5].forEach((v, i) => close(s.layerOut[i], v, 1e-6, `layer out ${i}`));
  close(s.meanAfter, (1 / r + 2 / r + 6 / r + 2 / r) / 4, 1e-6, 'mean after');
  assert.equal(s.gainMin, 0.5);
  assert.equal(s.gainMax, 2);
  assert.ok(s.opsLayer > s.opsRms);
});

test('activations: SiLU, GELU and ReLU at known points; histogram and sparsity count every value', () => {
  close(silu(0), 0, 1e-12);
  close(silu(2), 2 / (1 + Math.exp(-2)), 1e-12);
  close(geluErf(1), 0.8413447460685429, 1e-6, 'gelu(1) = Φ(1)');
  const c = activationCurves(-6, 6, 121);
  close(c.x[60], 0, 1e-6);
  close(c.relu[0], 0, 0);
  close(c.gelu[120], 6, 1e-4);
  const hist = histogram([0, 0.5, 1, 1, -1], 4);
  assert.deepEqual(Array.from(hist.counts), [1, 0, 1, 3]);
  const sp = gateSparsity(new Float32Array([-1, 2, 3, -0.5]), new Float32Array([1, 1, 0, 1]), 2);
  close(sp.negative, 0.5, 1e-12);
  // Row 1: |h| = [0, |silu(-0.5)|]: the zero is under 1 % of the row's largest.
  close(sp.small, 0.25, 1e-12);
});

test('masks: causal, bidirectional, sliding window, left padding and encoder-decoder', () => {
  const count = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);
  assert.equal(count(attentionMask('causal', 6).allowed), 21);
  assert.equal(count(attentionMask('bidirectional', 6).allowed), 36);
  const sliding = attentionMask('sliding', 6, { window: 3 });
  assert.equal(count(sliding.allowed), 1 + 2 + 3 + 3 + 3 + 3);
  assert.deepEqual(visibleKeys(sliding, 5), [3, 4, 5]);
  const pad = attentionMask('padding', 3, { pad: 2 });
  assert.equal(pad.rows, 5);
  assert.deepEqual(visibleKeys(pad, 0), []);
  assert.deepEqual(visibleKeys(pad, 4), [2, 3, 4]);
  const ed = attentionMask('encoderDecoder', 5);
  assert.equal(ed.encoderTokens, 3);
  assert.deepEqual(visibleKeys(ed, 0), [0, 1, 2]);
  assert.deepEqual(visibleKeys(ed, 3), [0, 1, 2, 3]);
  assert.deepEqual(visibleKeys(ed, 4), [0, 1, 2, 3, 4]);
});

test('bigram baseline: add-one cross-entropy by hand', () => {
  close(bigramLoss([0, 1, 0, 1], 2), -(Math.log(0.75) + Math.log(2 / 3) + Math.log(0.75)) / 3, 1e-12);
});

const dir = embeddedModelDir();
const present = existsSync(join(dir, 'model.safetensors'));
const sample = 'function add(a: number, b: number): number {\n  return a + b;\n}\nconst total = add(1, 2);\n';

test('q·k by distance on the embedded model equals the forward pass\'s own q·k after RoPE, and the rotation is relative', { skip: !present && 'no embedded model' }, async () => {
  const model = await loadModel(dir);
  const ids = (model.tokenizer as NonNullable<typeof model.tokenizer>).encode(sample);
  const c = model.config;
  const layer = 1;
  const head = 3;
  const probe = await probeConcepts(model, ids, { layer, head, token: 2 });
  const qk = probe.qk;
  assert.ok(qk);
  const run = await forward(model, ids, { keepQkv: true, logits: 'none' });
  const { q, k } = (run.qkv as NonNullable<typeof run.qkv>)[layer];
  const d = c.headDim;
  const kvHead = Math.floor(head / (c.heads / c.kvHeads));
  const T = ids.length;
  for (const r of [0, 1, 5, T - 1]) {
    let sum = 0;
    let n = 0;
    for (let m = r; m < T; m++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += q[(m * c.heads + head) * d + i] * k[((m - r) * c.kvHeads + kvHead) * d + i];
      sum += s;
      n++;
    }
    close(qk.withRope[r], sum / n, 1e-4, `distance ${r}`);
    assert.equal(qk.pairs[r], n);
  }
  close(qk.fixedWithRope[0], qk.fixedWithoutRope, 1e-4, 'distance 0: no rotation');
  assert.ok(Math.abs(qk.withRope[3] - qk.withoutRope[3]) > 1e-6, 'rotation changes the scores');
  // Relative: the same q and k placed at positions (m + r, m) give the score at distance r, for any m.
  const qv = new Float32Array(2 * d);
  const kv = new Float32Array(2 * d);
  const m0 = 17;
  const r = 9;
  const tables = layerRopeTables(c, layer, 0, m0 + r + 1);
  const row = (t: { cos: Float64Array; sin: Float64Array; half: number }, p: number) => ({ cos: t.cos.slice(p * t.half, (p + 1) * t.half), sin: t.sin.slice(p * t.half, (p + 1) * t.half), half: t.half });
  const last = (T - 1) * c.heads + head;
  const qPre: number[] = [];
  const kPre: number[] = [];
  await forward(model, ids, { logits: 'none', hooks: { qkPreRope: (l, ql, kl) => { if (l === layer) { qPre.push(...ql.subarray(last * d, (last + 1) * d)); kPre.push(...kl.subarray(kvHead * d, (kvHead + 1) * d)); } } } });
  qv.set(qPre, 0);
  kv.set(kPre, 0);
  applyRope(qv.subarray(0, d), 1, 1, d, row(tables, m0 + r), false, c.block.ropeStyle);
  applyRope(kv.subarray(0, d), 1, 1, d, row(tables, m0), false, c.block.ropeStyle);
  let s = 0;
  for (let i = 0; i < d; i++) s += qv[i] * kv[i];
  close(s, qk.fixedWithRope[r], 1e-4, 'relative rotation');
});

test('the probe reads the layer\'s residual through RMSNorm and the SwiGLU values of one token', { skip: !present && 'no embedded model' }, async () => {
  const model = await loadModel(dir);
  const ids = (model.tokenizer as NonNullable<typeof model.tokenizer>).encode(sample);
  const c = model.config;
  const probe = await probeConcepts(model, ids, { layer: 2, head: 0, token: 4 });
  assert.equal(probe.normKind, 'rms');
  close(probe.norm.rmsNormalized, 1, 1e-3, 'x / rms(x) has rms 1');
  assert.equal(probe.norm.dim, c.hidden);
  const mlp = probe.mlp;
  assert.ok(mlp);
  assert.equal(mlp.token.gate.length, c.intermediate);
  for (let i = 0; i < 10; i++) close(mlp.token.product[i], silu(mlp.token.gate[i]) * mlp.token.up[i], 1e-5);
  assert.equal(mlp.gateHistogram.counts.reduce((a, b) => a + b, 0), ids.length * c.intermediate);
  // Layer 0 reads the embedding row itself.
  const first = await probeConcepts(model, ids, { layer: 0, head: 0, token: 4 });
  const row = new Float32Array(c.hidden);
  const emb = model.weights.embed.data as Float32Array;
  row.set(emb.subarray(ids[4] * c.hidden, (ids[4] + 1) * c.hidden));
  close(first.norm.rms, Math.sqrt(row.reduce((a, v) => a + v * v, 0) / c.hidden), 1e-6, 'embedding rms');
});

test('live training lowers the loss on the text and leaves the shipped weights unchanged', { skip: !present && 'no embedded model' }, async () => {
  const file = join(dir, 'model.safetensors');
  const hashBefore = createHash('sha256').update(readFileSync(file)).digest('hex');
  const { cfg, params } = loadTrainModel(dir);
  const initial = params.slice();
  const model = await loadModel(dir);
  const ids = (model.tokenizer as NonNullable<typeof model.tokenizer>).encode(sample);
  const seen: number[] = [];
  const result = trainOnText(cfg, params, ids, { steps: 20, onStep: (step, loss) => seen.push(step, loss) });
  assert.equal(result.stepLosses.length, 20);
  assert.equal(seen.length, 40);
  assert.ok(result.lossAfter < result.lossBefore - 0.2, `${result.lossBefore} → ${result.lossAfter}`);
  close(result.lossBefore, textLoss(cfg, paramLayout(cfg), initial, ids), 1e-9, 'before = loss of the shipped weights');
  assert.deepEqual(params, initial, 'the caller\'s weights are not trained in place');
  // The trained weights, copied into a private runtime Model, give the runtime the trained loss.
  loadParamsIntoModel(cfg, result.params, model);
  const run = await forward(model, ids, { logits: 'all' });
  let nll = 0;
  const V = model.config.vocab;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = run.logits.subarray(t * V, (t + 1) * V);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const z = row.reduce((a, b) => a + Math.exp(b - max), 0);
    nll += max + Math.log(z) - row[ids[t + 1]];
  }
  close(nll / (ids.length - 1), result.lossAfter, 1e-3, 'runtime loss with the trained weights');
  const cancelled = trainOnText(cfg, params, ids, { steps: 10, isCancelled: () => true });
  assert.equal(cancelled.cancelled, true);
  assert.equal(cancelled.stepLosses.length, 0);
  assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), hashBefore);
});
