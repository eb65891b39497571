// The memory budget (issue 14): weights beyond `maxResidentBytes` stay on disk and are read a tile at a time
// during each run, with results identical to the resident model (safetensors F32/BF16, GGUF with llama's
// permuted Q/K and Q4_K); a run over the budget is refused before it allocates, with the numbers; a file
// with Llama-3.1-70B's shapes (sparse: a header and a size, no data) loads streamed, or is refused, quickly
// and without the process growing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, type Model } from '../../src/core/model/load';
import { createKvCache, forward, runAttention } from '../../src/core/model/runtime';
import { MemoryBudgetError, ModelLoadError } from '../../src/core/model/errors';
import { makeLlama, rng } from './attentionFixtures';
import { writeTinyModel } from '../support/ggufModels';

function ids(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/**
 * Loads `path` with budgets shrinking from 3× its resident size (part of a budget is kept for the runs) until
 * some weights stream and a run of `n` tokens still fits.
 */
async function streamedModel(path: string, full: Model, n: number): Promise<Model> {
  for (let f = 3; f > 0.05; f *= 0.85) {
    const m = await loadModel(path, { maxResidentBytes: Math.floor(full.residentBytes * f) });
    if ((m.streamedBytes ?? 0) === 0) continue;
    try {
      await forward(m, ids(1, n, m.config.vocab), { logits: 'all', keepProbs: true, keepQkv: true });
      return m;
    } catch (e) {
      if (!(e instanceof MemoryBudgetError)) throw e;
    }
  }
  throw new Error('no budget streams some weights and still fits the run');
}

async function assertIdentical(resident: Model, streamed: Model, tokenIds: number[]): Promise<void> {
  assert.ok((streamed.streamedBytes ?? 0) > 0, 'some weights are streamed');
  assert.ok(streamed.residentBytes < resident.residentBytes, `holds less: ${streamed.residentBytes} < ${resident.residentBytes}`);
  assert.ok(streamed.residentBytes <= (streamed.maxResidentBytes ?? 0), 'within its budget');
  const a = await runAttention(resident, tokenIds);
  const b = await runAttention(streamed, tokenIds);
  for (let l = 0; l < a.layers; l++) for (let h = 0; h < a.heads; h++) assert.deepEqual(Array.from(b.probs[l][h]), Array.from(a.probs[l][h]), `probs ${l}/${h}`);
  assert.deepEqual(b.predictions, a.predictions);
  const la = await forward(resident, tokenIds, { logits: 'all' });
  const lb = await forward(streamed, tokenIds, { logits: 'all' });
  assert.deepEqual(Array.from(lb.logits), Array.from(la.logits), 'every position\'s logits');
  // Decoding one token at a time (matrix-vector products) through a KV cache: the same too.
  const ca = createKvCache(resident), cb = createKvCache(streamed);
  await forward(resident, tokenIds.slice(0, -1), { cache: ca });
  await forward(streamed, tokenIds.slice(0, -1), { cache: cb });
  const sa = await forward(resident, tokenIds.slice(-1), { cache: ca });
  const sb = await forward(streamed, tokenIds.slice(-1), { cache: cb });
  assert.deepEqual(Array.from(sb.logits), Array.from(sa.logits), 'a cached decoding step');
}

test('streamed safetensors weights (F32, and BF16 kept 16-bit on disk) give identical probabilities and logits', async () => {
  for (const dtype of ['F32', 'BF16'] as const) {
    const { dir } = makeLlama({ layers: 4, hidden: 64, heads: 4, kvHeads: 2, intermediate: 192, vocab: 40, ropeTheta: 10000, tied: false, qkvBias: true, modelType: 'qwen2', dtype, seed: 21 });
    try {
      const full = await loadModel(dir);
      assert.equal(full.streamedBytes, 0);
      const tokenIds = ids(4, 10, 40);
      await assertIdentical(full, await streamedModel(dir, full, tokenIds.length), tokenIds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('streamed GGUF weights (llama\'s permuted Q/K, Q4_K and F32) give identical probabilities and logits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-stream-'));
  try {
    for (const type of ['f32', 'q4_k'] as const) {
      const { ggufPath } = writeTinyModel(dir, { arch: 'llama', layers: 3, hidden: 256, heads: 4, kvHeads: 2, intermediate: 256, vocab: 64, type, seed: 9 }, `m-${type}`);
      const full = await loadModel(ggufPath);
      const tokenIds = ids(6, 9, 64);
      const streamed = await streamedModel(ggufPath, full, tokenIds.length);
      assert.ok(streamed.weights.layers.some((l) => l.q.stream && l.k.stream), 'some permuted Q/K rows are read from disk');
      await assertIdentical(full, streamed, tokenIds);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run over the budget is refused before it allocates, saying how many tokens fit and what budget it needs', async () => {
  const { dir } = makeLlama({ layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 128, vocab: 40, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 2 });
  try {
    const model = await loadModel(dir, { maxResidentBytes: 4 * 2 ** 20 });
    const tokenIds = ids(3, 2000, 40);
    const before = process.memoryUsage().arrayBuffers;
    let error: unknown;
    const t0 = performance.now();
    try {
      await runAttention(model, tokenIds);
    } catch (e) {
      error = e;
    }
    assert.ok(performance.now() - t0 < 200, 'refused at once');
    assert.ok(error instanceof MemoryBudgetError, String(error));
    assert.equal(error.code, 'overBudget');
    assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 20, 'nothing large was allocated');
    assert.ok(error.maxTokens > 0 && error.maxTokens < 2000, `fits ${error.maxTokens}`);
    assert.match(error.message, new RegExp(`at most ${error.maxTokens} tokens instead of 2000`));
    assert.match(error.message, /raise the memory budget to at least \d+ MiB/);
    assert.match(error.message, /4 MiB/);
    // What the message says is true: that many tokens run.
    await runAttention(model, tokenIds.slice(0, error.maxTokens));
    // Keeping one head at a time (probs: false) fits more.
    const lazy = await runAttention(model, tokenIds.slice(0, error.maxTokens + 1), { probs: false }).catch((e: unknown) => e);
    assert.ok(!(lazy instanceof Error), String(lazy));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A BF16 safetensors file with Llama-3.1-70B's shapes: the header, then ftruncate to the full size (sparse, no data). */
function writeSparse70b(dir: string): string {
  const hidden = 8192, inter = 28672, vocab = 128256, kv = 1024, layers = 80;
  const header: Record<string, unknown> = {};
  let at = 0;
  const add = (name: string, shape: number[]): void => {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'BF16', shape, data_offsets: [at, at + bytes] };
    at += bytes;
  };
  add('model.embed_tokens.weight', [vocab, hidden]);
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    add(p + 'input_layernorm.weight', [hidden]);
    add(p + 'self_attn.q_proj.weight', [hidden, hidden]);
    add(p + 'self_attn.k_proj.weight', [kv, hidden]);
    add(p + 'self_attn.v_proj.weight', [kv, hidden]);
    add(p + 'self_attn.o_proj.weight', [hidden, hidden]);
    add(p + 'post_attention_layernorm.weight', [hidden]);
    add(p + 'mlp.gate_proj.weight', [inter, hidden]);
    add(p + 'mlp.up_proj.weight', [inter, hidden]);
    add(p + 'mlp.down_proj.weight', [hidden, inter]);
  }
  add('model.norm.weight', [hidden]);
  add('lm_head.weight', [vocab, hidden]);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, 'model.safetensors');
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  writeSync(fd, json);
  ftruncateSync(fd, 8 + json.length + at);
  closeSync(fd);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: hidden, intermediate_size: inter, num_hidden_layers: layers,
    num_attention_heads: 64, num_key_value_heads: 8, vocab_size: vocab, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: false,
    max_position_embeddings: 131072, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
  }));
  return path;
}

test('a sparse file with Llama-3.1-70B\'s shapes loads streamed within 1 GiB, or is refused under a tiny budget, without the process growing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-70b-'));
  try {
    writeSparse70b(dir);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const model = await loadModel(dir, { maxResidentBytes: 2 ** 30 });
    const loadMs = performance.now() - t0;
    assert.ok(model.residentBytes <= 2 ** 30, `resident ${model.residentBytes}`);
    assert.ok((model.streamedBytes ?? 0) > 130e9, `streamed ${model.streamedBytes}`);
    assert.ok(model.parameters > 70e9 && model.parameters < 71e9, `${model.parameters} parameters`);
    // A long run is refused before it allocates, with the numbers.
    await assert.rejects(runAttention(model, ids(1, 4096, 1000)), (e: unknown) => e instanceof MemoryBudgetError && /1024 MiB/.test(e.message));
    // Under a budget too small even for the norms (80 layers × 2 × 8192 floats), loading is refused up front.
    await assert.rejects(loadModel(dir, { maxResidentBytes: 2 ** 20 }), (e: unknown) => e instanceof ModelLoadError && e.code === 'overBudget' && /raise/.test(e.message));
    const grown = process.memoryUsage().rss - rss0;
    assert.ok(grown < 500 * 2 ** 20, `the process grew ${Math.round(grown / 2 ** 20)} MiB`);
    assert.ok(loadMs < 5000, `loaded in ${Math.round(loadMs)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
