import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionShape, KvCacheError, checkShape } from '../../src/core/kvcache/shape';
import { shapeFromHfConfig } from '../../src/core/kvcache/hfConfig';
import { kvCacheBreakdown, kvCacheBytes, stateBytes } from '../../src/core/kvcache/bytes';
import { maxContextForBudget } from '../../src/core/kvcache/budget';
import { kvCacheReport } from '../../src/core/kvcache/report';

// Each family's config.json fields as published (the values named in each test), read through
// shapeFromHfConfig, then checked against bytes computed by hand from those values. bf16 = 2 bytes.

const JAMBA_V01 = {
  // ai21labs/Jamba-v0.1 config.json
  model_type: 'jamba', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
  attn_layer_period: 8, attn_layer_offset: 4, expert_layer_period: 2, expert_layer_offset: 1, num_experts: 16,
  mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2, mamba_dt_rank: 256, torch_dtype: 'bfloat16',
};

test('Jamba: one attention layer in 8 (offset 4) keeps KV; the 28 Mamba layers hold conv + SSM state', () => {
  const shape = shapeFromHfConfig(JAMBA_V01);
  assert.deepEqual(shape.kvLayers, [4, 12, 20, 28]);
  assert.equal(shape.headDim, 128); // 4096 / 32
  // Per token: 4 KV layers × 2 (K,V) × 8 heads × 128 × 2 bytes = 16,384.
  assert.equal(kvCacheBytes(shape, { seqLen: 1, bytesPerElement: 2 }), 16_384);
  // Mamba state per layer: (expand 2 × 4096 = 8192) × (d_conv 4 + d_state 16) = 163,840 elements; 28 layers, bf16.
  assert.equal(shape.stateBytesPerSequence, 28 * 163_840 * 2);
  assert.equal(stateBytes(shape, 3), 3 * 9_175_040);
  const b = kvCacheBreakdown(shape, { seqLen: 1000, batch: 2, bytesPerElement: 2 });
  assert.equal(b.stateLayers, 28);
  assert.equal(b.fullLayers, 4);
  assert.equal(b.stateBytes, 2 * 9_175_040);
  // The state is reported apart: bytes is the growing cache only.
  assert.equal(b.bytes, 16_384 * 1000 * 2);
});

const QWEN3_NEXT_80B = {
  // Qwen/Qwen3-Next-80B-A3B-Instruct config.json
  model_type: 'qwen3_next', num_hidden_layers: 48, hidden_size: 2048, num_attention_heads: 16, num_key_value_heads: 2,
  head_dim: 256, full_attention_interval: 4, linear_conv_kernel_dim: 4, linear_key_head_dim: 128,
  linear_value_head_dim: 128, linear_num_key_heads: 16, linear_num_value_heads: 32, torch_dtype: 'bfloat16',
};

test('Qwen3-Next: every 4th layer is full attention; Gated DeltaNet layers hold a recurrent + conv state', () => {
  const shape = shapeFromHfConfig(QWEN3_NEXT_80B);
  assert.deepEqual(shape.kvLayers, [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47]);
  // 12 layers × 2 × 2 KV heads × 256 × 2 bytes = 24,576 per token.
  assert.equal(kvCacheBytes(shape, { seqLen: 1, bytesPerElement: 2 }), 24_576);
  // DeltaNet: 32 × 128 × 128 = 524,288 recurrent + (2·16·128 + 32·128 = 8192) × 4 conv = 557,056 elements; 36 layers.
  assert.equal(shape.stateBytesPerSequence, 36 * 557_056 * 2);
  // layer_types, when written out, wins over full_attention_interval.
  const types = Array.from({ length: 48 }, (_, i) => (i < 2 ? 'full_attention' : 'linear_attention'));
  const fromTypes = shapeFromHfConfig({ ...QWEN3_NEXT_80B, layer_types: types });
  assert.deepEqual(fromTypes.kvLayers, [0, 1]);
  assert.equal(fromTypes.stateBytesPerSequence, 46 * 557_056 * 2);
});

test('Falcon-H1 (FalconH1Config defaults): every layer keeps KV AND a Mamba-2 state', () => {
  // The defaults of configuration_falcon_h1.py, written out.
  const shape = shapeFromHfConfig({
    model_type: 'falcon_h1', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
    mamba_d_ssm: 1024, mamba_n_heads: 128, mamba_d_head: 'auto', mamba_n_groups: 1, mamba_d_state: 256, mamba_d_conv: 4,
  });
  assert.equal(shape.kvLayers, undefined);
  // 32 layers × 2 × 8 × 128 × 2 = 131,072 per token.
  assert.equal(kvCacheBytes(shape, { seqLen: 1, bytesPerElement: 2 }), 131_072);
  // Mamba-2: conv (1024 + 2·1·256) × 4 = 6,144; ssm 128 heads × (1024/128 = 8) × 256 = 262,144; 32 layers.
  assert.equal(shape.stateBytesPerSequence, 32 * 268_288 * 2);
});

test('gpt-oss: alternating 128-token window from layer_types; default alternation starts sliding', () => {
  // openai/gpt-oss-20b config.json: 24 layers, 64 heads, 8 KV heads, head_dim 64, sliding_window 128.
  const base = { model_type: 'gpt_oss', num_hidden_layers: 24, hidden_size: 2880, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 64, sliding_window: 128 };
  const types = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
  const shape = shapeFromHfConfig({ ...base, layer_types: types });
  assert.deepEqual(shapeFromHfConfig(base), shape);
  assert.equal(shape.slidingWindowLayers?.length, 12);
  // At 4096 tokens: 12 full × 1024 elements × 4096 × 2 + 12 sliding × 1024 × 128 × 2.
  assert.equal(kvCacheBytes(shape, { seqLen: 4096, bytesPerElement: 2 }), 100_663_296 + 3_145_728);
});

test('Llama 4: chunked layers keep min(seqLen, attention_chunk_size); every 4th layer is global', () => {
  // meta-llama/Llama-4-Scout-17B-16E config.json, text_config.
  const config = {
    model_type: 'llama4',
    text_config: { model_type: 'llama4_text', num_hidden_layers: 48, hidden_size: 5120, num_attention_heads: 40, num_key_value_heads: 8, head_dim: 128, attention_chunk_size: 8192 },
  };
  const shape = shapeFromHfConfig(config);
  assert.equal(shape.windowKind, 'chunked');
  assert.equal(shape.slidingWindow, 8192);
  assert.equal(shape.slidingWindowLayers?.length, 36);
  assert.ok(!shape.slidingWindowLayers?.includes(3) && shape.slidingWindowLayers?.includes(0));
  // 32,768 tokens, 4096 bytes per layer-token (2 × 8 × 128 × 2): 12 × 32768 + 36 × 8192 layer-tokens.
  assert.equal(kvCacheBytes(shape, { seqLen: 32_768, bytesPerElement: 2 }), 1_610_612_736 + 1_207_959_552);
  // Below the chunk every layer keeps every token.
  assert.equal(kvCacheBytes(shape, { seqLen: 100, bytesPerElement: 2 }), 48 * 100 * 4096);
  assert.equal(kvCacheBreakdown(shape, { seqLen: 10, bytesPerElement: 2 }).windowKind, 'chunked');
});

test('Gemma 3 27B: 10 global layers of 62 — read as all-global it would be 5.3× too large at 32K', () => {
  // google/gemma-3-27b-it config.json, text_config: 62 layers, 16 KV heads, head_dim 128, window 1024, pattern 6.
  const text = { model_type: 'gemma3_text', num_hidden_layers: 62, hidden_size: 5376, num_attention_heads: 32, num_key_value_heads: 16, head_dim: 128, sliding_window: 1024, sliding_window_pattern: 6 };
  const shape = shapeFromHfConfig({ model_type: 'gemma3', text_config: text });
  const types = Array.from({ length: 62 }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention'));
  assert.deepEqual(shapeFromHfConfig({ ...text, layer_types: types }), shape);
  // 8192 bytes per layer-token: 10 × 32768 + 52 × 1024.
  assert.equal(kvCacheBytes(shape, { seqLen: 32_768, bytesPerElement: 2 }), 2_684_354_560 + 436_207_616);
});

test('OpenELM-270M: per-layer KV heads from the list, or computed as OpenELMConfig does', () => {
  // apple/OpenELM-270M config.json: 16 layers, model_dim 1280, head_dim 64, num_gqa_groups 4, qkv_multipliers [0.5, 1.0].
  const kv = [3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5];
  const base = { model_type: 'openelm', num_transformer_layers: 16, model_dim: 1280, head_dim: 64, num_gqa_groups: 4, qkv_multipliers: [0.5, 1.0] };
  const listed = shapeFromHfConfig({ ...base, num_kv_heads: kv, num_query_heads: kv.map((h) => h * 4) });
  assert.deepEqual(listed.kvHeadsPerLayer, kv);
  assert.deepEqual(shapeFromHfConfig(base), listed);
  // Σ heads = 3·5 + 4·7 + 5·4 = 63; per token 63 × 2 × 64 × 2 bytes = 16,128.
  assert.equal(kvCacheBytes(listed, { seqLen: 1, bytesPerElement: 2 }), 16_128);
  const b = kvCacheBreakdown(listed, { seqLen: 10, bytesPerElement: 2 });
  assert.equal(b.perLayerHeads, true);
  assert.equal(b.fullKvHeads, 63);
  assert.equal(b.elements * 2, b.bytes);
  assert.throws(() => shapeFromHfConfig({ ...base, num_kv_heads: kv.slice(1) }), (e: unknown) => e instanceof KvCacheError && e.field === 'num_kv_heads');
});

test('bad input: kvLayers out of range, kvHeadsPerLayer of the wrong length, unknown layer kinds are named', () => {
  const base: AttentionShape = { layers: 4, queryHeads: 8, kvHeads: 2, headDim: 64 };
  const field = (shape: AttentionShape): string => {
    try {
      checkShape(shape);
    } catch (error) {
      assert.ok(error instanceof KvCacheError);
      return `${error.field}: ${error.message}`;
    }
    return 'no error';
  };
  assert.match(field({ ...base, kvLayers: [0, 4] }), /^kvLayers: .*0 to 3.*got 4/);
  assert.match(field({ ...base, kvLayers: [1, 1] }), /^kvLayers: .*twice/);
  assert.match(field({ ...base, kvHeadsPerLayer: [1, 2, 2] }), /^kvHeadsPerLayer: .*4 layers.*3 entries/);
  assert.match(field({ ...base, kvHeadsPerLayer: [1, 2, 0, 2] }), /^kvHeadsPerLayer\[2\]/);
  assert.match(field({ ...base, slidingWindow: 16, slidingWindowLayers: [2], kvLayers: [0, 1] }), /^slidingWindowLayers: .*layer 2.*not in kvLayers/);
  assert.match(field({ ...base, stateBytesPerSequence: -1 }), /^stateBytesPerSequence/);
  assert.throws(() => shapeFromHfConfig({ ...JAMBA_V01, layer_types: Array(32).fill('retention') }), /"retention"/);
  assert.throws(() => shapeFromHfConfig({ ...JAMBA_V01, layer_types: Array(31).fill('mamba') }), /31 entries/);
  // A layer without KV in a family with no state formula: refused, not counted as zero.
  assert.throws(() => shapeFromHfConfig({ model_type: 'llama', num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, layer_types: ['mamba', 'full_attention'] }), /no formula for their state/);
  assert.throws(() => shapeFromHfConfig({ ...JAMBA_V01, attn_layer_offset: 8 }), (e: unknown) => e instanceof KvCacheError && e.field === 'attn_layer_offset');
});

test('the budget takes a hybrid state off the top; a stack with no KV layer is unbounded', () => {
  const shape: AttentionShape = { layers: 2, queryHeads: 1, kvHeads: 1, headDim: 4, kvLayers: [1], stateBytesPerSequence: 100 };
  // 8 bytes per token (1 layer × 2 × 1 × 4 × 1 byte); budget 180 = 100 state + 80 → 10 tokens.
  assert.deepEqual(maxContextForBudget(shape, { budgetBytes: 180, bytesPerElement: 1 }), { kind: 'bounded', maxTokens: 10 });
  assert.deepEqual(maxContextForBudget(shape, { budgetBytes: 99, bytesPerElement: 1 }), { kind: 'none', maxTokens: 0 });
  assert.deepEqual(maxContextForBudget({ ...shape, kvLayers: [] }, { budgetBytes: 100, bytesPerElement: 1 }), { kind: 'unbounded', maxTokens: 0 });
  assert.equal(kvCacheBytes({ ...shape, kvLayers: [] }, { seqLen: 1000, bytesPerElement: 2 }), 0);
});

test('the panel report: a hybrid\'s total counts its fixed state; OpenELM\'s own row keeps its per-layer heads', () => {
  const jamba = shapeFromHfConfig(JAMBA_V01);
  const report = kvCacheReport({ shape: jamba, parameters: 1000, seqLen: 100, batch: 2, kvBytesPerElement: 2, weightsBytesPerElement: 2, budgets: [], chartMaxTokens: 1024, chartPoints: 8 });
  const own = report.variants.find((v) => v.isModel);
  assert.ok(own);
  // 16,384 bytes per token × 100 × 2 sequences, + 2,000 weight bytes, + 2 × 9,175,040 state bytes.
  assert.equal(own.kvBytes, 3_276_800);
  assert.equal(own.totalBytes, 3_276_800 + 2000 + 18_350_080);
  const kv = [3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5];
  const openelm = shapeFromHfConfig({ model_type: 'openelm', num_transformer_layers: 16, head_dim: 64, num_kv_heads: kv, num_query_heads: kv.map((h) => h * 4) });
  const rows = kvCacheReport({ shape: openelm, parameters: 0, seqLen: 1, batch: 1, kvBytesPerElement: 2, weightsBytesPerElement: 2, budgets: [], chartMaxTokens: 1024, chartPoints: 8 }).variants;
  assert.equal(rows.find((v) => v.isModel)?.kvBytes, 16_128);
  // The what-if rows are uniform: MQA is 1 head on each of 16 layers.
  assert.equal(rows.find((v) => v.kind === 'MQA')?.kvBytes, 16 * 2 * 64 * 2);
});
