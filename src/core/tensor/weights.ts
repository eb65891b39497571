// Weight matrices with their storage type, and `linear`, the one entry point of every projection of the
// model runtime. Float32 goes to the matmul library; 16-bit and quantized block types (GGUF) go to
// linearQuantized, which dequantizes a tile of rows at a time, so those matrices stay in their stored form.
import { linearF32 } from './matmul';
import { dequantizeRows } from './quant/dequantize';
import { linearQuantized } from './quant/linear';
import { rowBytes } from './quant/blockTypes';
import { streamTiles } from './stream';

/** Storage types of a weight matrix (ggml's names for the quantized block types). */
export type WeightType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q5_0' | 'q4_k' | 'q5_k' | 'q6_k';
/**
 * A linear layer's weight: rows = out features, cols = in features, row-major; a quantized row is whole blocks.
 * A streamed matrix (`stream` set) holds no data (`data` is empty): its rows are read from disk when used.
 */
export interface WeightMatrix { readonly type: WeightType; readonly rows: number; readonly cols: number; readonly data: Float32Array | Uint8Array; readonly stream?: WeightStream; }

/** Where a streamed matrix's rows come from (tensor/stream.ts reads them from the model's file). */
export interface WeightStream {
  /** Stored bytes of the whole matrix on disk. */
  readonly bytes: number;
  /** Tiles must be whole groups of this many rows (a permuted matrix's heads); 1 otherwise. */
  readonly rowGroup: number;
  /** Scratch buffers of a tile's size one read fills (2 when the rows are rearranged after reading: permuted or transposed). */
  readonly scratchCopies?: number;
  /** Rows [start, start + count) as a resident matrix over reusable scratch memory, valid until the next read. */
  readRows(start: number, count: number): WeightMatrix;
  /** The same file range restricted to rows [start, start + count) (a fused projection's part). */
  slice(start: number, count: number): WeightStream;
  /** The matrix whose row i is this one's row rowOrder[i] (rowOrder maps each group of `rowGroup` rows onto itself). */
  reordered(rowOrder: Int32Array, rowGroup: number): WeightStream;
}

/** A float32 WeightMatrix over `data` (rows × cols, row-major), without copying. */
export function f32Weight(data: Float32Array, rows: number, cols: number): WeightMatrix {
  if (data.length !== rows * cols) throw new Error(`f32Weight: ${data.length} values for ${rows} × ${cols}`);
  return { type: 'f32', rows, cols, data };
}

/** The float32 values of an 'f32' weight; throws for any other type (callers that need floats of a quantized matrix dequantize). */
export function f32Data(w: WeightMatrix): Float32Array {
  if (w.type !== 'f32' || !(w.data instanceof Float32Array) || w.stream) throw new Error(`a ${w.type}${w.stream ? ' streamed' : ''} weight matrix (${w.rows} × ${w.cols}) has no float32 values here`);
  return w.data;
}

/** y = x·Wᵀ (+ bias): x is rows × w.cols, y rows × w.rows. F32 runs on the matmul library; other types dequantize a tile at a time. */
export function linear(x: Float32Array, rows: number, w: WeightMatrix, bias?: Float32Array): Float32Array {
  if (x.length < rows * w.cols) throw new Error(`linear: x has ${x.length} values, ${rows} rows of ${w.cols} need ${rows * w.cols}`);
  if (w.stream) return linearStreamed(x, rows, w, w.stream, bias);
  if (w.type === 'f32') return linearF32(x, rows, w.cols, w.data as Float32Array, w.rows, bias);
  return linearQuantized(x, rows, w, bias);
}

/** linear() over a streamed matrix: a tile of rows is read from disk and multiplied, then the next overwrites it. */
function linearStreamed(x: Float32Array, rows: number, w: WeightMatrix, stream: WeightStream, bias?: Float32Array): Float32Array {
  const outDim = w.rows;
  const y = new Float32Array(rows * outDim);
  for (const { start, count } of streamTiles(w, stream.rowGroup)) {
    // Each tile's bias goes through the resident path too, so it is added with the same rounding.
    const part = linear(x, rows, stream.readRows(start, count), bias?.subarray(start, start + count));
    if (count === outDim) return part;
    for (let r = 0; r < rows; r++) y.set(part.subarray(r * count, (r + 1) * count), r * outDim + start);
  }
  return y;
}

/** Row `row` of `w` as float32 into `out` at `offset` (an embedding lookup: only that row is dequantized, or read from disk). */
export function weightRow(w: WeightMatrix, row: number, out: Float32Array, offset = 0): void {
  if (!Number.isInteger(row) || row < 0 || row >= w.rows) throw new RangeError(`weightRow: row ${row} outside 0..${w.rows - 1}`);
  if (w.stream) return weightRow(w.stream.readRows(row, 1), 0, out, offset);
  if (w.type === 'f32') out.set((w.data as Float32Array).subarray(row * w.cols, (row + 1) * w.cols), offset);
  else dequantizeRows(w, row, 1, out.subarray(offset, offset + w.cols));
}

/** The whole matrix as float32 (rows × cols): the f32 data itself, or a dequantized copy (for analysis that needs every value). */
export function weightFloat32(w: WeightMatrix): Float32Array {
  if (w.stream) {
    const out = new Float32Array(w.rows * w.cols);
    for (const { start, count } of streamTiles(w, w.stream.rowGroup)) dequantizeRows(w.stream.readRows(start, count), 0, count, out.subarray(start * w.cols, (start + count) * w.cols));
    return out;
  }
  return w.type === 'f32' ? (w.data as Float32Array) : dequantizeRows(w, 0, w.rows);
}

/** Rows [start, start + count) of `w` as a matrix sharing its storage (a fused projection's part; streamed ones stay on disk). */
export function weightRows(w: WeightMatrix, start: number, count: number): WeightMatrix {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > w.rows) throw new RangeError(`weightRows: rows ${start}..${start + count} outside 0..${w.rows}`);
  if (w.stream) return { type: w.type, rows: count, cols: w.cols, data: w.data, stream: w.stream.slice(start, count) };
  const len = w.data instanceof Float32Array ? w.cols : rowBytes(w.type, w.cols);
  return { type: w.type, rows: count, cols: w.cols, data: w.data.subarray(start * len, (start + count) * len) };
}
