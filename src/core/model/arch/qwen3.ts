// Qwen3 (Qwen3ForCausalLM) and Qwen3-MoE (Qwen3MoeForCausalLM, e.g. Qwen3-30B-A3B): the Llama block with a
// per-head RMSNorm of q and k (q_norm, k_norm over head_dim) after the projections and before RoPE, and
// head_dim taken from the config (it is not hidden_size / num_attention_heads: Qwen3-0.6B has 1024 / 16 and
// head_dim 128). Qwen3-MoE replaces the MLP of sparse layers by a router and num_experts SwiGLU experts:
// softmax over the router logits, the top num_experts_per_tok, renormalised when norm_topk_prob; a layer is
// sparse when it is not in mlp_only_layers and (layer + 1) % decoder_sparse_step == 0.
// Reference: transformers src/transformers/models/qwen3/modeling_qwen3.py (Qwen3Attention, Qwen3RMSNorm),
// models/qwen3/configuration_qwen3.py, models/qwen3_moe/modeling_qwen3_moe.py (Qwen3MoeSparseMoeBlock,
// Qwen3MoeDecoderLayer) and models/qwen3_moe/configuration_qwen3_moe.py.
import { configError, optionalId, positiveInt, positiveNumber, type ModelConfig, type MoeSpec } from '../config';
import { ModelLoadError } from '../errors';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import { names, type Architecture } from './architecture';
import { attentionDims, lmHeadOf, matchesType, requireSilu, ropeOf } from './common';

function parseQwen3(c: Record<string, unknown>, modelType: string, family: 'qwen3' | 'qwen3moe'): ModelConfig {
  const dims = attentionDims(c, 'required');
  requireSilu(c);
  const rope = ropeOf(c, 10000);
  if (c.use_sliding_window === true) throw new ModelLoadError('unsupportedArchitecture', 'config.json: Qwen3 with use_sliding_window=true is not supported');
  const layers = positiveInt(c, 'num_hidden_layers');
  let moe: MoeSpec | undefined;
  if (family === 'qwen3moe') {
    const step = positiveInt(c, 'decoder_sparse_step', 1);
    const mlpOnly = c.mlp_only_layers ?? [];
    if (!Array.isArray(mlpOnly) || mlpOnly.some((l) => !Number.isInteger(l))) throw configError('"mlp_only_layers" must be a list of layer numbers');
    const experts = positiveInt(c, 'num_experts');
    const topK = positiveInt(c, 'num_experts_per_tok');
    if (topK > experts) throw configError(`num_experts_per_tok (${topK}) exceeds num_experts (${experts})`);
    const sparse: number[] = [];
    for (let l = 0; l < layers; l++) if (!(mlpOnly as number[]).includes(l) && (l + 1) % step === 0) sparse.push(l);
    moe = { experts, topK, normalizeTopK: c.norm_topk_prob === true, intermediate: positiveInt(c, 'moe_intermediate_size'), layers: sparse };
  }
  return {
    family,
    modelType,
    layers,
    ...dims,
    // Qwen3-MoE's dense layers (mlp_only_layers) use intermediate_size; a model with none may omit it.
    intermediate: family === 'qwen3moe' && moe?.layers.length === layers ? positiveInt(c, 'intermediate_size', 1) : positiveInt(c, 'intermediate_size'),
    vocab: positiveInt(c, 'vocab_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', 32768),
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    tieEmbeddings: c.tie_word_embeddings === true,
    scaleByInverseLayer: false,
    bosTokenId: optionalId(c.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id),
    block: {
      norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: c.attention_bias === true ? 'qkv' : 'none', qkNorm: true,
      ...(moe ? { moe } : {}),
    },
  };
}

async function readQwen3(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const d = c.headDim;
  const qDim = c.heads * d;
  const kvDim = c.kvHeads * d;
  const moe = c.block.moe;
  const embed = await r.required(names('model.', 'embed_tokens.weight'), [c.vocab, h]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => names('model.', `layers.${l}.${s}`);
    const lw: LayerWeights = {
      norm1: await r.required(p('input_layernorm.weight'), [h]),
      q: await r.matrix(p('self_attn.q_proj.weight'), qDim, h),
      qBias: await r.optional(p('self_attn.q_proj.bias'), [qDim]),
      k: await r.matrix(p('self_attn.k_proj.weight'), kvDim, h),
      kBias: await r.optional(p('self_attn.k_proj.bias'), [kvDim]),
      v: await r.matrix(p('self_attn.v_proj.weight'), kvDim, h),
      vBias: await r.optional(p('self_attn.v_proj.bias'), [kvDim]),
      o: await r.matrix(p('self_attn.o_proj.weight'), h, qDim),
      oBias: await r.optional(p('self_attn.o_proj.bias'), [h]),
      qNorm: await r.required(p('self_attn.q_norm.weight'), [d]),
      kNorm: await r.required(p('self_attn.k_norm.weight'), [d]),
      norm2: await r.required(p('post_attention_layernorm.weight'), [h]),
    };
    if (moe && moe.layers.includes(l)) {
      const m = moe.intermediate;
      lw.router = await r.matrix(p('mlp.gate.weight'), moe.experts, h);
      lw.experts = [];
      for (let e = 0; e < moe.experts; e++) {
        lw.experts.push({
          gate: await r.matrix(p(`mlp.experts.${e}.gate_proj.weight`), m, h),
          up: await r.matrix(p(`mlp.experts.${e}.up_proj.weight`), m, h),
          down: await r.matrix(p(`mlp.experts.${e}.down_proj.weight`), h, m),
        });
      }
    } else {
      lw.gate = await r.matrix(p('mlp.gate_proj.weight'), c.intermediate, h);
      lw.up = await r.matrix(p('mlp.up_proj.weight'), c.intermediate, h);
      lw.down = await r.matrix(p('mlp.down_proj.weight'), h, c.intermediate);
    }
    layers.push(lw);
  }
  const finalNorm = await r.required(names('model.', 'norm.weight'), [h]);
  return { embed, layers, finalNorm, lmHead: await lmHeadOf(r, c, embed) };
}

/** Qwen3 dense models (Qwen3-0.6B … 32B). */
export const qwen3: Architecture = {
  family: 'qwen3',
  description: 'Qwen3 (Qwen3ForCausalLM)',
  matches: (config) => matchesType(config, ['qwen3'], ['Qwen3ForCausalLM']),
  parseConfig: (c, modelType) => parseQwen3(c, modelType, 'qwen3'),
  readWeights: readQwen3,
};

/** Qwen3 mixtures of experts (Qwen3-30B-A3B, Qwen3-235B-A22B). */
export const qwen3moe: Architecture = {
  family: 'qwen3moe',
  description: 'Qwen3-MoE (Qwen3MoeForCausalLM; e.g. Qwen3-30B-A3B)',
  matches: (config) => matchesType(config, ['qwen3_moe'], ['Qwen3MoeForCausalLM']),
  parseConfig: (c, modelType) => parseQwen3(c, modelType, 'qwen3moe'),
  readWeights: readQwen3,
};
