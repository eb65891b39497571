// Weight matrices with their storage type, and `linear`, the one entry point of every projection of the
// model runtime. Float32 goes to the matmul library; quantized block types plug in here.
import { linearF32 } from './matmul';

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

/** y = x·Wᵀ (+ bias): x is rows × w.cols, y rows × w.rows. F32 runs on the matmul library; other types are refused for now. */
export function linear(x: Float32Array, rows: number, w: WeightMatrix, bias?: Float32Array): Float32Array {
  if (x.length < rows * w.cols) throw new Error(`linear: x has ${x.length} values, ${rows} rows of ${w.cols} need ${rows * w.cols}`);
  if (w.type === 'f32') return linearF32(x, rows, w.cols, w.data as Float32Array, w.rows, bias);
  throw new Error(`linear: weight type ${w.type} has no kernel yet (only f32 weights can be multiplied)`);
}
