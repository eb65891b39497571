// Label placement for the memory chart: every label gets a spot where it overlaps no other label
// (markers that sit on the same context, GPU lines a few pixels apart), at any panel width. Pure geometry.

/** A label's rectangle in canvas pixels (x, y = top-left). */
export interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** True when two boxes share any area (touching edges do not count). */
export function boxesOverlap(a: LabelBox, b: LabelBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function inside(box: LabelBox, bounds: LabelBox): boolean {
  return box.x >= bounds.x && box.y >= bounds.y && box.x + box.w <= bounds.x + bounds.w && box.y + box.h <= bounds.y + bounds.h;
}

/**
 * Puts each label, in order, at its first candidate that stays inside `bounds` and overlaps nothing in
 * `taken` or placed before it; undefined for a label with no such spot (it is left out rather than drawn
 * over another). Placed boxes are appended to `taken`.
 */
export function placeLabels(candidates: LabelBox[][], bounds: LabelBox, taken: LabelBox[]): (LabelBox | undefined)[] {
  return candidates.map((options) => {
    const spot = options.find((box) => inside(box, bounds) && !taken.some((other) => boxesOverlap(box, other)));
    if (spot) taken.push(spot);
    return spot;
  });
}

/**
 * Centres of `size`-tall labels along one axis, as near their wanted positions as possible with no two
 * closer than `size`, all within [min, max]. Order is kept. When they cannot all fit, they are spaced
 * evenly over the range (still without overlap only if n · size ≤ max − min).
 */
export function spreadAlong(wanted: number[], size: number, min: number, max: number): number[] {
  const order = wanted.map((_, i) => i).sort((a, b) => wanted[a] - wanted[b]);
  const lo = min + size / 2;
  const hi = max - size / 2;
  const pos = order.map((i) => Math.min(hi, Math.max(lo, wanted[i])));
  if (pos.length * size > max - min) {
    const step = pos.length > 1 ? (hi - lo) / (pos.length - 1) : 0;
    pos.forEach((_, k) => (pos[k] = lo + k * step));
  } else {
    // Push down (towards larger values) past each previous label, then back up from the far end.
    for (let k = 1; k < pos.length; k++) pos[k] = Math.max(pos[k], pos[k - 1] + size);
    if (pos.length > 0) pos[pos.length - 1] = Math.min(pos[pos.length - 1], hi);
    for (let k = pos.length - 2; k >= 0; k--) pos[k] = Math.min(pos[k], pos[k + 1] - size);
  }
  const result = new Array<number>(wanted.length);
  order.forEach((i, k) => (result[i] = pos[k]));
  return result;
}
