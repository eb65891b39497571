// The random Llama-shaped models the benchmarks run (no pretrained weights can be downloaded here): BF16
// safetensors with a config.json, in a temporary folder the caller removes. Qwen2's q/k/v biases on request.
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Writes a random model with the given Llama shape as BF16 safetensors; returns its directory. */
export function writeRandomLlama(shape) {
  const core = require('../../dist/core/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-bench-'));
  const { layers, hidden, heads, kvHeads, intermediate, vocab } = shape;
  const d = shape.headDim ?? hidden / heads;
  let seed = 0x9e3779b9;
  const random = (n, scale) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      a[i] = ((seed >>> 0) / 4294967296 - 0.5) * 2 * scale;
    }
    return a;
  };
  const ones = (n) => new Float32Array(n).fill(1);
  const tensors = [{ name: 'model.embed_tokens.weight', shape: [vocab, hidden], data: random(vocab * hidden, 0.05), dtype: 'BF16' }];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    const s = 1 / Math.sqrt(hidden);
    tensors.push(
      { name: p + 'input_layernorm.weight', shape: [hidden], data: ones(hidden), dtype: 'BF16' },
      { name: p + 'post_attention_layernorm.weight', shape: [hidden], data: ones(hidden), dtype: 'BF16' },
      { name: p + 'self_attn.q_proj.weight', shape: [heads * d, hidden], data: random(heads * d * hidden, 2 * s), dtype: 'BF16' },
      { name: p + 'self_attn.k_proj.weight', shape: [kvHeads * d, hidden], data: random(kvHeads * d * hidden, 2 * s), dtype: 'BF16' },
      { name: p + 'self_attn.v_proj.weight', shape: [kvHeads * d, hidden], data: random(kvHeads * d * hidden, s), dtype: 'BF16' },
      { name: p + 'self_attn.o_proj.weight', shape: [hidden, heads * d], data: random(hidden * heads * d, s), dtype: 'BF16' },
      ...(shape.qkvBias
        ? [
            { name: p + 'self_attn.q_proj.bias', shape: [heads * d], data: random(heads * d, 0.1), dtype: 'BF16' },
            { name: p + 'self_attn.k_proj.bias', shape: [kvHeads * d], data: random(kvHeads * d, 0.1), dtype: 'BF16' },
            { name: p + 'self_attn.v_proj.bias', shape: [kvHeads * d], data: random(kvHeads * d, 0.1), dtype: 'BF16' },
          ]
        : []),
      { name: p + 'mlp.gate_proj.weight', shape: [intermediate, hidden], data: random(intermediate * hidden, s), dtype: 'BF16' },
      { name: p + 'mlp.up_proj.weight', shape: [intermediate, hidden], data: random(intermediate * hidden, s), dtype: 'BF16' },
      { name: p + 'mlp.down_proj.weight', shape: [hidden, intermediate], data: random(hidden * intermediate, 1 / Math.sqrt(intermediate)), dtype: 'BF16' },
    );
  }
  tensors.push({ name: 'model.norm.weight', shape: [hidden], data: ones(hidden), dtype: 'BF16' });
  writeFileSync(join(dir, 'model.safetensors'), core.encodeSafetensors(tensors));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: [shape.qkvBias ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'], model_type: shape.qkvBias ? 'qwen2' : 'llama', head_dim: d, hidden_size: hidden, intermediate_size: intermediate,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, vocab_size: vocab,
    rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true, max_position_embeddings: 8192,
  }));
  return dir;
}

/** A byte-level tokenizer.json (one token per UTF-8 byte, ids 0..255) so the worker job can take text. */
export function byteTokenizerJson() {
  const printable = (b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  const alphabet = Array.from({ length: 256 }, (_, b) => (printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++)));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: byteLevel, post_processor: null, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(alphabet.map((c, i) => [c, i])), merges: [] },
  });
}
