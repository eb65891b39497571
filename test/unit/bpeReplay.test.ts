import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from '@dqbd/tiktoken';
import type { MergeModel } from '../../src/core/tokenizers/backend';
import { MAX_REPLAY_BYTES, piecesAfter, replayMerges, replayWithModel } from '../../src/core/bpe/replay';
import { TokenizerError } from '../../src/core/tokenizers/types';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A toy vocabulary: bytes are their own ids; merges (a,b)->256 rank 0, (256,c)->257 rank 1,
 * (c,a)->258 rank 2. Optional whole-word and added-token entries.
 */
function toyModel(extra: { whole?: Map<string, number>; added?: Map<string, number> } = {}): {
  model: MergeModel;
  bytesOf: (id: number) => Uint8Array | undefined;
} {
  const bytes = new Map<number, Uint8Array>();
  for (let b = 0; b < 256; b++) bytes.set(b, Uint8Array.of(b));
  bytes.set(256, enc.encode('ab'));
  bytes.set(257, enc.encode('abc'));
  bytes.set(258, enc.encode('ca'));
  for (const [w, id] of extra.whole ?? []) bytes.set(id, enc.encode(w));
  for (const [w, id] of extra.added ?? []) bytes.set(id, enc.encode(w));
  const merges = new Map<string, { rank: number; id: number }>([
    ['97,98', { rank: 0, id: 256 }],
    ['256,99', { rank: 1, id: 257 }],
    ['99,97', { rank: 2, id: 258 }],
  ]);
  return {
    model: {
      byteToken: (b) => b,
      merge: (l, r) => merges.get(`${l},${r}`),
      wholeWord: (b) => extra.whole?.get(dec.decode(b)),
      addedToken: (w) => extra.added?.get(w),
      normalize: (w) => w,
    },
    bytesOf: (id) => bytes.get(id),
  };
}

test('replay on a toy vocabulary, checked by hand: lowest rank first, leftmost on ties', () => {
  // "abcab": pairs ab(0) bc(-) ca(2) ab(0) -> merge ab at 0 -> [ab c a b]: (ab,c)=1 (c,a)=2 (a,b)=0
  // -> merge ab at 2 -> [ab c ab]: (ab,c)=1 (c,ab)=- -> merge at 0 -> [abc ab].
  const { model, bytesOf } = toyModel();
  const r = replayWithModel('toy', model, bytesOf, 'abcab');
  assert.deepEqual(r.start.map((p) => p.id), [97, 98, 99, 97, 98]);
  assert.deepEqual(r.steps.map((s) => [s.position, s.rank, s.left.id, s.right.id, s.merged.id]), [
    [0, 0, 97, 98, 256],
    [2, 0, 97, 98, 256],
    [0, 1, 256, 99, 257],
  ]);
  assert.equal(r.finish, 'merges');
  assert.equal(r.mergesReachTokens, true);
  assert.deepEqual(r.tokens.map((p) => p.id), [257, 256]);
  assert.deepEqual(piecesAfter(r, 0).map((p) => p.id), [97, 98, 99, 97, 98]);
  assert.deepEqual(piecesAfter(r, 1).map((p) => p.id), [256, 99, 97, 98]);
  assert.deepEqual(piecesAfter(r, 2).map((p) => p.id), [256, 99, 256]);
  assert.deepEqual(piecesAfter(r, 99).map((p) => p.id), [257, 256]);
});

test('replay: a whole-word vocabulary hit overrides the merges and says so', () => {
  const { model, bytesOf } = toyModel({ whole: new Map([['abcab', 300], ['abc', 257]]) });
  const hit = replayWithModel('toy', model, bytesOf, 'abcab');
  assert.equal(hit.finish, 'wholeWord');
  assert.equal(hit.mergesReachTokens, false); // merges stop at [abc, ab]
  assert.deepEqual(hit.tokens.map((p) => p.id), [300]);
  const reached = replayWithModel('toy', model, bytesOf, 'abc');
  assert.equal(reached.finish, 'wholeWord');
  assert.equal(reached.mergesReachTokens, true);
});

test('replay: an added token is matched whole with no merges', () => {
  const { model, bytesOf } = toyModel({ added: new Map([['<x>', 400]]) });
  const r = replayWithModel('toy', model, bytesOf, '<x>');
  assert.equal(r.finish, 'addedToken');
  assert.deepEqual(r.steps, []);
  assert.deepEqual(r.tokens.map((p) => p.id), [400]);
});

test('replay refuses empty and over-long words with typed errors', () => {
  const { model, bytesOf } = toyModel();
  assert.throws(() => replayWithModel('toy', model, bytesOf, ''), (e: unknown) => e instanceof TokenizerError && e.code === 'badInput');
  assert.throws(
    () => replayWithModel('toy', model, bytesOf, 'a'.repeat(MAX_REPLAY_BYTES + 1)),
    (e: unknown) => e instanceof TokenizerError && e.code === 'badInput',
  );
});

test('cl100k_base: replay of real words ends at tiktoken\'s own tokens, every merge joins its neighbours', async () => {
  const tiktoken = get_encoding('cl100k_base');
  try {
    for (const word of [' tokenization', ' internationalization', 'Hello', ' 안녕하세요', ' 🏳️‍🌈', '    ', '123', ' pneumonoultramicroscopic']) {
      const r = await replayMerges('cl100k_base', word);
      assert.deepEqual(r.tokens.map((p) => p.id), Array.from(tiktoken.encode_ordinary(word)), word);
      assert.deepEqual(r.start.flatMap((p) => p.bytes), [...enc.encode(word)], `${word}: starts from its bytes`);
      for (const s of r.steps) assert.deepEqual(s.merged.bytes, [...s.left.bytes, ...s.right.bytes]);
      if (r.mergesReachTokens) assert.deepEqual(piecesAfter(r, r.steps.length), r.tokens, `${word}: merges end at the tokens`);
      // tiktoken merge ranks are token ids: each merge's rank is the id of the token it makes.
      for (const s of r.steps) assert.equal(s.rank, s.merged.id);
    }
  } finally {
    tiktoken.free();
  }
});
