import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countParameters } from '../../src/core/kvcache/parameters';
import { KvCacheError } from '../../src/core/kvcache/shape';
import { modelPresets } from '../../src/core/kvcache/presets';
import { loadModel } from '../../src/core/model/load';
import { embeddedModelDir } from '../../src/core/paths';
import { makeGpt2, makeLlama } from './attentionFixtures';

// Each expected count below is written out by hand from the config values it cites; the published
// headline figures (model cards, ../shared/docs/domain-facts.md) are checked against them.

const count = (config: Record<string, unknown>) => countParameters(config);
const billions = (n: number) => Math.round(n / 1e8) / 10;

test('Llama-3.1-8B: 8,030,261,248 (config: 32 layers, hidden 4096, 32/8 heads, MLP 14336, vocab 128256, untied)', () => {
  const config = {
    model_type: 'llama', num_hidden_layers: 32, hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32,
    num_key_value_heads: 8, vocab_size: 128256, tie_word_embeddings: false, attention_bias: false, mlp_bias: false,
  };
  // Per layer: q 4096·4096 + k, v 4096·1024 each + o 4096·4096 + MLP 3·4096·14336 + 2 RMSNorms of 4096.
  const layer = 4096 * 4096 * 2 + 4096 * 1024 * 2 + 3 * 4096 * 14336 + 2 * 4096;
  const expected = 32 * layer + 2 * 128256 * 4096 + 4096;
  assert.equal(expected, 8_030_261_248);
  assert.deepEqual(count(config), { total: 8_030_261_248, active: 8_030_261_248 });
  // Tied embeddings drop lm_head; attention_bias adds q/k/v/o biases on every layer.
  assert.equal(count({ ...config, tie_word_embeddings: true }).total, expected - 128256 * 4096);
  assert.equal(count({ ...config, attention_bias: true }).total, expected + 32 * (4096 + 1024 + 1024 + 4096));
  assert.equal(count({ ...config, mlp_bias: true }).total, expected + 32 * (2 * 14336 + 4096));
});

test('head_dim from the config wins over hidden / heads (Llama-3.2-1B: 64; Gemma-2-2B: 256, not 2304 / 8)', () => {
  const llama = { model_type: 'llama', num_hidden_layers: 16, hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, vocab_size: 128256, tie_word_embeddings: true };
  assert.equal(count(llama).total, 16 * (2 * 2048 * 2048 + 2 * 2048 * 512 + 3 * 2048 * 8192 + 2 * 2048) + 128256 * 2048 + 2048);
  assert.equal(count(llama).total, 1_235_814_400, 'the safetensors total the model page shows');
  // Gemma 2: four RMSNorms per layer, tied by default (Gemma2Config tie_word_embeddings=True).
  const gemma = { model_type: 'gemma2', num_hidden_layers: 26, hidden_size: 2304, intermediate_size: 9216, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, vocab_size: 256000 };
  const q = 8 * 256;
  const kv = 4 * 256;
  assert.equal(count(gemma).total, 26 * (2 * 2304 * q + 2 * 2304 * kv + 3 * 2304 * 9216 + 4 * 2304) + 256000 * 2304 + 2304);
  assert.equal(count(gemma).total, 2_614_341_888);
});

test('Qwen2: q/k/v biases (no o bias); Qwen2.5-7B is 7,615,616,512', () => {
  const config = {
    model_type: 'qwen2', num_hidden_layers: 28, hidden_size: 3584, intermediate_size: 18944, num_attention_heads: 28,
    num_key_value_heads: 4, vocab_size: 152064, tie_word_embeddings: false,
  };
  const layer = 2 * 3584 * 3584 + 2 * 3584 * 512 + (3584 + 2 * 512) + 3 * 3584 * 18944 + 2 * 3584;
  assert.equal(count(config).total, 28 * layer + 2 * 152064 * 3584 + 3584);
  assert.equal(count(config).total, 7_615_616_512);
  // attention_bias is a Llama switch; Qwen2 has its q/k/v biases whatever it says.
  assert.equal(count({ ...config, attention_bias: false }).total, 7_615_616_512);
});

test('GPT-2: learned positions, LayerNorms and Conv1D biases, tied lm_head: 124,439,808', () => {
  const config = { model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257, n_inner: null };
  const h = 768;
  const layer = 2 * 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + (h * 4 * h + 4 * h) + (4 * h * h + h);
  assert.equal(count(config).total, 50257 * h + 1024 * h + 12 * layer + 2 * h);
  assert.equal(count(config).total, 124_439_808);
  assert.equal(count({ ...config, n_inner: 1000 }).total, 124_439_808 - 12 * (2 * h * 4 * h + 4 * h) + 12 * (2 * h * 1000 + 1000));
});

test('Mixtral-8x7B: 46.7B total, 12.9B active (top-2 of 8 experts; router counted in both)', () => {
  const config = {
    model_type: 'mixtral', num_hidden_layers: 32, hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32,
    num_key_value_heads: 8, num_local_experts: 8, num_experts_per_tok: 2, vocab_size: 32000, tie_word_embeddings: false,
  };
  const attention = 2 * 4096 * 4096 + 2 * 4096 * 1024;
  const expert = 3 * 4096 * 14336;
  const router = 4096 * 8;
  const outside = 2 * 32000 * 4096 + 4096;
  const { total, active } = count(config);
  assert.equal(total, 32 * (attention + 2 * 4096 + router + 8 * expert) + outside);
  assert.equal(active, 32 * (attention + 2 * 4096 + router + 2 * expert) + outside);
  assert.equal(total, 46_702_792_704);
  assert.equal(billions(total), 46.7);
  assert.equal(billions(active), 12.9);
});

test('Qwen3-30B-A3B: 30.5B total, 3.3B active (128 experts of 768, top-8, q/k norms, no shared expert)', () => {
  const config = {
    model_type: 'qwen3_moe', num_hidden_layers: 48, hidden_size: 2048, intermediate_size: 6144, moe_intermediate_size: 768,
    num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, num_experts: 128, num_experts_per_tok: 8,
    decoder_sparse_step: 1, mlp_only_layers: [], vocab_size: 151936, tie_word_embeddings: false,
  };
  const attention = 2 * 2048 * 4096 + 2 * 2048 * 512 + 2 * 128;
  const expert = 3 * 2048 * 768;
  const always = attention + 2 * 2048 + 2048 * 128;
  const outside = 2 * 151936 * 2048 + 2048;
  const { total, active } = count(config);
  assert.equal(total, 48 * (always + 128 * expert) + outside);
  assert.equal(active, 48 * (always + 8 * expert) + outside);
  assert.equal(billions(total), 30.5);
  // The model card says 3.3B activated and 29.9B non-embedding parameters (3,353,229,312 and 29,909,989,376 here).
  assert.equal(Math.floor(active / 1e8) / 10, 3.3);
  assert.equal(billions(total - 2 * 151936 * 2048), 29.9);
  // A dense layer listed in mlp_only_layers uses intermediate_size; decoder_sparse_step 2 makes every other layer dense.
  const oneDense = count({ ...config, mlp_only_layers: [0] });
  assert.equal(oneDense.total, total - 128 * expert - 2048 * 128 + 3 * 2048 * 6144);
  const everyOther = count({ ...config, decoder_sparse_step: 2 });
  assert.equal(everyOther.total, total - 24 * (128 * expert + 2048 * 128 - 3 * 2048 * 6144));
});

test('Qwen1.5-MoE-A2.7B (qwen2_moe): shared expert and its gate, q/k/v biases: 14.3B total, 2.7B active', () => {
  const config = {
    model_type: 'qwen2_moe', num_hidden_layers: 24, hidden_size: 2048, intermediate_size: 5632, moe_intermediate_size: 1408,
    shared_expert_intermediate_size: 5632, num_attention_heads: 16, num_key_value_heads: 16, num_experts: 60,
    num_experts_per_tok: 4, decoder_sparse_step: 1, vocab_size: 151936, tie_word_embeddings: false,
  };
  const attention = 4 * 2048 * 2048 + 3 * 2048;
  const shared = 3 * 2048 * 5632 + 2048;
  const expert = 3 * 2048 * 1408;
  const always = attention + 2 * 2048 + 2048 * 60 + shared;
  const outside = 2 * 151936 * 2048 + 2048;
  const { total, active } = count(config);
  assert.equal(total, 24 * (always + 60 * expert) + outside);
  assert.equal(active, 24 * (always + 4 * expert) + outside);
  assert.equal(billions(total), 14.3);
  assert.equal(billions(active), 2.7);
});

test('DeepSeek-V3: 671,026,419,200 total and about 37B active (MLA, 3 dense layers, 256 routed + 1 shared expert)', () => {
  const config = {
    model_type: 'deepseek_v3', num_hidden_layers: 61, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048,
    num_attention_heads: 128, num_key_value_heads: 128, q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128,
    qk_rope_head_dim: 64, v_head_dim: 128, n_routed_experts: 256, n_shared_experts: 1, num_experts_per_tok: 8,
    first_k_dense_replace: 3, moe_layer_freq: 1, vocab_size: 129280, tie_word_embeddings: false, attention_bias: false,
  };
  const d = 7168;
  // q_a_proj, q_a_layernorm, q_b_proj (128 heads of 128 + 64), kv_a_proj_with_mqa (512 + 64), kv_a_layernorm,
  // kv_b_proj (128 heads of 128 + 128), o_proj.
  const mla = d * 1536 + 1536 + 1536 * 128 * 192 + d * 576 + 512 + 512 * 128 * 256 + 128 * 128 * d;
  const expert = 3 * d * 2048;
  const router = 256 * d + 256; // weight + e_score_correction_bias
  const dense = mla + 2 * d + 3 * d * 18432;
  const moeAlways = mla + 2 * d + router + expert; // one shared expert
  const outside = 2 * 129280 * d + d;
  const { total, active } = count(config);
  assert.equal(total, 3 * dense + 58 * (moeAlways + 256 * expert) + outside);
  assert.equal(total, 671_026_419_200);
  assert.equal(active, 3 * dense + 58 * (moeAlways + 8 * expert) + outside);
  assert.ok(active >= 37e9 && active < 38e9, `DeepSeek-V3 reports 37B activated (got ${active})`);
  // DeepSeek-V2-Lite: no q_lora_rank (a plain q_proj), 2 shared experts, no router bias.
  const lite = {
    model_type: 'deepseek_v2', num_hidden_layers: 27, hidden_size: 2048, intermediate_size: 10944, moe_intermediate_size: 1408,
    num_attention_heads: 16, q_lora_rank: null, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128,
    n_routed_experts: 64, n_shared_experts: 2, num_experts_per_tok: 6, first_k_dense_replace: 1, vocab_size: 102400,
  };
  const liteMla = 2048 * 16 * 192 + 2048 * 576 + 512 + 512 * 16 * 256 + 16 * 128 * 2048;
  const liteExpert = 3 * 2048 * 1408;
  const liteAlways = liteMla + 2 * 2048 + 64 * 2048 + 3 * 2048 * 2816;
  const liteTotal = liteMla + 2 * 2048 + 3 * 2048 * 10944 + 26 * (liteAlways + 64 * liteExpert) + 2 * 102400 * 2048 + 2048;
  assert.equal(count(lite).total, liteTotal);
  assert.equal(billions(liteTotal), 15.7, 'DeepSeek-V2-Lite: 15.7B total');
  assert.equal(billions(count(lite).active), 2.7, 'active, with the embeddings and lm_head counted as active');
});

test('Falcon-7B: multi-query fused qkv, parallel attention, one LayerNorm per layer, tied', () => {
  const config = { model_type: 'falcon', num_hidden_layers: 32, hidden_size: 4544, num_attention_heads: 71, multi_query: true, new_decoder_architecture: false, parallel_attn: true, bias: false, vocab_size: 65024 };
  const f = 4544;
  assert.equal(count(config).total, 65024 * f + 32 * (f * (f + 2 * 64) + f * f + 2 * f * 4 * f + 2 * f) + 2 * f);
  assert.equal(count(config).total, 6_921_720_704);
});

test('multimodal wrappers count their language model (text_config)', () => {
  const text = { model_type: 'llama', num_hidden_layers: 2, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, vocab_size: 100 };
  const wrapper = { model_type: 'llava', text_config: text, vision_config: { hidden_size: 1024 } };
  assert.deepEqual(count(wrapper), count(text));
  // A tie flag on the wrapper applies to the language model.
  assert.equal(count({ ...wrapper, tie_word_embeddings: true }).total, count(text).total - 100 * 64);
});

test('every preset takes its parameter count from countParameters', () => {
  for (const p of modelPresets()) {
    const counted = countParameters(p.config);
    assert.equal(p.parameters, counted.total, p.id);
    assert.equal(p.activeParameters, counted.active, p.id);
  }
  const byId = Object.fromEntries(modelPresets().map((p) => [p.id, p]));
  assert.equal(byId['llama-3.1-8b'].parameters, 8_030_261_248);
  assert.equal(byId['deepseek-v3'].parameters, 671_026_419_200);
  assert.ok(byId['mixtral-8x7b-v0.1'].activeParameters < byId['mixtral-8x7b-v0.1'].parameters);
});

test('the count equals the tensors really stored: the embedded model and generated Llama, Qwen2 and GPT-2 files', async () => {
  const embedded = embeddedModelDir();
  const config = JSON.parse(readFileSync(join(embedded, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(count(config).total, (await loadModel(embedded)).parameters, 'data/embedded-model');
  const llama = makeLlama({ layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 48, vocab: 50, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 1 });
  const qwen = makeLlama({ layers: 3, hidden: 24, heads: 6, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 70, ropeTheta: 10000, tied: false, qkvBias: true, modelType: 'qwen2', dtype: 'F32', seed: 2 });
  const gpt2 = makeGpt2({ layers: 2, hidden: 16, heads: 2, vocab: 40, positions: 32, prefix: true, maskBuffers: false, dtype: 'F32', seed: 3 });
  for (const { dir } of [llama, qwen, gpt2]) {
    const fileConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(count(fileConfig).total, (await loadModel(dir)).parameters, String(fileConfig.model_type));
  }
});

test('configs that cannot be counted say which field is at fault', () => {
  const fails = (config: unknown, field: string) =>
    assert.throws(() => countParameters(config as Record<string, unknown>), (e: unknown) => e instanceof KvCacheError && e.field === field, field);
  const llama = { model_type: 'llama', num_hidden_layers: 2, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, vocab_size: 100 };
  fails([], 'config');
  fails(null, 'config');
  fails({}, 'model_type');
  fails({ ...llama, model_type: 'mamba' }, 'model_type');
  fails({ ...llama, vocab_size: undefined }, 'vocab_size');
  fails({ ...llama, intermediate_size: '128' }, 'intermediate_size');
  fails({ ...llama, hidden_size: 65 }, 'head_dim');
  fails({ ...llama, tie_word_embeddings: 'yes' }, 'tie_word_embeddings');
  fails({ ...llama, num_hidden_layers: 1e300 }, 'num_hidden_layers');
  // A billion layers is no model: refused at once instead of walking them one by one.
  fails({ ...llama, num_hidden_layers: 1e9 }, 'num_hidden_layers');
  fails({ model_type: 'gpt2', n_layer: 1e9, n_embd: 8, n_positions: 8, vocab_size: 8 }, 'n_layer');
  fails({ ...llama, model_type: 'qwen3_moe', num_experts: 4, num_experts_per_tok: 2, mlp_only_layers: 'none' }, 'mlp_only_layers');
});
