import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParameters } from '../../src/core/kvcache/parameters';
import { KvCacheError } from '../../src/core/kvcache/shape';
import { shapeFromHfConfig } from '../../src/core/kvcache/hfConfig';
import { kvBytesPerToken, kvCacheBytes } from '../../src/core/kvcache/bytes';
import { modelPresets } from '../../src/core/kvcache/presets';

// The six families of issue 21, one real model each (the preset's published config.json values, quoted in
// each test). Every expected count is written out by hand from those values, tensor by tensor, following the
// modelling file named in src/core/kvcache/parameters.ts; the published headline figures (model cards) are
// then checked against the hand counts, and where they differ the reason is asserted too. bf16 = 2 bytes.

function preset(id: string) {
  const found = modelPresets().find((p) => p.id === id);
  assert.ok(found, `preset ${id} exists`);
  return found;
}

function throwsField(fn: () => unknown, field: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KvCacheError, `expected KvCacheError, got ${String(error)}`);
    assert.equal(error.field, field);
    assert.match(error.message, new RegExp(`"${field}"`));
    return true;
  });
}

function without(config: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...config };
  delete copy[key];
  return copy;
}

test('OpenELM-3B: per-layer heads and FFN widths, shared embeddings: 3,036,647,424 (the paper\'s 3.04B)', () => {
  const p = preset('openelm-3b');
  // apple/OpenELM-3B config.json: 36 layers, model_dim 3072, head_dim 128, query heads 12 (×4), 16 (×14),
  // 20 (×12), 24 (×6); KV heads a quarter of those (num_gqa_groups 4); ffn_multipliers 0.5, 0.6, … 4.0.
  const q = [...Array(4).fill(12), ...Array(14).fill(16), ...Array(12).fill(20), ...Array(6).fill(24)] as number[];
  const kv = q.map((h) => h / 4);
  assert.deepEqual(p.config.num_query_heads, q);
  assert.deepEqual(p.config.num_kv_heads, kv);
  // FFN width = make_divisible(m · 3072, 256): 0.5 → 1536, 0.6 → 1843.2 → 1792, 0.7 → 2150.4 → 2048, 0.8 → 2457.6 → 2560, …
  const ffn = [1536, 1792, 2048, 2560, 2816, 3072, 3328, 3584, 4096, 4352, 4608, 4864, 5120, 5632, 5888, 6144, 6400, 6656, 7168, 7424, 7680, 7936, 8192, 8704, 8960, 9216, 9472, 9728, 10240, 10496, 10752, 11008, 11264, 11776, 12032, 12288];
  let layers = 0;
  for (let i = 0; i < 36; i++) {
    // qkv_proj (3072 → (q + 2kv)·128), out_proj (q·128 → 3072), q_norm + k_norm (128 each), GLU FFN, 2 norms.
    layers += 3072 * (q[i] + 2 * kv[i]) * 128 + q[i] * 128 * 3072 + 2 * 128 + 3 * 3072 * ffn[i] + 2 * 3072;
  }
  const total = layers + 32000 * 3072 + 3072; // one shared embedding (share_input_output_layers), final norm
  assert.equal(total, 3_036_647_424);
  assert.deepEqual(countParameters(p.config), { total, active: total });
  assert.equal(p.parameters, total);
  // The [first, last] spelling of ffn_multipliers (OpenELMConfig's linspace) counts the same.
  assert.equal(countParameters({ ...p.config, ffn_multipliers: [0.5, 4.0] }).total, total);
  // Untied, lm_head adds a second 32000 × 3072 matrix.
  assert.equal(countParameters({ ...p.config, share_input_output_layers: false }).total, total + 32000 * 3072);
  // KV per token: Σ KV heads = 3·4 + 4·14 + 5·12 + 6·6 = 164, × 2 (K, V) × 128 × 2 bytes = 83,968.
  assert.equal(kvBytesPerToken(p.shape, 2), 164 * 2 * 128 * 2);
  assert.equal(kvBytesPerToken(p.shape, 2), 83_968);
  throwsField(() => countParameters(without(p.config, 'model_dim')), 'model_dim');
  throwsField(() => countParameters(without(p.config, 'num_query_heads')), 'num_query_heads');
  throwsField(() => countParameters(without(p.config, 'ffn_multipliers')), 'ffn_multipliers');
});

test('Jamba-v0.1: Mamba mixers, 4 attention layers, MoE every other layer: 51.6B total, 12.1B active (card: 52B / 12B)', () => {
  const p = preset('jamba-v0.1');
  // ai21labs/Jamba-v0.1 config.json: hidden 4096, 32 layers, 32/8 heads, intermediate 14336, 16 experts (top 2)
  // on odd layers (expert_layer_period 2, offset 1), attention at 4, 12, 20, 28 (period 8, offset 4),
  // mamba d_state 16, d_conv 4, expand 2 (inner 8192), dt_rank 256, conv bias, no projection bias, vocab 65536.
  const attention = 4096 * 4096 * 2 + 4096 * 1024 * 2;
  const inner = 8192;
  const mamba = 4096 * 2 * inner // in_proj
    + inner * 4 + inner // depthwise conv1d + bias
    + inner * (256 + 2 * 16) // x_proj
    + 256 * inner + inner // dt_proj + bias
    + inner * 16 + inner // A_log, D
    + inner * 4096 // out_proj
    + 256 + 16 + 16; // dt, B, C RMSNorms
  const mlp = 3 * 4096 * 14336;
  const moe = 16 * 4096 + 16 * mlp;
  const moeActive = 16 * 4096 + 2 * mlp;
  // 4 attention layers (all even: dense MLP), 28 Mamba layers (16 odd with MoE, 12 even with a dense MLP).
  const fixed = 4 * attention + 28 * mamba + 16 * mlp + 32 * 2 * 4096 + 2 * 65536 * 4096 + 4096;
  const total = fixed + 16 * moe;
  const active = fixed + 16 * moeActive;
  assert.deepEqual(countParameters(p.config), { total, active });
  assert.equal(total, 51_570_323_328);
  assert.equal(Math.round(total / 1e9), 52);
  assert.equal(Math.round(active / 1e9), 12);
  // Per-layer kinds follow layer_types like the KV shape does: all-attention would replace 28 mixers.
  const allAttention = { ...p.config, layer_types: Array(32).fill('attention') };
  assert.equal(countParameters(allAttention).total, total - 28 * mamba + 28 * attention);
  // KV per token: 4 attention layers × 2 × 8 heads × 128 × 2 bytes; the 28 Mamba layers keep
  // (8192 × (4 + 16)) values each, apart from the cache.
  assert.equal(kvBytesPerToken(p.shape, 2), 4 * 2 * 8 * 128 * 2);
  assert.equal(p.shape.stateBytesPerSequence, 28 * 8192 * (4 + 16) * 2);
  throwsField(() => countParameters(without(p.config, 'intermediate_size')), 'intermediate_size');
  throwsField(() => countParameters(without(p.config, 'num_experts_per_tok')), 'num_experts_per_tok');
});

test('Qwen3-Next-80B-A3B: Gated DeltaNet + gated attention, 512 experts + a shared one: 79.7B total, 3.87B active', () => {
  const p = preset('qwen3-next-80b-a3b');
  // Qwen/Qwen3-Next-80B-A3B-Instruct config.json: hidden 2048, 48 layers (every 4th full attention), 16/2 heads
  // of 256, linear 16 key / 32 value heads of 128, conv kernel 4, 512 experts of 512 (top 10) + a shared
  // expert of 512, vocab 151936, untied.
  const attention = 2048 * 16 * 256 * 2 /* q + gate */ + 2048 * 512 * 2 /* k, v */ + 4096 * 2048 /* o */ + 2 * 256;
  const keyDim = 16 * 128;
  const valueDim = 32 * 128;
  const deltaNet = 2048 * (2 * keyDim + 2 * valueDim) /* in_proj_qkvz */ + 2048 * 64 /* in_proj_ba */
    + (2 * keyDim + valueDim) * 4 /* conv1d */ + 32 + 32 /* dt_bias, A_log */ + 128 /* gated norm */ + valueDim * 2048;
  const expert = 3 * 2048 * 512;
  const moeAlways = 512 * 2048 /* router */ + expert /* shared */ + 2048 /* shared_expert_gate */;
  const fixed = 12 * attention + 36 * deltaNet + 48 * (moeAlways + 2 * 2048) + 2 * 151936 * 2048 + 2048;
  const total = fixed + 48 * 512 * expert;
  const active = fixed + 48 * 10 * expert;
  assert.deepEqual(countParameters(p.config), { total, active });
  assert.equal(total, 79_674_391_296);
  // The hub checkpoint also ships a multi-token-prediction layer (one attention + MoE layer, a 2·2048 → 2048
  // projection and norms) that transformers skips (_keys_to_ignore_on_load_unexpected = ^mtp): with it ≈ 81.3B.
  const mtp = attention + 512 * 2048 + 513 * expert + 2048 + 2 * 2048 * 2048 + 5 * 2048;
  assert.equal(Math.round((total + mtp) / 1e8) / 10, 81.3);
  // "A3B": the card's 3B is nearest the active count without the two 0.31B embedding matrices (3.25B);
  // without the input embedding alone (a lookup, no multiply) it is 3.56B.
  assert.equal(Math.round((active - 2 * 151936 * 2048) / 1e7) / 100, 3.25);
  assert.equal(Math.round((active - 151936 * 2048) / 1e7) / 100, 3.56);
  // KV per token: 12 full-attention layers × 2 × 2 heads × 256 × 2 bytes = 24,576. DeltaNet state per layer:
  // 32 × 128 × 128 recurrent + (2·2048 + 4096) × 4 conv = 557,056 values, 36 layers.
  assert.equal(kvBytesPerToken(p.shape, 2), 24_576);
  assert.equal(p.shape.stateBytesPerSequence, 36 * 557_056 * 2);
  throwsField(() => countParameters(without(p.config, 'moe_intermediate_size')), 'moe_intermediate_size');
});

test('Falcon-H1-7B: attention and a Mamba-2 mixer in every layer: 7,585,513,568 (7.59B)', () => {
  const p = preset('falcon-h1-7b');
  // tiiuae/Falcon-H1-7B-Base config.json: hidden 3072, 44 layers, 12/2 heads of 128, MLP 12288, mamba_d_ssm 3072,
  // 24 Mamba heads, 1 group, d_state 256, d_conv 4, vocab 130048, untied; FalconH1Config defaults: conv bias,
  // no projection biases, no Mamba RMSNorm.
  const attention = 3072 * 1536 * 2 + 3072 * 256 * 2;
  const convDim = 3072 + 2 * 256;
  const mixer = 3072 * (3072 + convDim + 24) /* in_proj: z/x, B/C, dt */ + convDim * 4 + convDim /* conv1d + bias */
    + 3 * 24 /* dt_bias, A_log, D */ + 3072 * 3072 /* out_proj */;
  const total = 44 * (attention + mixer + 3 * 3072 * 12288 + 2 * 3072) + 2 * 130048 * 3072 + 3072;
  assert.deepEqual(countParameters(p.config), { total, active: total });
  assert.equal(total, 7_585_513_568);
  assert.equal(countParameters({ ...p.config, mamba_rms_norm: true }).total, total + 44 * 3072);
  // KV per token: all 44 layers × 2 × 2 heads × 128 × 2 bytes = 45,056. Mamba-2 state per layer:
  // conv (3072 + 2·256) × 4 + ssm 24 heads × 128 × 256 = 800,768 values.
  assert.equal(kvBytesPerToken(p.shape, 2), 45_056);
  assert.equal(p.shape.kvLayers, undefined);
  assert.equal(p.shape.stateBytesPerSequence, 44 * 800_768 * 2);
  throwsField(() => countParameters(without(p.config, 'intermediate_size')), 'intermediate_size');
});

test('gpt-oss-20b and -120b: sinks, biases, 3-D experts: OpenAI\'s 20.91B / 3.61B and 116.83B / 5.13B', () => {
  const p = preset('gpt-oss-20b');
  // openai/gpt-oss-20b config.json: hidden 2880, 24 layers, 64/8 heads of 64, attention_bias, 32 experts of
  // 2880 (top 4), vocab 201088, untied.
  const attention = 2880 * 4096 + 4096 + 2 * (2880 * 512 + 512) + 4096 * 2880 + 2880 + 64 /* sinks */;
  const expert = 2880 * 5760 + 5760 + 2880 * 2880 + 2880; // gate_up_proj + bias, down_proj + bias
  const router = 32 * 2880 + 32;
  const embeddings = 2 * 201088 * 2880 + 2880;
  const total = 24 * (attention + router + 32 * expert + 2 * 2880) + embeddings;
  const active = 24 * (attention + router + 4 * expert + 2 * 2880) + embeddings;
  assert.deepEqual(countParameters(p.config), { total, active });
  assert.equal(total, 20_914_757_184);
  // OpenAI's model card: 20.91B total, 3.61B active; its active figure leaves out the input embedding.
  assert.equal(Math.round(total / 1e7) / 100, 20.91);
  assert.equal(Math.round((active - 201088 * 2880) / 1e7) / 100, 3.61);
  const big = countParameters({ ...p.config, num_hidden_layers: 36, num_local_experts: 128, layer_types: undefined });
  assert.equal(Math.round(big.total / 1e7) / 100, 116.83);
  assert.equal(Math.round((big.active - 201088 * 2880) / 1e7) / 100, 5.13);
  // KV: 12 full layers keep every token, 12 keep 128; 1,024 values (2 × 8 × 64) per layer-token, bf16.
  assert.equal(kvCacheBytes(p.shape, { seqLen: 8192, bytesPerElement: 2 }), (12 * 8192 + 12 * 128) * 1024 * 2);
  throwsField(() => countParameters(without(p.config, 'num_local_experts')), 'num_local_experts');
});

test('Llama-4-Scout: shared expert + 16 routed in every layer: 107.8B text (card 109B with vision), 17.2B active', () => {
  const p = preset('llama-4-scout');
  // meta-llama/Llama-4-Scout-17B-16E config.json, text_config: hidden 5120, 48 layers, 40/8 heads of 128,
  // 16 experts of 8192 (top 1) and a shared expert of 8192 in every layer (interleave_moe_layer_step 1),
  // vocab 202048, untied.
  const attention = 5120 * 5120 * 2 + 5120 * 1024 * 2;
  const expert = 3 * 5120 * 8192;
  const fixed = 48 * (attention + 16 * 5120 /* router */ + expert /* shared */ + 2 * 5120) + 2 * 202048 * 5120 + 5120;
  const total = fixed + 48 * 16 * expert;
  const active = fixed + 48 * 1 * expert;
  assert.deepEqual(countParameters(p.config), { total, active });
  assert.equal(total, 107_769_861_120);
  assert.equal(Math.round(active / 1e9), 17);
  // Maverick (128 experts, MoE on every second layer, dense MLP of intermediate_size_mlp 16384 between):
  // 400B total and 17B active on its card.
  const text = p.config.text_config as Record<string, unknown>;
  const maverick = countParameters({ ...text, num_local_experts: 128, interleave_moe_layer_step: 2 });
  const mavFixed = 48 * (attention + 2 * 5120) + 24 * 3 * 5120 * 16384 + 24 * (128 * 5120 + expert) + 2 * 202048 * 5120 + 5120;
  assert.deepEqual(maverick, { total: mavFixed + 24 * 128 * expert, active: mavFixed + 24 * expert });
  assert.equal(Math.round(maverick.total / 1e10) * 10, 400);
  assert.equal(Math.round(maverick.active / 1e9), 17);
  // An explicit moe_layers list wins over the interleave step.
  assert.deepEqual(countParameters({ ...text, interleave_moe_layer_step: 2, moe_layers: Array.from({ length: 48 }, (_, i) => i) }), { total, active });
  // KV at 32,768 tokens: 12 global layers keep all, 36 chunked layers keep 8192; 2 × 8 × 128 × 2 bytes each.
  assert.equal(kvCacheBytes(p.shape, { seqLen: 32_768, bytesPerElement: 2 }), (12 * 32_768 + 36 * 8192) * 4096);
  assert.equal(kvBytesPerToken(p.shape, 2), 48 * 4096);
  throwsField(() => countParameters({ ...text, interleave_moe_layer_step: 2, intermediate_size_mlp: undefined }), 'intermediate_size_mlp');
  throwsField(() => countParameters({ ...p.config, text_config: without(text, 'num_local_experts') }), 'num_local_experts');
});

test('every new-family preset reads into the same shape from its config as an opened config.json would', () => {
  for (const id of ['openelm-3b', 'jamba-v0.1', 'qwen3-next-80b-a3b', 'falcon-h1-7b', 'gpt-oss-20b', 'llama-4-scout']) {
    const p = preset(id);
    assert.deepEqual(p.shape, shapeFromHfConfig(JSON.parse(JSON.stringify(p.config)) as Record<string, unknown>), id);
    assert.match(p.source, /^https:\/\/huggingface\.co\/.+\/blob\/main\/config\.json \(.+\)$/, id);
  }
});
