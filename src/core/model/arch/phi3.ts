// Phi-3 / Phi-3.5 (Phi3ForCausalLM): the Llama block with fused projections — qkv_proj holds q, k and v
// stacked by rows (heads·head_dim, then kvHeads·head_dim twice) and gate_up_proj holds gate then up
// (`gate, up_states = up_states.chunk(2, dim=-1)`) — split once at load; Mistral's sliding window when
// config.sliding_window is set; LongRoPE rope_scaling (short/long factors, original_max_position_embeddings,
// the attention factor on cos/sin; parsed in config.ts after modeling_rope_utils._compute_longrope_parameters).
// Reference: transformers src/transformers/models/phi3/modeling_phi3.py (Phi3Attention, Phi3MLP) and
// models/phi3/configuration_phi3.py.
import { configError, optionalId, positiveInt, positiveNumber, type ModelConfig } from '../config';
import { weightRows, type WeightMatrix } from '../../tensor/weights';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import { names, type Architecture } from './architecture';
import { attentionDims, lmHeadOf, matchesType, requireSilu, ropeOf } from './common';

function parseConfig(c: Record<string, unknown>, modelType: string): ModelConfig {
  const dims = attentionDims(c, 'derived');
  requireSilu(c);
  const partial = c.partial_rotary_factor ?? 1;
  if (partial !== 1) throw configError(`partial_rotary_factor ${JSON.stringify(partial)} is not supported (only 1: RoPE over the whole head)`);
  const rope = ropeOf(c, 10000, dims.headDim);
  return {
    family: 'phi3',
    modelType,
    layers: positiveInt(c, 'num_hidden_layers'),
    ...dims,
    intermediate: positiveInt(c, 'intermediate_size'),
    vocab: positiveInt(c, 'vocab_size'),
    maxPositions: positiveInt(c, 'max_position_embeddings', 4096),
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-5),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    slidingWindow: typeof c.sliding_window === 'number' ? positiveInt(c, 'sliding_window') : undefined,
    tieEmbeddings: c.tie_word_embeddings === true,
    scaleByInverseLayer: false,
    bosTokenId: optionalId(c.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id),
    block: { norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'swiglu', biases: 'none' },
  };
}

/** Rows [from, from + rows) of a fused matrix, as its own WeightMatrix (a view, no copy; a streamed one stays on disk). */
function rowsOf(w: WeightMatrix, from: number, rows: number): WeightMatrix {
  return weightRows(w, from, rows);
}

async function readWeights(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const m = c.intermediate;
  const embed = await r.matrix(names('model.', 'embed_tokens.weight'), c.vocab, h);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => names('model.', `layers.${l}.${s}`);
    const qkv = await r.matrix(p('self_attn.qkv_proj.weight'), qDim + 2 * kvDim, h);
    const gateUp = await r.matrix(p('mlp.gate_up_proj.weight'), 2 * m, h);
    layers.push({
      norm1: await r.required(p('input_layernorm.weight'), [h]),
      q: rowsOf(qkv, 0, qDim),
      k: rowsOf(qkv, qDim, kvDim),
      v: rowsOf(qkv, qDim + kvDim, kvDim),
      o: await r.matrix(p('self_attn.o_proj.weight'), h, qDim),
      norm2: await r.required(p('post_attention_layernorm.weight'), [h]),
      gate: rowsOf(gateUp, 0, m),
      up: rowsOf(gateUp, m, m),
      down: await r.matrix(p('mlp.down_proj.weight'), h, m),
    });
  }
  const finalNorm = await r.required(names('model.', 'norm.weight'), [h]);
  return { embed, layers, finalNorm, lmHead: await lmHeadOf(r, c, embed) };
}

/** Phi-3 and Phi-3.5 mini/medium (Phi3ForCausalLM). */
export const phi3: Architecture = {
  family: 'phi3',
  description: 'Phi-3 (Phi3ForCausalLM; Phi-3/3.5 mini and medium)',
  matches: (config) => matchesType(config, ['phi3'], ['Phi3ForCausalLM']),
  parseConfig,
  readWeights,
};
