// The Llama family (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM): pre-norm blocks with RMSNorm,
// RoPE on q and k (half-split, Hugging Face layout), grouped-query attention and a SwiGLU MLP.
// Reference: transformers src/transformers/models/llama/modeling_llama.py (LlamaDecoderLayer, LlamaMLP),
// models/mistral/modeling_mistral.py (sliding window), models/qwen2/modeling_qwen2.py (q/k/v biases).
import { configError, optionalId, parseRopeScaling, positiveInt, positiveNumber, type ModelConfig } from '../config';
import { ModelLoadError } from '../errors';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import { names, type Architecture } from './architecture';

const LLAMA_TYPES: Readonly<Record<string, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

function parseConfig(c: Record<string, unknown>, modelType: string): ModelConfig {
  const hidden = positiveInt(c, 'hidden_size');
  const heads = positiveInt(c, 'num_attention_heads');
  const kvHeads = positiveInt(c, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw configError(`num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  if (c.head_dim === undefined || c.head_dim === null) {
    if (hidden % heads !== 0) throw configError(`hidden_size (${hidden}) is not divisible by num_attention_heads (${heads}) and no head_dim is given`);
  }
  const headDim = c.head_dim === undefined || c.head_dim === null ? hidden / heads : positiveInt(c, 'head_dim');
  if (headDim % 2 !== 0) throw configError(`head_dim ${headDim} must be even for RoPE`);
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu' && act !== 'swish') throw configError(`hidden_act "${String(act)}" is not supported (Llama-family models use silu)`);
  if (modelType === 'qwen2' && c.use_sliding_window === true) {
    throw new ModelLoadError('unsupportedArchitecture', 'config.json: Qwen2 with use_sliding_window=true is not supported');
  }
  let slidingWindow: number | undefined;
  if (modelType === 'mistral' && typeof c.sliding_window === 'number') slidingWindow = positiveInt(c, 'sliding_window');
  return {
    family: 'llama',
    modelType,
    layers: positiveInt(c, 'num_hidden_layers'),
    hidden,
    heads,
    kvHeads,
    headDim,
    intermediate: positiveInt(c, 'intermediate_size'),
    vocab: positiveInt(c, 'vocab_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', 2048),
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: positiveNumber(c, 'rope_theta', 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling),
    slidingWindow,
    tieEmbeddings: c.tie_word_embeddings === true,
    scaleByInverseLayer: false,
    bosTokenId: optionalId(c.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id),
    // Qwen2 always has q/k/v biases; Llama's attention_bias adds them to o_proj too. Either way they are read
    // when present (some exports carry them without saying so), so 'qkv' and 'none' only describe the config.
    block: { norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: modelType === 'qwen2' || c.attention_bias === true ? 'qkv' : 'none' },
  };
}

async function readWeights(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const embed = await r.matrix(names('model.', 'embed_tokens.weight'), c.vocab, h);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => names('model.', `layers.${l}.${s}`);
    layers.push({
      norm1: await r.required(p('input_layernorm.weight'), [h]),
      q: await r.matrix(p('self_attn.q_proj.weight'), qDim, h),
      qBias: await r.optional(p('self_attn.q_proj.bias'), [qDim]),
      k: await r.matrix(p('self_attn.k_proj.weight'), kvDim, h),
      kBias: await r.optional(p('self_attn.k_proj.bias'), [kvDim]),
      v: await r.matrix(p('self_attn.v_proj.weight'), kvDim, h),
      vBias: await r.optional(p('self_attn.v_proj.bias'), [kvDim]),
      o: await r.matrix(p('self_attn.o_proj.weight'), h, qDim),
      oBias: await r.optional(p('self_attn.o_proj.bias'), [h]),
      norm2: await r.required(p('post_attention_layernorm.weight'), [h]),
      gate: await r.matrix(p('mlp.gate_proj.weight'), c.intermediate, h),
      gateBias: await r.optional(p('mlp.gate_proj.bias'), [c.intermediate]),
      up: await r.matrix(p('mlp.up_proj.weight'), c.intermediate, h),
      upBias: await r.optional(p('mlp.up_proj.bias'), [c.intermediate]),
      down: await r.matrix(p('mlp.down_proj.weight'), h, c.intermediate),
      downBias: await r.optional(p('mlp.down_proj.bias'), [h]),
    });
  }
  const finalNorm = await r.required(names('model.', 'norm.weight'), [h]);
  // Tied models have no lm_head; some untied-flagged exports also omit it, so fall back to the embedding.
  const lmHead = c.tieEmbeddings || !r.find(['lm_head.weight']) ? embed : await r.matrix(['lm_head.weight'], c.vocab, h);
  return { embed, layers, finalNorm, lmHead };
}

/** The Llama family: Llama 2/3, Mistral, Qwen2/2.5, SmolLM and others with the same block. */
export const llama: Architecture = {
  family: 'llama',
  description: 'Llama-family decoders (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM; e.g. Llama 2/3, Mistral, Qwen2/2.5, SmolLM)',
  matches: (config) => {
    const type = typeof config.model_type === 'string' ? config.model_type : '';
    const archs = Array.isArray(config.architectures) ? config.architectures.filter((a): a is string => typeof a === 'string') : [];
    return type in LLAMA_TYPES || archs.some((a) => Object.values(LLAMA_TYPES).includes(a));
  },
  parseConfig,
  readWeights,
};
