import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import { applyBpe, bpeToTokenizerJson, bytesToUnicode, preTokenize, trainBpe, BpeError } from '../../src/core/bpe/trainer';

const dec = new TextDecoder();

test('trainBpe: merges on a small example, checked by hand', () => {
  // Words: "abab" x2, "abc" x1. Pairs: (a,b)=2*2+1=5, (b,a)=2, (b,c)=1 -> merge a+b (5).
  // Then "ab ab" x2 and "ab c" x1: (ab,ab)=2, (ab,c)=1 -> merge ab+ab (2); (ab,c)=1 is below minPairCount 2.
  const r = trainBpe(['abab', 'abab', 'abc'], { vocabSize: 300 });
  assert.equal(r.merges.length, 2);
  assert.deepEqual([r.merges[0].left, r.merges[0].right, r.merges[0].count, r.merges[0].newId], [97, 98, 5, 256]);
  assert.equal(dec.decode(r.merges[0].bytes), 'ab');
  assert.deepEqual([r.merges[1].left, r.merges[1].right, r.merges[1].count, r.merges[1].newId], [256, 256, 2, 257]);
  assert.equal(dec.decode(r.merges[1].bytes), 'abab');
  assert.deepEqual(applyBpe('abab abc', r.merges), [257, 32, 256, 99]);
  assert.deepEqual(applyBpe('abab', r.merges, 1), [256, 256]);
  assert.deepEqual(applyBpe('abab', r.merges, 0), [97, 98, 97, 98]);
});

test('trainBpe: overlapping pairs "aaaa" merge left to right', () => {
  // "aaaa" x1 -> (a,a) counted 3 times; merging yields [aa, aa]; then (aa,aa)=1.
  const r = trainBpe('aaaa', { vocabSize: 300, minPairCount: 1 });
  assert.deepEqual(r.merges.map((m) => [m.left, m.right, m.count]), [[97, 97, 3], [256, 256, 1]]);
  assert.deepEqual(applyBpe('aaaaa', r.merges), [257, 97]);
});

test('trainBpe: ties go to the smallest pair ids, whatever the document order', () => {
  const a = trainBpe(['cd', 'ab'], { vocabSize: 257, minPairCount: 1 });
  assert.deepEqual([a.merges[0].left, a.merges[0].right], [97, 98]);
  const docs = ['function add(a, b) { return a + b; }', 'const x = add(1, 2);', '한국어 문장도 섞어 둡니다.', 'return value;'];
  const one = trainBpe(docs, { vocabSize: 300, minPairCount: 1 });
  const two = trainBpe([...docs].reverse(), { vocabSize: 300, minPairCount: 1 });
  assert.deepEqual(one.merges.map((m) => [m.left, m.right, m.count]), two.merges.map((m) => [m.left, m.right, m.count]));
});

test('trainBpe: rejects a bad vocabulary size with a typed error', () => {
  assert.throws(() => trainBpe('x', { vocabSize: 10 }), BpeError);
});

test('preTokenize: chunks tile the text and keep a leading space with the word', () => {
  const text = "  if (x) {\n    return y's 12345;\n}";
  const chunks = preTokenize(text);
  assert.equal(chunks.join(''), text);
  assert.ok(chunks.includes(' return'));
  assert.ok(chunks.includes(' 123') && chunks.includes('45'));
});

test('bytesToUnicode: GPT-2 table maps space to Ġ and newline to Ċ, and is a bijection', () => {
  const t = bytesToUnicode();
  assert.equal(t[32], 'Ġ');
  assert.equal(t[10], 'Ċ');
  assert.equal(t[65], 'A');
  assert.equal(new Set(t).size, 256);
});

test('bpeToTokenizerJson: @huggingface/tokenizers gives the same ids as applyBpe', () => {
  const corpus = [
    'export function tokenize(text: string): number[] {\n  return text.split(" ").map((w) => w.length);\n}\n',
    '// Attention weights are not explanations.\nconst probs = softmax(scores);\t\tlet n = 0x1F;\n',
    '어텐션은 각 토큰이 다른 토큰을 얼마나 참고하는지 나타냅니다. 토큰화는 텍스트를 조각으로 나눕니다.\n',
    "It's what they've said: we'll see. Émile naïve café — 1234567 tokens!  \n\n  end",
  ];
  const r = trainBpe([...corpus, ...corpus], { vocabSize: 400, minPairCount: 2 });
  const json = bpeToTokenizerJson(r, ['<|endoftext|>']);
  const hf = new Tokenizer(json, {});
  const samples = [
    ...corpus,
    'function softmax(x) {   return x.map(Math.exp); }\r\n',
    '토큰이 문자를 쪼갤 때 🙂 emoji and  multiple   spaces\u00a0nbsp\u3000ideographic',
    "don't stop 99 bottles",
  ];
  for (const s of samples) {
    const ours = applyBpe(s, r.merges);
    const theirs = hf.encode(s, { add_special_tokens: false }).ids;
    assert.deepEqual(theirs, ours, `mismatch on ${JSON.stringify(s)}`);
    assert.equal(hf.decode(ours), s);
  }
  assert.equal(json.model.vocab['<|endoftext|>'], r.tokenBytes.length);
});
