// Real models, written as the config.json fields that matter and read through shapeFromHfConfig and
// countParameters, so presets and opened files share one code path. Layer/head numbers: each model's
// published config.json (the URL in `source`) and ../shared/docs/domain-facts.md. Parameter counts come
// from countParameters (every tensor of the architecture: embeddings, attention, MLP/experts, norms,
// untied lm_head), which equals the safetensors totals the model pages show (e.g. 8,030,261,248 for
// Llama-3.1-8B); test/unit/kvcache.test.ts checks each against a count written out by hand. Where a count
// differs from the model card (a vision tower or a prediction module left out, an active figure without
// the embeddings), the preset's note says why; test/unit/kvcacheFamilies.test.ts checks those reasons.

import { AttentionShape } from './shape';
import { shapeFromHfConfig } from './hfConfig';
import { countParameters } from './parameters';

/** One model the panel offers (architecture.md), plus the config it was read from and its trained context. */
export interface ModelPreset {
  id: string;
  label: string;
  shape: AttentionShape;
  /** Total parameters, for weight memory (every expert of a mixture-of-experts model counts). */
  parameters: number;
  /** Parameters one token runs through (routed experts it is not sent to left out); = parameters when dense. */
  activeParameters: number;
  /** Where the numbers come from. */
  source: string;
  /** The config.json fields the shape is read from (a subset of the published file). */
  config: Record<string, unknown>;
  /** The longest context the model supports (max_position_embeddings, or its documented context). */
  contextLength: number;
}

interface PresetSpec {
  id: string;
  label: string;
  repo: string;
  note?: string;
  contextLength: number;
  config: Record<string, unknown>;
}

function llamaLike(
  modelType: string,
  layers: number,
  hidden: number,
  intermediate: number,
  heads: number,
  kvHeads: number,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    model_type: modelType,
    num_hidden_layers: layers,
    hidden_size: hidden,
    intermediate_size: intermediate,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    ...extra,
  };
}

const SPECS: PresetSpec[] = [
  {
    id: 'gpt2',
    label: 'GPT-2 (124M)',
    repo: 'openai-community/gpt2',
    note: 'tied embeddings; the hub shows 137M because its file also stores the attn.bias mask buffers',
    contextLength: 1024,
    config: { model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 },
  },
  {
    id: 'smollm2-135m',
    label: 'SmolLM2-135M',
    repo: 'HuggingFaceTB/SmolLM2-135M',
    contextLength: 8192,
    config: llamaLike('llama', 30, 576, 1536, 9, 3, { max_position_embeddings: 8192, vocab_size: 49152, tie_word_embeddings: true }),
  },
  {
    id: 'qwen2.5-0.5b',
    label: 'Qwen2.5-0.5B',
    repo: 'Qwen/Qwen2.5-0.5B',
    contextLength: 32768,
    config: llamaLike('qwen2', 24, 896, 4864, 14, 2, {
      max_position_embeddings: 32768,
      sliding_window: 32768,
      use_sliding_window: false,
      vocab_size: 151936,
      tie_word_embeddings: true,
    }),
  },
  {
    id: 'llama-3.2-1b',
    label: 'Llama-3.2-1B',
    repo: 'meta-llama/Llama-3.2-1B',
    contextLength: 131072,
    config: llamaLike('llama', 16, 2048, 8192, 32, 8, { head_dim: 64, max_position_embeddings: 131072, vocab_size: 128256, tie_word_embeddings: true }),
  },
  {
    id: 'gemma-2-2b',
    label: 'Gemma-2-2B',
    repo: 'google/gemma-2-2b',
    contextLength: 8192,
    config: llamaLike('gemma2', 26, 2304, 9216, 8, 4, { head_dim: 256, sliding_window: 4096, max_position_embeddings: 8192, vocab_size: 256000 }),
  },
  {
    id: 'llama-3.2-3b',
    label: 'Llama-3.2-3B',
    repo: 'meta-llama/Llama-3.2-3B',
    contextLength: 131072,
    config: llamaLike('llama', 28, 3072, 8192, 24, 8, { head_dim: 128, max_position_embeddings: 131072, vocab_size: 128256, tie_word_embeddings: true }),
  },
  {
    id: 'openelm-3b',
    label: 'OpenELM-3B',
    repo: 'apple/OpenELM-3B',
    note: 'per-layer heads: 12 to 24 query and 3 to 6 KV heads; input and output embeddings shared; 3.04B as in the OpenELM paper (arXiv 2404.14619); stored in float32',
    contextLength: 2048,
    config: {
      model_type: 'openelm',
      num_transformer_layers: 36,
      model_dim: 3072,
      head_dim: 128,
      num_gqa_groups: 4,
      qkv_multipliers: [0.5, 1.0],
      num_query_heads: [12, 12, 12, 12, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 24, 24, 24, 24, 24, 24],
      num_kv_heads: [3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6],
      ffn_multipliers: [
        0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2,
        2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0,
      ],
      ffn_dim_divisor: 256,
      ffn_with_glu: true,
      normalize_qk_projections: true,
      share_input_output_layers: true,
      max_context_length: 2048,
      vocab_size: 32000,
    },
  },
  {
    id: 'phi-3.5-mini',
    label: 'Phi-3.5-mini',
    repo: 'microsoft/Phi-3.5-mini-instruct',
    contextLength: 131072,
    config: llamaLike('phi3', 32, 3072, 8192, 32, 32, {
      max_position_embeddings: 131072,
      original_max_position_embeddings: 4096,
      sliding_window: 262144,
      vocab_size: 32064,
    }),
  },
  {
    id: 'falcon-7b',
    label: 'Falcon-7B',
    repo: 'tiiuae/falcon-7b',
    note: 'context 2048 tokens per the model card',
    contextLength: 2048,
    config: {
      model_type: 'falcon',
      num_hidden_layers: 32,
      hidden_size: 4544,
      num_attention_heads: 71,
      multi_query: true,
      new_decoder_architecture: false,
      parallel_attn: true,
      vocab_size: 65024,
    },
  },
  {
    id: 'mistral-7b-v0.1',
    label: 'Mistral-7B-v0.1',
    repo: 'mistralai/Mistral-7B-v0.1',
    contextLength: 32768,
    config: llamaLike('mistral', 32, 4096, 14336, 32, 8, { sliding_window: 4096, max_position_embeddings: 32768, vocab_size: 32000 }),
  },
  {
    id: 'qwen2.5-7b',
    label: 'Qwen2.5-7B',
    repo: 'Qwen/Qwen2.5-7B',
    contextLength: 131072,
    config: llamaLike('qwen2', 28, 3584, 18944, 28, 4, {
      max_position_embeddings: 131072,
      sliding_window: 131072,
      use_sliding_window: false,
      max_window_layers: 28,
      vocab_size: 152064,
    }),
  },
  {
    id: 'falcon-h1-7b',
    label: 'Falcon-H1-7B',
    repo: 'tiiuae/Falcon-H1-7B-Base',
    note: 'every layer runs attention and a Mamba-2 mixer side by side: all 44 layers keep KV AND a fixed state; 7.59B, the name\'s 7B',
    contextLength: 262144,
    config: {
      model_type: 'falcon_h1',
      num_hidden_layers: 44,
      hidden_size: 3072,
      intermediate_size: 12288,
      num_attention_heads: 12,
      num_key_value_heads: 2,
      head_dim: 128,
      mamba_d_ssm: 3072,
      mamba_n_heads: 24,
      mamba_d_head: 128,
      mamba_n_groups: 1,
      mamba_d_state: 256,
      mamba_d_conv: 4,
      mamba_expand: 2,
      max_position_embeddings: 262144,
      vocab_size: 130048,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    id: 'llama-3.1-8b',
    label: 'Llama-3.1-8B',
    repo: 'meta-llama/Llama-3.1-8B',
    contextLength: 131072,
    config: llamaLike('llama', 32, 4096, 14336, 32, 8, { max_position_embeddings: 131072, vocab_size: 128256 }),
  },
  {
    id: 'gemma-2-9b',
    label: 'Gemma-2-9B',
    repo: 'google/gemma-2-9b',
    contextLength: 8192,
    config: llamaLike('gemma2', 42, 3584, 14336, 16, 8, { head_dim: 256, sliding_window: 4096, max_position_embeddings: 8192, vocab_size: 256000 }),
  },
  {
    id: 'gpt-oss-20b',
    label: 'gpt-oss-20b',
    repo: 'openai/gpt-oss-20b',
    note: 'every other layer keeps a 128-token window; 32 experts, 4 per token. 20.91B total as in OpenAI\'s model card; its 3.61B active leaves out the 0.58B input embedding (a lookup), counted here (4.19B); the checkpoint stores the experts in MXFP4',
    contextLength: 131072,
    config: {
      model_type: 'gpt_oss',
      num_hidden_layers: 24,
      hidden_size: 2880,
      intermediate_size: 2880,
      num_attention_heads: 64,
      num_key_value_heads: 8,
      head_dim: 64,
      num_local_experts: 32,
      num_experts_per_tok: 4,
      attention_bias: true,
      sliding_window: 128,
      layer_types: Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
      max_position_embeddings: 131072,
      vocab_size: 201088,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    id: 'mixtral-8x7b-v0.1',
    label: 'Mixtral-8x7B-v0.1',
    repo: 'mistralai/Mixtral-8x7B-v0.1',
    note: 'all 8 experts count for memory; 2 run per token',
    contextLength: 32768,
    config: llamaLike('mixtral', 32, 4096, 14336, 32, 8, {
      num_local_experts: 8,
      num_experts_per_tok: 2,
      sliding_window: null,
      max_position_embeddings: 32768,
      vocab_size: 32000,
    }),
  },
  {
    id: 'gemma-3-27b',
    label: 'Gemma-3-27B (language model)',
    repo: 'google/gemma-3-27b-it',
    note: 'text_config; 5 of every 6 layers keep a 1024-token window (sliding_window_pattern 6); the vision tower is not counted',
    contextLength: 131072,
    config: llamaLike('gemma3_text', 62, 5376, 21504, 32, 16, {
      head_dim: 128,
      sliding_window: 1024,
      sliding_window_pattern: 6,
      max_position_embeddings: 131072,
      vocab_size: 262208,
    }),
  },
  {
    id: 'qwen3-30b-a3b',
    label: 'Qwen3-30B-A3B',
    repo: 'Qwen/Qwen3-30B-A3B',
    note: 'all 128 experts count for memory; 8 run per token',
    contextLength: 40960,
    config: llamaLike('qwen3_moe', 48, 2048, 6144, 32, 4, {
      head_dim: 128,
      moe_intermediate_size: 768,
      num_experts: 128,
      num_experts_per_tok: 8,
      decoder_sparse_step: 1,
      mlp_only_layers: [],
      max_position_embeddings: 40960,
      sliding_window: null,
      use_sliding_window: false,
      max_window_layers: 48,
      vocab_size: 151936,
      tie_word_embeddings: false,
    }),
  },
  {
    id: 'jamba-v0.1',
    label: 'Jamba-v0.1',
    repo: 'ai21labs/Jamba-v0.1',
    note: 'one attention layer in 8 keeps KV, the 28 Mamba layers hold a fixed state; 16 experts (2 per token) in every other layer: 51.6B total and 12.1B active, the model card\'s 52B and 12B',
    contextLength: 262144,
    config: {
      model_type: 'jamba',
      num_hidden_layers: 32,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      attn_layer_period: 8,
      attn_layer_offset: 4,
      expert_layer_period: 2,
      expert_layer_offset: 1,
      num_experts: 16,
      num_experts_per_tok: 2,
      mamba_d_state: 16,
      mamba_d_conv: 4,
      mamba_expand: 2,
      mamba_dt_rank: 256,
      mamba_conv_bias: true,
      mamba_proj_bias: false,
      max_position_embeddings: 262144,
      vocab_size: 65536,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    id: 'llama-3.1-70b',
    label: 'Llama-3.1-70B',
    repo: 'meta-llama/Llama-3.1-70B',
    contextLength: 131072,
    config: llamaLike('llama', 80, 8192, 28672, 64, 8, { max_position_embeddings: 131072, vocab_size: 128256 }),
  },
  {
    id: 'qwen3-next-80b-a3b',
    label: 'Qwen3-Next-80B-A3B',
    repo: 'Qwen/Qwen3-Next-80B-A3B-Instruct',
    note: 'every 4th layer is full attention, the other 36 Gated DeltaNet layers hold a fixed state; 512 experts, 10 + 1 shared per token. 79.7B: the checkpoint\'s multi-token-prediction layer (mtp.*, 1.65B more), which transformers does not load, is not counted; 3.87B active counts both 0.31B embedding matrices (3.25B without them, nearest the card\'s 3B)',
    contextLength: 262144,
    config: {
      model_type: 'qwen3_next',
      num_hidden_layers: 48,
      hidden_size: 2048,
      intermediate_size: 5120,
      num_attention_heads: 16,
      num_key_value_heads: 2,
      head_dim: 256,
      full_attention_interval: 4,
      linear_conv_kernel_dim: 4,
      linear_key_head_dim: 128,
      linear_value_head_dim: 128,
      linear_num_key_heads: 16,
      linear_num_value_heads: 32,
      moe_intermediate_size: 512,
      shared_expert_intermediate_size: 512,
      num_experts: 512,
      num_experts_per_tok: 10,
      decoder_sparse_step: 1,
      mlp_only_layers: [],
      max_position_embeddings: 262144,
      vocab_size: 151936,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    id: 'llama-4-scout',
    label: 'Llama-4-Scout-17B-16E (language model)',
    repo: 'meta-llama/Llama-4-Scout-17B-16E',
    note: 'text_config; 3 of every 4 layers attend within 8192-token chunks; 16 experts (1 per token) plus a shared expert in every layer. 107.8B: the card\'s 109B adds the vision encoder and projector (vision_config), not counted; 17.2B active, the card\'s 17B',
    contextLength: 10485760,
    config: {
      model_type: 'llama4',
      text_config: {
        model_type: 'llama4_text',
        num_hidden_layers: 48,
        hidden_size: 5120,
        intermediate_size: 8192,
        intermediate_size_mlp: 16384,
        num_attention_heads: 40,
        num_key_value_heads: 8,
        head_dim: 128,
        num_local_experts: 16,
        num_experts_per_tok: 1,
        interleave_moe_layer_step: 1,
        attention_chunk_size: 8192,
        no_rope_layer_interval: 4,
        use_qk_norm: true,
        attention_bias: false,
        max_position_embeddings: 10485760,
        vocab_size: 202048,
      },
      tie_word_embeddings: false,
    },
  },
  {
    id: 'deepseek-v3',
    label: 'DeepSeek-V3',
    repo: 'deepseek-ai/DeepSeek-V3',
    note: 'the 671B main model of the README; the 14B multi-token-prediction module is not counted',
    contextLength: 163840,
    config: {
      model_type: 'deepseek_v3',
      num_hidden_layers: 61,
      hidden_size: 7168,
      num_attention_heads: 128,
      num_key_value_heads: 128,
      q_lora_rank: 1536,
      kv_lora_rank: 512,
      qk_nope_head_dim: 128,
      qk_rope_head_dim: 64,
      v_head_dim: 128,
      intermediate_size: 18432,
      moe_intermediate_size: 2048,
      n_routed_experts: 256,
      n_shared_experts: 1,
      first_k_dense_replace: 3,
      moe_layer_freq: 1,
      num_experts_per_tok: 8,
      max_position_embeddings: 163840,
      tie_word_embeddings: false,
      vocab_size: 129280,
    },
  },
];

/** The built-in models (architecture.md), smallest first; each call returns fresh objects. */
export function modelPresets(): ModelPreset[] {
  return SPECS.map((spec) => {
    const config = structuredClone(spec.config);
    const source = `https://huggingface.co/${spec.repo}/blob/main/config.json` + (spec.note ? ` (${spec.note})` : '');
    const counts = countParameters(config);
    return {
      id: spec.id,
      label: spec.label,
      shape: shapeFromHfConfig(config),
      parameters: counts.total,
      activeParameters: counts.active,
      source,
      config,
      contextLength: spec.contextLength,
    };
  });
}
