// GPT-2 (GPT2LMHeadModel): pre-norm blocks with LayerNorm (with biases), learned absolute positions, one
// fused c_attn projection (Conv1D, stored [in, out]), a GELU-tanh MLP, biases on every linear layer.
// Reference: transformers src/transformers/models/gpt2/modeling_gpt2.py (GPT2Block, GPT2Attention, GPT2MLP).
import { configError, optionalId, positiveInt, positiveNumber, type ModelConfig } from '../config';
import { ModelLoadError } from '../errors';
import { transpose } from '../../tensor/kernels';
import { f32Weight, weightRows, type WeightMatrix } from '../../tensor/weights';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import { names, type Architecture } from './architecture';

function parseConfig(c: Record<string, unknown>, modelType: string): ModelConfig {
  const hidden = positiveInt(c, 'n_embd');
  const heads = positiveInt(c, 'n_head');
  if (hidden % heads !== 0) throw configError(`n_embd (${hidden}) must be divisible by n_head (${heads})`);
  const act = c.activation_function ?? 'gelu_new';
  // GPT-2 checkpoints use the tanh approximation ("gelu_new"); exact erf GELU would need another kernel.
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw configError(`activation_function "${String(act)}" is not supported (gelu_new is)`);
  if (c.scale_attn_weights === false) throw new ModelLoadError('unsupportedArchitecture', 'config.json: GPT-2 with scale_attn_weights=false is not supported');
  const inner = c.n_inner === null || c.n_inner === undefined ? 4 * hidden : positiveInt(c, 'n_inner');
  return {
    family: 'gpt2',
    modelType,
    layers: positiveInt(c, 'n_layer'),
    hidden,
    heads,
    kvHeads: heads,
    headDim: hidden / heads,
    intermediate: inner,
    vocab: positiveInt(c, 'vocab_size'),
    maxPositions: positiveInt(c, 'n_positions', 1024),
    normEps: positiveNumber(c, 'layer_norm_epsilon', 1e-5),
    ropeTheta: 0,
    ropeScaling: { type: 'default' },
    tieEmbeddings: true,
    scaleByInverseLayer: c.scale_attn_by_inverse_layer_idx === true,
    bosTokenId: optionalId(c.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id),
    block: { norm: 'layer', positions: 'learned', ropeStyle: 'half', mlp: 'gelu', biases: 'all' },
  };
}

async function readWeights(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const t = (s: string): string[] => names('transformer.', s);
  // wte is already [vocab, hidden] = [out, in]: a plain matrix (streamed when the budget says), tied to the unembedding.
  const embed = await r.matrix(t('wte.weight'), c.vocab, h);
  const positions = await r.required(t('wpe.weight'), [c.maxPositions, h]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => t(`h.${l}.${s}`);
    // Conv1D stores [in, out]; every projection becomes an [out, in] WeightMatrix (transposed once on load, or
    // read transposed from disk a tile at a time when the memory budget leaves it there).
    const conv = async (s: string, inDim: number, outDim: number): Promise<WeightMatrix> =>
      r.conv1d ? r.conv1d(p(s), inDim, outDim) : f32Weight(transpose(await r.required(p(s), [inDim, outDim]), inDim, outDim), outDim, inDim);
    const qkv = await conv('attn.c_attn.weight', h, 3 * h);
    const qkvBias = await r.required(p('attn.c_attn.bias'), [3 * h]);
    layers.push({
      norm1: await r.required(p('ln_1.weight'), [h]),
      norm1Bias: await r.required(p('ln_1.bias'), [h]),
      q: weightRows(qkv, 0, h),
      k: weightRows(qkv, h, h),
      v: weightRows(qkv, 2 * h, h),
      qBias: qkvBias.subarray(0, h),
      kBias: qkvBias.subarray(h, 2 * h),
      vBias: qkvBias.subarray(2 * h),
      o: await conv('attn.c_proj.weight', h, h),
      oBias: await r.required(p('attn.c_proj.bias'), [h]),
      norm2: await r.required(p('ln_2.weight'), [h]),
      norm2Bias: await r.required(p('ln_2.bias'), [h]),
      up: await conv('mlp.c_fc.weight', h, c.intermediate),
      upBias: await r.required(p('mlp.c_fc.bias'), [c.intermediate]),
      down: await conv('mlp.c_proj.weight', c.intermediate, h),
      downBias: await r.required(p('mlp.c_proj.bias'), [h]),
    });
  }
  return {
    embed,
    positions,
    layers,
    finalNorm: await r.required(t('ln_f.weight'), [h]),
    finalNormBias: await r.required(t('ln_f.bias'), [h]),
    lmHead: embed,
  };
}

/** GPT-2 and checkpoints with its block (GPT2LMHeadModel). */
export const gpt2: Architecture = {
  family: 'gpt2',
  description: 'GPT-2 (GPT2LMHeadModel)',
  matches: (config) => {
    const archs = Array.isArray(config.architectures) ? config.architectures : [];
    return config.model_type === 'gpt2' || archs.includes('GPT2LMHeadModel') || archs.includes('GPT2Model');
  },
  parseConfig,
  readWeights,
};
