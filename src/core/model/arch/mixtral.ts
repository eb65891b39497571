// Mixtral (MixtralForCausalLM): Mistral's attention (GQA, RoPE, optional sliding window) with a sparse
// mixture-of-experts MLP in every layer: router logits (block_sparse_moe.gate) → softmax over the
// num_local_experts experts → the top num_experts_per_tok, renormalised to sum 1 → each chosen expert's
// SwiGLU MLP (w2(silu(w1·x) · w3·x)) weighted by its gate and summed; the other experts do not run.
// Reference: transformers src/transformers/models/mixtral/modeling_mixtral.py (MixtralSparseMoeBlock,
// MixtralBlockSparseTop2MLP) and models/mixtral/configuration_mixtral.py.
import { configError, optionalId, positiveInt, positiveNumber, type ModelConfig } from '../config';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import { names, type Architecture } from './architecture';
import { attentionDims, lmHeadOf, matchesType, requireSilu, ropeOf } from './common';

function parseConfig(c: Record<string, unknown>, modelType: string): ModelConfig {
  const dims = attentionDims(c, 'derived');
  requireSilu(c);
  const rope = ropeOf(c, 1e6);
  const layers = positiveInt(c, 'num_hidden_layers');
  const experts = positiveInt(c, 'num_local_experts');
  const topK = positiveInt(c, 'num_experts_per_tok');
  if (topK > experts) throw configError(`num_experts_per_tok (${topK}) exceeds num_local_experts (${experts})`);
  const intermediate = positiveInt(c, 'intermediate_size');
  return {
    family: 'mixtral',
    modelType,
    layers,
    ...dims,
    intermediate,
    vocab: positiveInt(c, 'vocab_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', 4096 * 32),
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-5),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    slidingWindow: typeof c.sliding_window === 'number' ? positiveInt(c, 'sliding_window') : undefined,
    tieEmbeddings: c.tie_word_embeddings === true,
    scaleByInverseLayer: false,
    bosTokenId: optionalId(c.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id),
    block: {
      norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: 'none',
      moe: { experts, topK, normalizeTopK: true, intermediate, layers: Array.from({ length: layers }, (_, l) => l) },
    },
  };
}

async function readWeights(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const m = c.intermediate;
  const E = c.block.moe?.experts ?? 0;
  const embed = await r.required(names('model.', 'embed_tokens.weight'), [c.vocab, h]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => names('model.', `layers.${l}.${s}`);
    const experts = [];
    for (let e = 0; e < E; e++) {
      experts.push({
        gate: await r.matrix(p(`block_sparse_moe.experts.${e}.w1.weight`), m, h),
        down: await r.matrix(p(`block_sparse_moe.experts.${e}.w2.weight`), h, m),
        up: await r.matrix(p(`block_sparse_moe.experts.${e}.w3.weight`), m, h),
      });
    }
    layers.push({
      norm1: await r.required(p('input_layernorm.weight'), [h]),
      q: await r.matrix(p('self_attn.q_proj.weight'), qDim, h),
      k: await r.matrix(p('self_attn.k_proj.weight'), kvDim, h),
      v: await r.matrix(p('self_attn.v_proj.weight'), kvDim, h),
      o: await r.matrix(p('self_attn.o_proj.weight'), h, qDim),
      norm2: await r.required(p('post_attention_layernorm.weight'), [h]),
      router: await r.matrix(p('block_sparse_moe.gate.weight'), E, h),
      experts,
    });
  }
  const finalNorm = await r.required(names('model.', 'norm.weight'), [h]);
  return { embed, layers, finalNorm, lmHead: await lmHeadOf(r, c, embed) };
}

/** Mixtral 8x7B / 8x22B and checkpoints saved in its format. */
export const mixtral: Architecture = {
  family: 'mixtral',
  description: 'Mixtral (MixtralForCausalLM)',
  matches: (config) => matchesType(config, ['mixtral'], ['MixtralForCausalLM']),
  parseConfig,
  readWeights,
};
