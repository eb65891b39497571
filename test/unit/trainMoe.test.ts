import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBalancingLoss, moeBackward, moeForward, routeTopK, type ExpertWeights } from '../../src/core/train/moe';
import { initParams, paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../../src/core/train/model';
import { Prng } from '../../src/core/train/prng';

const rng = new Prng(99);
const rand = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => rng.normal() * scale);

function assertNear(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('router: softmax, the top-k in order, renormalised weights (hand-computed)', () => {
  const r = routeTopK([1, 2, 0, 3], 1, 4, 2);
  const z = Math.exp(1) + Math.exp(2) + Math.exp(0) + Math.exp(3);
  assertNear(r.probs[3], Math.exp(3) / z, 1e-12, 'p3');
  assert.deepEqual(Array.from(r.experts), [3, 1]);
  assertNear(r.weights[0], Math.exp(3) / (Math.exp(3) + Math.exp(2)), 1e-12, 'w top-1');
  assertNear(r.weights[1], Math.exp(2) / (Math.exp(3) + Math.exp(2)), 1e-12, 'w top-2');
  // Ties go to the lower index; top-1 always has weight 1.
  const tie = routeTopK([0.5, 0.5, 0.1], 1, 3, 1);
  assert.deepEqual(Array.from(tie.experts), [0]);
  assert.equal(tie.weights[0], 1);
  assert.throws(() => routeTopK([0, 0], 1, 2, 3), /top-k must be between 1 and the number of experts/);
});

test('load-balancing loss: hand-computed value, k for a balanced router, E·k for a collapsed one', () => {
  // Two tokens, two experts, top-1. Token 0: logits (ln 3, 0) → p = (0.75, 0.25), expert 0; token 1: (0, ln 3) → expert 1.
  // f = (0.5, 0.5), P = (0.5, 0.5): E·Σ f·P = 2·(0.25 + 0.25) = 1 = k.
  const bal = routeTopK([Math.log(3), 0, 0, Math.log(3)], 2, 2, 1);
  assertNear(loadBalancingLoss(bal, 2, 2, 1).loss, 1, 1e-12, 'balanced');
  // Both tokens on expert 0: f = (1, 0), P = ((0.75 + 0.75)/2, …) → 2·0.75 = 1.5.
  const skew = routeTopK([Math.log(3), 0, Math.log(3), 0], 2, 2, 1);
  assertNear(loadBalancingLoss(skew, 2, 2, 1).loss, 1.5, 1e-12, 'skewed');
  // Near-certain collapse onto one of 4 experts with top-2: f = (1, 1, 0, 0) → 4·(1·~1 + 1·~0) ≈ 4 … bounded by E·k = 8.
  const col = routeTopK([50, 0, 0, 0, 50, 0, 0, 0], 2, 4, 2);
  const c = loadBalancingLoss(col, 2, 4, 2).loss;
  assertNear(c, 4, 1e-9, 'collapsed top-2');
});

test('load-balancing loss: its logit gradient matches finite differences (routing counts held fixed)', () => {
  const t = 5, e = 4, k = 2;
  const logits = rand(t * e);
  const base = routeTopK(logits, t, e, k);
  const { dLogits } = loadBalancingLoss(base, t, e, k);
  // Perturbing by 1e-6 does not change which experts win (no near-ties in these draws), so f stays fixed.
  for (let i = 0; i < logits.length; i++) {
    const keep = logits[i];
    logits[i] = keep + 1e-6;
    const up = loadBalancingLoss(routeTopK(logits, t, e, k), t, e, k).loss;
    logits[i] = keep - 1e-6;
    const down = loadBalancingLoss(routeTopK(logits, t, e, k), t, e, k).loss;
    logits[i] = keep;
    assertNear(dLogits[i], (up - down) / 2e-6, 1e-6, `dLogits[${i}]`);
  }
});

function experts(n: number, d: number, inter: number): ExpertWeights[] {
  return Array.from({ length: n }, () => ({ w1: rand(inter * d, 0.5), w2: rand(d * inter, 0.5), w3: rand(inter * d, 0.5) }));
}

test('MoE forward equals a plain loop over tokens: Σ_k w_k · w2(silu(w1·x) ⊙ w3·x)', () => {
  const t = 6, d = 5, inter = 7, E = 4, k = 2;
  const x = rand(t * d);
  const gate = rand(E * d);
  const ex = experts(E, d, inter);
  const { out } = moeForward(x, gate, ex, t, d, inter, k);
  for (let r = 0; r < t; r++) {
    const xr = x.subarray(r * d, r * d + d);
    const logits = Array.from({ length: E }, (_, e) => xr.reduce((s, v, j) => s + v * gate[e * d + j], 0));
    const route = routeTopK(logits, 1, E, k);
    const want = new Float64Array(d);
    for (let s = 0; s < k; s++) {
      const w = ex[route.experts[s]];
      const h = Array.from({ length: inter }, (_, i) => {
        const g = xr.reduce((acc, v, j) => acc + v * w.w1[i * d + j], 0);
        const u = xr.reduce((acc, v, j) => acc + v * w.w3[i * d + j], 0);
        return (g / (1 + Math.exp(-g))) * u;
      });
      for (let j = 0; j < d; j++) want[j] += route.weights[s] * h.reduce((acc, v, i) => acc + v * w.w2[j * inter + i], 0);
    }
    for (let j = 0; j < d; j++) assertNear(out[r * d + j], want[j], 1e-10, `out[${r},${j}]`);
  }
});

test('MoE backward matches finite differences for x, the gate and every expert weight (with the aux loss)', () => {
  const t = 7, d = 4, inter = 6, E = 4, k = 2, auxScale = 0.3;
  const x = rand(t * d);
  const gate = rand(E * d);
  const ex = experts(E, d, inter);
  const dOut = rand(t * d);
  const objective = (): number => {
    const { out, cache } = moeForward(x, gate, ex, t, d, inter, k);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * dOut[i];
    return s + auxScale * loadBalancingLoss(cache.routing, t, E, k).loss;
  };
  const { cache } = moeForward(x, gate, ex, t, d, inter, k);
  const aux = loadBalancingLoss(cache.routing, t, E, k);
  for (let i = 0; i < aux.dLogits.length; i++) aux.dLogits[i] *= auxScale;
  const dGate = new Float64Array(gate.length);
  const dEx = ex.map((w) => ({ w1: new Float64Array(w.w1.length), w2: new Float64Array(w.w2.length), w3: new Float64Array(w.w3.length) }));
  const dx = moeBackward(dOut, cache, gate, ex, dGate, dEx, t, d, inter, k, aux.dLogits);
  const check = (param: Float64Array, grad: ArrayLike<number>, what: string): void => {
    let nonzero = 0;
    for (let i = 0; i < param.length; i++) {
      const keep = param[i];
      param[i] = keep + 1e-6;
      const up = objective();
      param[i] = keep - 1e-6;
      const down = objective();
      param[i] = keep;
      const num = (up - down) / 2e-6;
      if (num !== 0) nonzero++;
      assertNear(grad[i], num, 1e-5, `${what}[${i}]`);
    }
    assert.ok(nonzero > 0, `${what}: the check saw a gradient`);
  };
  check(x, dx, 'dx');
  check(gate, dGate, 'dGate');
  ex.forEach((w, e) => {
    check(w.w1 as Float64Array, dEx[e].w1, `expert ${e} w1`);
    check(w.w2 as Float64Array, dEx[e].w2, `expert ${e} w2`);
    check(w.w3 as Float64Array, dEx[e].w3, `expert ${e} w3`);
  });
});

test('gradient check: a whole Mixtral-layout model (CE + aux loss) in float64, every tensor', () => {
  const cfg: TrainModelConfig = {
    vocabSize: 11, hiddenSize: 8, layers: 2, qHeads: 4, kvHeads: 2, headDim: 4, intermediateSize: 6,
    ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 16, moe: { experts: 4, topK: 2, auxCoef: 0.05 },
  };
  const layout = paramLayout(cfg);
  assert.ok(layout.byName.has('model.layers.1.block_sparse_moe.experts.3.w2.weight'));
  assert.ok(!layout.byName.has('model.layers.0.mlp.gate_proj.weight'));
  const params = new Float64Array(layout.total);
  initParams(cfg, layout, 3, params);
  for (let i = 0; i < params.length; i++) params[i] += rng.normal() * 0.3;
  const ids = [1, 5, 3, 3, 9, 0];
  const targets = [5, 3, -1, 9, 0, 2];
  const gradScale = 0.25;
  const grads = new Float64Array(layout.total);
  sequenceForwardBackward(cfg, layout, params, ids, targets, grads, gradScale);
  const f = (): number => {
    const r = sequenceForwardBackward(cfg, layout, params, ids, targets);
    // The objective the backward pass differentiates: scaled CE plus auxCoef × aux per sequence (gradScale·t).
    return r.lossSum * gradScale + (cfg.moe?.auxCoef ?? 0) * gradScale * ids.length * (r.auxLoss ?? 0);
  };
  for (const slot of layout.slots) {
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

test('an ignored target (−1) adds neither loss nor gradient', () => {
  const cfg: TrainModelConfig = {
    vocabSize: 11, hiddenSize: 8, layers: 1, qHeads: 2, kvHeads: 1, headDim: 4, intermediateSize: 6,
    ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 16,
  };
  const layout = paramLayout(cfg);
  const params = new Float64Array(layout.total);
  initParams(cfg, layout, 4, params);
  const all = sequenceForwardBackward(cfg, layout, params, [1, 2, 3], [2, 3, 4]);
  const masked = sequenceForwardBackward(cfg, layout, params, [1, 2, 3], [2, -1, 4]);
  const middle = sequenceForwardBackward(cfg, layout, params, [1, 2, 3], [-1, 3, -1]);
  assert.equal(all.counted, 3);
  assert.equal(masked.counted, 2);
  assertNear(masked.lossSum + middle.lossSum, all.lossSum, 1e-12, 'losses add up');
  const g = new Float64Array(layout.total);
  sequenceForwardBackward(cfg, layout, params, [1, 2, 3], [-1, -1, -1], g, 1);
  assert.ok(g.every((v) => v === 0));
});
