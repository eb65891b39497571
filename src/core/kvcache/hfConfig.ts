// Reads the attention shape out of a Hugging Face config.json. Field semantics follow the
// huggingface/transformers configuration and modelling files named at each rule below.

import { AttentionShape, KvCacheError, checkShape, describeValue } from './shape';
import { KV_INPUT_LIMITS } from './inputs';

type Config = Record<string, unknown>;

const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers'];
const HEAD_KEYS = ['num_attention_heads', 'n_head', 'num_heads'];
const HIDDEN_KEYS = ['hidden_size', 'n_embd', 'd_model'];
const FALCON_TYPES = new Set(['falcon', 'refinedweb', 'refinedwebmodel']);
// transformers Qwen2Config: max_window_layers defaults to 28 when a config leaves it out.
const QWEN2_DEFAULT_MAX_WINDOW_LAYERS = 28;

/** A JSON null counts as absent: transformers writes `"head_dim": null` and `"sliding_window": null`. */
function present(config: Config, key: string): boolean {
  return config[key] !== undefined && config[key] !== null;
}

function firstKey(config: Config, keys: string[]): string | undefined {
  return keys.find((key) => present(config, key));
}

function intAt(config: Config, key: string, min: number): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > Number.MAX_SAFE_INTEGER) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new KvCacheError(key, `config.json: "${key}" must be ${what} (got ${describeValue(value)})`);
  }
  return value;
}

/**
 * Refuses sizes far beyond any real model (the custom form's limits): a config.json claiming a billion
 * layers would otherwise make per-layer lists and diagrams that freeze the editor.
 */
function atMost(key: string, value: number, max: number): number {
  if (value > max) throw new KvCacheError(key, `config.json: "${key}" (${value}) is more than ${max.toLocaleString('en-US')}: no real model is that large`);
  return value;
}

function requiredInt(config: Config, keys: string[], min: number, what: string): { key: string; value: number } {
  const key = firstKey(config, keys);
  if (key === undefined) {
    const names = keys.map((k) => `"${k}"`).join(' or ');
    throw new KvCacheError(keys[0], `config.json has no ${what}: expected ${names}`);
  }
  return { key, value: intAt(config, key, min) };
}

function optionalBool(config: Config, key: string): boolean | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new KvCacheError(key, `config.json: "${key}" must be true or false (got ${describeValue(value)})`);
  return value;
}

function isRecord(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** KV heads, by family: Falcon's own flags, else num_key_value_heads, else multi_query, else MHA. */
function kvHeadsOf(config: Config, modelType: string, queryHeads: number): { key: string; value: number } {
  if (FALCON_TYPES.has(modelType)) {
    // transformers FalconAttention: num_kv_heads if (new_decoder_architecture or not multi_query) else 1;
    // FalconConfig defaults multi_query to true and num_kv_heads to num_attention_heads.
    // Before transformers took Falcon in, model_type "RefinedWeb" named the 40B-style (new decoder)
    // architecture and "RefinedWebModel" the 7B-style one.
    const newArchitecture = optionalBool(config, 'new_decoder_architecture') ?? modelType === 'refinedweb';
    const multiQuery = optionalBool(config, 'multi_query') ?? true;
    if (!newArchitecture && multiQuery) return { key: 'multi_query', value: 1 };
    const key = firstKey(config, ['num_kv_heads', 'n_head_kv']);
    return key === undefined ? { key: 'num_attention_heads', value: queryHeads } : { key, value: intAt(config, key, 1) };
  }
  if (present(config, 'num_key_value_heads')) return { key: 'num_key_value_heads', value: intAt(config, 'num_key_value_heads', 1) };
  // GPT-BigCode / SantaCoder mark MQA with multi_query: true.
  if (optionalBool(config, 'multi_query') === true) return { key: 'multi_query', value: 1 };
  // No KV-head count means every query head has its own K and V (MHA), as in Llama 1 and GPT-2.
  return { key: 'num_attention_heads', value: queryHeads };
}

/** Which layer indices slide, or null when none do; follows each family's transformers config class. */
function slidingLayersOf(config: Config, modelType: string, layers: number): number[] | null {
  const types = config.layer_types;
  if (types !== undefined && types !== null) {
    // Newer transformers write the per-layer attention type out explicitly; it overrides every rule below.
    if (!Array.isArray(types) || types.length !== layers) {
      throw new KvCacheError('layer_types', `config.json: "layer_types" must list one attention type per layer (${layers})`);
    }
    const sliding: number[] = [];
    types.forEach((type, index) => {
      if (type === 'sliding_attention') sliding.push(index);
      else if (type !== 'full_attention') {
        throw new KvCacheError('layer_types', `config.json: "layer_types" holds ${describeValue(type)}; only "full_attention" and "sliding_attention" are understood`);
      }
    });
    return sliding;
  }
  if ('use_sliding_window' in config) {
    // Qwen2 family (Qwen2Config): the window is used only when use_sliding_window is true, and then only
    // by layers at index >= max_window_layers (the first max_window_layers layers keep full attention).
    if (optionalBool(config, 'use_sliding_window') !== true) return null;
    const first = present(config, 'max_window_layers') ? intAt(config, 'max_window_layers', 0) : QWEN2_DEFAULT_MAX_WINDOW_LAYERS;
    const sliding: number[] = [];
    for (let i = first; i < layers; i++) sliding.push(i);
    return sliding;
  }
  if (present(config, 'sliding_window_pattern')) {
    // Gemma 3 / Cohere2: every pattern-th layer (1-based) is global, the others slide.
    const pattern = intAt(config, 'sliding_window_pattern', 1);
    const sliding: number[] = [];
    for (let i = 0; i < layers; i++) if ((i + 1) % pattern !== 0) sliding.push(i);
    return sliding;
  }
  if (modelType === 'gemma2') {
    // transformers Gemma2DecoderLayer: is_sliding = not bool(layer_idx % 2), so even layers slide.
    const sliding: number[] = [];
    for (let i = 0; i < layers; i += 2) sliding.push(i);
    return sliding;
  }
  // Mistral, Mixtral, Phi-3, Starcoder2: when a window is given, every layer uses it.
  const all: number[] = [];
  for (let i = 0; i < layers; i++) all.push(i);
  return all;
}

/**
 * The attention shape of a Hugging Face config.json (architecture.md): Llama, Mistral, Mixtral, Qwen2,
 * Gemma 2/3, Phi-3, Falcon, GPT-2, DeepSeek-V2/V3 and look-alikes. Throws KvCacheError naming the field.
 */
export function shapeFromHfConfig(config: Record<string, unknown>): AttentionShape {
  if (!isRecord(config)) throw new KvCacheError('config', `config.json must hold a JSON object (got ${describeValue(config)})`);
  // Multimodal wrappers (LLaVA, Gemma 3, Mistral 3) keep the language model's numbers in text_config.
  if (firstKey(config, LAYER_KEYS) === undefined && isRecord(config.text_config)) {
    return shapeFromHfConfig(config.text_config);
  }
  const modelType = typeof config.model_type === 'string' ? config.model_type.toLowerCase() : '';
  const layerCount = requiredInt(config, LAYER_KEYS, 1, 'layer count');
  const layers = atMost(layerCount.key, layerCount.value, KV_INPUT_LIMITS.layers);
  const heads = requiredInt(config, HEAD_KEYS, 1, 'attention head count');
  const queryHeads = atMost(heads.key, heads.value, KV_INPUT_LIMITS.heads);
  const kv = kvHeadsOf(config, modelType, queryHeads);
  if (kv.value > queryHeads || queryHeads % kv.value !== 0) {
    throw new KvCacheError(
      kv.key,
      `config.json: "${heads.key}" (${queryHeads}) must be a multiple of "${kv.key}" (${kv.value}): each KV head serves a whole group of query heads`,
    );
  }

  let headDim: number;
  let mla: AttentionShape['mla'];
  if (present(config, 'kv_lora_rank')) {
    // DeepSeek-V2/V3 MLA. The per-head width d_h of the uncompressed equivalent is v_head_dim
    // (= qk_nope_head_dim = 128 in both), the d_h of DeepSeek-V2's Table 1 comparison with MHA/GQA/MQA.
    const kvLoraRank = atMost('kv_lora_rank', intAt(config, 'kv_lora_rank', 1), KV_INPUT_LIMITS.rank);
    if (!present(config, 'qk_rope_head_dim')) {
      throw new KvCacheError('qk_rope_head_dim', 'config.json sets "kv_lora_rank" (MLA) but has no "qk_rope_head_dim"');
    }
    mla = { kvLoraRank, ropeHeadDim: intAt(config, 'qk_rope_head_dim', 0) };
    headDim = requiredInt(config, ['v_head_dim', 'qk_nope_head_dim'], 1, 'per-head width for MLA').value;
  } else if (present(config, 'head_dim')) {
    // Gemma 2 (256 with hidden 3584 / 16 heads) and others set head_dim explicitly: never derive it then.
    headDim = intAt(config, 'head_dim', 1);
  } else {
    const hidden = requiredInt(config, HIDDEN_KEYS, 1, 'hidden size (needed for the head size when "head_dim" is absent)');
    if (hidden.value % queryHeads !== 0) {
      throw new KvCacheError(
        hidden.key,
        `config.json: "${hidden.key}" (${hidden.value}) is not divisible by "${heads.key}" (${queryHeads}) and there is no "head_dim"`,
      );
    }
    headDim = hidden.value / queryHeads;
  }

  const shape: AttentionShape = { layers, queryHeads, kvHeads: kv.value, headDim };
  if (mla) shape.mla = mla;

  const windowKey = firstKey(config, ['sliding_window', 'sliding_window_size']);
  // A boolean false appears in some configs to say "no window".
  if (windowKey !== undefined && config[windowKey] !== false) {
    const window = intAt(config, windowKey, 1);
    const sliding = slidingLayersOf(config, modelType, layers);
    if (sliding !== null && sliding.length > 0) {
      shape.slidingWindow = window;
      if (sliding.length < layers) shape.slidingWindowLayers = sliding;
    }
  }
  checkShape(shape);
  return shape;
}
