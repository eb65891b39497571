// Weight matrices that stay on disk: a streamed WeightMatrix holds no data, only where its stored bytes are
// (an open file, a byte position, the row length). `linear` reads it a tile of rows at a time with
// fs.readSync into one reusable scratch buffer per thread and multiplies each tile with the same kernels as a
// resident matrix, so every output is the same dot product in the same order: identical results, and the
// weights' memory is one tile however large the model. Embedding lookups read just the looked-up rows.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { rowBytes } from './quant/blockTypes';
import type { WeightMatrix, WeightStream, WeightType } from './weights';

/** Stored bytes per streamed tile (a tile of rows is read, multiplied, then overwritten by the next). */
export const STREAM_TILE_BYTES = 16 * 2 ** 20;

/** Bytes of one stored row of a matrix of `type` with `cols` columns. */
export function storedRowBytes(type: WeightType, cols: number): number {
  return type === 'f32' ? cols * 4 : rowBytes(type, cols);
}

/** Scratch memory shared by every streamed read of this thread (grown, never shrunk; one tile at a time). */
let scratch = new ArrayBuffer(0);
let permuteScratch = new ArrayBuffer(0);

function scratchOf(bytes: number, which: 'read' | 'permute'): ArrayBuffer {
  const current = which === 'read' ? scratch : permuteScratch;
  if (current.byteLength >= bytes) return current;
  // Rounded up to 1 MiB so small growth steps do not reallocate every call.
  const grown = new ArrayBuffer(Math.ceil(bytes / 2 ** 20) * 2 ** 20);
  if (which === 'read') scratch = grown;
  else permuteScratch = grown;
  return grown;
}

/** What streamed weights have read from disk on this thread (running totals: take differences around a run). */
export interface StreamReadStats {
  /** Bytes read, every streamed matrix. */
  bytes: number;
  /** Number of positioned reads. */
  reads: number;
  /** Bytes read from mixture-of-experts expert tensors (a subset of `bytes`): only the routed experts' slices. */
  expertBytes: number;
}

const readStats: StreamReadStats = { bytes: 0, reads: 0, expertBytes: 0 };

/** The running totals of streamed reads on this thread (a copy). */
export function streamReadStats(): StreamReadStats {
  return { ...readStats };
}

/** Bytes of streaming scratch this thread holds now (reported by the run's memory estimate). */
export function streamScratchBytes(): number {
  return scratch.byteLength + permuteScratch.byteLength;
}

/** An open weight file shared by the streamed matrices read from it; closed when the model is collected. */
export class WeightFile {
  readonly fd: number;
  readonly size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    closeWhenCollected.register(this, this.fd);
  }

  /** Fills `target` from byte `position`; throws when the file ends early (changed since it was opened). */
  readInto(target: Uint8Array, position: number): void {
    let done = 0;
    while (done < target.length) {
      // One read is capped near 2 GiB by the OS; tiles are far smaller.
      const n = readSync(this.fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
      if (n === 0) throw new Error(`${this.path}: the file ended at byte ${position + done} while reading weights (was it changed after loading?)`);
      done += n;
    }
  }
}

// File descriptors of collected models are closed (a session may load many models over its life).
const closeWhenCollected = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to do.
  }
});

/** Where a streamed matrix's rows are: a file, the byte position of row 0, and optionally a row order. */
export interface DiskRowsSpec {
  file: WeightFile;
  position: number;
  type: WeightType;
  rows: number;
  cols: number;
  /**
   * Row i of the matrix is stored row rowOrder[i] (GGUF's permuted Q/K rows). The order must map every group
   * of `rowGroup` rows onto itself, so a tile of whole groups is one contiguous read.
   */
  rowOrder?: Int32Array;
  rowGroup?: number;
  /**
   * The file stores the matrix transposed (GPT-2's Conv1D weights, [in, out]): `cols` stored rows of
   * `storedRowLength` elements each, and row i of this matrix is stored column `columnOffset + i`. Float types only.
   */
  transposed?: { storedRowLength: number; columnOffset: number };
  /** A mixture-of-experts expert tensor (counted apart in streamReadStats). */
  experts?: boolean;
}

/** Bytes per element of the float types a transposed matrix may have. */
function elementBytes(type: WeightType): number {
  if (type === 'f32') return 4;
  if (type === 'f16' || type === 'bf16') return 2;
  throw new RangeError(`a transposed streamed matrix must be f32, f16 or bf16 (got ${type})`);
}

/** The rows of a matrix stored contiguously on disk, read on demand into the thread's scratch memory. */
class DiskRows implements WeightStream {
  readonly bytes: number;
  readonly rowGroup: number;
  readonly scratchCopies: number;
  private readonly rowLen: number;

  constructor(private readonly spec: DiskRowsSpec) {
    this.rowLen = storedRowBytes(spec.type, spec.cols);
    this.bytes = this.rowLen * spec.rows;
    this.rowGroup = spec.rowGroup ?? 1;
    this.scratchCopies = spec.rowOrder || spec.transposed ? 2 : 1;
    const t = spec.transposed;
    if (t && (spec.rowOrder || t.columnOffset < 0 || t.columnOffset + spec.rows > t.storedRowLength)) {
      throw new RangeError(`a transposed streamed matrix: columns ${t.columnOffset}..${t.columnOffset + spec.rows} outside 0..${t.storedRowLength}${spec.rowOrder ? ', or reordered' : ''}`);
    }
    // A transposed matrix spans every stored row of the whole tensor, whatever columns it keeps.
    const span = t ? spec.cols * t.storedRowLength * elementBytes(spec.type) : this.bytes;
    if (spec.position < 0 || spec.position + span > spec.file.size) {
      throw new RangeError(`${spec.file.path}: ${span} bytes of weights at ${spec.position} pass the end of the ${spec.file.size}-byte file`);
    }
  }

  /** Fills `target` from byte `position` of the file, counted in the thread's read totals. */
  private read(target: Uint8Array, position: number): void {
    this.spec.file.readInto(target, position);
    readStats.bytes += target.length;
    readStats.reads++;
    if (this.spec.experts) readStats.expertBytes += target.length;
  }

  /**
   * Rows [start, start + count) of a transposed matrix into `out`: each stored row holds one input feature of
   * every output, so the tile's columns are read from every stored row (one read when they are the whole row),
   * then transposed element by element (the same values as a resident matrix transposed on load).
   */
  private readTransposed(out: Uint8Array, start: number, count: number, t: { storedRowLength: number; columnOffset: number }): void {
    const { cols, type } = this.spec;
    const es = elementBytes(type);
    const raw = new Uint8Array(scratchOf(cols * count * es, 'permute'), 0, cols * count * es);
    const first = this.spec.position + (t.columnOffset + start) * es;
    if (count === t.storedRowLength) this.read(raw, first);
    else for (let j = 0; j < cols; j++) this.read(raw.subarray(j * count * es, (j + 1) * count * es), first + j * t.storedRowLength * es);
    const n = cols * count;
    const src = es === 4 ? new Uint32Array(raw.buffer, 0, n) : new Uint16Array(raw.buffer, 0, n);
    const dst = es === 4 ? new Uint32Array(out.buffer, 0, n) : new Uint16Array(out.buffer, 0, n);
    for (let j = 0; j < cols; j++) for (let i = 0; i < count; i++) dst[i * cols + j] = src[j * count + i];
  }

  readRows(start: number, count: number): WeightMatrix {
    const { type, cols, rowOrder } = this.spec;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > this.spec.rows) {
      throw new RangeError(`readRows: rows ${start}..${start + count} outside 0..${this.spec.rows}`);
    }
    const len = this.rowLen;
    const buffer = scratchOf(count * len, 'read');
    const out = new Uint8Array(buffer, 0, count * len);
    if (this.spec.transposed) this.readTransposed(out, start, count, this.spec.transposed);
    else if (!rowOrder) this.read(out, this.spec.position + start * len);
    else if (count === 1) this.read(out, this.spec.position + rowOrder[start] * len);
    else {
      if (start % this.rowGroup !== 0 || count % this.rowGroup !== 0) throw new RangeError(`readRows: a permuted matrix is read in whole groups of ${this.rowGroup} rows`);
      const raw = new Uint8Array(scratchOf(count * len, 'permute'), 0, count * len);
      this.read(raw, this.spec.position + start * len);
      for (let i = 0; i < count; i++) {
        const from = rowOrder[start + i] - start;
        out.set(raw.subarray(from * len, (from + 1) * len), i * len);
      }
    }
    const data = type === 'f32' ? new Float32Array(buffer, 0, count * cols) : out;
    return { type, rows: count, cols, data };
  }

  slice(start: number, count: number): WeightStream {
    if (this.spec.rowOrder) throw new RangeError('a permuted streamed matrix cannot be sliced');
    const t = this.spec.transposed;
    // A transposed matrix's rows are stored columns: a slice keeps the position and moves the column offset.
    if (t) return new DiskRows({ ...this.spec, rows: count, transposed: { ...t, columnOffset: t.columnOffset + start } });
    return new DiskRows({ ...this.spec, position: this.spec.position + start * this.rowLen, rows: count });
  }

  reordered(rowOrder: Int32Array, rowGroup: number): WeightStream {
    if (this.spec.transposed) throw new RangeError('a transposed streamed matrix cannot be reordered');
    const prev = this.spec.rowOrder;
    // Composition: new row i = old row rowOrder[i] = stored row prev[rowOrder[i]].
    const order = prev ? Int32Array.from(rowOrder, (r) => prev[r]) : rowOrder;
    return new DiskRows({ ...this.spec, rowOrder: order, rowGroup: Math.max(rowGroup, this.rowGroup) });
  }
}

const EMPTY = new Uint8Array(0);

/** A WeightMatrix whose rows stay in `spec.file` until a product reads them (a tile at a time). */
export function streamedWeight(spec: DiskRowsSpec): WeightMatrix {
  return { type: spec.type, rows: spec.rows, cols: spec.cols, data: EMPTY, stream: new DiskRows(spec) };
}

/** Row tiles for a streamed product: equal tiles of whole row groups, each at most STREAM_TILE_BYTES when possible. */
export function streamTiles(w: WeightMatrix, group: number): { start: number; count: number }[] {
  const rowLen = storedRowBytes(w.type, w.cols);
  const maxRows = Math.max(group, Math.floor(STREAM_TILE_BYTES / rowLen / group) * group);
  const groups = Math.ceil(w.rows / group);
  const tiles = Math.ceil(w.rows / maxRows);
  // Equal tiles: a small last tile could take a different kernel path (the SIMD kernel starts at 4096 multiply-adds).
  const perTile = Math.ceil(groups / tiles) * group;
  const out: { start: number; count: number }[] = [];
  for (let s = 0; s < w.rows; s += perTile) out.push({ start: s, count: Math.min(perTile, w.rows - s) });
  return out;
}
