// Reads a Hugging Face config.json into the few numbers the forward pass needs, refusing anything it
// cannot run faithfully with a message that names what is supported.
import { ModelLoadError } from './errors';

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
}

/** What the loader supports, named in every "unsupported" message. */
export const SUPPORTED_ARCHITECTURES =
  'Llama-family decoders (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM; e.g. Llama 2/3, Mistral, Qwen2/2.5, SmolLM) and GPT-2 (GPT2LMHeadModel)';

const LLAMA_TYPES: Readonly<Record<string, string>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

function fail(message: string): ModelLoadError {
  return new ModelLoadError('config', `config.json: ${message}`);
}

function positiveInt(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw fail(`"${key}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function positiveNumber(c: Record<string, unknown>, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw fail(`"${key}" must be a positive number (got ${JSON.stringify(v)})`);
  return v;
}

function optionalId(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return optionalId(v[0]);
  return undefined;
}

/** Which family a config belongs to, or undefined; cheap, used by model discovery. */
export function architectureFamilyOf(config: Record<string, unknown>): ArchitectureFamily | undefined {
  const type = typeof config.model_type === 'string' ? config.model_type : '';
  const archs = Array.isArray(config.architectures) ? config.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (type in LLAMA_TYPES || archs.some((a) => Object.values(LLAMA_TYPES).includes(a))) return 'llama';
  if (type === 'gpt2' || archs.includes('GPT2LMHeadModel') || archs.includes('GPT2Model')) return 'gpt2';
  return undefined;
}

/** Parses config.json text into a ModelConfig, or throws a ModelLoadError ('config' / 'unsupportedArchitecture'). */
export function parseModelConfig(text: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('not a JSON object');
  const c = raw as Record<string, unknown>;
  const family = architectureFamilyOf(c);
  const modelType = typeof c.model_type === 'string' ? c.model_type : 'unknown';
  if (!family) {
    const archs = Array.isArray(c.architectures) ? c.architectures.join(', ') : 'none listed';
    throw new ModelLoadError(
      'unsupportedArchitecture',
      `model_type "${modelType}" (architectures: ${archs}) is not supported. Supported: ${SUPPORTED_ARCHITECTURES}.`,
    );
  }
  return family === 'gpt2' ? parseGpt2(c, modelType) : parseLlama(c, modelType);
}

function parseLlama(c: Record<string, unknown>, modelType: string): ModelConfig {
  const hidden = positiveInt(c, 'hidden_size');
  const heads = positiveInt(c, 'num_attention_heads');
  const kvHeads = positiveInt(c, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw fail(`num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`);
  if (c.head_dim === undefined || c.head_dim === null) {
    if (hidden % heads !== 0) throw fail(`hidden_size (${hidden}) is not divisible by num_attention_heads (${heads}) and no head_dim is given`);
  }
  const headDim = c.head_dim === undefined || c.head_dim === null ? hidden / heads : positiveInt(c, 'head_dim');
  if (headDim % 2 !== 0) throw fail(`head_dim ${headDim} must be even for RoPE`);
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu' && act !== 'swish') throw fail(`hidden_act "${String(act)}" is not supported (Llama-family models use silu)`);
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
  };
}

function parseRopeScaling(v: unknown): RopeScaling {
  if (v === undefined || v === null) return { type: 'default' };
  if (typeof v !== 'object' || Array.isArray(v)) throw fail('rope_scaling must be an object or null');
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

function parseGpt2(c: Record<string, unknown>, modelType: string): ModelConfig {
  const hidden = positiveInt(c, 'n_embd');
  const heads = positiveInt(c, 'n_head');
  if (hidden % heads !== 0) throw fail(`n_embd (${hidden}) must be divisible by n_head (${heads})`);
  const act = c.activation_function ?? 'gelu_new';
  // GPT-2 checkpoints use the tanh approximation ("gelu_new"); exact erf GELU would need another kernel.
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw fail(`activation_function "${String(act)}" is not supported (gelu_new is)`);
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
  };
}
