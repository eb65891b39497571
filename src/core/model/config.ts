// The generic model configuration every architecture parses into (model/arch/<family>.ts), with the block
// description the runtime reads, and the field readers those parsers share. Values that cannot be run
// faithfully are refused with a ModelLoadError naming the key.
import { ModelLoadError } from './errors';
import type { RopeStyle } from '../tensor/kernels';

/** The model families the engine implements. */
export type ArchitectureFamily = 'llama' | 'gpt2';

/** How RoPE frequencies are adjusted for long contexts (rope_scaling in config.json). */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** The parsed, validated model configuration. */
export interface ModelConfig {
  family: ArchitectureFamily;
  /** config.json's model_type (e.g. 'llama', 'qwen2', 'mistral', 'gpt2'). */
  modelType: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  /** Learned position table size (GPT-2) or the trained context length (Llama family), if stated. */
  maxPositions: number;
  normEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Keys further back than this are masked (Mistral's sliding window), if set. */
  slidingWindow?: number;
  tieEmbeddings: boolean;
  /** GPT-2's scale_attn_by_inverse_layer_idx: scores are also divided by (layer + 1). */
  scaleByInverseLayer: boolean;
  /** End-of-sequence / beginning-of-sequence ids, if stated (for display only). */
  bosTokenId?: number;
  eosTokenId?: number;
  /** What one transformer block computes: the runtime reads this, never the family name. */
  block: BlockSpec;
}

/**
 * The arithmetic of one transformer block, as its architecture file describes it. The runtime's layer loop
 * branches only on these fields, so a new family that fits them needs no change to the runtime.
 */
export interface BlockSpec {
  /** 'rms': x/rms(x)·w (Llama); 'layer': LayerNorm with bias (GPT-2). */
  norm: 'rms' | 'layer';
  /** 'rope': q and k rotated by position; 'learned': a position table added to the embeddings (GPT-2). */
  positions: 'rope' | 'learned';
  /** Which elements RoPE pairs ('half' = Hugging Face layout; 'interleaved' for GGUF llama weights). */
  ropeStyle: RopeStyle;
  /** 'swiglu': down(silu(gate)·up); 'geglu': down(gelu_tanh(gate)·up); 'gelu': down(gelu_tanh(up)) (GPT-2). */
  mlp: 'swiglu' | 'geglu' | 'gelu';
  /** Biases the config declares: 'none', 'qkv' (Qwen2), 'all' (GPT-2: every linear layer and norm). */
  biases: 'none' | 'qkv' | 'all';
}

/** A 'config' ModelLoadError about config.json. */
export function configError(message: string): ModelLoadError {
  return new ModelLoadError('config', `config.json: ${message}`);
}

/** A positive integer field (or the fallback when absent), else a ModelLoadError naming the key. */
export function positiveInt(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw configError(`"${key}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** A positive finite number field (or the fallback), else a ModelLoadError naming the key. */
export function positiveNumber(c: Record<string, unknown>, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw configError(`"${key}" must be a positive number (got ${JSON.stringify(v)})`);
  return v;
}

/** A token id field (a number, or the first of a list), or undefined. */
export function optionalId(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return optionalId(v[0]);
  return undefined;
}

/** config.json's rope_scaling: default, linear or llama3; anything else is refused. */
export function parseRopeScaling(v: unknown): RopeScaling {
  if (v === undefined || v === null) return { type: 'default' };
  if (typeof v !== 'object' || Array.isArray(v)) throw configError('rope_scaling must be an object or null');
  const r = v as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type === 'default') return { type: 'default' };
  if (type === 'linear') return { type: 'linear', factor: positiveNumber(r, 'factor', 1) };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: positiveNumber(r, 'factor', 8),
      lowFreqFactor: positiveNumber(r, 'low_freq_factor', 1),
      highFreqFactor: positiveNumber(r, 'high_freq_factor', 4),
      originalMaxPositions: positiveInt(r, 'original_max_position_embeddings', 8192),
    };
  }
  throw new ModelLoadError('unsupportedArchitecture', `config.json: rope_scaling type "${String(type)}" is not supported (default, linear and llama3 are)`);
}
