// The Attention panel's worker job runs a GGUF model given its path, tokenizing with the tokenizer in the
// file's metadata — what the panel needs once "Choose Model" offers GGUF files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { attentionJob } from '../../src/compute/attentionJob';
import { meta } from '../support/ggufWriter';
import { writeTinyModel } from '../support/ggufModels';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-ggufjob-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('attentionJob on a Q8_0 GGUF with a SentencePiece vocabulary in its metadata', async () => {
  const letters = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
  const tokens = ['<unk>', '<s>', '</s>', '▁', ...letters, ...letters.map((l) => `▁${l}`)];
  const { ggufPath } = writeTinyModel(dir, {
    arch: 'llama', layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 64, type: 'q8_0', seed: 21,
    extraMeta: [
      ['tokenizer.ggml.model', meta.str('llama')],
      ['tokenizer.ggml.tokens', meta.strs(tokens)],
      ['tokenizer.ggml.scores', meta.f32s(tokens.map((_, i) => -i))],
      ['tokenizer.ggml.token_type', meta.i32s(tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : 1)))],
      ['tokenizer.ggml.bos_token_id', meta.u32(1)],
    ],
  }, 'job');
  const out = await attentionJob({ dir: ggufPath, text: 'hi there', maxTokens: 64, topK: 3 }, () => undefined);
  assert.deepEqual(out.tokens.map((t) => t.text), ['<s>', ' h', 'i', ' t', 'h', 'e', 'r', 'e']);
  assert.deepEqual([out.model.modelType, out.model.layers, out.model.heads, out.model.kvHeads], ['llama', 2, 4, 2]);
  assert.equal(out.seqLen, 8);
  assert.equal(out.predictions.length, 3);
});

test('attentionJob on a GGUF without tokenizer metadata says so (not "no tokenizer.json")', async () => {
  const spec = { arch: 'llama' as const, layers: 1, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 64, type: 'q8_0' as const, seed: 22 };
  const bare = writeTinyModel(dir, spec, 'bare').ggufPath;
  await assert.rejects(attentionJob({ dir: bare, text: 'hi', maxTokens: 64, topK: 3 }, () => undefined), (e: unknown) => {
    const err = e as { code?: string; message: string };
    return err.code === 'ggufTokenizer' && /no tokenizer\.ggml\.model/.test(err.message) && !/tokenizer\.json/.test(err.message);
  });
  const oddPre = writeTinyModel(dir, {
    ...spec,
    extraMeta: [
      ['tokenizer.ggml.model', meta.str('gpt2')],
      ['tokenizer.ggml.tokens', meta.strs(['a', 'b'])],
      ['tokenizer.ggml.merges', meta.strs(['a b'])],
      ['tokenizer.ggml.pre', meta.str('some-future-pre')],
    ],
  }, 'oddpre').ggufPath;
  await assert.rejects(attentionJob({ dir: oddPre, text: 'hi', maxTokens: 64, topK: 3 }, () => undefined), (e: unknown) => {
    const err = e as { code?: string; message: string };
    return err.code === 'ggufTokenizer' && /some-future-pre/.test(err.message);
  });
});
