// The runtime's KV cache: each layer's keys (after RoPE) and values, one row per position, appended as
// tokens are fed (incremental decoding). A sliding-window layer keeps only its last `window` positions
// (what its queries can still see), so `bytes` equals kvcache/bytes.ts's formula for the model's shape.
import type { AttentionShape } from '../kvcache/shape';

/** Keys and values of every layer for the positions it still needs (float32, rows × kvHeads·headDim). */
export class KvCache {
  /** Positions fed so far; the next token is at this position. */
  length = 0;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  private capacity: number;
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  /** Per layer: how many positions it keeps (undefined = all). */
  private readonly windows: (number | undefined)[];
  /** Per layer: the position of its first held row. */
  private readonly starts: number[];

  constructor(shape: Pick<AttentionShape, 'layers' | 'kvHeads' | 'headDim' | 'slidingWindow' | 'slidingWindowLayers'>, initialCapacity = 16) {
    this.layers = shape.layers;
    this.kvHeads = shape.kvHeads;
    this.headDim = shape.headDim;
    this.capacity = Math.max(1, initialCapacity);
    const width = this.kvHeads * this.headDim;
    this.keys = Array.from({ length: this.layers }, () => new Float32Array(this.capacity * width));
    this.values = Array.from({ length: this.layers }, () => new Float32Array(this.capacity * width));
    const sliding = shape.slidingWindowLayers ? new Set(shape.slidingWindowLayers) : undefined;
    this.windows = Array.from({ length: this.layers }, (_, l) => (sliding === undefined || sliding.has(l) ? shape.slidingWindow : undefined));
    this.starts = new Array<number>(this.layers).fill(0);
  }

  /** Floats per position per layer for K (and again for V). */
  get rowWidth(): number {
    return this.kvHeads * this.headDim;
  }

  /** Bytes of keys and values held (float32: 4 bytes per element), summed over layers. */
  get bytes(): number {
    let rows = 0;
    for (let l = 0; l < this.layers; l++) rows += this.length - this.starts[l];
    return rows * 2 * this.rowWidth * 4;
  }

  /** The position of layer `layer`'s first held row (0 unless a sliding window dropped older ones). */
  startOf(layer: number): number {
    return this.starts[layer];
  }

  /**
   * Writes `count` new rows of K and V for `layer` at positions length … length + count − 1 and returns
   * views of the held keys and values up to there, from position `start`. They count as held after `commit`.
   */
  append(layer: number, k: Float32Array, v: Float32Array, count: number): { keys: Float32Array; values: Float32Array; start: number } {
    const width = this.rowWidth;
    const start = this.starts[layer];
    const held = this.length - start;
    if (held + count > this.capacity) this.grow(Math.max(held + count, this.capacity * 2));
    this.keys[layer].set(k.subarray(0, count * width), held * width);
    this.values[layer].set(v.subarray(0, count * width), held * width);
    const end = (held + count) * width;
    return { keys: this.keys[layer].subarray(0, end), values: this.values[layer].subarray(0, end), start };
  }

  /** Marks `count` appended positions as held (after every layer appended them); sliding layers drop what falls out. */
  commit(count: number): void {
    this.length += count;
    const width = this.rowWidth;
    for (let l = 0; l < this.layers; l++) {
      const window = this.windows[l];
      const excess = window === undefined ? 0 : this.length - this.starts[l] - window;
      if (excess <= 0) continue;
      const held = this.length - this.starts[l];
      this.keys[l].copyWithin(0, excess * width, held * width);
      this.values[l].copyWithin(0, excess * width, held * width);
      this.starts[l] += excess;
    }
  }

  /** Layer `layer`'s held keys, positions startOf(layer) … length − 1 (a view). */
  keysOf(layer: number): Float32Array {
    return this.keys[layer].subarray(0, (this.length - this.starts[layer]) * this.rowWidth);
  }

  /** Layer `layer`'s held values (a view). */
  valuesOf(layer: number): Float32Array {
    return this.values[layer].subarray(0, (this.length - this.starts[layer]) * this.rowWidth);
  }

  /** Forgets the positions from `length` on (stepping back); not past what a sliding window already dropped. */
  truncate(length: number): void {
    const floor = Math.max(...this.starts);
    if (!Number.isInteger(length) || length < floor || length > this.length) {
      throw new RangeError(`cannot truncate a cache of ${this.length} positions to ${length}${floor > 0 ? ` (positions before ${floor} were dropped by the sliding window)` : ''}`);
    }
    this.length = length;
  }

  /** An independent copy (beam search keeps one cache per beam). */
  clone(): KvCache {
    const copy = new KvCache({ layers: this.layers, kvHeads: this.kvHeads, headDim: this.headDim }, this.capacity);
    copy.length = this.length;
    for (let l = 0; l < this.layers; l++) {
      copy.windows[l] = this.windows[l];
      copy.starts[l] = this.starts[l];
      copy.keys[l].set(this.keys[l]);
      copy.values[l].set(this.values[l]);
    }
    return copy;
  }

  private grow(capacity: number): void {
    for (let l = 0; l < this.layers; l++) {
      const k = new Float32Array(capacity * this.rowWidth);
      k.set(this.keys[l]);
      this.keys[l] = k;
      const v = new Float32Array(capacity * this.rowWidth);
      v.set(this.values[l]);
      this.values[l] = v;
    }
    this.capacity = capacity;
  }
}
