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

/** What one layer keeps: a growing KV cache (full, sliding or chunked), a fixed state, or both (Falcon-H1). */
export type LayerKind = 'full' | 'sliding' | 'chunked' | 'state' | 'hybrid';

// The layer_types values transformers writes, and what each keeps. Sources: configuration_gemma3.py,
// configuration_gpt_oss.py ("sliding_attention" / "full_attention"), configuration_llama4.py
// ("chunked_attention"), configuration_qwen3_next.py ("linear_attention"), configuration_jamba.py's
// layers_block_type ("attention" / "mamba"), configuration_falcon_h1.py ("hybrid": attention and Mamba-2
// side by side in every layer).
const LAYER_TYPE_KINDS: Record<string, LayerKind> = {
  full_attention: 'full',
  attention: 'full',
  sliding_attention: 'sliding',
  chunked_attention: 'chunked',
  linear_attention: 'state',
  mamba: 'state',
  mamba2: 'state',
  hybrid: 'hybrid',
};

function kindsFromList(config: Config, key: string, layers: number): LayerKind[] {
  const types = config[key];
  if (!Array.isArray(types) || types.length !== layers) {
    const got = Array.isArray(types) ? `${types.length} entries` : describeValue(types);
    throw new KvCacheError(key, `config.json: "${key}" must list one layer type per layer (${layers}; got ${got})`);
  }
  return types.map((type, index) => {
    const kind = typeof type === 'string' ? LAYER_TYPE_KINDS[type] : undefined;
    if (kind === undefined) {
      const known = Object.keys(LAYER_TYPE_KINDS).map((k) => `"${k}"`).join(', ');
      throw new KvCacheError(key, `config.json: "${key}"[${index}] is ${describeValue(type)}, a layer type LLM Lens does not know (known: ${known})`);
    }
    return kind;
  });
}

/**
 * Per-layer kinds for the families whose layers differ (hybrids, Llama 4, gpt-oss); null for the uniform
 * families, which the sliding-window rules below handle. `layer_types` wins when present. countParameters
 * reads the same kinds, so a layer's cache and its tensors never disagree.
 */
export function layerKindsOf(config: Config, modelType: string, layers: number): LayerKind[] | null {
  if (present(config, 'layer_types')) return kindsFromList(config, 'layer_types', layers);
  const kinds: LayerKind[] = [];
  if (modelType === 'jamba') {
    // configuration_jamba.py, layers_block_type: "attention" if i % attn_layer_period == attn_layer_offset
    // else "mamba" (defaults 8 and 4; the offset must be smaller than the period).
    const period = present(config, 'attn_layer_period') ? intAt(config, 'attn_layer_period', 1) : 8;
    const offset = present(config, 'attn_layer_offset') ? intAt(config, 'attn_layer_offset', 0) : 4;
    if (offset >= period) throw new KvCacheError('attn_layer_offset', `config.json: "attn_layer_offset" (${offset}) must be smaller than "attn_layer_period" (${period})`);
    for (let i = 0; i < layers; i++) kinds.push(i % period === offset ? 'full' : 'state');
    return kinds;
  }
  if (modelType === 'qwen3_next') {
    // configuration_qwen3_next.py: "linear_attention" if (i + 1) % full_attention_interval else
    // "full_attention" (default interval 4: layers 3, 7, 11, ... keep a KV cache).
    const interval = present(config, 'full_attention_interval') ? intAt(config, 'full_attention_interval', 1) : 4;
    for (let i = 0; i < layers; i++) kinds.push((i + 1) % interval !== 0 ? 'state' : 'full');
    return kinds;
  }
  if (modelType === 'falcon_h1') {
    // configuration_falcon_h1.py, layers_block_type: "hybrid" for every layer (attention + Mamba-2).
    for (let i = 0; i < layers; i++) kinds.push('hybrid');
    return kinds;
  }
  if (modelType === 'llama4_text' || modelType === 'llama4') {
    // configuration_llama4.py: no_rope_layers defaults to int((i + 1) % no_rope_layer_interval != 0)
    // (interval 4); layer_types = "chunked_attention" if no_rope_layers[i] else "full_attention".
    let noRope: unknown[];
    if (Array.isArray(config.no_rope_layers) && config.no_rope_layers.length > 0) {
      noRope = config.no_rope_layers;
      if (noRope.length !== layers) throw new KvCacheError('no_rope_layers', `config.json: "no_rope_layers" must have one entry per layer (${layers}; got ${noRope.length})`);
    } else {
      const interval = present(config, 'no_rope_layer_interval') ? intAt(config, 'no_rope_layer_interval', 1) : 4;
      noRope = [];
      for (let i = 0; i < layers; i++) noRope.push((i + 1) % interval !== 0 ? 1 : 0);
    }
    return noRope.map((flag, index) => {
      if (flag !== 0 && flag !== 1 && flag !== true && flag !== false) {
        throw new KvCacheError('no_rope_layers', `config.json: "no_rope_layers"[${index}] must be 0 or 1 (got ${describeValue(flag)})`);
      }
      return flag === 1 || flag === true ? 'chunked' : 'full';
    });
  }
  if (modelType === 'gpt_oss') {
    // configuration_gpt_oss.py: "sliding_attention" if bool((i + 1) % 2) else "full_attention".
    for (let i = 0; i < layers; i++) kinds.push((i + 1) % 2 !== 0 ? 'sliding' : 'full');
    return kinds;
  }
  return null;
}

/**
 * Bytes per element of a hybrid's fixed state: transformers allocates the Mamba / DeltaNet cache in the
 * model's dtype (torch_dtype, or dtype in newer files); bf16 (2 bytes) when the file does not say.
 */
function stateElementBytes(config: Config): number {
  const dtype = typeof config.torch_dtype === 'string' ? config.torch_dtype : typeof config.dtype === 'string' ? config.dtype : 'bfloat16';
  if (dtype === 'float32') return 4;
  if (dtype === 'bfloat16' || dtype === 'float16') return 2;
  throw new KvCacheError('torch_dtype', `config.json: "torch_dtype" ${describeValue(dtype)} is not float32, bfloat16 or float16`);
}

function intOrDefault(config: Config, key: string, fallback: number, min = 1): number {
  return present(config, key) ? intAt(config, key, min) : fallback;
}

/** Elements of fixed state one non-KV layer holds per sequence, by family; throws for a family without a rule. */
function stateElementsPerLayer(config: Config, modelType: string): number {
  const hidden = requiredInt(config, HIDDEN_KEYS, 1, 'hidden size (needed for the state size)').value;
  if (modelType === 'jamba') {
    // modeling_jamba.py HybridMambaAttentionDynamicCache: conv_states (batch, mamba_expand·hidden, mamba_d_conv)
    // and ssm_states (batch, mamba_expand·hidden, mamba_d_state) per Mamba layer.
    const inner = intOrDefault(config, 'mamba_expand', 2) * hidden;
    return inner * (intOrDefault(config, 'mamba_d_conv', 4) + intOrDefault(config, 'mamba_d_state', 16));
  }
  if (modelType === 'qwen3_next') {
    // modeling_qwen3_next.py Gated DeltaNet: recurrent state (num_v_heads, head_k_dim, head_v_dim) and a
    // conv state (conv_dim, conv_kernel_size) with conv_dim = 2·key_dim + value_dim,
    // key_dim = linear_num_key_heads·linear_key_head_dim, value_dim = linear_num_value_heads·linear_value_head_dim.
    const nk = intOrDefault(config, 'linear_num_key_heads', 16);
    const nv = intOrDefault(config, 'linear_num_value_heads', 32);
    const dk = intOrDefault(config, 'linear_key_head_dim', 128);
    const dv = intOrDefault(config, 'linear_value_head_dim', 128);
    const kernel = intOrDefault(config, 'linear_conv_kernel_dim', 4);
    return nv * dk * dv + (2 * nk * dk + nv * dv) * kernel;
  }
  if (modelType === 'falcon_h1') {
    // configuration_falcon_h1.py: mamba intermediate = mamba_d_ssm (default 1024), or mamba_expand·hidden when
    // null; mamba_d_head "auto" = intermediate / mamba_n_heads. Mamba-2 cache (modeling_falcon_h1.py):
    // conv (intermediate + 2·n_groups·d_state, d_conv) and ssm (n_heads, d_head, d_state) per layer.
    const inner = config.mamba_d_ssm === null ? intOrDefault(config, 'mamba_expand', 2) * hidden : intOrDefault(config, 'mamba_d_ssm', 1024);
    const heads = intOrDefault(config, 'mamba_n_heads', 128);
    const dHead = present(config, 'mamba_d_head') && config.mamba_d_head !== 'auto' ? intAt(config, 'mamba_d_head', 1) : Math.floor(inner / heads);
    const groups = intOrDefault(config, 'mamba_n_groups', 1);
    const dState = intOrDefault(config, 'mamba_d_state', 256);
    const dConv = intOrDefault(config, 'mamba_d_conv', 4);
    return (inner + 2 * groups * dState) * dConv + heads * dHead * dState;
  }
  throw new KvCacheError('layer_types', `config.json: model_type ${describeValue(modelType)} has layers without a KV cache, but LLM Lens knows no formula for their state (known: jamba, qwen3_next, falcon_h1)`);
}

/** Fills kvLayers, the window (sliding or chunked) and the fixed state into `shape` from per-layer kinds. */
function applyLayerKinds(shape: AttentionShape, kinds: LayerKind[], config: Config, modelType: string): void {
  const kv: number[] = [];
  const sliding: number[] = [];
  const chunked: number[] = [];
  let stateLayers = 0;
  kinds.forEach((kind, index) => {
    if (kind === 'state') {
      stateLayers++;
      return;
    }
    if (kind === 'hybrid') stateLayers++;
    kv.push(index);
    if (kind === 'sliding') sliding.push(index);
    if (kind === 'chunked') chunked.push(index);
  });
  if (kv.length < kinds.length) shape.kvLayers = kv;
  if (sliding.length > 0 && chunked.length > 0) {
    throw new KvCacheError('layer_types', 'config.json: "layer_types" mixes sliding and chunked layers; one window size per model is supported');
  }
  if (sliding.length > 0) {
    const key = firstKey(config, ['sliding_window', 'sliding_window_size']);
    if (key === undefined || config[key] === false) throw new KvCacheError('sliding_window', 'config.json: "layer_types" has sliding layers but no "sliding_window" says how many tokens they keep');
    shape.slidingWindow = atMost(key, intAt(config, key, 1), KV_INPUT_LIMITS.window);
  } else if (chunked.length > 0) {
    if (!present(config, 'attention_chunk_size')) throw new KvCacheError('attention_chunk_size', 'config.json: chunked-attention layers but no "attention_chunk_size"');
    // Llama 4 chunked attention: a token attends only within its chunk, so a layer keeps at most
    // attention_chunk_size tokens (transformers gives these layers a cache of that size).
    shape.slidingWindow = intAt(config, 'attention_chunk_size', 1);
    shape.windowKind = 'chunked';
  }
  const windowed = sliding.length > 0 ? sliding : chunked;
  if (windowed.length > 0 && windowed.length < kinds.length) shape.slidingWindowLayers = windowed;
  if (stateLayers > 0) {
    const perLayer = stateElementsPerLayer(config, modelType);
    shape.stateBytesPerSequence = stateLayers * perLayer * stateElementBytes(config);
  }
}

/**
 * OpenELM (apple/OpenELM, configuration_openelm.py): per-layer query and KV heads. The published config.json
 * lists num_query_heads / num_kv_heads; when absent they are computed as OpenELMConfig.__post_init__ does:
 * qkv multipliers linspace(qkv_multipliers) rounded to 2 places, query dim = make_divisible(model_dim·mult,
 * head_dim·num_gqa_groups), query heads = dim / head_dim, KV heads = query heads / num_gqa_groups.
 */
function openElmShape(config: Config): AttentionShape {
  const { layers, headDim, queryHeads, kvHeads } = openElmHeads(config);
  const shape: AttentionShape = { layers, queryHeads: queryHeads[0], kvHeads: kvHeads[0], headDim };
  if (kvHeads.some((heads) => heads !== kvHeads[0])) shape.kvHeadsPerLayer = kvHeads;
  // Per-layer query heads are not part of the shape (only KV heads size the cache): keep the first layer's
  // pair, which shares its heads evenly; if it does not, checkShape names it.
  checkShape(shape);
  return shape;
}

/** OpenELM's per-layer query and KV heads (listed, or computed as OpenELMConfig.__post_init__ does). */
export function openElmHeads(config: Record<string, unknown>): { layers: number; headDim: number; queryHeads: number[]; kvHeads: number[] } {
  const layers = atMost('num_transformer_layers', intAt(config, 'num_transformer_layers', 1), KV_INPUT_LIMITS.layers);
  const headDim = intAt(config, 'head_dim', 1);
  let queryHeads: number[];
  let kvHeads: number[];
  const listOf = (key: string): number[] => {
    const value = config[key];
    if (!Array.isArray(value) || value.length !== layers) {
      const got = Array.isArray(value) ? `${value.length} entries` : describeValue(value);
      throw new KvCacheError(key, `config.json: "${key}" must list one head count per layer (${layers}; got ${got})`);
    }
    return value.map((heads, index) => {
      if (typeof heads !== 'number' || !Number.isInteger(heads) || heads < 1 || heads > KV_INPUT_LIMITS.heads) {
        throw new KvCacheError(key, `config.json: "${key}"[${index}] must be a positive integer (got ${describeValue(heads)})`);
      }
      return heads;
    });
  };
  if (present(config, 'num_kv_heads')) {
    kvHeads = listOf('num_kv_heads');
    queryHeads = present(config, 'num_query_heads') ? listOf('num_query_heads') : kvHeads;
  } else {
    const modelDim = intAt(config, 'model_dim', 1);
    const groups = intAt(config, 'num_gqa_groups', 1);
    const mults = config.qkv_multipliers;
    if (!Array.isArray(mults) || mults.length !== 2 || !mults.every((m) => typeof m === 'number' && m > 0)) {
      throw new KvCacheError('qkv_multipliers', 'config.json: "qkv_multipliers" must be two positive numbers [first, last] when "num_kv_heads" is absent');
    }
    const [first, last] = mults as number[];
    queryHeads = [];
    for (let i = 0; i < layers; i++) {
      const mult = Math.round((layers === 1 ? first : first + ((last - first) * i) / (layers - 1)) * 100) / 100;
      queryHeads.push(makeDivisible(modelDim * mult, headDim * groups) / headDim);
    }
    kvHeads = queryHeads.map((q) => Math.floor(q / groups));
  }
  return { layers, headDim, queryHeads, kvHeads };
}

/** make_divisible of OpenELM (from MobileNet): round to the nearest multiple of divisor, never 10 % below v. */
export function makeDivisible(v: number, divisor: number): number {
  let rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/**
 * The attention shape of a Hugging Face config.json (architecture.md): Llama, Mistral, Mixtral, Qwen2,
 * Gemma 2/3, Phi-3, Falcon, GPT-2, DeepSeek-V2/V3, OpenELM, Jamba, Qwen3-Next, Falcon-H1, gpt-oss, Llama 4
 * and look-alikes. Throws KvCacheError naming the field.
 */
export function shapeFromHfConfig(config: Record<string, unknown>): AttentionShape {
  if (!isRecord(config)) throw new KvCacheError('config', `config.json must hold a JSON object (got ${describeValue(config)})`);
  // Multimodal wrappers (LLaVA, Gemma 3, Mistral 3) keep the language model's numbers in text_config.
  if (firstKey(config, LAYER_KEYS) === undefined && isRecord(config.text_config)) {
    return shapeFromHfConfig(config.text_config);
  }
  const modelType = typeof config.model_type === 'string' ? config.model_type.toLowerCase() : '';
  if (modelType === 'openelm') return openElmShape(config);
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

  const kinds = layerKindsOf(config, modelType, layers);
  if (kinds !== null) {
    applyLayerKinds(shape, kinds, config, modelType);
    checkShape(shape);
    return shape;
  }
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
