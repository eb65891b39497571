// Weight matrices with their storage type, and `linear`, the one entry point of every projection of the
// model runtime. Float32 goes to the matmul library; 16-bit and quantized block types (GGUF) go to
// linearQuantized, which dequantizes a tile of rows at a time, so those matrices stay in their stored form.
import { linearF32 } from './matmul';
import { dequantizeRows } from './quant/dequantize';
import { linearQuantized } from './quant/linear';

/** Storage types of a weight matrix (ggml's names for the quantized block types). */
export type WeightType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q5_0' | 'q4_k' | 'q5_k' | 'q6_k';
/** A linear layer's weight: rows = out features, cols = in features, row-major; a quantized row is whole blocks. */
export interface WeightMatrix { readonly type: WeightType; readonly rows: number; readonly cols: number; readonly data: Float32Array | Uint8Array; }

/** A float32 WeightMatrix over `data` (rows × cols, row-major), without copying. */
export function f32Weight(data: Float32Array, rows: number, cols: number): WeightMatrix {
  if (data.length !== rows * cols) throw new Error(`f32Weight: ${data.length} values for ${rows} × ${cols}`);
  return { type: 'f32', rows, cols, data };
}

/** The float32 values of an 'f32' weight; throws for any other type (callers that need floats of a quantized matrix dequantize). */
export function f32Data(w: WeightMatrix): Float32Array {
  if (w.type !== 'f32' || !(w.data instanceof Float32Array)) throw new Error(`a ${w.type} weight matrix (${w.rows} × ${w.cols}) has no float32 values here`);
  return w.data;
}

/** y = x·Wᵀ (+ bias): x is rows × w.cols, y rows × w.rows. F32 runs on the matmul library; other types dequantize a tile at a time. */
export function linear(x: Float32Array, rows: number, w: WeightMatrix, bias?: Float32Array): Float32Array {
  if (x.length < rows * w.cols) throw new Error(`linear: x has ${x.length} values, ${rows} rows of ${w.cols} need ${rows * w.cols}`);
  if (w.type === 'f32') return linearF32(x, rows, w.cols, w.data as Float32Array, w.rows, bias);
  return linearQuantized(x, rows, w, bias);
}

/** Row `row` of `w` as float32 into `out` at `offset` (an embedding lookup: only that row is dequantized). */
export function weightRow(w: WeightMatrix, row: number, out: Float32Array, offset = 0): void {
  if (!Number.isInteger(row) || row < 0 || row >= w.rows) throw new RangeError(`weightRow: row ${row} outside 0..${w.rows - 1}`);
  if (w.type === 'f32') out.set((w.data as Float32Array).subarray(row * w.cols, (row + 1) * w.cols), offset);
  else dequantizeRows(w, row, 1, out.subarray(offset, offset + w.cols));
}

/** The whole matrix as float32 (rows × cols): the f32 data itself, or a dequantized copy (for analysis that needs every value). */
export function weightFloat32(w: WeightMatrix): Float32Array {
  return w.type === 'f32' ? (w.data as Float32Array) : dequantizeRows(w, 0, w.rows);
}
