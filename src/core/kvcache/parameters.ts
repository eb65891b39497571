// Parameter counts from a Hugging Face config.json alone (architecture.md, "Round 2 extensions"): the one
// implementation the presets, the KV-cache panel, the MoE view and the speed bounds use. Every count is
// the sum of the tensors the family's transformers modelling file creates, read from:
//   huggingface/transformers src/transformers/models/<family>/modeling_<family>.py (and modular_*.py),
//   with defaults from configuration_<family>.py; DeepSeek's own modeling_deepseek.py for moe_layer_freq.
// `active` counts what one token runs through: everything except the routed experts it was not sent to
// (the router, shared experts, attention, embeddings and lm_head all count).

import { KvCacheError, describeValue } from './shape';
import { KV_INPUT_LIMITS } from './inputs';
import { LayerKind, layerKindsOf, makeDivisible, openElmHeads } from './hfConfig';

type Config = Record<string, unknown>;

/** Parameters of a model: every tensor (`total`) and those one token uses (`active`; equal for dense models). */
export interface ParameterCounts {
  total: number;
  active: number;
}

function isRecord(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON null counts as absent, as transformers writes `"head_dim": null`. */
function has(config: Config, key: string): boolean {
  return config[key] !== undefined && config[key] !== null;
}

function int(config: Config, key: string, min = 1): number {
  const value = config[key];
  if (value === undefined || value === null) throw new KvCacheError(key, `config.json has no "${key}", needed to count the parameters`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new KvCacheError(key, `config.json: "${key}" must be ${what} (got ${describeValue(value)})`);
  }
  return value;
}

function intOr(config: Config, key: string, fallback: number, min = 1): number {
  return has(config, key) ? int(config, key, min) : fallback;
}

function bool(config: Config, key: string, fallback: boolean): boolean {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new KvCacheError(key, `config.json: "${key}" must be true or false (got ${describeValue(value)})`);
  return value;
}

/** The layer count, refused past the custom form's limit: the counts below walk the layers one by one. */
function layerCount(config: Config, keys: string[]): number {
  const key = keys.find((k) => has(config, k)) ?? keys[0];
  const layers = int(config, key);
  if (layers > KV_INPUT_LIMITS.layers) throw new KvCacheError(key, `config.json: "${key}" (${layers}) is more than ${KV_INPUT_LIMITS.layers.toLocaleString('en-US')}: no real model is that large`);
  return layers;
}

/** The first of `keys` the config has (GPT-2 and Falcon use other names), as a positive integer. */
function intOf(config: Config, keys: string[]): number {
  const key = keys.find((k) => has(config, k)) ?? keys[0];
  return int(config, key);
}

/** A list of layer indices (Qwen-MoE's mlp_only_layers). */
function layerList(config: Config, key: string): Set<number> {
  const value = config[key];
  if (value === undefined || value === null) return new Set();
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
    throw new KvCacheError(key, `config.json: "${key}" must list layer indices`);
  }
  return new Set(value as number[]);
}

/** One gated (SwiGLU/GeGLU) MLP: gate_proj, up_proj (hidden -> inter) and down_proj (inter -> hidden). */
function gatedMlp(hidden: number, inter: number, bias = false): number {
  return 3 * hidden * inter + (bias ? 2 * inter + hidden : 0);
}

/** embed_tokens, the final norm, and lm_head unless it is the embedding matrix itself (tie_word_embeddings). */
function embeddingAndHead(config: Config, vocab: number, hidden: number, tiedFallback: boolean): number {
  return vocab * hidden + hidden + (bool(config, 'tie_word_embeddings', tiedFallback) ? 0 : vocab * hidden);
}

/** A sparse MoE block: what every token runs (`always`: router, shared experts) plus `experts` experts, top-k of them per token. */
function sparseMlp(always: number, experts: number, topK: number, expert: number): ParameterCounts {
  return { total: always + experts * expert, active: always + Math.min(topK, experts) * expert };
}

/** Sums per-layer counts and checks the result stays exact. */
function checked(counts: ParameterCounts): ParameterCounts {
  if (!Number.isSafeInteger(counts.total) || !Number.isSafeInteger(counts.active)) {
    throw new KvCacheError('config', 'config.json: the parameter count would pass 2^53 − 1');
  }
  return counts;
}

// Families whose tie_word_embeddings defaults to true in their configuration_*.py (GemmaConfig,
// Gemma2Config, Gemma3TextConfig, FalconConfig); every other family here defaults to false.
const TIED_BY_DEFAULT = new Set(['gemma', 'gemma2', 'gemma3_text', 'falcon', 'refinedweb', 'refinedwebmodel']);

// Llama-style decoders: RMSNorm, RoPE (no position table), q/k/v/o projections, a gated MLP.
const LLAMA_STYLE = new Set(['llama', 'mistral', 'mixtral', 'qwen2', 'qwen2_moe', 'qwen3', 'qwen3_moe', 'gemma', 'gemma2', 'gemma3_text', 'phi3']);

/** Attention of a Llama-style layer: q/k/v/o, their biases, and Qwen3/Gemma 3's per-head q/k RMSNorms. */
function llamaAttention(config: Config, modelType: string, hidden: number): number {
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  // head_dim from the config when given (Gemma: 256, not hidden / heads); else hidden / heads.
  let headDim: number;
  if (has(config, 'head_dim')) headDim = int(config, 'head_dim');
  else {
    if (hidden % heads !== 0) throw new KvCacheError('head_dim', `config.json: "hidden_size" (${hidden}) is not divisible by "num_attention_heads" (${heads}) and there is no "head_dim"`);
    headDim = hidden / heads;
  }
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  let count = hidden * q + 2 * hidden * kv + q * hidden;
  if (modelType === 'qwen2' || modelType === 'qwen2_moe') {
    // modeling_qwen2.py / modeling_qwen2_moe.py: q_proj, k_proj, v_proj have bias=True; o_proj has none.
    count += q + 2 * kv;
  } else if (bool(config, 'attention_bias', false)) {
    // modeling_llama.py (and Mistral, Qwen3, Gemma): every projection takes bias=config.attention_bias.
    count += q + 2 * kv + hidden;
  }
  // modeling_qwen3.py, modeling_qwen3_moe.py, modeling_gemma3.py: q_norm and k_norm over head_dim.
  if (modelType === 'qwen3' || modelType === 'qwen3_moe' || modelType === 'gemma3_text') count += 2 * headDim;
  return count;
}

/** A Llama-style decoder (dense or mixture of experts). */
function llamaStyle(config: Config, modelType: string, tiedFallback: boolean): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const attention = llamaAttention(config, modelType, hidden);
  // Gemma 2 and 3 norm before and after both attention and MLP (four RMSNorms); the others twice.
  const norms = (modelType === 'gemma2' || modelType === 'gemma3_text' ? 4 : 2) * hidden;
  const mlpBias = bool(config, 'mlp_bias', false);
  let total = 0;
  let active = 0;
  for (let layer = 0; layer < layers; layer++) {
    const mlp = mlpOf(config, modelType, hidden, layer, mlpBias);
    total += attention + norms + mlp.total;
    active += attention + norms + mlp.active;
  }
  const outside = embeddingAndHead(config, vocab, hidden, tiedFallback);
  return checked({ total: total + outside, active: active + outside });
}

/** The MLP of one Llama-style layer: dense, or a mixture of experts with its router and shared experts. */
function mlpOf(config: Config, modelType: string, hidden: number, layer: number, bias: boolean): ParameterCounts {
  if (modelType === 'mixtral') {
    // modeling_mixtral.py MixtralSparseMoeBlock: gate Linear(hidden, num_local_experts, bias=False) and
    // num_local_experts experts (w1, w2, w3) of intermediate_size; every layer is sparse.
    const experts = int(config, 'num_local_experts');
    const topK = int(config, 'num_experts_per_tok');
    const expert = gatedMlp(hidden, int(config, 'intermediate_size'));
    return sparseMlp(hidden * experts, experts, topK, expert);
  }
  if (modelType === 'qwen2_moe' || modelType === 'qwen3_moe' || modelType === 'qwen3_next') {
    // modeling_qwen2_moe.py / modeling_qwen3_moe.py DecoderLayer: sparse when the layer is not in
    // mlp_only_layers and num_experts > 0 and (layer + 1) % decoder_sparse_step == 0; else a dense
    // MLP of intermediate_size.
    const experts = intOr(config, 'num_experts', 0, 0);
    const step = intOr(config, 'decoder_sparse_step', 1);
    const denseOnly = layerList(config, 'mlp_only_layers');
    if (!denseOnly.has(layer) && experts > 0 && (layer + 1) % step === 0) {
      const topK = int(config, 'num_experts_per_tok');
      const expert = gatedMlp(hidden, int(config, 'moe_intermediate_size'));
      let always = hidden * experts; // the router (gate)
      if (modelType !== 'qwen3_moe') {
        // Qwen2MoeSparseMoeBlock (and Qwen3-Next's, the same): shared_expert (shared_expert_intermediate_size)
        // and its shared_expert_gate Linear(hidden, 1, bias=False); Qwen3-MoE has no shared expert.
        const shared = intOr(config, 'shared_expert_intermediate_size', 0, 0);
        if (shared > 0) always += gatedMlp(hidden, shared) + hidden;
      }
      return sparseMlp(always, experts, topK, expert);
    }
  }
  const dense = gatedMlp(hidden, int(config, 'intermediate_size'), bias);
  return { total: dense, active: dense };
}

/** GPT-2 (modeling_gpt2.py): learned positions, LayerNorms with bias, Conv1D layers with bias, tied lm_head. */
function gpt2(config: Config): ParameterCounts {
  const hidden = intOf(config, ['n_embd', 'hidden_size']);
  const layers = layerCount(config, ['n_layer', 'num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const positions = intOf(config, ['n_positions', 'max_position_embeddings']);
  // GPT2MLP: inner_dim = n_inner if set else 4 * hidden_size.
  const inner = intOr(config, 'n_inner', 4 * hidden);
  const layerNorm = 2 * hidden;
  const attention = hidden * 3 * hidden + 3 * hidden + hidden * hidden + hidden; // c_attn, c_proj
  const mlp = hidden * inner + inner + inner * hidden + hidden; // c_fc, c_proj
  // GPT2LMHeadModel ties lm_head to wte (_tied_weights_keys); a config can untie it.
  const tied = bool(config, 'tie_word_embeddings', true);
  const total = vocab * hidden + positions * hidden + layers * (2 * layerNorm + attention + mlp) + layerNorm + (tied ? 0 : vocab * hidden);
  return checked({ total, active: total });
}

/** Falcon (modeling_falcon.py): fused query_key_value, LayerNorms with bias, a 4x GELU MLP, tied lm_head. */
function falcon(config: Config, modelType: string): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers', 'n_layer']);
  const heads = intOf(config, ['num_attention_heads', 'n_head']);
  const vocab = int(config, 'vocab_size');
  const headDim = hidden / heads;
  if (!Number.isInteger(headDim)) throw new KvCacheError('hidden_size', `config.json: "hidden_size" (${hidden}) is not divisible by the ${heads} attention heads`);
  const newArchitecture = bool(config, 'new_decoder_architecture', modelType === 'refinedweb');
  const multiQuery = bool(config, 'multi_query', true);
  const bias = bool(config, 'bias', false);
  // FalconAttention: qkv_out_dim = (num_heads + 2 * num_kv_heads) * head_dim for the new architecture,
  // hidden + 2 * head_dim for multi-query, else 3 * hidden.
  const kvKey = ['num_kv_heads', 'n_head_kv'].find((k) => has(config, k));
  const kvHeads = kvKey === undefined ? heads : int(config, kvKey);
  const qkvOut = newArchitecture ? (heads + 2 * kvHeads) * headDim : multiQuery ? hidden + 2 * headDim : 3 * hidden;
  const ffn = intOr(config, 'ffn_hidden_size', 4 * hidden);
  const attention = hidden * qkvOut + hidden * hidden + (bias ? qkvOut + hidden : 0);
  const mlp = 2 * hidden * ffn + (bias ? ffn + hidden : 0);
  // FalconDecoderLayer: the new architecture has ln_attn and ln_mlp (or one input_layernorm when
  // num_ln_in_parallel_attn is 1); the old one input_layernorm, plus post_attention_layernorm when not parallel.
  let norms: number;
  if (newArchitecture) norms = intOr(config, 'num_ln_in_parallel_attn', 2) === 1 ? 1 : 2;
  else norms = bool(config, 'parallel_attn', true) ? 1 : 2;
  const tied = bool(config, 'tie_word_embeddings', true);
  const total = vocab * hidden + layers * (attention + mlp + norms * 2 * hidden) + 2 * hidden + (tied ? 0 : vocab * hidden);
  return checked({ total, active: total });
}

/** DeepSeek-V2/V3 (modeling_deepseek_v2.py, modeling_deepseek_v3.py): MLA attention and DeepSeekMoE. */
function deepseek(config: Config, modelType: string): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvLoraRank = int(config, 'kv_lora_rank');
  const nope = int(config, 'qk_nope_head_dim');
  const rope = int(config, 'qk_rope_head_dim', 0);
  const vHead = int(config, 'v_head_dim');
  const bias = bool(config, 'attention_bias', false);
  const qkHead = nope + rope;
  // DeepseekV3Attention: q_proj, or q_a_proj + q_a_layernorm + q_b_proj when q_lora_rank is set;
  // kv_a_proj_with_mqa (hidden -> kv_lora_rank + rope), kv_a_layernorm, kv_b_proj, o_proj.
  let attention: number;
  if (has(config, 'q_lora_rank')) {
    const qRank = int(config, 'q_lora_rank');
    attention = hidden * qRank + (bias ? qRank : 0) + qRank + qRank * heads * qkHead;
  } else {
    attention = hidden * heads * qkHead;
  }
  attention += hidden * (kvLoraRank + rope) + (bias ? kvLoraRank + rope : 0) + kvLoraRank;
  attention += kvLoraRank * heads * (nope + vHead) + heads * vHead * hidden + (bias ? hidden : 0);
  const norms = 2 * hidden;
  const routed = intOr(config, 'n_routed_experts', 0, 0);
  const firstDense = intOr(config, 'first_k_dense_replace', 0, 0);
  const frequency = intOr(config, 'moe_layer_freq', 1);
  const shared = intOr(config, 'n_shared_experts', 0, 0);
  let total = 0;
  let active = 0;
  for (let layer = 0; layer < layers; layer++) {
    // DeepSeek's modeling_deepseek.py: a layer is MoE when n_routed_experts is set, layer >= first_k_dense_replace
    // and layer % moe_layer_freq == 0; otherwise a dense MLP of intermediate_size.
    if (routed > 0 && layer >= firstDense && layer % frequency === 0) {
      const topK = int(config, 'num_experts_per_tok');
      const expert = gatedMlp(hidden, int(config, 'moe_intermediate_size'));
      // The router: weight (n_routed_experts x hidden); V3's noaux_tc routing adds e_score_correction_bias,
      // stored in the checkpoint. Shared experts: one MLP of moe_intermediate_size * n_shared_experts.
      const router = routed * hidden + (modelType === 'deepseek_v3' ? routed : 0);
      const always = router + (shared > 0 ? gatedMlp(hidden, int(config, 'moe_intermediate_size') * shared) : 0);
      total += attention + norms + always + routed * expert;
      active += attention + norms + always + Math.min(topK, routed) * expert;
    } else {
      const dense = gatedMlp(hidden, int(config, 'intermediate_size'));
      total += attention + norms + dense;
      active += attention + norms + dense;
    }
  }
  const outside = embeddingAndHead(config, vocab, hidden, false);
  return checked({ total: total + outside, active: active + outside });
}

/** head_dim when the config gives it, else hidden / heads (the Llama-family rule). */
function headDimOf(config: Config, hidden: number, heads: number): number {
  if (has(config, 'head_dim')) return int(config, 'head_dim');
  if (hidden % heads !== 0) throw new KvCacheError('head_dim', `config.json: "hidden_size" (${hidden}) is not divisible by "num_attention_heads" (${heads}) and there is no "head_dim"`);
  return hidden / heads;
}

/** q/k/v/o of `heads` query and `kvHeads` KV heads of width `headDim`, with biases on all four when `bias`. */
function qkvo(hidden: number, heads: number, kvHeads: number, headDim: number, bias: boolean): number {
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  return 2 * hidden * q + 2 * hidden * kv + (bias ? q + 2 * kv + hidden : 0);
}

/** The per-layer kinds hfConfig reads (layer_types wins), so a count and the KV shape never disagree. */
function kindsOf(config: Config, modelType: string, layers: number): LayerKind[] {
  const kinds = layerKindsOf(config, modelType, layers);
  if (kinds === null) throw new KvCacheError('layer_types', `config.json: model_type ${describeValue(modelType)} needs per-layer kinds`);
  return kinds;
}

/**
 * OpenELM (apple/OpenELM's modeling_openelm.py, remote code on the hub; defaults from its OpenELMConfig):
 * per layer a fused qkv_proj (model_dim -> (q + 2·kv heads)·head_dim), q_norm/k_norm over head_dim when
 * normalize_qk_projections, out_proj, a GLU FFN proj_1 (model_dim -> 2·ffn) + proj_2 of width
 * make_divisible(ffn_multipliers[i]·model_dim, ffn_dim_divisor), attn_norm and ffn_norm; token_embeddings,
 * a final norm, and lm_head only when share_input_output_layers is false. No biases anywhere.
 */
function openElm(config: Config): ParameterCounts {
  const model = int(config, 'model_dim');
  const vocab = int(config, 'vocab_size');
  if (has(config, 'num_kv_heads') && !has(config, 'num_query_heads')) {
    throw new KvCacheError('num_query_heads', 'config.json lists "num_kv_heads" but not "num_query_heads", needed to count the parameters');
  }
  const { layers, headDim, queryHeads, kvHeads } = openElmHeads(config);
  const divisor = intOr(config, 'ffn_dim_divisor', 256);
  // ffn_multipliers: one per layer as published, or [first, last] spread over the layers as
  // OpenELMConfig.__post_init__ does (linspace rounded to 2 places), or one number for every layer.
  const raw = config.ffn_multipliers;
  let mults: number[];
  if (typeof raw === 'number' && raw > 0) mults = new Array<number>(layers).fill(raw);
  else if (Array.isArray(raw) && raw.length === layers && raw.every((m) => typeof m === 'number' && m > 0)) mults = raw as number[];
  else if (Array.isArray(raw) && raw.length === 2 && raw.every((m) => typeof m === 'number' && m > 0)) {
    const [first, last] = raw as number[];
    mults = Array.from({ length: layers }, (_, i) => Math.round((layers === 1 ? first : first + ((last - first) * i) / (layers - 1)) * 100) / 100);
  } else if (raw === undefined || raw === null) throw new KvCacheError('ffn_multipliers', 'config.json has no "ffn_multipliers", needed to count the parameters');
  else throw new KvCacheError('ffn_multipliers', `config.json: "ffn_multipliers" must be one positive number per layer (${layers}) or [first, last]`);
  const glu = bool(config, 'ffn_with_glu', true);
  const qkNorm = bool(config, 'normalize_qk_projections', false);
  let total = 0;
  for (let i = 0; i < layers; i++) {
    const q = queryHeads[i] * headDim;
    const kv = kvHeads[i] * headDim;
    const ffn = makeDivisible(mults[i] * model, divisor);
    total += model * (q + 2 * kv) + q * model + (qkNorm ? 2 * headDim : 0) + (glu ? 3 : 2) * model * ffn + 2 * model;
  }
  const tied = bool(config, 'share_input_output_layers', false);
  total += vocab * model + model + (tied ? 0 : vocab * model);
  return checked({ total, active: total });
}

/**
 * Jamba (transformers models/jamba/modular_jamba.py, configuration_jamba.py). Attention layers (every
 * attn_layer_period-th from attn_layer_offset) have q/k/v/o without bias; the others a Mamba mixer:
 * in_proj (hidden -> 2·inner, bias mamba_proj_bias), a depthwise conv1d (inner·d_conv, bias mamba_conv_bias),
 * x_proj (inner -> dt_rank + 2·d_state), dt_proj (dt_rank -> inner, with bias), A_log (inner·d_state), D (inner),
 * out_proj (inner -> hidden) and RMSNorms over dt_rank, d_state, d_state; inner = mamba_expand·hidden. Each
 * layer's feed-forward is a Mixtral-style MoE (router without bias + num_experts MLPs) when
 * layer % expert_layer_period == expert_layer_offset, else one MLP; input_layernorm and pre_ff_layernorm.
 */
function jamba(config: Config): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  const attention = qkvo(hidden, heads, kvHeads, headDimOf(config, hidden, heads), false);
  const inner = intOr(config, 'mamba_expand', 2) * hidden;
  const dState = intOr(config, 'mamba_d_state', 16);
  const dConv = intOr(config, 'mamba_d_conv', 4);
  // JambaConfig: mamba_dt_rank "auto" = ceil(hidden_size / 16).
  const dtRank = config.mamba_dt_rank === undefined || config.mamba_dt_rank === null || config.mamba_dt_rank === 'auto' ? Math.ceil(hidden / 16) : int(config, 'mamba_dt_rank');
  const projBias = bool(config, 'mamba_proj_bias', false);
  const mamba = hidden * 2 * inner + (projBias ? 2 * inner : 0)
    + inner * dConv + (bool(config, 'mamba_conv_bias', true) ? inner : 0)
    + inner * (dtRank + 2 * dState) + dtRank * inner + inner
    + inner * dState + inner
    + inner * hidden + (projBias ? hidden : 0)
    + dtRank + 2 * dState;
  const experts = intOr(config, 'num_experts', 16);
  const period = intOr(config, 'expert_layer_period', 2);
  const offset = intOr(config, 'expert_layer_offset', 1, 0);
  const mlp = gatedMlp(hidden, int(config, 'intermediate_size'));
  const kinds = kindsOf(config, 'jamba', layers);
  let total = 0;
  let active = 0;
  kinds.forEach((kind, layer) => {
    const mixer = kind === 'state' ? mamba : attention;
    const ff = experts > 1 && layer % period === offset
      ? sparseMlp(hidden * experts, experts, int(config, 'num_experts_per_tok'), mlp)
      : { total: mlp, active: mlp };
    total += mixer + ff.total + 2 * hidden;
    active += mixer + ff.active + 2 * hidden;
  });
  const outside = embeddingAndHead(config, vocab, hidden, false);
  return checked({ total: total + outside, active: active + outside });
}

/**
 * Qwen3-Next (transformers models/qwen3_next/modular_qwen3_next.py). Full-attention layers: q_proj emits a
 * query and an output gate (2·heads·head_dim), k/v/o, per-head q_norm/k_norm. Linear-attention layers (Gated
 * DeltaNet): in_proj_qkvz (hidden -> 2·key_dim + 2·value_dim), in_proj_ba (hidden -> 2·v_heads), a depthwise
 * conv1d over conv_dim = 2·key_dim + value_dim (no bias), dt_bias and A_log (v_heads), a gated RMSNorm over
 * the value head width, out_proj (value_dim -> hidden). MLP: Qwen2-MoE's sparse block (router, experts of
 * moe_intermediate_size, a shared expert and its one-output gate) by decoder_sparse_step / mlp_only_layers.
 * The multi-token-prediction module the checkpoint ships (mtp.*) is ignored by transformers and not counted.
 */
function qwen3Next(config: Config): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  const headDim = headDimOf(config, hidden, heads);
  const bias = bool(config, 'attention_bias', false);
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  const attention = hidden * 2 * q + 2 * hidden * kv + q * hidden + (bias ? 2 * q + 2 * kv + hidden : 0) + 2 * headDim;
  const kHeads = intOr(config, 'linear_num_key_heads', 16);
  const vHeads = intOr(config, 'linear_num_value_heads', 32);
  const keyDim = kHeads * intOr(config, 'linear_key_head_dim', 128);
  const vHeadDim = intOr(config, 'linear_value_head_dim', 128);
  const valueDim = vHeads * vHeadDim;
  const convDim = 2 * keyDim + valueDim;
  const deltaNet = hidden * (2 * keyDim + 2 * valueDim) + hidden * 2 * vHeads + convDim * intOr(config, 'linear_conv_kernel_dim', 4)
    + 2 * vHeads + vHeadDim + valueDim * hidden;
  const kinds = kindsOf(config, 'qwen3_next', layers);
  let total = 0;
  let active = 0;
  kinds.forEach((kind, layer) => {
    const mixer = kind === 'state' ? deltaNet : attention;
    const mlp = mlpOf(config, 'qwen3_next', hidden, layer, false);
    total += mixer + mlp.total + 2 * hidden;
    active += mixer + mlp.active + 2 * hidden;
  });
  const outside = embeddingAndHead(config, vocab, hidden, false);
  return checked({ total: total + outside, active: active + outside });
}

/**
 * Falcon-H1 (transformers models/falcon_h1/modular_falcon_h1.py, configuration_falcon_h1.py): every layer has
 * attention (Llama q/k/v/o, bias attention_bias) AND a Mamba-2 mixer side by side, then a gated MLP (bias
 * mlp_bias). Mixer: inner = mamba_d_ssm (or mamba_expand·hidden when null), conv_dim = inner + 2·n_groups·d_state;
 * in_proj (hidden -> inner + conv_dim + n_heads, bias mamba_proj_bias), conv1d (conv_dim·d_conv, bias
 * mamba_conv_bias), dt_bias, A_log and D (n_heads each), a gated RMSNorm over inner when mamba_rms_norm, out_proj
 * (inner -> hidden, bias projectors_bias). The muP vector is a non-persistent buffer, not a parameter.
 */
function falconH1(config: Config): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  const attention = qkvo(hidden, heads, kvHeads, headDimOf(config, hidden, heads), bool(config, 'attention_bias', false));
  const inner = config.mamba_d_ssm === null ? intOr(config, 'mamba_expand', 2) * hidden : intOr(config, 'mamba_d_ssm', 1024);
  const mHeads = intOr(config, 'mamba_n_heads', 128);
  const convDim = inner + 2 * intOr(config, 'mamba_n_groups', 1) * intOr(config, 'mamba_d_state', 256);
  const projection = inner + convDim + mHeads;
  const mixer = hidden * projection + (bool(config, 'mamba_proj_bias', false) ? projection : 0)
    + convDim * intOr(config, 'mamba_d_conv', 4) + (bool(config, 'mamba_conv_bias', true) ? convDim : 0)
    + 3 * mHeads + (bool(config, 'mamba_rms_norm', false) ? inner : 0)
    + inner * hidden + (bool(config, 'projectors_bias', false) ? hidden : 0);
  const mlp = gatedMlp(hidden, int(config, 'intermediate_size'), bool(config, 'mlp_bias', false));
  const total = layers * (attention + mixer + mlp + 2 * hidden) + embeddingAndHead(config, vocab, hidden, false);
  return checked({ total, active: total });
}

/**
 * gpt-oss (transformers models/gpt_oss/modeling_gpt_oss.py): q/k/v/o with bias attention_bias, one learned
 * attention sink per head, a router with weight and bias (num_local_experts × hidden + num_local_experts), and
 * num_local_experts experts stored as 3-D tensors: gate_up_proj (hidden × 2·intermediate) and down_proj
 * (intermediate × hidden), each with a bias; two RMSNorms per layer, a final norm, untied lm_head.
 */
function gptOss(config: Config): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  const attention = qkvo(hidden, heads, kvHeads, headDimOf(config, hidden, heads), bool(config, 'attention_bias', true)) + heads;
  const experts = int(config, 'num_local_experts');
  const topK = Math.min(int(config, 'num_experts_per_tok'), experts);
  const inter = int(config, 'intermediate_size');
  const expert = hidden * 2 * inter + 2 * inter + inter * hidden + hidden;
  const router = experts * hidden + experts;
  const norms = 2 * hidden;
  const outside = embeddingAndHead(config, vocab, hidden, false);
  return checked({
    total: layers * (attention + router + experts * expert + norms) + outside,
    active: layers * (attention + router + topK * expert + norms) + outside,
  });
}

/**
 * Llama 4 text model (transformers models/llama4/modeling_llama4.py, configuration_llama4.py): q/k/v/o (bias
 * attention_bias; the qk_norm is an L2 norm without weights). Layers in moe_layers (default: every
 * interleave_moe_layer_step-th, from step − 1) hold Llama4TextMoe: a router without bias, num_local_experts
 * experts (gate_up_proj hidden × 2·intermediate_size, down_proj) and a shared expert MLP of intermediate_size;
 * the other layers a dense MLP of intermediate_size_mlp. Two RMSNorms per layer, a final norm, lm_head.
 */
function llama4(config: Config): ParameterCounts {
  const hidden = int(config, 'hidden_size');
  const layers = layerCount(config, ['num_hidden_layers']);
  const vocab = int(config, 'vocab_size');
  const heads = int(config, 'num_attention_heads');
  const kvHeads = intOr(config, 'num_key_value_heads', heads);
  const attention = qkvo(hidden, heads, kvHeads, headDimOf(config, hidden, heads), bool(config, 'attention_bias', false));
  let moeLayers: Set<number>;
  if (has(config, 'moe_layers')) moeLayers = layerList(config, 'moe_layers');
  else {
    const step = intOr(config, 'interleave_moe_layer_step', 1);
    moeLayers = new Set();
    for (let i = step - 1; i < layers; i += step) moeLayers.add(i);
  }
  let total = 0;
  let active = 0;
  for (let layer = 0; layer < layers; layer++) {
    let ff: ParameterCounts;
    if (moeLayers.has(layer)) {
      const experts = int(config, 'num_local_experts');
      const expert = gatedMlp(hidden, int(config, 'intermediate_size'));
      // Router + shared expert (same width as a routed one).
      ff = sparseMlp(hidden * experts + expert, experts, int(config, 'num_experts_per_tok'), expert);
    } else {
      const dense = gatedMlp(hidden, int(config, 'intermediate_size_mlp'));
      ff = { total: dense, active: dense };
    }
    total += attention + ff.total + 2 * hidden;
    active += attention + ff.active + 2 * hidden;
  }
  const outside = embeddingAndHead(config, vocab, hidden, false);
  return checked({ total: total + outside, active: active + outside });
}

/** The model families countParameters knows (config.json model_type values). */
export const COUNTED_MODEL_TYPES: readonly string[] = [
  ...LLAMA_STYLE, 'gpt2', 'falcon', 'deepseek_v2', 'deepseek_v3', 'openelm', 'jamba', 'qwen3_next', 'falcon_h1', 'gpt_oss', 'llama4_text',
];

/**
 * Total and active (per-token) parameters of a Hugging Face config.json: Llama, Mistral, Mixtral,
 * Qwen2/2-MoE/3/3-MoE, Gemma 1/2/3, Phi-3, GPT-2, Falcon, DeepSeek-V2/V3, OpenELM, Jamba, Qwen3-Next,
 * Falcon-H1, gpt-oss, Llama 4. A multimodal wrapper counts its language model (text_config). Throws KvCacheError naming the field when the config cannot be counted.
 */
export function countParameters(config: Record<string, unknown>): { total: number; active: number } {
  if (!isRecord(config)) throw new KvCacheError('config', `config.json must hold a JSON object (got ${describeValue(config)})`);
  // Multimodal wrappers (LLaVA, Gemma 3, Mistral 3) keep the language model in text_config; a tie flag
  // set on the wrapper applies to it.
  if (!has(config, 'num_hidden_layers') && !has(config, 'n_layer') && isRecord(config.text_config)) {
    const inner = has(config, 'tie_word_embeddings') && !has(config.text_config, 'tie_word_embeddings')
      ? { ...config.text_config, tie_word_embeddings: config.tie_word_embeddings }
      : config.text_config;
    return countParameters(inner);
  }
  const raw = config.model_type;
  if (typeof raw !== 'string' || raw === '') throw new KvCacheError('model_type', 'config.json has no "model_type", so its architecture (and parameter count) is unknown');
  const modelType = raw.toLowerCase();
  if (LLAMA_STYLE.has(modelType)) return llamaStyle(config, modelType, TIED_BY_DEFAULT.has(modelType));
  if (modelType === 'gpt2') return gpt2(config);
  if (modelType === 'falcon' || modelType === 'refinedweb' || modelType === 'refinedwebmodel') return falcon(config, modelType);
  if (modelType === 'deepseek_v2' || modelType === 'deepseek_v3') return deepseek(config, modelType);
  if (modelType === 'openelm') return openElm(config);
  if (modelType === 'jamba') return jamba(config);
  if (modelType === 'qwen3_next') return qwen3Next(config);
  if (modelType === 'falcon_h1') return falconH1(config);
  if (modelType === 'gpt_oss') return gptOss(config);
  if (modelType === 'llama4_text') return llama4(config);
  throw new KvCacheError('model_type', `config.json: model_type ${describeValue(raw)} is not a family LLM Lens can count parameters for (${COUNTED_MODEL_TYPES.join(', ')})`);
}
