import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attentionJob } from '../../src/compute/attentionJob';
import { makeGpt2 } from './attentionFixtures';

/** A tokenizer.json whose vocabulary is single letters a..z (ids 0..25), no merges. */
function letterTokenizer(): string {
  const vocab = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [String.fromCharCode(97 + i), i]));
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  });
}

test('the worker job tokenizes with the model tokenizer, caps by setting and by GPT-2 positions, and prepares the matrices', async () => {
  const { dir } = makeGpt2({ layers: 2, hidden: 8, heads: 2, vocab: 26, positions: 6, prefix: true, maskBuffers: false, dtype: 'F32', seed: 8 });
  writeFileSync(join(dir, 'tokenizer.json'), letterTokenizer());
  try {
    const progress: number[] = [];
    const out = await attentionJob({ dir, text: 'abcd', maxTokens: 3, topK: 5 }, (f) => progress.push(f));
    assert.deepEqual(out.tokens.map((t) => t.text), ['a', 'b', 'c']);
    assert.equal(out.total, 4);
    assert.equal(out.limit, 3);
    assert.equal(out.seqLen, 3);
    assert.deepEqual(progress.slice(0, 3), [0, 0.4, 0.8]);
    assert.equal(progress[progress.length - 1], 1);
    // No matrices cross: thumbnails (3 × 3 at 3 tokens) for 2 layers × (2 heads + mean + max).
    assert.equal(out.thumbnails.size, 3);
    assert.equal(out.thumbnails.pixels.length, 2 * 4 * 9);
    assert.equal(out.predictions.length, 5);
    // GPT-2 has 6 learned positions: a higher setting is capped there.
    const long = await attentionJob({ dir, text: 'abcdefghij', maxTokens: 256, topK: 1 }, () => undefined);
    assert.equal(long.limit, 6);
    assert.equal(long.seqLen, 6);
    assert.equal(long.total, 10);
    assert.equal(long.limitReason, 'trainedContext');
    assert.equal(long.trainedContext, 6);
    assert.equal(out.limitReason, 'maxTokens');
    // Going past the trained context is allowed for RoPE models only: GPT-2 has no position past its table.
    const allowed = await attentionJob({ dir, text: 'abcdefghij', maxTokens: 256, allowBeyondTrainedContext: true, topK: 1 }, () => undefined);
    assert.equal(allowed.seqLen, 6);
    assert.equal(allowed.limitReason, 'trainedContext');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker job reports a model without tokenizer.json clearly', async () => {
  const { dir } = makeGpt2({ layers: 1, hidden: 8, heads: 2, vocab: 26, positions: 6, prefix: false, maskBuffers: false, dtype: 'F32', seed: 9 });
  try {
    await assert.rejects(attentionJob({ dir, text: 'ab', maxTokens: 8, topK: 1 }, () => undefined), /no tokenizer\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
