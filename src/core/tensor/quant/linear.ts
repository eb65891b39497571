// y = x·Wᵀ (+ bias) with W kept in its stored (quantized) form: a tile of weight rows at a time is
// dequantized into a float scratch and multiplied in float by the project's WebAssembly SIMD kernel, so the
// result is exact to the dequantized weights (activations are never quantized) and the float copy of W
// never exists whole. The weights stay outside WebAssembly memory (capped at 4 GiB); only a tile goes in.
import { matmulABt, matVec, wasmMatmulInUse } from '../matmul';
import { linearQuantizedWasm } from '../wasmMatmul';
import type { WeightMatrix } from '../weights';
import { dequantizeRows } from './dequantize';

/** Float32 values per dequantized tile (4 MiB): big enough to amortise the kernel's copy of x, small enough for L2/L3. */
const TILE_FLOATS = 1 << 20;

/** y[r, o] = Σ_i x[r, i]·W[o, i] (+ bias[o]) for x rows × w.cols; W dequantized a tile of rows at a time. */
export function linearQuantized(x: Float32Array, rows: number, w: WeightMatrix, bias?: Float32Array): Float32Array {
  const inDim = w.cols;
  const outDim = w.rows;
  if (x.length < rows * inDim) throw new RangeError(`linearQuantized: x holds ${x.length} values, ${rows} × ${inDim} needed`);
  // Q8_0 / Q4_K / Q6_K / BF16: dequantized in WebAssembly next to the f32 kernel, on every thread.
  const fused = wasmMatmulInUse() ? linearQuantizedWasm(x, rows, w, bias) : undefined;
  if (fused) return fused;
  const y = new Float32Array(rows * outDim);
  // Tile rows: even (the kernel works on pairs of weight rows) and at least 2.
  const tileRows = Math.max(2, Math.min(outDim, Math.floor(TILE_FLOATS / inDim)) & ~1);
  const scratch = new Float32Array(tileRows * inDim);
  const tileOut = new Float32Array(rows * tileRows);
  for (let o0 = 0; o0 < outDim; o0 += tileRows) {
    const n = Math.min(tileRows, outDim - o0);
    const tile = dequantizeRows(w, o0, n, scratch.subarray(0, n * inDim));
    let part: Float32Array;
    // A single row adds its bias inside the dot product, as linearF32's matVec does for float32 weights.
    if (rows === 1) part = matVec(x, inDim, tile, n, bias?.subarray(o0, o0 + n));
    // The core's one float kernel: WebAssembly SIMD when useWasmMatmul is on, else the blocked JS loop.
    else part = matmulABt(x, tile, rows, inDim, n, tileOut.subarray(0, rows * n));
    for (let r = 0; r < rows; r++) y.set(part.subarray(r * n, (r + 1) * n), r * outDim + o0);
  }
  if (bias && rows > 1) {
    for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) y[r * outDim + o] += bias[o];
  }
  return y;
}
