// Gemma 2 (Gemma2ForCausalLM) and Gemma 3 text (Gemma3ForCausalLM, and the language model inside
// Gemma3ForConditionalGeneration: its text_config; the vision tower's tensors are never read).
// What differs from Llama, all from the modeling code:
// - embeddings × √hidden_size, the normalizer cast to the embedding's dtype first
//   (`torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)`; Gemma3TextScaledWordEmbedding);
// - RMSNorm multiplies by (1 + weight) (Gemma2RMSNorm): the 1 is added to every norm weight once at load;
// - four norms per layer: input_layernorm, post_attention_layernorm (on the attention output, before the
//   residual add), pre_feedforward_layernorm, post_feedforward_layernorm (on the MLP output);
// - GeGLU MLP with tanh-GELU (hidden_activation gelu_pytorch_tanh);
// - scores scaled by query_pre_attn_scalar^-½, then (Gemma 2 only) soft-capped: cap·tanh(s/cap) (Gemma3Attention
//   keeps attn_logit_softcapping but does not pass it on);
// - sliding-window attention on some layers (layer_types; else Gemma 2: every other layer from layer 0,
//   Gemma 3: all but every sliding_window_pattern-th); final logits soft-capped (final_logit_softcapping);
// - Gemma 3: per-head q_norm/k_norm (also 1 + weight) before RoPE; local layers rotate with
//   rope_local_base_freq and no rope_scaling, global ones with rope_theta and rope_scaling (linear on 4B+).
// Reference: transformers src/transformers/models/gemma2/modeling_gemma2.py (Gemma2RMSNorm, Gemma2Attention,
// Gemma2DecoderLayer, Gemma2Model, Gemma2ForCausalLM), models/gemma2/configuration_gemma2.py,
// models/gemma3/modeling_gemma3.py (Gemma3TextScaledWordEmbedding, Gemma3Attention, Gemma3TextModel's
// rotary_emb_local) and models/gemma3/configuration_gemma3.py (Gemma3TextConfig defaults).
import { configError, optionalId, positiveInt, positiveNumber, type ModelConfig, type RopeScaling } from '../config';
import { floatToBF16Bits, floatToHalfBits, decodeF16 } from '../../tensor/dtypes';
import { ModelLoadError } from '../errors';
import type { LayerWeights, ModelWeights, TensorSource } from '../weights';
import type { Architecture } from './architecture';
import { attentionDims, lmHeadOf, matchesType, plusOne, ropeOf, under } from './common';

/** `value` rounded to the model's dtype (config torch_dtype / dtype), as torch would hold it. */
export function inDtype(value: number, dtype: unknown): number {
  if (dtype === 'bfloat16') return new Float32Array(new Uint32Array([floatToBF16Bits(value) << 16]).buffer)[0];
  if (dtype === 'float16') {
    const bits = floatToHalfBits(value);
    const out = new Float32Array(1);
    decodeF16(new Uint8Array([bits & 0xff, bits >> 8]), out);
    return out[0];
  }
  return Math.fround(value);
}

/** A soft-cap key: a positive number, null (off), or absent (the family's default). */
function softcap(c: Record<string, unknown>, key: string, fallback: number | undefined): number | undefined {
  if (c[key] === null) return undefined;
  if (c[key] === undefined) return fallback;
  return positiveNumber(c, key, 1);
}

/** Which layers slide: layer_types when given, else the family's pattern. */
function slidingLayers(c: Record<string, unknown>, layers: number, pattern: number): number[] {
  const types = c.layer_types;
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types) || types.length !== layers || types.some((t) => t !== 'sliding_attention' && t !== 'full_attention')) {
      throw configError(`"layer_types" must list "sliding_attention" or "full_attention" for each of the ${layers} layers`);
    }
    return types.flatMap((t, l) => (t === 'sliding_attention' ? [l] : []));
  }
  // configuration_gemma2/3: "sliding_attention" if bool((i + 1) % pattern) else "full_attention".
  return Array.from({ length: layers }, (_, l) => l).filter((l) => (l + 1) % pattern !== 0);
}

/**
 * RoPE of Gemma: one base (Gemma 2); Gemma 3's global base + rope_scaling and local base (rope_local_base_freq),
 * or transformers 5's rope_parameters per layer type ({ full_attention: {…}, sliding_attention: {…} }).
 */
function gemmaRope(c: Record<string, unknown>, g3: boolean): { theta: number; scaling: RopeScaling; localTheta?: number } {
  const params = c.rope_parameters;
  if (g3 && typeof params === 'object' && params !== null && 'full_attention' in params) {
    const byType = params as Record<string, unknown>;
    const full = ropeOf({ rope_parameters: byType.full_attention }, 1e6);
    const local = ropeOf({ rope_parameters: byType.sliding_attention ?? { rope_theta: 10000 } }, 10000);
    if (local.scaling.type !== 'default') throw new ModelLoadError('unsupportedArchitecture', 'config.json: rope_parameters.sliding_attention with a rope_type other than default is not supported');
    return { ...full, localTheta: local.theta };
  }
  const main = ropeOf(c, g3 ? 1e6 : 10000);
  return g3 ? { ...main, localTheta: positiveNumber(c, 'rope_local_base_freq', 10000) } : main;
}

function parseGemma(top: Record<string, unknown>, modelType: string, family: 'gemma2' | 'gemma3'): ModelConfig {
  // Gemma 3 4B and up: a multimodal config whose language model is text_config.
  const nested = family === 'gemma3' && typeof top.text_config === 'object' && top.text_config !== null && !Array.isArray(top.text_config);
  const c = nested ? (top.text_config as Record<string, unknown>) : top;
  const g3 = family === 'gemma3';
  // Gemma 3's text_config leaves out what Gemma3TextConfig defaults (heads 8, kv 4, head_dim 256, vocab 262208).
  const dims = attentionDims(c, 256, g3 ? { heads: 8, kvHeads: 4 } : {});
  const act = c.hidden_activation ?? c.hidden_act ?? 'gelu_pytorch_tanh';
  if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_tanh') throw configError(`hidden_activation "${String(act)}" is not supported (Gemma uses gelu_pytorch_tanh)`);
  const layers = positiveInt(c, 'num_hidden_layers');
  const pattern = g3 ? positiveInt(c, c.sliding_window_pattern !== undefined ? 'sliding_window_pattern' : '_sliding_window_pattern', 6) : 2;
  const dtype = c.torch_dtype ?? c.dtype ?? top.torch_dtype ?? top.dtype;
  const slidingWindow = c.sliding_window === null ? undefined : positiveInt(c, 'sliding_window', 4096);
  // Gemma3Attention keeps attn_logit_softcapping but never passes it to the attention function: only Gemma 2 caps.
  const attnSoftcap = g3 ? undefined : softcap(c, 'attn_logit_softcapping', 50);
  if (c.use_bidirectional_attention === true) throw new ModelLoadError('unsupportedArchitecture', 'config.json: use_bidirectional_attention=true (an embedding model) is not supported');
  const rope = gemmaRope(c, g3);
  const finalSoftcap = softcap(c, 'final_logit_softcapping', g3 ? undefined : 30);
  return {
    family,
    modelType,
    layers,
    ...dims,
    intermediate: positiveInt(c, 'intermediate_size'),
    vocab: positiveInt(c, 'vocab_size', g3 ? 262208 : undefined),
    maxPositions: positiveInt(c, 'max_position_embeddings', g3 ? 131072 : 8192),
    normEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    slidingWindow,
    slidingWindowLayers: slidingWindow === undefined ? undefined : slidingLayers(c, layers, pattern),
    tieEmbeddings: c.tie_word_embeddings !== false,
    scaleByInverseLayer: false,
    bosTokenId: optionalId(c.bos_token_id ?? top.bos_token_id),
    eosTokenId: optionalId(c.eos_token_id ?? top.eos_token_id),
    block: {
      norm: 'rms', positions: 'rope', ropeStyle: 'half', mlp: 'geglu', biases: c.attention_bias === true ? 'qkv' : 'none',
      embedScale: inDtype(Math.sqrt(dims.hidden), dtype),
      queryScale: positiveNumber(c, 'query_pre_attn_scalar', 256) ** -0.5,
      postNorms: true,
      ...(attnSoftcap !== undefined ? { attnSoftcap } : {}),
      ...(finalSoftcap !== undefined ? { finalSoftcap } : {}),
      ...(rope.localTheta !== undefined ? { slidingRopeTheta: rope.localTheta } : {}),
      ...(g3 ? { qkNorm: true } : {}),
    },
  };
}

/** Tensor-name prefixes: Gemma3ForConditionalGeneration saves the language model under either of two. */
const PREFIXES = ['model.', 'model.language_model.', 'language_model.model.', ''];

async function readGemma(r: TensorSource, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const d = c.headDim;
  const qDim = c.heads * d;
  const kvDim = c.kvHeads * d;
  const m = c.intermediate;
  const qkNorm = c.block.qkNorm === true;
  const at = (s: string): string[] => under(PREFIXES, s);
  const embed = await r.required(at('embed_tokens.weight'), [c.vocab, h]);
  const norm = async (s: string, n = h): Promise<Float32Array> => plusOne(await r.required(at(s), [n]));
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = `layers.${l}.`;
    layers.push({
      norm1: await norm(p + 'input_layernorm.weight'),
      q: await r.matrix(at(p + 'self_attn.q_proj.weight'), qDim, h),
      qBias: await r.optional(at(p + 'self_attn.q_proj.bias'), [qDim]),
      k: await r.matrix(at(p + 'self_attn.k_proj.weight'), kvDim, h),
      kBias: await r.optional(at(p + 'self_attn.k_proj.bias'), [kvDim]),
      v: await r.matrix(at(p + 'self_attn.v_proj.weight'), kvDim, h),
      vBias: await r.optional(at(p + 'self_attn.v_proj.bias'), [kvDim]),
      o: await r.matrix(at(p + 'self_attn.o_proj.weight'), h, qDim),
      qNorm: qkNorm ? await norm(p + 'self_attn.q_norm.weight', d) : undefined,
      kNorm: qkNorm ? await norm(p + 'self_attn.k_norm.weight', d) : undefined,
      postAttnNorm: await norm(p + 'post_attention_layernorm.weight'),
      norm2: await norm(p + 'pre_feedforward_layernorm.weight'),
      postMlpNorm: await norm(p + 'post_feedforward_layernorm.weight'),
      gate: await r.matrix(at(p + 'mlp.gate_proj.weight'), m, h),
      up: await r.matrix(at(p + 'mlp.up_proj.weight'), m, h),
      down: await r.matrix(at(p + 'mlp.down_proj.weight'), h, m),
    });
  }
  const finalNorm = await norm('norm.weight');
  return { embed, layers, finalNorm, lmHead: await lmHeadOf(r, c, embed) };
}

/** Gemma 2 (2B, 9B, 27B). */
export const gemma2: Architecture = {
  family: 'gemma2',
  description: 'Gemma 2 (Gemma2ForCausalLM)',
  matches: (config) => matchesType(config, ['gemma2'], ['Gemma2ForCausalLM']),
  parseConfig: (c, modelType) => parseGemma(c, modelType, 'gemma2'),
  readWeights: readGemma,
};

/** Gemma 3's language model (1B text-only; 4B and up from the multimodal checkpoint, vision skipped). */
export const gemma3: Architecture = {
  family: 'gemma3',
  description: 'Gemma 3 text (Gemma3ForCausalLM, and the language model of Gemma3ForConditionalGeneration)',
  matches: (config) => matchesType(config, ['gemma3', 'gemma3_text'], ['Gemma3ForCausalLM', 'Gemma3ForConditionalGeneration']),
  parseConfig: (c, modelType) => parseGemma(c, modelType, 'gemma3'),
  readWeights: readGemma,
};
