import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvCacheError } from '../../src/core/kvcache/shape';
import { shapeFromHfConfig } from '../../src/core/kvcache/hfConfig';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';

// config.json files as published on the Hugging Face hub (the fields that exist there, including the
// ones that must be ignored), written out from the models' published values.

const LLAMA_31_8B = `{
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
  "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072,
  "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
  "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 128256
}`;

const LLAMA_32_1B = `{
  "architectures": ["LlamaForCausalLM"], "head_dim": 64, "hidden_size": 2048, "intermediate_size": 8192,
  "max_position_embeddings": 131072, "model_type": "llama", "num_attention_heads": 32,
  "num_hidden_layers": 16, "num_key_value_heads": 8, "rope_theta": 500000.0,
  "tie_word_embeddings": true, "torch_dtype": "bfloat16", "vocab_size": 128256
}`;

const MISTRAL_7B_V01 = `{
  "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
  "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
  "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
  "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "transformers_version": "4.34.0.dev0", "use_cache": true, "vocab_size": 32000
}`;

const MISTRAL_7B_V03 = `{
  "architectures": ["MistralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
  "num_hidden_layers": 32, "num_key_value_heads": 8, "rope_theta": 1000000.0,
  "sliding_window": null, "vocab_size": 32768
}`;

const MIXTRAL_8X7B = `{
  "architectures": ["MixtralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32,
  "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8,
  "output_router_logits": false, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
  "router_aux_loss_coef": 0.02, "sliding_window": null, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "transformers_version": "4.36.0.dev0", "use_cache": true, "vocab_size": 32000
}`;

const QWEN25_7B = `{
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
  "intermediate_size": 18944, "max_position_embeddings": 131072, "max_window_layers": 28,
  "model_type": "qwen2", "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
  "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "transformers_version": "4.43.1", "use_cache": true,
  "use_sliding_window": false, "vocab_size": 152064
}`;

const GEMMA2_9B = `{
  "architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
  "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
  "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 3584, "initializer_range": 0.02,
  "intermediate_size": 14336, "max_position_embeddings": 8192, "model_type": "gemma2",
  "num_attention_heads": 16, "num_hidden_layers": 42, "num_key_value_heads": 8, "pad_token_id": 0,
  "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
  "sliding_window_size": 4096, "torch_dtype": "float32", "transformers_version": "4.42.0.dev0",
  "use_cache": true, "vocab_size": 256000
}`;

const PHI35_MINI = `{
  "architectures": ["Phi3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 1, "embd_pdrop": 0.0, "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 3072,
  "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072,
  "model_type": "phi3", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
  "original_max_position_embeddings": 4096, "pad_token_id": 32000, "resid_pdrop": 0.0,
  "rms_norm_eps": 1e-05, "rope_scaling": {"type": "longrope", "long_factor": [1.0], "short_factor": [1.0]},
  "rope_theta": 10000.0, "sliding_window": 262144, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 32064
}`;

const FALCON_7B = `{
  "alibi": false, "apply_residual_connection_post_layernorm": false, "architectures": ["FalconForCausalLM"],
  "attention_dropout": 0.0, "bias": false, "bos_token_id": 11, "eos_token_id": 11, "hidden_dropout": 0.0,
  "hidden_size": 4544, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "falcon",
  "multi_query": true, "new_decoder_architecture": false, "num_attention_heads": 71,
  "num_hidden_layers": 32, "parallel_attn": true, "torch_dtype": "bfloat16", "use_cache": true,
  "vocab_size": 65024
}`;

// Falcon-40B as first published (RefinedWeb names: n_head, n_layer, n_head_kv).
const FALCON_40B_RW = `{
  "alibi": false, "apply_residual_connection_post_layernorm": false, "architectures": ["RWForCausalLM"],
  "bias": false, "bos_token_id": 11, "eos_token_id": 11, "hidden_size": 8192, "model_type": "RefinedWeb",
  "n_head": 128, "n_head_kv": 8, "n_layer": 60, "parallel_attn": true, "vocab_size": 65024
}`;

const FALCON_40B = `{
  "architectures": ["FalconForCausalLM"], "bias": false, "hidden_size": 8192, "model_type": "falcon",
  "new_decoder_architecture": true, "num_attention_heads": 128, "num_hidden_layers": 60,
  "num_kv_heads": 8, "parallel_attn": true, "vocab_size": 65024
}`;

const GPT2 = `{
  "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
  "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
  "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
  "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
  "summary_use_proj": true, "vocab_size": 50257
}`;

const DEEPSEEK_V3 = `{
  "architectures": ["DeepseekV3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "first_k_dense_replace": 3, "hidden_act": "silu", "hidden_size": 7168, "intermediate_size": 18432,
  "kv_lora_rank": 512, "max_position_embeddings": 163840, "model_type": "deepseek_v3",
  "moe_intermediate_size": 2048, "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256,
  "n_shared_experts": 1, "norm_topk_prob": true, "num_attention_heads": 128, "num_experts_per_tok": 8,
  "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1,
  "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
  "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "tie_word_embeddings": false,
  "topk_group": 4, "topk_method": "noaux_tc", "torch_dtype": "bfloat16", "v_head_dim": 128, "vocab_size": 129280
}`;

const DEEPSEEK_V2_LITE = `{
  "architectures": ["DeepseekV2ForCausalLM"], "first_k_dense_replace": 1, "hidden_size": 2048,
  "intermediate_size": 10944, "kv_lora_rank": 512, "max_position_embeddings": 163840,
  "model_type": "deepseek_v2", "moe_intermediate_size": 1408, "n_routed_experts": 64,
  "n_shared_experts": 2, "num_attention_heads": 16, "num_experts_per_tok": 6, "num_hidden_layers": 27,
  "num_key_value_heads": 16, "q_lora_rank": null, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
  "v_head_dim": 128, "vocab_size": 102400
}`;

const parse = (json: string) => shapeFromHfConfig(JSON.parse(json) as Record<string, unknown>);

test('Llama 3.1: GQA with 8 KV heads; head size derived from hidden / heads', () => {
  assert.deepEqual(parse(LLAMA_31_8B), { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 });
});

test('Llama 3.2: head_dim taken from the config', () => {
  assert.deepEqual(parse(LLAMA_32_1B), { layers: 16, queryHeads: 32, kvHeads: 8, headDim: 64 });
});

test('Mistral v0.1 slides every layer over 4096 tokens; v0.3 (sliding_window null) does not', () => {
  assert.deepEqual(parse(MISTRAL_7B_V01), { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128, slidingWindow: 4096 });
  assert.deepEqual(parse(MISTRAL_7B_V03), { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 });
});

test('Mixtral: GQA 8 KV heads, no window; experts do not change the cache', () => {
  const shape = parse(MIXTRAL_8X7B);
  assert.deepEqual(shape, { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 });
  assert.equal(kvCacheBytes(shape, { seqLen: 512, bytesPerElement: 2 }), 64 * 1024 * 1024);
});

test('Qwen2: sliding_window is ignored while use_sliding_window is false', () => {
  assert.deepEqual(parse(QWEN25_7B), { layers: 28, queryHeads: 28, kvHeads: 4, headDim: 128 });
});

test('Qwen2 with use_sliding_window: only layers from max_window_layers on slide', () => {
  const config = { ...JSON.parse(QWEN25_7B), use_sliding_window: true, sliding_window: 4096, max_window_layers: 20 };
  const shape = shapeFromHfConfig(config);
  assert.equal(shape.slidingWindow, 4096);
  assert.deepEqual(shape.slidingWindowLayers, [20, 21, 22, 23, 24, 25, 26, 27]);
  // max_window_layers = num_hidden_layers (as shipped): no layer slides.
  const none = shapeFromHfConfig({ ...config, max_window_layers: 28 });
  assert.equal(none.slidingWindow, undefined);
  // max_window_layers 0: every layer slides, written as "all layers".
  const all = shapeFromHfConfig({ ...config, max_window_layers: 0 });
  assert.equal(all.slidingWindow, 4096);
  assert.equal(all.slidingWindowLayers, undefined);
});

test('Gemma 2: head_dim 256 (not 3584 / 16), even layers slide', () => {
  const shape = parse(GEMMA2_9B);
  assert.equal(shape.headDim, 256);
  assert.equal(shape.kvHeads, 8);
  assert.equal(shape.slidingWindow, 4096);
  assert.deepEqual(shape.slidingWindowLayers, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
});

test('explicit layer_types (newer transformers) decide which layers slide', () => {
  const config = { ...JSON.parse(GEMMA2_9B), num_hidden_layers: 4, layer_types: ['full_attention', 'sliding_attention', 'full_attention', 'full_attention'] };
  assert.deepEqual(shapeFromHfConfig(config).slidingWindowLayers, [1]);
  assert.throws(() => shapeFromHfConfig({ ...config, layer_types: ['full_attention'] }), /layer_types/);
  // A kind nobody defined is named; chunked attention (Llama 4) is known but needs its chunk size.
  assert.throws(() => shapeFromHfConfig({ ...config, layer_types: ['full_attention', 'banana_attention', 'full_attention', 'full_attention'] }), /banana_attention/);
  assert.throws(() => shapeFromHfConfig({ ...config, layer_types: ['full_attention', 'chunked_attention', 'full_attention', 'full_attention'] }), /attention_chunk_size/);
});

test('Gemma 3 style sliding_window_pattern: every 6th layer is global', () => {
  const shape = shapeFromHfConfig({
    model_type: 'gemma3_text', num_hidden_layers: 12, num_attention_heads: 8, num_key_value_heads: 4,
    head_dim: 256, hidden_size: 2560, sliding_window: 1024, sliding_window_pattern: 6,
  });
  assert.deepEqual(shape.slidingWindowLayers, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
});

test('multimodal wrappers: the numbers come from text_config', () => {
  const shape = shapeFromHfConfig({ model_type: 'llava', vision_config: { hidden_size: 1024 }, text_config: JSON.parse(LLAMA_31_8B) });
  assert.deepEqual(shape, { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 });
});

test('Phi-3.5-mini: MHA (32 KV heads), head 96, window 262144 on every layer', () => {
  assert.deepEqual(parse(PHI35_MINI), { layers: 32, queryHeads: 32, kvHeads: 32, headDim: 96, slidingWindow: 262144 });
});

test('Falcon: multi_query means one KV head; the new architecture reads num_kv_heads', () => {
  assert.deepEqual(parse(FALCON_7B), { layers: 32, queryHeads: 71, kvHeads: 1, headDim: 64 });
  assert.deepEqual(parse(FALCON_40B), { layers: 60, queryHeads: 128, kvHeads: 8, headDim: 64 });
  assert.deepEqual(parse(FALCON_40B_RW), { layers: 60, queryHeads: 128, kvHeads: 8, headDim: 64 });
  // FalconConfig defaults multi_query to true: a Falcon config without it is MQA too.
  const noFlag = JSON.parse(FALCON_7B);
  delete noFlag.multi_query;
  assert.equal(shapeFromHfConfig(noFlag).kvHeads, 1);
  // Neither new architecture nor multi-query: plain MHA.
  assert.equal(shapeFromHfConfig({ ...JSON.parse(FALCON_7B), multi_query: false }).kvHeads, 71);
});

test('GPT-2: n_layer / n_head / n_embd, MHA because there is no KV-head field', () => {
  assert.deepEqual(parse(GPT2), { layers: 12, queryHeads: 12, kvHeads: 12, headDim: 64 });
});

test('a config without num_key_value_heads is MHA; GPT-BigCode multi_query is MQA', () => {
  const llama1 = { model_type: 'llama', num_hidden_layers: 32, num_attention_heads: 32, hidden_size: 4096 };
  assert.equal(shapeFromHfConfig(llama1).kvHeads, 32);
  assert.equal(shapeFromHfConfig({ ...llama1, num_key_value_heads: null }).kvHeads, 32);
  const santacoder = { model_type: 'gpt_bigcode', n_layer: 24, n_head: 16, n_embd: 2048, multi_query: true };
  assert.deepEqual(shapeFromHfConfig(santacoder), { layers: 24, queryHeads: 16, kvHeads: 1, headDim: 128 });
});

test('DeepSeek-V3 and V2-Lite: MLA latent 512 + rope 64; per-head width 128', () => {
  assert.deepEqual(parse(DEEPSEEK_V3), { layers: 61, queryHeads: 128, kvHeads: 128, headDim: 128, mla: { kvLoraRank: 512, ropeHeadDim: 64 } });
  const lite = parse(DEEPSEEK_V2_LITE);
  assert.deepEqual(lite, { layers: 27, queryHeads: 16, kvHeads: 16, headDim: 128, mla: { kvLoraRank: 512, ropeHeadDim: 64 } });
  assert.equal(kvCacheBytes(lite, { seqLen: 1, bytesPerElement: 2 }), 576 * 2 * 27);
});

function throwsField(config: unknown, field: string, pattern: RegExp): void {
  assert.throws(
    () => shapeFromHfConfig(config as Record<string, unknown>),
    (error: unknown) => error instanceof KvCacheError && error.field === field && pattern.test(error.message),
    `${field}: ${pattern}`,
  );
}

test('malformed configs throw errors that name the field', () => {
  const llama = JSON.parse(LLAMA_31_8B) as Record<string, unknown>;
  const without = (key: string) => {
    const copy = { ...llama };
    delete copy[key];
    return copy;
  };
  throwsField(without('num_hidden_layers'), 'num_hidden_layers', /no layer count.*"num_hidden_layers" or "n_layer"/);
  throwsField(without('num_attention_heads'), 'num_attention_heads', /no attention head count/);
  throwsField({ ...llama, num_hidden_layers: '32' }, 'num_hidden_layers', /"num_hidden_layers" must be a positive integer \(got "32"\)/);
  throwsField({ ...llama, num_hidden_layers: -32 }, 'num_hidden_layers', /got -32/);
  throwsField({ ...llama, num_hidden_layers: 0 }, 'num_hidden_layers', /positive integer/);
  throwsField({ ...llama, num_attention_heads: 32.5 }, 'num_attention_heads', /positive integer/);
  throwsField({ ...llama, num_key_value_heads: 0 }, 'num_key_value_heads', /positive integer/);
  throwsField({ ...llama, num_key_value_heads: 5 }, 'num_key_value_heads', /\(32\) must be a multiple of "num_key_value_heads" \(5\)/);
  throwsField({ ...llama, num_key_value_heads: 64 }, 'num_key_value_heads', /multiple/);
  throwsField({ ...llama, hidden_size: 4100 }, 'hidden_size', /not divisible by "num_attention_heads"/);
  throwsField(without('hidden_size'), 'hidden_size', /hidden size/);
  throwsField({ ...llama, head_dim: 'big' }, 'head_dim', /"head_dim" must be a positive integer/);
  throwsField({ ...JSON.parse(MISTRAL_7B_V01), sliding_window: -1 }, 'sliding_window', /positive integer/);
  throwsField({ ...JSON.parse(QWEN25_7B), use_sliding_window: 'yes' }, 'use_sliding_window', /true or false/);
  throwsField({ ...JSON.parse(FALCON_7B), multi_query: 1 }, 'multi_query', /true or false/);
  const v3 = JSON.parse(DEEPSEEK_V3) as Record<string, unknown>;
  delete v3.qk_rope_head_dim;
  throwsField(v3, 'qk_rope_head_dim', /kv_lora_rank/);
  throwsField({ ...JSON.parse(DEEPSEEK_V3), kv_lora_rank: -512 }, 'kv_lora_rank', /positive integer/);
  throwsField([], 'config', /JSON object/);
  throwsField(null, 'config', /JSON object/);
  throwsField('{"n_layer": 1}', 'config', /JSON object/);
  throwsField({}, 'num_hidden_layers', /no layer count/);
});

test('sizes no real model has are refused at once (a billion sliding layers would freeze the editor)', () => {
  const gemma = JSON.parse(GEMMA2_9B) as Record<string, unknown>;
  for (const [key, value] of [['num_hidden_layers', 1e9], ['num_attention_heads', 2 ** 20], ['kv_lora_rank', 1e7]] as const) {
    const config = key === 'kv_lora_rank' ? { ...(JSON.parse(DEEPSEEK_V3) as Record<string, unknown>), [key]: value } : { ...gemma, [key]: value, num_key_value_heads: 1 };
    assert.throws(() => shapeFromHfConfig(config), (e: unknown) => e instanceof KvCacheError && e.field === key && /no real model/.test(e.message), key);
  }
  // The largest accepted sizes still work: 10,000 layers.
  assert.equal(shapeFromHfConfig({ ...gemma, num_hidden_layers: 10_000 }).slidingWindowLayers?.length, 5000);
});
