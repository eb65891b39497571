import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxesOverlap, placeLabels, spreadAlong, type LabelBox } from '../../webview/kvcache/labelLayout';

const noneOverlap = (boxes: LabelBox[]) => {
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!boxesOverlap(boxes[i], boxes[j]), `${JSON.stringify(boxes[i])} / ${JSON.stringify(boxes[j])}`);
};

test('GPU labels whose lines run 8 px apart (48 and 80 GiB) are spread to one line height, in order', () => {
  // Wanted centres (px): 24 GiB at 200, 48 GiB at 150, 80 GiB at 142, 141 GiB at 110; labels are 13 px tall.
  const wanted = [200, 150, 142, 110];
  const got = spreadAlong(wanted, 13, 12, 286);
  const boxes = got.map((c) => ({ x: 0, y: c - 6.5, w: 40, h: 13 }));
  noneOverlap(boxes);
  // Order along the axis is kept, and labels that were clear of each other stay where they were.
  assert.ok(got[3] < got[2] && got[2] < got[1] && got[1] < got[0]);
  assert.equal(got[0], 200);
  assert.equal(got[3], 110);
  assert.ok(Math.abs(got[1] - 150) <= 13 && Math.abs(got[2] - 142) <= 13);
});

test('labels pushed past an end come back inside the range', () => {
  const got = spreadAlong([280, 282, 284], 13, 12, 286);
  assert.ok(got.every((c) => c - 6.5 >= 12 && c + 6.5 <= 286));
  noneOverlap(got.map((c) => ({ x: 0, y: c - 6.5, w: 10, h: 13 })));
  // More labels than room: spaced evenly, never outside the range.
  const crowded = spreadAlong([50, 50, 50, 50], 13, 0, 30);
  assert.ok(crowded.every((c) => c >= 6.5 && c <= 23.5));
});

test('"current" on the trained context: the second marker label takes the other side, then the next row', () => {
  const plot = { x: 64, y: 12, w: 300, h: 274 };
  const at = 250;
  const candidates = (w: number): LabelBox[] => [0, 1, 2].flatMap((row) => [
    { x: at + 3, y: 14 + row * 13, w, h: 13 },
    { x: at - 3 - w, y: 14 + row * 13, w, h: 13 },
  ]);
  const taken: LabelBox[] = [];
  const [trained, current, third] = placeLabels([candidates(80), candidates(40), candidates(60)], plot, taken);
  assert.ok(trained && current && third);
  noneOverlap([trained, current, third]);
  assert.equal(trained.x, at + 3, 'first choice: right of the line');
  assert.equal(current.x, at - 3 - 40, 'then left of it, same row');
  assert.equal(third.y, 14 + 13, 'then a row lower');
  assert.equal(taken.length, 3);
});

test('a label with no free spot inside the plot is left out, not drawn over another', () => {
  const plot = { x: 0, y: 0, w: 100, h: 20 };
  const taken: LabelBox[] = [{ x: 0, y: 0, w: 100, h: 20 }];
  assert.deepEqual(placeLabels([[{ x: 10, y: 2, w: 30, h: 13 }]], plot, taken), [undefined]);
  // Outside the plot does not count as free either.
  assert.deepEqual(placeLabels([[{ x: 90, y: 2, w: 30, h: 13 }]], plot, []), [undefined]);
});
