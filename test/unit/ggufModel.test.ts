// A GGUF model runs exactly like its Hugging Face layout: same attention probabilities (llama's permuted Q/K
// un-permuted, qwen2's left as is), for F32, F16 and quantized weights (against the HF model holding the
// dequantized weights). Also the un-permutation itself and the metadata → config mapping.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelLoadError } from '../../src/core/model/errors';
import { runAttention } from '../../src/core/model/runtime';
import { loadModel } from '../../src/core/model/load';
import { unpermuteQk, type GgufModel } from '../../src/core/model/ggufModel';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import { meta, writeGguf, type MetaValue } from '../support/ggufWriter';
import { f32Data, f32Weight, type WeightType } from '../../src/core/tensor/weights';
import { readGgufHeader } from '../../src/core/model/formats/gguf';
import { permuteRows, writeTinyGpt2, writeTinyModel, type TinySpec } from '../support/ggufModels';
import { quantize } from '../support/quantize';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-ggufmodel-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tokens = [3, 17, 42, 8, 99, 5, 63, 21, 77, 1, 30, 12];

async function compare(spec: TinySpec | { gpt2: true; type: WeightType; seed: number }, name: string, tol: number): Promise<void> {
  const { hfDir, ggufPath } = 'gpt2' in spec ? writeTinyGpt2(dir, spec.type, spec.seed, name) : writeTinyModel(dir, spec, name);
  const hf = await loadModel(hfDir);
  const gg = (await loadModel(ggufPath)) as GgufModel;
  assert.equal(gg.format, 'gguf');
  for (const k of ['layers', 'hidden', 'heads', 'kvHeads', 'headDim', 'intermediate', 'vocab', 'tieEmbeddings'] as const) assert.equal(gg.config[k], hf.config[k], k);
  const a = await runAttention(hf, tokens);
  const b = await runAttention(gg, tokens);
  let worst = 0;
  for (let l = 0; l < a.layers; l++) {
    for (let h = 0; h < a.heads; h++) {
      const p = a.probs[l][h], q = b.probs[l][h];
      for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]));
    }
  }
  assert.ok(worst <= tol, `${name}: attention differs by ${worst}`);
  assert.deepEqual(b.predictions.map((x) => x.id), a.predictions.map((x) => x.id));
  // The attention is not trivially uniform (otherwise equality proves nothing about Q/K).
  let spread = 0;
  const last = a.probs[a.layers - 1][0];
  for (let j = 0; j < tokens.length; j++) spread = Math.max(spread, Math.abs(last[(tokens.length - 1) * tokens.length + j] - 1 / tokens.length));
  assert.ok(spread > 0.02, `attention too flat to test anything (${spread})`);
}

const base = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 128, seed: 5 };

describe('GGUF model = its Hugging Face layout', () => {
  it('llama, F32 (Q/K un-permuted): same attention to 1e-5', () => compare({ ...base, arch: 'llama', type: 'f32' }, 'llama-f32', 1e-5));
  it('llama, F16', () => compare({ ...base, arch: 'llama', type: 'f16', seed: 6 }, 'llama-f16', 1e-5));
  it('llama, Q8_0 against the dequantized HF weights', () => compare({ ...base, arch: 'llama', type: 'q8_0', seed: 7 }, 'llama-q8', 1e-5));
  it('llama, Q4_K (256-wide rows) against the dequantized HF weights', () => compare({ ...base, hidden: 256, intermediate: 256, arch: 'llama', type: 'q4_k', seed: 8 }, 'llama-q4k', 1e-5));
  it('Llama 3.1 RoPE scaling carried as the rope_freqs tensor', async () => {
    await compare({ ...base, arch: 'llama', type: 'f32', seed: 12, llama3RopeFactor: 8 }, 'llama31', 1e-5);
    const m = await loadModel(join(dir, 'llama31.gguf'));
    assert.deepEqual(m.config.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  });

  it('qwen2 (biases, tied embeddings, no permutation), F32 and Q8_0', async () => {
    await compare({ ...base, arch: 'qwen2', type: 'f32', seed: 9 }, 'qwen2-f32', 1e-5);
    await compare({ ...base, arch: 'qwen2', type: 'q8_0', seed: 10 }, 'qwen2-q8', 1e-5);
  });

  it('GPT-2 (fused attn_qkv, learned positions, LayerNorm biases), F32 and Q8_0', async () => {
    await compare({ gpt2: true, type: 'f32', seed: 13 }, 'gpt2-f32', 1e-5);
    await compare({ gpt2: true, type: 'q8_0', seed: 14 }, 'gpt2-q8', 1e-5);
  });

  it('the un-permutation matters: the rows as GGUF stores them give different attention', async () => {
    const { hfDir } = writeTinyModel(dir, { ...base, arch: 'llama', type: 'f32', seed: 11 }, 'perm');
    const model = await loadModel(hfDir);
    const right = await runAttention(model, tokens);
    const c = model.config;
    for (const lw of model.weights.layers) {
      lw.q = f32Weight(permuteRows(f32Data(lw.q), c.heads * c.headDim, c.hidden, c.heads), c.heads * c.headDim, c.hidden);
      lw.k = f32Weight(permuteRows(f32Data(lw.k), c.kvHeads * c.headDim, c.hidden, c.kvHeads), c.kvHeads * c.headDim, c.hidden);
    }
    const wrong = await runAttention(model, tokens);
    let worst = 0;
    for (let i = 0; i < right.probs[0][0].length; i++) worst = Math.max(worst, Math.abs(right.probs[0][0][i] - wrong.probs[0][0][i]));
    assert.ok(worst > 1e-3, `permuted Q/K changed attention by only ${worst}`);
  });
});

/** What a GGUF model should hold: each tensor's stored bytes, 1-D tensors (norms, biases) widened to float32. */
async function expectedResident(path: string): Promise<number> {
  const header = await readGgufHeader(path);
  let bytes = 0;
  for (const t of header.tensors) {
    if (t.name === 'rope_freqs.weight') continue;
    bytes += t.dims.length === 1 ? t.elements * 4 : (t.bytes ?? 0);
  }
  return bytes;
}

describe('quantized weights stay quantized in memory', () => {
  it('a Q4_K model holds about its quantized tensor bytes, far below float32, and runs', async () => {
    const { ggufPath } = writeTinyModel(dir, { ...base, hidden: 256, intermediate: 512, vocab: 256, arch: 'llama', type: 'q4_k', seed: 15 }, 'resident-q4k');
    const m = await loadModel(ggufPath);
    for (const lw of m.weights.layers) for (const w of [lw.q, lw.k, lw.v, lw.o, lw.gate, lw.up, lw.down]) assert.equal(w?.type, 'q4_k');
    assert.equal(m.weights.embed.type, 'q4_k');
    const expected = await expectedResident(ggufPath);
    assert.equal(m.residentBytes, expected);
    // Q4_K is 144 bytes per 256 weights (4.5 bits): the float32 model would be about 7x larger.
    const f32Bytes = m.parameters * 4;
    assert.ok(m.residentBytes < f32Bytes / 6, `resident ${m.residentBytes} vs float32 ${f32Bytes}`);
    assert.ok(m.residentBytes <= m.fileBytes, `resident ${m.residentBytes} vs file ${m.fileBytes}`);
    const run = await runAttention(m, tokens);
    assert.equal(run.layers, 2);
    assert.ok(run.predictions.length > 0);
  });
});

describe('unpermuteQk', () => {
  it('inverts the converter permutation, for float rows and for quantized rows', () => {
    const rows = 16, cols = 32, heads = 2;
    const w = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const permuted = permuteRows(w, rows, cols, heads);
    // Head 0, d = 8: GGUF rows 0,1,2,3 hold HF rows 0,4,1,5.
    assert.deepEqual([0, 1, 2, 3].map((r) => permuted[r * cols] / cols), [0, 4, 1, 5]);
    assert.deepEqual(unpermuteQk({ type: 'f32', rows, cols, data: permuted }, heads).data, w);
    const q = unpermuteQk({ type: 'q8_0', rows, cols, data: quantize('q8_0', permuted) }, heads);
    assert.deepEqual(dequantizeRows(q, 0, rows), dequantizeRows({ type: 'q8_0', rows, cols, data: quantize('q8_0', w) }, 0, rows));
  });
});

describe('GGUF metadata → config', () => {
  it('maps the llama keys and exposes the chat template', async () => {
    const tokenizer: [string, MetaValue][] = [
      ['tokenizer.ggml.model', meta.str('llama')],
      ['tokenizer.ggml.tokens', meta.strs(['<unk>', '<s>', '</s>', '▁', 'h', 'i', '▁h', '▁hi'])],
      ['tokenizer.ggml.scores', meta.f32s([0, 0, 0, 0, 0, 0, -1, -2])],
      ['tokenizer.ggml.token_type', meta.i32s([2, 3, 3, 1, 1, 1, 1, 1])],
      ['tokenizer.ggml.bos_token_id', meta.u32(1)],
    ];
    const { ggufPath } = writeTinyModel(dir, { ...base, arch: 'llama', type: 'q8_0', extraMeta: [['tokenizer.chat_template', meta.str('{{ messages }}')], ['general.file_type', meta.u32(7)], ...tokenizer] }, 'meta');
    const m = (await loadModel(ggufPath)) as GgufModel;
    assert.deepEqual(m.tokenizer?.encode('hi hi', { addSpecialTokens: true }), [1, 7, 7]);
    assert.deepEqual(m.shape, { layers: 2, queryHeads: 4, kvHeads: 2, headDim: 16 });
    assert.deepEqual(m.parameterCounts, { total: m.parameters, active: m.parameters });
    assert.equal(m.fileBytes, statSync(ggufPath).size);
    // Matrices held as their Q8_0 bytes, norms as float32: the file's tensor bytes, not 4 bytes a parameter.
    assert.equal(m.residentBytes, await expectedResident(ggufPath));
    assert.ok(m.residentBytes < m.parameters * 4 * 0.35, `${m.residentBytes} bytes held for ${m.parameters} parameters`);
    assert.equal(m.weights.layers[0].q.type, 'q8_0');
    assert.equal(m.weights.embed.type, 'q8_0');
    assert.deepEqual(
      [m.config.modelType, m.config.maxPositions, m.config.ropeTheta, m.config.headDim, m.chatTemplate, m.quantization, m.architecture],
      ['llama', 4096, 10000, 16, '{{ messages }}', 'Q8_0', 'llama'],
    );
    assert.ok(Math.abs(m.config.normEps - 1e-5) < 1e-10);
  });

  it('refuses an unknown architecture and a weight whose shape contradicts the metadata', async () => {
    const unknown = join(dir, 'mamba.gguf');
    writeFileSync(unknown, writeGguf({ metadata: [['general.architecture', meta.str('mamba')]], tensors: [] }));
    await assert.rejects(loadModel(unknown), (e: unknown) => e instanceof ModelLoadError && e.code === 'unsupportedArchitecture' && /mamba/.test(e.message));
    const bad = join(dir, 'bad.gguf');
    const v = new Float32Array(64 * 8);
    writeFileSync(bad, writeGguf({
      metadata: [['general.architecture', meta.str('llama')], ['llama.block_count', meta.u32(1)], ['llama.embedding_length', meta.u32(64)], ['llama.feed_forward_length', meta.u32(96)], ['llama.attention.head_count', meta.u32(4)]],
      tensors: [{ name: 'token_embd.weight', dims: [64, 8], type: 'f32', values: v }, { name: 'blk.0.attn_q.weight', dims: [64, 8], type: 'f32', values: v }],
    }));
    await assert.rejects(loadModel(bad), (e: unknown) => e instanceof ModelLoadError && e.code === 'tensorShape' && /attn_q/.test(e.message));
  });
});
