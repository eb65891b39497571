import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAlignment } from '../../src/core/tokenizers/alignment';
import { decomposedHangulSyllables } from '../../src/core/tokenizers/korean';
import { chunkBoundaries } from '../../src/core/tokenizers/tokenize';
import { ByteAlignment, decodeWholeUtf8, utf8Length, walkRanges } from '../../src/core/tokenizers/utf8';
import { rng } from './attentionFixtures';
import { CORPUS, referenceRanges } from './tokenizersCorpus';

/** Random byte lengths (1-5) adding up to `total`, like tokens that may split characters. */
function randomPieces(total: number, next: () => number): number[] {
  const out: number[] = [];
  let left = total;
  while (left > 0) {
    const n = Math.min(left, 1 + Math.floor(next() * 5));
    out.push(n);
    left -= n;
  }
  return out;
}

test('utf8Length equals TextEncoder on every corpus text (lone surrogates count 3 bytes)', () => {
  const enc = new TextEncoder();
  for (const { name, text } of CORPUS) assert.equal(utf8Length(text), enc.encode(text).length, name);
  assert.equal(utf8Length('\uD800'), 3);
  assert.equal(utf8Length('\uD83D\uDE00'), 4);
});

test('walkRanges: pieces that split characters get the smallest whole-character range (vs reference)', () => {
  const next = rng(7);
  for (const { name, text } of CORPUS) {
    const total = new TextEncoder().encode(text).length;
    const ref = referenceRanges(text);
    for (let round = 0; round < 20; round++) {
      const lengths = randomPieces(total, next);
      let expectStart = 0;
      walkRanges(text, lengths, (i, byteStart, byteEnd, start, end) => {
        assert.equal(byteStart, expectStart, `${name}: piece ${i} starts where the previous ended`);
        assert.equal(byteEnd - byteStart, lengths[i]);
        assert.deepEqual([start, end], ref(byteStart, byteEnd), `${name}: piece ${i} bytes [${byteStart},${byteEnd})`);
        expectStart = byteEnd;
      });
      assert.equal(expectStart, total, name);
    }
  }
});

test('walkRanges: a 4-byte emoji cut into 1+3 bytes gives both pieces the same 2-unit range', () => {
  const seen: [number, number][] = [];
  walkRanges('a😀b', [2, 3, 1], (_i, _bs, _be, start, end) => seen.push([start, end]));
  assert.deepEqual(seen, [[0, 3], [1, 3], [3, 4]]);
});

test('walkRanges rejects lengths that do not add up to the text', () => {
  assert.throws(() => walkRanges('abc', [1, 1], () => undefined), { name: 'TokenizerError', code: 'inconsistent' });
  assert.throws(() => walkRanges('abc', [2, 2], () => undefined), { name: 'TokenizerError', code: 'inconsistent' });
});

test('buildAlignment: NFD Korean maps syllable boundaries exactly back to the jamo', () => {
  const original = '한국어 ok'.normalize('NFD');
  const alignment = buildAlignment([{ original, normalized: true }], (s) => s.normalize('NFC'));
  assert.ok(alignment);
  // NFC: 한(3) 국(3) 어(3) " ok"(3) = 12 bytes; NFD: 한 = 3 jamo (9), 국 = 3 jamo (9), 어 = 2 jamo (6).
  assert.equal(alignment.normalizedLength, 12);
  assert.deepEqual([3, 6, 9, 12].map((x) => alignment.map(x)), [9, 18, 24, 27]);
  // Inside a syllable the map is proportional: byte 1 of 한 (NFC) lies in its first jamo.
  alignment.reset();
  assert.equal(alignment.map(1), 3);
});

test('buildAlignment: unchanged lines map identically around a decomposed one', () => {
  const original = `abc\n${'한'.normalize('NFD')}\nxyz`;
  const alignment = buildAlignment([{ original, normalized: true }], (s) => s.normalize('NFC'));
  assert.ok(alignment);
  // "abc\n" 4 bytes both ways; 한 is 3 bytes composed, 9 decomposed; then "\nxyz".
  assert.deepEqual([2, 4, 7, 8, 11].map((x) => alignment.map(x)), [2, 4, 13, 14, 17]);
});

test('buildAlignment is undefined when normalization changes nothing', () => {
  assert.equal(buildAlignment([{ original: '한국어 text', normalized: true }], (s) => s.normalize('NFC')), undefined);
});

test('ByteAlignment maps offsets monotonically and ends at the original length', () => {
  const a = new ByteAlignment([2, 5, 5, 8], [4, 7, 9, 12]);
  assert.deepEqual([0, 1, 2, 3, 5, 8].map((x) => a.map(x)), [0, 2, 4, 5, 9, 12]);
});

test('decodeWholeUtf8 returns text for whole characters and undefined for fragments', () => {
  assert.equal(decodeWholeUtf8(new Uint8Array([0xed, 0x95, 0x9c])), '한');
  assert.equal(decodeWholeUtf8(new Uint8Array([0xed, 0x95])), undefined);
});

test('chunkBoundaries cuts only after a newline and before an ASCII letter or digit', () => {
  const text = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? `  // note ${i}\n` : `x${i} = f(${i});\n`)).join('') + '\n/*\n*/ ok';
  const cuts = chunkBoundaries(text, 500);
  assert.ok(cuts.length > 5);
  for (const c of cuts) {
    assert.equal(text[c - 1], '\n');
    assert.match(text[c], /[A-Za-z0-9]/);
  }
  assert.deepEqual(chunkBoundaries('short', 500), []);
});

test('decomposedHangulSyllables counts NFD syllables only', () => {
  const word = '한국어';
  assert.equal(decomposedHangulSyllables(word), 0);
  assert.equal(decomposedHangulSyllables(word.normalize('NFD')), 3);
  assert.equal(decomposedHangulSyllables(`abc ${word.normalize('NFD')} ${word}`), 3);
  // A lone jamo is not a syllable.
  assert.equal(decomposedHangulSyllables('\u1100 \u1161'), 0);
});
