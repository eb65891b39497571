// Streaming the rest of issue 14 / 15: a mixture-of-experts layer left on disk reads only the experts its tokens
// were routed to (GGUF's stacked ffn_{gate,up,down}_exps sliced per expert, Hugging Face's one tensor per expert),
// and GPT-2's safetensors Conv1D weights stream like Llama's (read transposed a tile at a time). Streamed runs
// equal resident ones bit for bit, and a 1-token decoding step reads exactly the chosen experts' bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { createKvCache, forward, runAttention } from '../../src/core/model/runtime';
import { MemoryBudgetError } from '../../src/core/model/errors';
import { rowBytes } from '../../src/core/tensor/quant/blockTypes';
import { streamReadStats } from '../../src/core/tensor/stream';
import type { WeightMatrix } from '../../src/core/tensor/weights';
import { makeArch, type ArchSpec } from './archFixtures';
import { makeGpt2, rng } from './attentionFixtures';
import { writeArchGguf } from '../support/ggufArchs';

function ids(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/** Every projection matrix of the model except the experts (attention, router, dense MLP, embedding, unembedding). */
function denseMatrices(m: Model): WeightMatrix[] {
  const out: WeightMatrix[] = [m.weights.embed, m.weights.lmHead];
  for (const l of m.weights.layers) for (const w of [l.q, l.k, l.v, l.o, l.router, l.gate, l.up, l.down]) if (w) out.push(w);
  return out;
}

/**
 * The model loaded under each budget from 3× its resident size down, until `accept` holds and a run of `n` tokens
 * still fits; the predicate picks what must be streamed.
 */
async function loadStreamed(path: string, full: Model, n: number, accept: (m: Model) => boolean): Promise<Model> {
  for (let f = 3; f > 0.02; f *= 0.9) {
    const m = await loadModel(path, { maxResidentBytes: Math.floor(full.residentBytes * f) });
    if (!accept(m)) continue;
    try {
      await forward(m, ids(1, n, m.config.vocab), { logits: 'all', keepProbs: true, keepQkv: true });
      return m;
    } catch (e) {
      if (!(e instanceof MemoryBudgetError)) throw e;
    }
  }
  throw new Error('no budget streams what the test needs and still fits the run');
}

async function assertIdentical(resident: Model, streamed: Model, tokenIds: number[]): Promise<void> {
  assert.ok((streamed.streamedBytes ?? 0) > 0, 'some weights are streamed');
  assert.ok(streamed.residentBytes < resident.residentBytes, `holds less: ${streamed.residentBytes} < ${resident.residentBytes}`);
  assert.ok(streamed.residentBytes <= (streamed.maxResidentBytes ?? 0), 'within its budget');
  const a = await runAttention(resident, tokenIds);
  const b = await runAttention(streamed, tokenIds);
  for (let l = 0; l < a.layers; l++) for (let h = 0; h < a.heads; h++) assert.deepEqual(Array.from(b.probs[l][h]), Array.from(a.probs[l][h]), `probs ${l}/${h}`);
  assert.deepEqual(b.predictions, a.predictions);
  assert.deepEqual(b.routing, a.routing, 'the same experts and gate weights');
  const la = await forward(resident, tokenIds, { logits: 'all' });
  const lb = await forward(streamed, tokenIds, { logits: 'all' });
  assert.deepEqual(Array.from(lb.logits), Array.from(la.logits), 'every position\'s logits');
  const ca = createKvCache(resident), cb = createKvCache(streamed);
  await forward(resident, tokenIds.slice(0, -1), { cache: ca });
  await forward(streamed, tokenIds.slice(0, -1), { cache: cb });
  const sa = await forward(resident, tokenIds.slice(-1), { cache: ca });
  const sb = await forward(streamed, tokenIds.slice(-1), { cache: cb });
  assert.deepEqual(Array.from(sb.logits), Array.from(sa.logits), 'a cached decoding step');
}

// Q4_K needs rows of whole 256-value blocks: hidden, heads·headDim and the expert width are 256.
const moeSpec: ArchSpec = { kind: 'qwen3moe', layers: 2, hidden: 256, heads: 4, kvHeads: 2, headDim: 64, intermediate: 256, vocab: 48, ropeTheta: 10000, seed: 15, experts: 6, topK: 2, moeIntermediate: 256, normTopK: true };

/** The streamed experts' matrices of a model (every expert matrix that stays on disk). */
function streamedExperts(m: Model): WeightMatrix[] {
  return m.weights.layers.flatMap((l) => (l.experts ?? []).flatMap((e) => [e.gate, e.up, e.down])).filter((w) => w.stream);
}

test('streamed MoE experts (GGUF stacked ffn_*_exps in F32 and Q4_K, safetensors one tensor per expert) give identical probabilities, routing and logits', async () => {
  const { dir, ref } = makeArch(moeSpec);
  try {
    const paths: [string, string][] = [['safetensors F32', dir]];
    for (const type of ['f32', 'q4_k'] as const) {
      const p = join(dir, `moe-${type}.gguf`);
      writeArchGguf(ref, p, type);
      paths.push([`GGUF ${type}`, p]);
    }
    for (const [label, path] of paths) {
      const full = await loadModel(path);
      assert.equal(full.streamedBytes, 0, label);
      const tokenIds = ids(7, 9, moeSpec.vocab);
      const streamed = await loadStreamed(path, full, tokenIds.length, (m) => streamedExperts(m).length > 0);
      await assertIdentical(full, streamed, tokenIds);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resident bytes count the experts: a MoE model\'s residentBytes is its expert and dense weights, not only the dense ones', async () => {
  const { dir, ref } = makeArch(moeSpec);
  try {
    const p = join(dir, 'moe.gguf');
    writeArchGguf(ref, p, 'q4_k');
    const full = await loadModel(p);
    const h = moeSpec.hidden, m = moeSpec.moeIntermediate as number, E = moeSpec.experts as number;
    const expertBytes = moeSpec.layers * E * (2 * m * rowBytes('q4_k', h) + h * rowBytes('q4_k', m));
    assert.ok(full.residentBytes > expertBytes, `${full.residentBytes} > ${expertBytes} bytes of experts alone`);
    assert.ok(full.residentBytes <= full.fileBytes * 1.15, `${full.residentBytes} ≤ 1.15 × ${full.fileBytes}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 1-token decoding step with the experts on disk reads exactly the routed experts\' slices (top-2 of 6 per layer)', async () => {
  const { dir, ref } = makeArch(moeSpec);
  try {
    const h = moeSpec.hidden, m = moeSpec.moeIntermediate as number, K = moeSpec.topK as number;
    const paths: [string, string][] = [['safetensors F32', dir]];
    for (const type of ['f32', 'q4_k'] as const) {
      const p = join(dir, `moe-${type}.gguf`);
      writeArchGguf(ref, p, type);
      paths.push([`GGUF ${type}`, p]);
    }
    for (const [label, path] of paths) {
      const full = await loadModel(path);
      // Every expert of every layer on disk; the attention, routers and unembedding resident (the embedding may stream).
      const model = await loadStreamed(path, full, 8, (x) =>
        streamedExperts(x).length === moeSpec.layers * 3 * (moeSpec.experts as number) && denseMatrices(x).every((w) => !w.stream || w === x.weights.embed));
      const expertType = model.weights.layers[0].experts?.[0].gate.type ?? 'f32';
      const sliceBytes = 2 * m * (expertType === 'f32' ? 4 * h : rowBytes(expertType, h)) + h * (expertType === 'f32' ? 4 * m : rowBytes(expertType, m));
      const cache = createKvCache(model);
      const prompt = ids(3, 8, moeSpec.vocab);
      const pre = await forward(model, prompt, { cache, logits: 'none' });
      const before = streamReadStats();
      const step = await forward(model, [5], { cache, logits: 'last' });
      const after = streamReadStats();
      const chosen = step.routing.reduce((s, r) => s + new Set(r?.experts ?? []).size, 0);
      assert.equal(chosen, moeSpec.layers * K, `${label}: one token goes to ${K} distinct experts per layer`);
      const expertBytes = after.expertBytes - before.expertBytes;
      assert.equal(expertBytes, chosen * sliceBytes, `${label}: expert bytes read = ${chosen} experts × ${sliceBytes}`);
      assert.equal(after.reads - before.reads - (model.weights.embed.stream ? 1 : 0), chosen * 3, `${label}: one read per chosen expert matrix`);
      const embedRow = model.weights.embed.stream ? model.weights.embed.stream.bytes / model.weights.embed.rows : 0;
      assert.equal(after.bytes - before.bytes, expertBytes + embedRow, `${label}: nothing else is read but the token's embedding row`);
      // The prompt's 8 tokens touched more experts (and read each of them once per layer).
      const touched = pre.routing.reduce((s, r) => s + new Set(r?.experts ?? []).size, 0);
      assert.ok(touched > chosen, `${label}: the prompt touched ${touched} experts, the step ${chosen}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GPT-2 safetensors stream too: Conv1D weights read transposed from disk (F32 and F16) and the tied wte, identical to resident', async () => {
  for (const dtype of ['F32', 'F16'] as const) {
    const { dir } = makeGpt2({ layers: 3, hidden: 64, heads: 4, vocab: 50, positions: 32, prefix: true, maskBuffers: true, dtype, seed: 31 });
    try {
      const full = await loadModel(dir);
      assert.equal(full.streamedBytes, 0);
      const tokenIds = ids(8, 12, 50);
      // Only wte streamed (embedding rows looked up from disk, and the tied unembedding read whole from it).
      const embedOnly = await loadStreamed(dir, full, tokenIds.length, (m) => m.weights.embed.stream !== undefined);
      assert.ok(embedOnly.weights.lmHead.stream, 'the tied unembedding is the streamed wte');
      await assertIdentical(full, embedOnly, tokenIds);
      // Every layer's Conv1D matrices on disk (q, k, v sliced from the fused c_attn).
      const layers = await loadStreamed(dir, full, tokenIds.length, (m) => m.weights.layers.every((l) => [l.q, l.k, l.v, l.o, l.up, l.down].every((w) => w?.stream)));
      assert.equal(layers.weights.positions?.length, 32 * 64, 'the learned positions stay in memory');
      await assertIdentical(full, layers, tokenIds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
