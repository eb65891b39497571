import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionShape, KvCacheError } from '../../src/core/kvcache/shape';
import { kvBytesPerToken, kvCacheBreakdown, kvCacheBytes, weightBytes } from '../../src/core/kvcache/bytes';
import { modelPresets } from '../../src/core/kvcache/presets';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const BF16 = 2;

function preset(id: string) {
  const found = modelPresets().find((p) => p.id === id);
  assert.ok(found, `preset ${id} exists`);
  return found;
}

function throwsField(fn: () => unknown, field: string, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KvCacheError, `expected KvCacheError, got ${String(error)}`);
    assert.equal(error.field, field);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

// KV bytes per token in bf16, worked out by hand from domain-facts.md's table:
// 2 (K and V) · layers · kvHeads · headDim · 2 bytes, or (kvLoraRank + ropeDim) · 2 bytes · layers for MLA.
const PER_TOKEN_BF16: Record<string, number> = {
  gpt2: 2 * 12 * 12 * 64 * 2, // 36864 = 36 KiB
  'llama-3.1-8b': 2 * 32 * 8 * 128 * 2, // 131072 = 128 KiB
  'llama-3.1-70b': 2 * 80 * 8 * 128 * 2, // 327680 = 320 KiB
  'mistral-7b-v0.1': 2 * 32 * 8 * 128 * 2, // 128 KiB
  'mixtral-8x7b-v0.1': 2 * 32 * 8 * 128 * 2, // 128 KiB
  'qwen2.5-7b': 2 * 28 * 4 * 128 * 2, // 57344 = 56 KiB
  'gemma-2-9b': 2 * 42 * 8 * 256 * 2, // 344064 = 336 KiB
  'phi-3.5-mini': 2 * 32 * 32 * 96 * 2, // 393216 = 384 KiB
  'falcon-7b': 2 * 32 * 1 * 64 * 2, // 8192 = 8 KiB
  'deepseek-v3': (512 + 64) * 2 * 61, // 70272 = 68.625 KiB
  'llama-3.2-1b': 2 * 16 * 8 * 64 * 2, // 32 KiB
  'llama-3.2-3b': 2 * 28 * 8 * 128 * 2, // 112 KiB
  'qwen2.5-0.5b': 2 * 24 * 2 * 64 * 2, // 12 KiB
  'smollm2-135m': 2 * 30 * 3 * 64 * 2, // 45 KiB
  'gemma-2-2b': 2 * 26 * 4 * 256 * 2, // 208 KiB
  'qwen3-30b-a3b': 2 * 48 * 4 * 128 * 2, // 96 KiB
  // Gemma 3 27B: 62 layers, but at one token no window is full yet, so all 62 count.
  'gemma-3-27b': 2 * 62 * 16 * 128 * 2, // 496 KiB
  // The issue-21 families (test/unit/kvcacheFamilies.test.ts has each worked through):
  'openelm-3b': 164 * 2 * 128 * 2, // Σ per-layer KV heads 164; 82 KiB
  'jamba-v0.1': 4 * 2 * 8 * 128 * 2, // 4 attention layers of 32; 16 KiB
  'qwen3-next-80b-a3b': 12 * 2 * 2 * 256 * 2, // 12 full-attention layers of 48; 24 KiB
  'falcon-h1-7b': 44 * 2 * 2 * 128 * 2, // every layer attends (and also keeps a Mamba-2 state); 44 KiB
  'gpt-oss-20b': 24 * 2 * 8 * 64 * 2, // at one token no 128-token window is full yet; 48 KiB
  'llama-4-scout': 48 * 2 * 8 * 128 * 2, // at one token no 8192-token chunk is full yet; 192 KiB
};

test('the domain-facts table, row by row: KV per token in bf16', () => {
  const table: [string, number][] = [
    ['gpt2', 36 * KiB],
    ['llama-3.1-8b', 128 * KiB],
    ['llama-3.1-70b', 320 * KiB],
    ['mistral-7b-v0.1', 128 * KiB],
    ['mixtral-8x7b-v0.1', 128 * KiB],
    ['qwen2.5-7b', 56 * KiB],
    ['gemma-2-9b', 336 * KiB],
    ['phi-3.5-mini', 384 * KiB],
    ['falcon-7b', 8 * KiB],
    ['deepseek-v3', 68.625 * KiB],
  ];
  for (const [id, expected] of table) {
    assert.equal(kvBytesPerToken(preset(id).shape, BF16), expected, id);
    assert.equal(kvCacheBytes(preset(id).shape, { seqLen: 1, bytesPerElement: BF16 }), expected, id);
  }
});

test('every preset has a hand-computed per-token size, a source and a parameter count', () => {
  const presets = modelPresets();
  assert.ok(presets.length >= 15);
  assert.deepEqual(presets.map((p) => p.id).sort(), Object.keys(PER_TOKEN_BF16).sort());
  for (const p of presets) {
    assert.equal(kvBytesPerToken(p.shape, BF16), PER_TOKEN_BF16[p.id], p.id);
    assert.match(p.source, /^https:\/\/huggingface\.co\/.+config\.json/, p.id);
    assert.ok(Number.isSafeInteger(p.parameters) && p.parameters > 0, p.id);
    assert.ok(p.contextLength > 0, p.id);
  }
  assert.equal(new Set(presets.map((p) => p.id)).size, presets.length, 'ids are unique');
});

test('Llama-3.1-8B at its full 128K context in bf16 is 16 GiB', () => {
  assert.equal(kvCacheBytes(preset('llama-3.1-8b').shape, { seqLen: 131072, bytesPerElement: BF16 }), 16 * GiB);
  // Counting 32 KV heads (the common calculator bug) would give 4x that.
  const asMha = { ...preset('llama-3.1-8b').shape, kvHeads: 32 };
  assert.equal(kvCacheBytes(asMha, { seqLen: 131072, bytesPerElement: BF16 }), 64 * GiB);
});

test('Mixtral at 512 tokens in fp16 is 64 MiB, as llama.cpp reports (ggml-org/llama.cpp#4381)', () => {
  assert.equal(kvCacheBytes(preset('mixtral-8x7b-v0.1').shape, { seqLen: 512, bytesPerElement: 2 }), 64 * MiB);
});

test('batch multiplies the cache, and dtype scales it', () => {
  const shape = preset('llama-3.1-8b').shape;
  assert.equal(kvCacheBytes(shape, { seqLen: 1000, batch: 8, bytesPerElement: 2 }), 131072 * 1000 * 8);
  assert.equal(kvCacheBytes(shape, { seqLen: 1000, bytesPerElement: 4 }), 262144 * 1000);
  assert.equal(kvCacheBytes(shape, { seqLen: 1000, bytesPerElement: 1 }), 65536 * 1000);
  assert.equal(kvCacheBytes(shape, { seqLen: 1000, bytesPerElement: 0.5 }), 32768 * 1000);
  assert.equal(kvCacheBytes(shape, { seqLen: 0, bytesPerElement: 2 }), 0);
});

test('Mistral-7B-v0.1: every layer keeps at most 4096 tokens', () => {
  const shape = preset('mistral-7b-v0.1').shape;
  assert.equal(shape.slidingWindow, 4096);
  assert.equal(shape.slidingWindowLayers, undefined, 'all layers slide');
  assert.equal(kvCacheBytes(shape, { seqLen: 4000, bytesPerElement: 2 }), 131072 * 4000);
  assert.equal(kvCacheBytes(shape, { seqLen: 4096, bytesPerElement: 2 }), 512 * MiB);
  assert.equal(kvCacheBytes(shape, { seqLen: 32768, bytesPerElement: 2 }), 512 * MiB);
  assert.equal(kvCacheBytes(shape, { seqLen: 1_000_000, batch: 2, bytesPerElement: 2 }), 1024 * MiB);
});

test('Gemma-2-9B: the 21 even layers slide (4096), the 21 odd ones keep everything', () => {
  const shape = preset('gemma-2-9b').shape;
  assert.equal(shape.headDim, 256, 'head_dim from config, not 3584 / 16 = 224');
  assert.equal(shape.slidingWindow, 4096);
  assert.deepEqual(shape.slidingWindowLayers, Array.from({ length: 21 }, (_, i) => 2 * i));
  const perLayerToken = 2 * 8 * 256 * 2; // 8192 B
  assert.equal(kvCacheBytes(shape, { seqLen: 4096, bytesPerElement: 2 }), 42 * 4096 * perLayerToken);
  // 8192 tokens: 21 full layers hold 8192, 21 sliding layers hold 4096.
  assert.equal(kvCacheBytes(shape, { seqLen: 8192, bytesPerElement: 2 }), (21 * 8192 + 21 * 4096) * perLayerToken);
  assert.equal(kvCacheBytes(shape, { seqLen: 8192, bytesPerElement: 2 }), 2_113_929_216);
});

test('a window larger than the context changes nothing; a window on chosen layers only', () => {
  const base: AttentionShape = { layers: 4, queryHeads: 4, kvHeads: 2, headDim: 8 };
  const opts = { seqLen: 100, bytesPerElement: 1 };
  assert.equal(kvCacheBytes({ ...base, slidingWindow: 1000 }, opts), kvCacheBytes(base, opts));
  // Layers 1 and 3 keep 10 tokens; 0 and 2 keep 100. 2·2·8 = 32 elements per token per layer.
  assert.equal(kvCacheBytes({ ...base, slidingWindow: 10, slidingWindowLayers: [3, 1] }, opts), 32 * (100 + 10 + 100 + 10));
  assert.equal(kvCacheBytes({ ...base, slidingWindow: 10, slidingWindowLayers: [] }, opts), kvCacheBytes(base, opts));
});

test('DeepSeek-V3 (MLA): 70272 B per token in bf16, with no factor 2, far below its MHA equivalent', () => {
  const shape = preset('deepseek-v3').shape;
  assert.deepEqual(shape.mla, { kvLoraRank: 512, ropeHeadDim: 64 });
  assert.equal(kvCacheBytes(shape, { seqLen: 1, bytesPerElement: 2 }), (512 + 64) * 2 * 61);
  assert.equal(kvCacheBytes(shape, { seqLen: 128 * 1024, bytesPerElement: 2 }), 70272 * 131072);
  assert.equal(kvCacheBytes(shape, { seqLen: 128 * 1024, bytesPerElement: 2 }), 8784 * MiB);
  const { mla: _mla, ...standard } = shape;
  // As MHA: 2 · 61 · 128 heads · 128 · 2 bytes = 3,997,696 B per token, ~57x the latent.
  assert.equal(kvCacheBytes(standard, { seqLen: 1, bytesPerElement: 2 }), 3_997_696);
});

test('fractional element sizes: exact where the true value is whole, rounded up to a byte otherwise', () => {
  const tiny: AttentionShape = { layers: 1, queryHeads: 1, kvHeads: 1, headDim: 3 };
  // 2 · 3 = 6 int4 values = 3 bytes exactly.
  assert.equal(kvCacheBytes(tiny, { seqLen: 1, bytesPerElement: 0.5 }), 3);
  const mla3: AttentionShape = { layers: 1, queryHeads: 1, kvHeads: 1, headDim: 1, mla: { kvLoraRank: 2, ropeHeadDim: 1 } };
  // 3 int4 values need 1.5 bytes: a packed cache still occupies 2.
  assert.equal(kvCacheBytes(mla3, { seqLen: 1, bytesPerElement: 0.5 }), 2);
  assert.equal(kvCacheBytes(mla3, { seqLen: 2, bytesPerElement: 0.5 }), 3);
  // 0.1 is read as the decimal written: 30 elements · 0.1 B = 3 B, not a phantom 4th byte.
  const thirty: AttentionShape = { layers: 1, queryHeads: 1, kvHeads: 1, headDim: 15 };
  assert.equal(kvCacheBytes(thirty, { seqLen: 1, bytesPerElement: 0.1 }), 3);
  // 4.5 bits per element (0.5625 B): 1024 elements -> 576 B.
  const k: AttentionShape = { layers: 1, queryHeads: 1, kvHeads: 1, headDim: 512 };
  assert.equal(kvCacheBytes(k, { seqLen: 1, bytesPerElement: 0.5625 }), 576);
  assert.equal(weightBytes(8_030_261_248, 0.5), 4_015_130_624);
  assert.equal(weightBytes(3, 0.5), 2);
});

test('huge but valid sizes stay exact up to 2^53, and throw beyond', () => {
  // 2^52 bytes exactly: a 2^20-token, 2^10-batch cache with 2^21 bytes per token.
  const shape: AttentionShape = { layers: 64, queryHeads: 128, kvHeads: 128, headDim: 64 };
  assert.equal(kvBytesPerToken(shape, 1), 2 ** 20);
  assert.equal(kvCacheBytes(shape, { seqLen: 2 ** 22, batch: 2 ** 10, bytesPerElement: 1 }), 2 ** 52);
  // One element less than 2^53 still exact (the element count is odd, so no power-of-two shortcut).
  const odd: AttentionShape = { layers: 1, queryHeads: 1, kvHeads: 1, headDim: 1 };
  const max = Number.MAX_SAFE_INTEGER; // 2^53 - 1, odd
  assert.equal(kvCacheBytes(odd, { seqLen: (max - 1) / 2, bytesPerElement: 1 }), max - 1);
  // Llama-3.1-70B, 1M tokens, batch 1024, fp32: 655,360 B/token · 2^30 tokens ≈ 7.0e14 B, an exact integer.
  const big = kvCacheBytes(preset('llama-3.1-70b').shape, { seqLen: 2 ** 20, batch: 1024, bytesPerElement: 4 });
  assert.equal(big, 327680 * 2 * 2 ** 20 * 1024);
  assert.ok(Number.isSafeInteger(big));
  throwsField(() => kvCacheBytes(shape, { seqLen: 2 ** 23, batch: 2 ** 10, bytesPerElement: 1 }), 'result', /2\^53/);
  throwsField(() => kvCacheBytes(shape, { seqLen: 2 ** 53, bytesPerElement: 1 }), 'seqLen');
});

test('invalid shapes throw a KvCacheError naming the field', () => {
  const good: AttentionShape = { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 };
  const opts = { seqLen: 10, bytesPerElement: 2 };
  const bad: [Partial<Record<keyof AttentionShape, unknown>>, string][] = [
    [{ layers: 0 }, 'layers'],
    [{ layers: -1 }, 'layers'],
    [{ layers: 1.5 }, 'layers'],
    [{ layers: Number.NaN }, 'layers'],
    [{ layers: Infinity }, 'layers'],
    [{ layers: '32' }, 'layers'],
    [{ queryHeads: 0 }, 'queryHeads'],
    [{ kvHeads: 0 }, 'kvHeads'],
    [{ kvHeads: 3 }, 'kvHeads'],
    [{ kvHeads: 64 }, 'kvHeads'],
    [{ headDim: -128 }, 'headDim'],
    [{ slidingWindow: 0 }, 'slidingWindow'],
    [{ slidingWindow: 10, slidingWindowLayers: [32] }, 'slidingWindowLayers'],
    [{ slidingWindow: 10, slidingWindowLayers: [1, 1] }, 'slidingWindowLayers'],
    [{ slidingWindowLayers: [1] }, 'slidingWindowLayers'],
    [{ mla: { kvLoraRank: 0, ropeHeadDim: 64 } }, 'mla.kvLoraRank'],
    [{ mla: { kvLoraRank: 512, ropeHeadDim: -1 } }, 'mla.ropeHeadDim'],
  ];
  for (const [change, field] of bad) {
    throwsField(() => kvCacheBytes({ ...good, ...change } as AttentionShape, opts), field);
  }
  throwsField(() => kvCacheBytes({ ...good, kvHeads: 3 }, opts), 'kvHeads', /multiple of kvHeads/);
});

test('invalid options throw a KvCacheError naming the option', () => {
  const shape = preset('llama-3.1-8b').shape;
  throwsField(() => kvCacheBytes(shape, { seqLen: -1, bytesPerElement: 2 }), 'seqLen');
  throwsField(() => kvCacheBytes(shape, { seqLen: 1.5, bytesPerElement: 2 }), 'seqLen');
  throwsField(() => kvCacheBytes(shape, { seqLen: Number.NaN, bytesPerElement: 2 }), 'seqLen');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, batch: 0, bytesPerElement: 2 }), 'batch');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, batch: Infinity, bytesPerElement: 2 }), 'batch');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, bytesPerElement: 0 }), 'bytesPerElement');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, bytesPerElement: -2 }), 'bytesPerElement');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, bytesPerElement: Number.NaN }), 'bytesPerElement');
  throwsField(() => kvCacheBytes(shape, { seqLen: 10, bytesPerElement: Infinity }), 'bytesPerElement');
  throwsField(() => weightBytes(-5, 2), 'parameters');
});

test('the breakdown lists every term and multiplies out to kvCacheBytes', () => {
  const gemma = kvCacheBreakdown(preset('gemma-2-9b').shape, { seqLen: 10000, batch: 3, bytesPerElement: 2 });
  assert.equal(gemma.kind, 'standard');
  assert.equal(gemma.factor, 2);
  assert.equal(gemma.elementsPerTokenPerLayer, 2 * 8 * 256);
  assert.deepEqual([gemma.fullLayers, gemma.slidingLayers, gemma.window, gemma.slidingTokens], [21, 21, 4096, 4096]);
  assert.equal(gemma.layerTokens, 21 * 10000 + 21 * 4096);
  assert.equal(gemma.elements, 4096 * (21 * 10000 + 21 * 4096) * 3);
  assert.equal(gemma.bytes, gemma.elements * 2);
  assert.equal(gemma.bytes, kvCacheBytes(preset('gemma-2-9b').shape, { seqLen: 10000, batch: 3, bytesPerElement: 2 }));

  const ds = kvCacheBreakdown(preset('deepseek-v3').shape, { seqLen: 100, bytesPerElement: 1 });
  assert.deepEqual([ds.kind, ds.factor, ds.kvLoraRank, ds.ropeHeadDim, ds.elementsPerTokenPerLayer], ['mla', 1, 512, 64, 576]);
  assert.deepEqual([ds.window, ds.slidingLayers, ds.layerTokens, ds.bytes], [null, 0, 6100, 576 * 6100]);
});

test('parameter counts match the tensors of each architecture, counted here independently', () => {
  // A Llama-style decoder: embeddings, q/k/v/o (+ q/k/v biases for Qwen2), SwiGLU MLP (times experts,
  // plus a router, for Mixtral), two RMSNorms per layer (four for Gemma 2), final norm, lm_head unless tied.
  function decoder(o: {
    vocab: number; hidden: number; layers: number; heads: number; kv: number; headDim: number; inter: number;
    tied: boolean; qkvBias?: boolean; experts?: number; normsPerLayer?: number;
  }): number {
    const q = o.heads * o.headDim;
    const kv = o.kv * o.headDim;
    const attention = o.hidden * q + 2 * o.hidden * kv + q * o.hidden + (o.qkvBias ? q + 2 * kv : 0);
    const experts = o.experts ?? 1;
    const mlp = experts * 3 * o.hidden * o.inter + (o.experts ? o.hidden * o.experts : 0);
    const norms = (o.normsPerLayer ?? 2) * o.hidden;
    return o.layers * (attention + mlp + norms) + o.vocab * o.hidden * (o.tied ? 1 : 2) + o.hidden;
  }
  const expected: Record<string, number> = {
    'llama-3.1-8b': decoder({ vocab: 128256, hidden: 4096, layers: 32, heads: 32, kv: 8, headDim: 128, inter: 14336, tied: false }),
    'llama-3.1-70b': decoder({ vocab: 128256, hidden: 8192, layers: 80, heads: 64, kv: 8, headDim: 128, inter: 28672, tied: false }),
    'llama-3.2-1b': decoder({ vocab: 128256, hidden: 2048, layers: 16, heads: 32, kv: 8, headDim: 64, inter: 8192, tied: true }),
    'llama-3.2-3b': decoder({ vocab: 128256, hidden: 3072, layers: 28, heads: 24, kv: 8, headDim: 128, inter: 8192, tied: true }),
    'mistral-7b-v0.1': decoder({ vocab: 32000, hidden: 4096, layers: 32, heads: 32, kv: 8, headDim: 128, inter: 14336, tied: false }),
    'mixtral-8x7b-v0.1': decoder({ vocab: 32000, hidden: 4096, layers: 32, heads: 32, kv: 8, headDim: 128, inter: 14336, tied: false, experts: 8 }),
    'qwen2.5-7b': decoder({ vocab: 152064, hidden: 3584, layers: 28, heads: 28, kv: 4, headDim: 128, inter: 18944, tied: false, qkvBias: true }),
    'qwen2.5-0.5b': decoder({ vocab: 151936, hidden: 896, layers: 24, heads: 14, kv: 2, headDim: 64, inter: 4864, tied: true, qkvBias: true }),
    'smollm2-135m': decoder({ vocab: 49152, hidden: 576, layers: 30, heads: 9, kv: 3, headDim: 64, inter: 1536, tied: true }),
    'gemma-2-9b': decoder({ vocab: 256000, hidden: 3584, layers: 42, heads: 16, kv: 8, headDim: 256, inter: 14336, tied: true, normsPerLayer: 4 }),
    'gemma-2-2b': decoder({ vocab: 256000, hidden: 2304, layers: 26, heads: 8, kv: 4, headDim: 256, inter: 9216, tied: true, normsPerLayer: 4 }),
    // Gemma 3 adds per-head q_norm and k_norm (2 × 128 per layer) to Gemma 2's four norms.
    'gemma-3-27b': decoder({ vocab: 262208, hidden: 5376, layers: 62, heads: 32, kv: 16, headDim: 128, inter: 21504, tied: true, normsPerLayer: 4 }) + 62 * 2 * 128,
    // Phi-3 fuses qkv and gate/up, which changes no count.
    'phi-3.5-mini': decoder({ vocab: 32064, hidden: 3072, layers: 32, heads: 32, kv: 32, headDim: 96, inter: 8192, tied: false }),
  };
  // GPT-2: token + position embeddings, per layer 2 LayerNorms (w+b), c_attn, c_proj, c_fc, mlp c_proj with biases.
  const h = 768;
  expected.gpt2 = 50257 * h + 1024 * h + 12 * (4 * h + (h * 3 * h + 3 * h) + (h * h + h) + (h * 4 * h + 4 * h) + (4 * h * h + h)) + 2 * h;
  // Falcon-7B: MQA fused qkv (71 + 2 heads of 64), dense, 4x MLP without biases, one LayerNorm (w+b) per layer.
  const f = 4544;
  expected['falcon-7b'] = 65024 * f + 32 * (f * (f + 2 * 64) + f * f + 2 * f * 4 * f + 2 * f) + 2 * f;
  // DeepSeek-V3 (config_671B.json): MLA projections, 3 dense layers then 58 MoE layers of 256 routed +
  // 1 shared expert (width 2048) with a router and its bias; untied lm_head.
  const d = 7168;
  const mlaAttention = d * 1536 + 1536 + 1536 * 128 * 192 + d * 576 + 512 + 512 * 128 * 256 + 128 * 128 * d;
  const dense = 3 * (mlaAttention + 2 * d + 3 * d * 18432);
  const moe = 58 * (mlaAttention + 2 * d + 257 * 3 * d * 2048 + 256 * d + 256);
  expected['deepseek-v3'] = dense + moe + 2 * 129280 * d + d;
  // Qwen3-30B-A3B: 48 layers, q/k/v/o of 32/4 heads of 128 plus per-head q_norm/k_norm, 128 experts of
  // width 768 with a router, no shared expert, untied lm_head.
  const qh = 2048;
  const qwenAttention = 2 * qh * 32 * 128 + 2 * qh * 4 * 128 + 2 * 128;
  expected['qwen3-30b-a3b'] = 48 * (qwenAttention + 2 * qh + 128 * 3 * qh * 768 + qh * 128) + 2 * 151936 * qh + qh;

  // The issue-21 families, tensor by tensor (kvcacheFamilies.test.ts explains each term and the published figures).
  const elmQ = [...Array(4).fill(12), ...Array(14).fill(16), ...Array(12).fill(20), ...Array(6).fill(24)] as number[];
  const elmFfn = [1536, 1792, 2048, 2560, 2816, 3072, 3328, 3584, 4096, 4352, 4608, 4864, 5120, 5632, 5888, 6144, 6400, 6656, 7168, 7424, 7680, 7936, 8192, 8704, 8960, 9216, 9472, 9728, 10240, 10496, 10752, 11008, 11264, 11776, 12032, 12288];
  expected['openelm-3b'] = elmQ.reduce((sum, qh, i) => sum + 3072 * (qh * 1.5) * 128 + qh * 128 * 3072 + 256 + 3 * 3072 * elmFfn[i] + 2 * 3072, 0) + 32000 * 3072 + 3072;
  const jambaMamba = 4096 * 16384 + 8192 * 5 + 8192 * 288 + 256 * 8192 + 8192 + 8192 * 17 + 8192 * 4096 + 288;
  const jambaMlp = 3 * 4096 * 14336;
  expected['jamba-v0.1'] = 4 * (2 * 4096 * 4096 + 2 * 4096 * 1024) + 28 * jambaMamba + 16 * jambaMlp + 16 * (16 * 4096 + 16 * jambaMlp) + 32 * 8192 + 2 * 65536 * 4096 + 4096;
  const nextExpert = 3 * 2048 * 512;
  expected['qwen3-next-80b-a3b'] = 12 * (2 * 2048 * 4096 + 2 * 2048 * 512 + 4096 * 2048 + 512)
    + 36 * (2048 * 12288 + 2048 * 64 + 8192 * 4 + 64 + 128 + 4096 * 2048)
    + 48 * (512 * 2048 + 513 * nextExpert + 2048 + 2 * 2048) + 2 * 151936 * 2048 + 2048;
  expected['falcon-h1-7b'] = 44 * (2 * 3072 * 1536 + 2 * 3072 * 256 + 3072 * 6680 + 3584 * 5 + 72 + 3072 * 3072 + 3 * 3072 * 12288 + 2 * 3072) + 2 * 130048 * 3072 + 3072;
  expected['gpt-oss-20b'] = 24 * (2 * 2880 * 4096 + 2 * 2880 * 512 + 4096 + 1024 + 2880 + 64 + 32 * 2881 + 32 * (3 * 2880 * 2880 + 3 * 2880) + 2 * 2880) + 2 * 201088 * 2880 + 2880;
  expected['llama-4-scout'] = 48 * (2 * 5120 * 5120 + 2 * 5120 * 1024 + 16 * 5120 + 17 * 3 * 5120 * 8192 + 2 * 5120) + 2 * 202048 * 5120 + 5120;

  for (const p of modelPresets()) {
    assert.equal(p.parameters, expected[p.id], p.id);
  }
  // Published headline figures, as a sanity check on the counting itself.
  assert.equal(expected['llama-3.1-8b'], 8_030_261_248);
  assert.equal(Math.round(expected['deepseek-v3'] / 1e9), 671);
  assert.equal(Math.round(expected['mixtral-8x7b-v0.1'] / 1e8) / 10, 46.7);
});
