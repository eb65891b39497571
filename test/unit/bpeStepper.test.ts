import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeStepTokenCounts } from '../../src/core/bpe/stepper';
import { applyBpe, trainBpe } from '../../src/core/bpe/trainer';
import { spansFromTokenBytes } from '../../src/core/tokenizers/tokenize';
import { realSource, referenceRanges } from './tokenizersCorpus';

test('mergeStepTokenCounts: "abab abc" by hand', () => {
  // Bytes: "abab"=4, " abc"=4 -> 8. Merge a+b: "ab ab", " ab c" -> 5. Then ab+ab needs 2 occurrences: none more.
  const r = trainBpe('abab abc', { vocabSize: 300, minPairCount: 1 });
  const counts = mergeStepTokenCounts('abab abc', r.merges);
  assert.equal(counts[0], 8);
  assert.equal(counts[1], 5);
  assert.equal(counts.length, r.merges.length + 1);
});

test('mergeStepTokenCounts equals applyBpe(text, merges, k).length at every step', () => {
  const text = realSource(6000) + '\n토큰화 한국어 텍스트 🙂';
  const r = trainBpe(text, { vocabSize: 256 + 120 });
  const counts = mergeStepTokenCounts(text, r.merges);
  for (let k = 0; k <= r.merges.length; k += 7) assert.equal(counts[k], applyBpe(text, r.merges, k).length, `step ${k}`);
  assert.equal(counts[r.merges.length], applyBpe(text, r.merges).length);
  for (let k = 1; k < counts.length; k++) assert.ok(counts[k] < counts[k - 1], `merge ${k} makes the text shorter`);
});

test('spansFromTokenBytes places a trained tokenizer\'s tokens (which split Korean characters)', () => {
  const text = 'let 한국어 = "토큰"; // 🙂\r\n';
  const r = trainBpe([text, text], { vocabSize: 270, minPairCount: 1 });
  const ids = applyBpe(text, r.merges, 5);
  const spans = spansFromTokenBytes(text, ids, (id) => r.tokenBytes[id]);
  const ref = referenceRanges(text);
  let at = 0;
  for (const s of spans) {
    assert.equal(s.byteStart, at);
    assert.deepEqual([s.start, s.end], ref(s.byteStart, s.byteEnd));
    at = s.byteEnd;
  }
  assert.equal(at, new TextEncoder().encode(text).length);
  assert.throws(() => spansFromTokenBytes(text, ids.slice(1), (id) => r.tokenBytes[id]), { name: 'TokenizerError' });
});
