// The runtime's KV cache: each layer's keys (after RoPE) and values, one row per position, appended as
// tokens are fed (incremental decoding). Every position is kept; sliding-window layers mask the old ones
// at attention time, so `bytes` is what is held, not the sliding-window formula's minimum.
import type { AttentionShape } from '../kvcache/shape';

/** Keys and values of every layer for the positions fed so far (float32, rows × kvHeads·headDim). */
export class KvCache {
  /** Positions held (tokens fed so far); the next token is at this position. */
  length = 0;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  private capacity: number;
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];

  constructor(shape: Pick<AttentionShape, 'layers' | 'kvHeads' | 'headDim'>, initialCapacity = 16) {
    this.layers = shape.layers;
    this.kvHeads = shape.kvHeads;
    this.headDim = shape.headDim;
    this.capacity = Math.max(1, initialCapacity);
    const width = this.kvHeads * this.headDim;
    this.keys = Array.from({ length: this.layers }, () => new Float32Array(this.capacity * width));
    this.values = Array.from({ length: this.layers }, () => new Float32Array(this.capacity * width));
  }

  /** Floats per position per layer for K (and again for V). */
  get rowWidth(): number {
    return this.kvHeads * this.headDim;
  }

  /** Bytes of keys and values held for `length` positions (float32: 4 bytes per element). */
  get bytes(): number {
    return this.length * this.layers * 2 * this.rowWidth * 4;
  }

  /**
   * Writes `count` new rows of K and V for `layer` at positions length … length + count − 1 and returns
   * views of all keys and values up to there. The positions count as held after `commit(count)`.
   */
  append(layer: number, k: Float32Array, v: Float32Array, count: number): { keys: Float32Array; values: Float32Array } {
    const width = this.rowWidth;
    const end = this.length + count;
    if (end > this.capacity) this.grow(Math.max(end, this.capacity * 2));
    this.keys[layer].set(k.subarray(0, count * width), this.length * width);
    this.values[layer].set(v.subarray(0, count * width), this.length * width);
    return { keys: this.keys[layer].subarray(0, end * width), values: this.values[layer].subarray(0, end * width) };
  }

  /** Marks `count` appended positions as held (after every layer appended them). */
  commit(count: number): void {
    this.length += count;
  }

  /** Layer `layer`'s keys for the held positions (length × kvHeads·headDim, a view). */
  keysOf(layer: number): Float32Array {
    return this.keys[layer].subarray(0, this.length * this.rowWidth);
  }

  /** Layer `layer`'s values for the held positions (a view). */
  valuesOf(layer: number): Float32Array {
    return this.values[layer].subarray(0, this.length * this.rowWidth);
  }

  /** Forgets the positions from `length` on (stepping back, or a beam that diverges). */
  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new RangeError(`cannot truncate a cache of ${this.length} positions to ${length}`);
    this.length = length;
  }

  /** An independent copy of the held positions (beam search keeps one cache per beam). */
  clone(): KvCache {
    const copy = new KvCache({ layers: this.layers, kvHeads: this.kvHeads, headDim: this.headDim }, Math.max(this.length, 1));
    for (let l = 0; l < this.layers; l++) copy.append(l, this.keysOf(l), this.valuesOf(l), this.length);
    copy.commit(this.length);
    return copy;
  }

  private grow(capacity: number): void {
    const width = this.rowWidth;
    for (let l = 0; l < this.layers; l++) {
      const k = new Float32Array(capacity * width);
      k.set(this.keys[l].subarray(0, this.length * width));
      this.keys[l] = k;
      const v = new Float32Array(capacity * width);
      v.set(this.values[l].subarray(0, this.length * width));
      this.values[l] = v;
    }
    this.capacity = capacity;
  }
}
