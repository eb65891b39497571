// The runtime's hooks (residual stream, ablation, MLP gate/up, q/k before RoPE, routing) and incremental
// decoding with a KV cache, each against an independent computation: the tests' naive reference forward
// pass, hand-edited weights, or plain loops over the model's own weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { createKvCache, forward, nextTokenLogits, runAttention, unembed } from '../../src/core/model/runtime';
import { f32Weight } from '../../src/core/tensor/weights';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { packageRoot } from '../../src/core/paths';
import { makeGpt2, makeLlama, referenceLlama, rng, type LlamaSpec } from './attentionFixtures';

const small: Omit<LlamaSpec, 'seed'> = { layers: 3, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, vocab: 40, ropeTheta: 10000, tied: false, qkvBias: true, modelType: 'qwen2', dtype: 'F32' };

function randomIds(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function withModel(spec: Omit<LlamaSpec, 'seed'>, seed: number, body: (model: Model, ref: ReturnType<typeof makeLlama>['ref']) => Promise<void>, editConfig?: (c: Record<string, unknown>) => void): Promise<void> {
  const { dir, ref } = makeLlama({ ...spec, seed });
  try {
    if (editConfig) {
      const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      editConfig(c);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    }
    await body(await loadModel(dir), ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('residual hook: the final norm and unembedding of the stream after layer l equal the reference model cut after layer l (logit lens)', async () => {
  await withModel(small, 1, async (model, ref) => {
    const ids = randomIds(2, 7, small.vocab);
    const residuals: Float32Array[] = [];
    await forward(model, ids, { hooks: { residual: (_l, x) => residuals.push(x.slice()) } });
    assert.equal(residuals.length, small.layers);
    for (let l = 0; l < small.layers; l++) {
      const lens = unembed(model, residuals[l].subarray((ids.length - 1) * small.hidden), 1);
      const expected = referenceLlama({ ...ref, layers: ref.layers.slice(0, l + 1) }, ids).logits;
      const scale = Math.max(...expected.map(Math.abs));
      assert.ok(maxDiff(lens, expected) <= 1e-5 * scale, `layer ${l}: ${maxDiff(lens, expected)}`);
    }
  });
});

test('ablation: a zeroed head equals the run with that head\'s o_proj columns zeroed by hand; a zeroed layer equals o_proj all zero', async () => {
  await withModel({ ...small, qkvBias: false, modelType: 'llama' }, 3, async (model) => {
    const ids = randomIds(4, 8, small.vocab);
    const d = model.config.headDim;
    const layer = 1;
    const head = 2;
    const plain = await forward(model, ids, { logits: 'all' });
    const ablated = await forward(model, ids, { logits: 'all', keepProbs: true, hooks: { ablate: [{ layer, head }] } });
    const o = model.weights.layers[layer].o;
    const edited = Float32Array.from(o.data as Float32Array);
    for (let r = 0; r < o.rows; r++) edited.fill(0, r * o.cols + head * d, r * o.cols + head * d + d);
    model.weights.layers[layer].o = f32Weight(edited, o.rows, o.cols);
    const byHand = await forward(model, ids, { logits: 'all', keepProbs: true });
    assert.ok(maxDiff(ablated.logits, byHand.logits) <= 1e-4, `head ablation vs hand-edited weights: ${maxDiff(ablated.logits, byHand.logits)}`);
    assert.ok(maxDiff(ablated.logits, plain.logits) > 1e-3, 'the ablation changed the predictions');
    // The ablated head still attends (its probabilities are reported); only its output is dropped.
    assert.ok(maxDiff(ablated.probs?.[layer][head] ?? [], byHand.probs?.[layer][head] ?? []) <= 1e-6);

    model.weights.layers[layer].o = f32Weight(new Float32Array(o.rows * o.cols), o.rows, o.cols);
    const zeroLayer = await forward(model, ids, { logits: 'all' });
    model.weights.layers[layer].o = o;
    const layerAblated = await forward(model, ids, { logits: 'all', hooks: { ablate: [{ layer }] } });
    assert.ok(maxDiff(layerAblated.logits, zeroLayer.logits) <= 1e-4, `layer ablation: ${maxDiff(layerAblated.logits, zeroLayer.logits)}`);
  });
});

test('MLP and pre-RoPE hooks: gate, up, q and k at layer 0 equal plain loops over the weights; q after RoPE is q before it rotated', async () => {
  await withModel(small, 5, async (model, ref) => {
    const ids = randomIds(6, 5, small.vocab);
    const c = model.config;
    const d = c.headDim;
    let gate0: Float32Array | undefined;
    let up0: Float32Array | undefined;
    let q0: Float32Array | undefined;
    let k0: Float32Array | undefined;
    const mlpLayers: number[] = [];
    const run = await runAttention(model, ids, {
      hooks: {
        mlp: (l, v) => {
          mlpLayers.push(l);
          if (l === 0) [gate0, up0] = [v.gate?.slice(), v.up.slice()];
        },
        qkPreRope: (l, q, k) => {
          if (l === 0) [q0, k0] = [q.slice(), k.slice()];
        },
      },
    });
    assert.deepEqual(mlpLayers, [0, 1, 2]);
    assert.ok(gate0 && up0 && q0 && k0);
    const L = ref.layers[0];
    const rms = (x: number[], w: number[]): number[] => {
      const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
      return x.map((v, i) => (v / Math.sqrt(ms + 1e-5)) * w[i]);
    };
    const mv = (m: number[][], x: number[], b?: number[]): number[] => m.map((row, o) => row.reduce((s, w, i) => s + w * x[i], b ? b[o] : 0));
    // q and k of layer 0 depend only on each token's embedding.
    ids.forEach((id, t) => {
      const h = rms(ref.embed[id], L.norm1);
      assert.ok(maxDiff(q0?.subarray(t * c.heads * d, (t + 1) * c.heads * d) ?? [], mv(L.q, h, L.qb)) <= 1e-3);
      assert.ok(maxDiff(k0?.subarray(t * c.kvHeads * d, (t + 1) * c.kvHeads * d) ?? [], mv(L.k, h, L.kb)) <= 1e-3);
    });
    // Token 0 attends only to itself, so its attention output is its own V (per KV group): the MLP input by hand.
    const e = ref.embed[ids[0]];
    const v = mv(L.v, rms(e, L.norm1), L.vb);
    const heads = Array.from({ length: c.heads * d }, (_, i) => v[run.kvHeadOf[Math.floor(i / d)] * d + (i % d)]);
    const mid = mv(L.o, heads).map((val, i) => val + e[i]);
    const h2 = rms(mid, L.norm2);
    const scale = (a: number[]): number => Math.max(1, ...a.map(Math.abs));
    const gateRef = mv(L.gate, h2);
    const upRef = mv(L.up, h2);
    assert.ok(maxDiff(gate0.subarray(0, c.intermediate), gateRef) <= 1e-5 * scale(gateRef), `gate ${maxDiff(gate0.subarray(0, c.intermediate), gateRef)}`);
    assert.ok(maxDiff(up0.subarray(0, c.intermediate), upRef) <= 1e-5 * scale(upRef));
    // The kept q (after RoPE) at position t is the pre-RoPE q rotated pair (i, i + d/2) by t·θ^(-2i/d).
    const t = 3;
    const pre = q0.subarray(t * c.heads * d, t * c.heads * d + d);
    const post = run.qkv?.[0].q.subarray(t * c.heads * d, t * c.heads * d + d) ?? new Float32Array(0);
    for (let i = 0; i < d / 2; i++) {
      const a = t * Math.pow(c.ropeTheta, (-2 * i) / d);
      assert.ok(Math.abs(post[i] - (pre[i] * Math.cos(a) - pre[i + d / 2] * Math.sin(a))) <= 1e-3);
      assert.ok(Math.abs(post[i + d / 2] - (pre[i + d / 2] * Math.cos(a) + pre[i] * Math.sin(a))) <= 1e-3);
    }
    // Dense layers have no routing.
    assert.deepEqual(run.routing, [undefined, undefined, undefined]);
  });
});

/** Feeds a 3-token prompt then one token at a time through a cache; each step's logits equal a full run's. */
async function assertCacheMatches(model: Model, ids: number[]): Promise<void> {
  const cache = createKvCache(model);
  let at = 0;
  for (const n of [3, ...new Array<number>(ids.length - 3).fill(1)]) {
    const step = await forward(model, ids.slice(at, at + n), { cache, keepProbs: true });
    at += n;
    assert.equal(step.offset, at - n);
    assert.equal(cache.length, at);
    const full = await nextTokenLogits(model, ids.slice(0, at));
    const scale = Math.max(1, ...Array.from(full, Math.abs));
    assert.ok(maxDiff(step.logits, full) <= 1e-4 * scale, `step ${at}: ${maxDiff(step.logits, full)}`);
    // The step's attention row over every cached key equals the full run's last row.
    const run = await runAttention(model, ids.slice(0, at), { topK: 0 });
    for (let l = 0; l < model.config.layers; l++) {
      for (let h = 0; h < model.config.heads; h++) {
        const row = step.probs?.[l][h].subarray((n - 1) * at, n * at) ?? new Float32Array(0);
        assert.ok(maxDiff(row, run.probs[l][h].subarray((at - 1) * at, at * at)) <= 1e-5);
      }
    }
  }
}

for (const [name, spec, window] of [
  ['GQA 4→2 (Qwen2 biases)', small, undefined],
  ['MQA 6→1', { ...small, heads: 6, kvHeads: 1, hidden: 24, qkvBias: false, modelType: 'llama' }, undefined],
  ['sliding window 4 (Mistral), GQA', { ...small, modelType: 'mistral', qkvBias: false }, 4],
] as const) {
  test(`KV cache: last-position logits with the cache equal those without it (1e-4) at every step: ${name}`, async () => {
    await withModel(spec, 11, async (model) => {
      assert.equal(model.config.slidingWindow, window);
      const ids = randomIds(12, 11, spec.vocab);
      await assertCacheMatches(model, ids);
      // What the cache holds is the KV formula's count for the model's shape (a sliding layer keeps its window).
      const cache = createKvCache(model);
      await forward(model, ids.slice(0, 6), { cache, logits: 'none' });
      for (const id of ids.slice(6)) await forward(model, [id], { cache, logits: 'none' });
      assert.equal(cache.bytes, kvCacheBytes(model.shape, { seqLen: ids.length, bytesPerElement: 4 }));
      if (window !== undefined) {
        assert.equal(cache.startOf(0), ids.length - window);
        assert.throws(() => cache.truncate(2), /dropped by the sliding window/);
      }
      // A clone decodes on its own: same logits as the original for the same next token, the original unchanged.
      const twin = cache.clone();
      const a = await forward(model, [ids[0]], { cache });
      const b = await forward(model, [ids[0]], { cache: twin });
      assert.ok(maxDiff(a.logits, b.logits) === 0);
      cache.truncate(ids.length);
      assert.equal(cache.length, ids.length);
    }, window === undefined ? undefined : (c) => { c.sliding_window = window; });
  });
}

test('KV cache with learned positions (GPT-2): each step reads the position table at its offset; past the table is refused', async () => {
  const { dir } = makeGpt2({ layers: 2, hidden: 16, heads: 4, vocab: 31, positions: 12, prefix: true, maskBuffers: false, dtype: 'F32', seed: 8 });
  try {
    const model = await loadModel(dir);
    await assertCacheMatches(model, randomIds(9, 12, 31));
    const cache = createKvCache(model);
    await forward(model, randomIds(9, 12, 31), { cache });
    await assert.rejects(forward(model, [1], { cache }), /learned positions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Model: format, file and resident bytes, attention shape, parameter counts', async () => {
  await withModel(small, 13, async (model) => {
    const c = model.config;
    assert.equal(model.format, 'safetensors');
    assert.deepEqual(model.shape, { layers: c.layers, queryHeads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim });
    assert.deepEqual(model.parameterCounts, { total: model.parameters, active: model.parameters });
    assert.equal(model.residentBytes, model.parameters * 4);
    // F32 safetensors: the file is the weights plus a JSON header.
    assert.ok(model.fileBytes > model.parameters * 4 && model.fileBytes < model.parameters * 4 + 20_000, `${model.fileBytes}`);
    assert.deepEqual(c.block, { norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: 'qkv' });
  });
});

test('the runtime has no per-family code: it follows config.block (families live in model/arch/)', () => {
  const source = readFileSync(join(packageRoot(), 'src', 'core', 'model', 'runtime.ts'), 'utf8');
  const mentions = source.match(/\.family\b|['"](llama|gpt2|qwen2|mistral|qwen3|qwen3moe|qwen3_moe|gemma2|gemma3|gemma3_text|phi3|mixtral)['"]/g) ?? [];
  assert.deepEqual(mentions, []);
});
