// Real models, written as the config.json fields that matter and read through shapeFromHfConfig and
// countParameters, so presets and opened files share one code path. Layer/head numbers: each model's
// published config.json (the URL in `source`) and ../shared/docs/domain-facts.md. Parameter counts come
// from countParameters (every tensor of the architecture: embeddings, attention, MLP/experts, norms,
// untied lm_head), which equals the safetensors totals the model pages show (e.g. 8,030,261,248 for
// Llama-3.1-8B); test/unit/kvcache.test.ts checks each against a count written out by hand.

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
    id: 'llama-3.1-70b',
    label: 'Llama-3.1-70B',
    repo: 'meta-llama/Llama-3.1-70B',
    contextLength: 131072,
    config: llamaLike('llama', 80, 8192, 28672, 64, 8, { max_position_embeddings: 131072, vocab_size: 128256 }),
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
