// A tiny Llama-style model with a byte-level tokenizer, generated for the integration tests (every
// selection tokenizes to one token per UTF-8 byte, so the expected sequence length is known).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite } from '../../src/core/model/formats/safetensorsWriter';

/** GPT-2's byte → printable character table (the ByteLevel pre-tokenizer's alphabet). */
function byteAlphabet(): string[] {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => (printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++)));
}

/**
 * Writes the model (by default 2 layers, 4 query heads sharing 2 KV heads) and returns its directory. `maxPositions` sets
 * config.json's max_position_embeddings (the trained context); without it the config states none.
 */
export function writeByteModel(options: { maxPositions?: number; layers?: number; heads?: number; kvHeads?: number; headDim?: number } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-attn-it-'));
  // Other shapes (many layers and heads of a small head size) for the panel-at-scale tests.
  const vocab = 256, hidden = 16, inter = 24;
  const { layers = 2, heads = 4, kvHeads = 2, headDim = 4 } = options;
  let seed = 12345;
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 2 ** 32 - 0.5) * 0.8;
  });
  const tensors: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, hidden], data: rand(vocab * hidden) }];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    tensors.push(
      { name: `${p}input_layernorm.weight`, shape: [hidden], data: new Float32Array(hidden).fill(1) },
      { name: `${p}post_attention_layernorm.weight`, shape: [hidden], data: new Float32Array(hidden).fill(1) },
      { name: `${p}self_attn.q_proj.weight`, shape: [heads * headDim, hidden], data: rand(heads * headDim * hidden) },
      { name: `${p}self_attn.k_proj.weight`, shape: [kvHeads * headDim, hidden], data: rand(kvHeads * headDim * hidden) },
      { name: `${p}self_attn.v_proj.weight`, shape: [kvHeads * headDim, hidden], data: rand(kvHeads * headDim * hidden) },
      { name: `${p}self_attn.o_proj.weight`, shape: [hidden, heads * headDim], data: rand(hidden * heads * headDim) },
      { name: `${p}mlp.gate_proj.weight`, shape: [inter, hidden], data: rand(inter * hidden) },
      { name: `${p}mlp.up_proj.weight`, shape: [inter, hidden], data: rand(inter * hidden) },
      { name: `${p}mlp.down_proj.weight`, shape: [hidden, inter], data: rand(hidden * inter) },
    );
  }
  tensors.push({ name: 'model.norm.weight', shape: [hidden], data: new Float32Array(hidden).fill(1) });
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: hidden, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim: headDim, tie_word_embeddings: true,
    ...(options.maxPositions === undefined ? {} : { max_position_embeddings: options.maxPositions }),
  }));
  writeByteTokenizer(dir);
  return dir;
}

/** Writes a byte-level BPE tokenizer.json into `dir`: 256 tokens, no merges, so token id = byte value. */
export function writeByteTokenizer(dir: string): void {
  const alphabet = byteAlphabet();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(alphabet.map((c, i) => [c, i])), merges: [] },
  }));
}
