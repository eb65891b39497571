// Pieces the decoder families share: the attention dimensions of a Llama-style config.json, the model-type
// test, the tied-or-separate LM head, and tensor names under several prefixes.
import { configError, parseRopeScaling, positiveInt, positiveNumber, type ModelConfig, type RopeScaling } from '../config';
import type { WeightMatrix } from '../../tensor/weights';
import type { TensorSource } from '../weights';

/** The attention dimensions of a config with hidden_size / num_attention_heads / num_key_value_heads / head_dim. */
export interface AttentionDims {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

/**
 * Reads the attention dimensions. `headDim`: 'required' (Qwen3: the config's head_dim, never hidden/heads),
 * 'derived' (head_dim if given, else hidden_size / num_attention_heads) or a number (the family's default).
 */
export function attentionDims(c: Record<string, unknown>, headDim: 'required' | 'derived' | number, defaults: { heads?: number; kvHeads?: number } = {}): AttentionDims {
  const hidden = positiveInt(c, 'hidden_size');
  const heads = positiveInt(c, 'num_attention_heads', defaults.heads);
  const kvHeads = positiveInt(c, 'num_key_value_heads', defaults.kvHeads ?? heads);
  if (heads % kvHeads !== 0) throw configError(`num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  let d: number;
  if (headDim === 'required') d = positiveInt(c, 'head_dim');
  else if (typeof headDim === 'number') d = positiveInt(c, 'head_dim', headDim);
  else if (c.head_dim !== undefined && c.head_dim !== null) d = positiveInt(c, 'head_dim');
  else {
    if (hidden % heads !== 0) throw configError(`hidden_size (${hidden}) is not divisible by num_attention_heads (${heads}) and no head_dim is given`);
    d = hidden / heads;
  }
  if (d % 2 !== 0) throw configError(`head_dim ${d} must be even for RoPE`);
  return { hidden, heads, kvHeads, headDim: d };
}

/** Whether config.json's model_type or architectures name this family. */
export function matchesType(config: Record<string, unknown>, types: readonly string[], classes: readonly string[]): boolean {
  const type = typeof config.model_type === 'string' ? config.model_type : '';
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  return types.includes(type) || archs.some((a) => typeof a === 'string' && classes.includes(a));
}

/** The silu activation of SwiGLU families, else a ModelLoadError naming `key`. */
export function requireSilu(c: Record<string, unknown>, key = 'hidden_act'): void {
  const act = c[key] ?? 'silu';
  if (act !== 'silu' && act !== 'swish') throw configError(`${key} "${String(act)}" is not supported (this family uses silu)`);
}

/** `rest` under each of `prefixes` (the first that exists is read). */
export function under(prefixes: readonly string[], rest: string): string[] {
  return prefixes.map((p) => p + rest);
}

/** lm_head.weight, or the embedding when tied or when an export left the head out. */
export async function lmHeadOf(r: TensorSource, c: ModelConfig, embed: Float32Array, headNames: string[] = ['lm_head.weight']): Promise<WeightMatrix> {
  const tied: WeightMatrix = { type: 'f32', rows: c.vocab, cols: c.hidden, data: embed };
  return c.tieEmbeddings || !r.find(headNames) ? tied : r.matrix(headNames, c.vocab, c.hidden);
}

/** A norm weight stored as w where the model multiplies by (1 + w) (Gemma's RMSNorm): 1 added once at load. */
export function plusOne(w: Float32Array): Float32Array {
  for (let i = 0; i < w.length; i++) w[i] += 1;
  return w;
}

/**
 * RoPE base and scaling: rope_theta + rope_scaling (configs saved by transformers 4.x), or the flat
 * rope_parameters object ({ rope_type, rope_theta, … }) that transformers 5 writes instead.
 */
export function ropeOf(c: Record<string, unknown>, thetaDefault: number, headDim?: number): { theta: number; scaling: RopeScaling } {
  const params = c.rope_parameters;
  if (typeof params === 'object' && params !== null && !Array.isArray(params) && 'rope_theta' in params) {
    const r = params as Record<string, unknown>;
    return { theta: positiveNumber(r, 'rope_theta', thetaDefault), scaling: parseRopeScaling(r, c, headDim) };
  }
  return { theta: positiveNumber(c, 'rope_theta', thetaDefault), scaling: parseRopeScaling(c.rope_scaling, c, headDim) };
}
