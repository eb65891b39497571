// The editor's token-boundary decorations (issue 19): the line/character ranges placed for a visible slice
// tile that slice — every character is in a range, ranges follow each other without gaps, and each one is
// its token's own UTF-16 range — including tokens that split a character and tokens across line ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryRanges, tokenAt, type LineRange } from '../../src/editor/boundaryRanges';
import { tokenize } from '../../src/core/index';
import { CORPUS, realSource } from './tokenizersCorpus';

/** Document offset of a line/character, computed independently from the line starts of `text`. */
function offsetOf(text: string, firstLine: number, firstChar: number): (line: number, character: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (line, character) => starts[line - firstLine] + character - (line === firstLine ? firstChar : 0);
}

for (const tokenizerId of ['o200k_base', 'llama3', 'qwen3']) {
  test(`${tokenizerId}: decoration ranges tile the visible text and are the tokens' own ranges`, async () => {
    const slices = [
      CORPUS.map((c) => c.text).join('\n'),
      realSource(6000),
      '\n\n  leading blank lines\r\n토큰 🏳️‍🌈 split\n\n',
    ];
    for (const text of slices) {
      for (const [line, character] of [[0, 0], [1200, 0], [7, 4]]) {
        const spans = await tokenize(tokenizerId, text);
        const starts = spans.map((s) => s.start);
        const ends = spans.map((s) => s.end);
        const placed = boundaryRanges(text, line, character, starts, ends);
        const offset = offsetOf(text, line, character);
        // Back in token order: even ranges are tokens 0, 2, 4 …, odd ones 1, 3, 5 … (no token is empty).
        const ordered: LineRange[] = [];
        for (let i = 0; i < spans.length; i++) ordered.push((i % 2 === 0 ? placed.even : placed.odd)[i >> 1]);
        assert.equal(placed.even.length + placed.odd.length, spans.length);
        let covered = 0;
        ordered.forEach((r, i) => {
          const s = offset(r.startLine, r.startCharacter);
          const e = offset(r.endLine, r.endCharacter);
          assert.deepEqual([s, e], [spans[i].start, spans[i].end], `${tokenizerId}: token ${i} range`);
          // No gap: each range starts at or before the end of what is covered (tokens sharing a character overlap).
          assert.ok(s <= covered && e > s, `${tokenizerId}: token ${i} follows on`);
          covered = Math.max(covered, e);
        });
        assert.equal(covered, text.length, `${tokenizerId}: the ranges cover the slice`);
        // The hover finds the token under any character.
        for (const at of [0, Math.floor(text.length / 2), text.length - 1]) {
          const i = tokenAt(starts, ends, at);
          assert.ok(i >= 0 && starts[i] <= at && at < ends[i]);
        }
        assert.equal(tokenAt(starts, ends, text.length), -1);
      }
    }
  });
}
