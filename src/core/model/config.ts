// The generic model configuration every architecture parses into (model/arch/<family>.ts), with the block
// description the runtime reads, and the field readers those parsers share. Values that cannot be run
// faithfully are refused with a ModelLoadError naming the key.
import { ModelLoadError } from './errors';
import type { RopeStyle } from '../tensor/kernels';

/** The model families the engine implements. */
export type ArchitectureFamily = 'llama' | 'gpt2' | 'qwen3' | 'gemma2' | 'gemma3' | 'phi3' | 'mixtral' | 'qwen3moe';

/** How RoPE frequencies are adjusted for long contexts (rope_scaling in config.json). */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  /**
   * Phi-3's LongRoPE (transformers modeling_rope_utils._compute_longrope_parameters): per-pair factors, the
   * short ones up to originalMaxPositions and the long ones beyond, and cos/sin multiplied by attentionFactor.
   */
  | { type: 'longrope'; shortFactor: number[]; longFactor: number[]; originalMaxPositions: number; attentionFactor: number };

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
  /** Which layers (0-based) use the sliding window; omitted = every layer when slidingWindow is set (Gemma 2/3 alternate). */
  slidingWindowLayers?: number[];
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
  /** Embeddings are multiplied by this before the first layer (Gemma: √hidden rounded to the embedding's dtype). */
  embedScale?: number;
  /** q and k are RMS-normalised per head (weights qNorm/kNorm, headDim long) after projection, before RoPE (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** The factor Q·Kᵀ is multiplied by, when it is not 1/√headDim (Gemma: query_pre_attn_scalar^-½). */
  queryScale?: number;
  /** Scaled scores become cap·tanh(score/cap) before the mask and softmax (Gemma 2's attn_logit_softcapping). */
  attnSoftcap?: number;
  /** Logits become cap·tanh(logit/cap) (Gemma 2's final_logit_softcapping). */
  finalSoftcap?: number;
  /**
   * The attention and MLP outputs are each normalised (postAttnNorm, postMlpNorm) before they join the residual
   * stream; norm2 is then the pre-MLP norm (Gemma 2/3's four norms per layer).
   */
  postNorms?: boolean;
  /** Sliding-window layers rotate with this RoPE base and no rope_scaling (Gemma 3's rope_local_base_freq). */
  slidingRopeTheta?: number;
  /** Mixture-of-experts MLP on some layers: router → softmax → top-k experts (Mixtral, Qwen3-MoE). */
  moe?: MoeSpec;
}

/** Where and how a block routes tokens to experts. */
export interface MoeSpec {
  /** Experts per MoE layer. */
  experts: number;
  /** Experts each token is sent to. */
  topK: number;
  /** Whether the top-k softmax weights are renormalised to sum to 1 (Mixtral always; Qwen3-MoE with norm_topk_prob). */
  normalizeTopK: boolean;
  /** Each expert's intermediate size. */
  intermediate: number;
  /** The layers (0-based) whose MLP is the mixture; the others keep the dense MLP of `intermediate`. */
  layers: number[];
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

/** A list of `length` positive numbers, else a ModelLoadError naming the key. */
export function numberList(c: Record<string, unknown>, key: string, length: number): number[] {
  const v = c[key];
  if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0)) {
    throw configError(`"${key}" must be a list of ${length} positive numbers (got ${Array.isArray(v) ? `${v.length} values` : JSON.stringify(v)})`);
  }
  return v as number[];
}

/**
 * LongRoPE (Phi-3 / Phi-3.5), following transformers modeling_rope_utils._compute_longrope_parameters: with
 * original_max_position_embeddings in the config, factor = max_position_embeddings / original; the attention
 * factor defaults to √(1 + ln(factor) / ln(original)) (1 when factor ≤ 1).
 */
function parseLongRope(r: Record<string, unknown>, model: Record<string, unknown>, headDim: number): RopeScaling {
  const half = headDim / 2;
  const shortFactor = numberList(r, 'short_factor', half);
  const longFactor = numberList(r, 'long_factor', half);
  let factor: number;
  let original: number;
  // transformers 5's rope_parameters carry original_max_position_embeddings themselves.
  const source = model.original_max_position_embeddings !== undefined ? model : r.original_max_position_embeddings !== undefined ? r : undefined;
  if (source) {
    original = positiveInt(source, 'original_max_position_embeddings');
    factor = positiveInt(model, 'max_position_embeddings') / original;
  } else {
    original = positiveInt(model, 'max_position_embeddings');
    factor = positiveNumber(r, 'factor', 1);
  }
  const attentionFactor = r.attention_factor === undefined || r.attention_factor === null
    ? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)))
    : positiveNumber(r, 'attention_factor', 1);
  return { type: 'longrope', shortFactor, longFactor, originalMaxPositions: original, attentionFactor };
}

/** config.json's rope_scaling: default, linear, llama3 or (given the model config and head size) longrope; anything else is refused. */
export function parseRopeScaling(v: unknown, model?: Record<string, unknown>, headDim?: number): RopeScaling {
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
  if ((type === 'longrope' || type === 'su') && model && headDim !== undefined) return parseLongRope(r, model, headDim);
  throw new ModelLoadError('unsupportedArchitecture', `config.json: rope_scaling type "${String(type)}" is not supported (default, linear, llama3 and longrope are)`);
}

/**
 * Parameters a token does not use: in each mixture-of-experts layer, the experts it is not routed to
 * (experts − topK of them, each gate + up + down = 3·hidden·intermediate). 0 for dense models.
 */
export function inactiveExpertParameters(c: ModelConfig): number {
  const m = c.block.moe;
  if (!m) return 0;
  return m.layers.length * (m.experts - m.topK) * 3 * c.hidden * m.intermediate;
}
