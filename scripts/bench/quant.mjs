// Benchmarks the quantized matmul (issues 13, 14): y = x·Wᵀ with W stored as Q8_0, Q4_K and Q6_K (the fused
// kernel: sub-tiles of rows dequantized in WebAssembly next to the f32 SIMD kernel; one row of x: the row-dot
// kernel) beside the F32 kernel on the same x and W shapes, in the same run; process CPU time beside wall time. Median of 5 after one warm-up. Run after `node scripts/build.mjs`
// (it uses the test quantizers from dist-test/).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');
const { quantize } = require('../../dist-test/support/quantize.js');

const rows = 128, inDim = 2048, outDim = 2048;
const flops = 2 * rows * inDim * outDim;
let seed = 12345;
const random = (n) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    a[i] = ((seed >>> 0) / 4294967296 - 0.5) * 0.2;
  }
  return a;
};
const x = random(rows * inDim);
const w = random(outDim * inDim);

function median(f) {
  f();
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[2];
}

const out = new Float32Array(rows * outDim);
// The same WebAssembly SIMD kernel the forward pass's linear() uses (matmulABt falls back to JS unless switched on).
if (!core.useWasmMatmul(true)) console.log('WebAssembly SIMD unavailable: both sides use the JS kernel');
const f32Ms = median(() => core.matmulABt(x, w, rows, inDim, outDim, out));
console.log(`matmul ${rows}×${inDim} · ${inDim}×${outDim}, F32 kernel (median of 5): ${f32Ms.toFixed(1)} ms, ${(flops / f32Ms / 1e6).toFixed(2)} GFLOP/s`);
const f32Tiled = median(() => core.linearQuantized(x, rows, { type: 'f32', rows: outDim, cols: inDim, data: w }));
console.log(`  the same through linearQuantized's tiling (F32 rows copied a tile at a time): ${f32Tiled.toFixed(1)} ms, ${(flops / f32Tiled / 1e6).toFixed(2)} GFLOP/s`);
for (const type of ['q8_0', 'q4_k', 'q6_k']) {
  const weight = { type, rows: outDim, cols: inDim, data: quantize(type, w) };
  const ms = median(() => core.linearQuantized(x, rows, weight));
  const dequant = median(() => core.dequantizeRows(weight, 0, outDim));
  const x1 = x.subarray(0, inDim);
  const c0 = process.cpuUsage();
  const rowMs = median(() => core.linearQuantized(x1, 1, weight));
  const c1 = process.cpuUsage(c0);
  console.log(`matvec 1×${inDim} · ${inDim}×${outDim}, ${type.toUpperCase()} weights (decoding's row dot, median of 5): ${rowMs.toFixed(2)} ms, ${(outDim * inDim / rowMs / 1e6).toFixed(2)} G weights/s (process CPU ${((c1.user + c1.system) / 6000).toFixed(2)} ms a run)`);
  console.log(`matmul ${rows}×${inDim} · ${inDim}×${outDim}, ${type.toUpperCase()} weights (median of 5): ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s (${(ms / f32Ms).toFixed(2)}× the F32 time; dequantizing all ${outDim * inDim} weights alone: ${dequant.toFixed(1)} ms; weight bytes ${(weight.data.length / 2 ** 20).toFixed(2)} MiB vs ${(w.byteLength / 2 ** 20).toFixed(0)} MiB F32)`);
}

// Resident memory of a loaded Q4_K model (quantized weights stay quantized) against the same model in F32:
// the model's residentBytes and, as an outside check, the growth of the process's ArrayBuffer memory.
{
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeTinyModel } = require('../../dist-test/support/ggufModels.js');
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-bench-q4k-'));
  try {
    const spec = { arch: 'llama', layers: 2, hidden: 512, heads: 8, kvHeads: 8, intermediate: 1536, vocab: 4096, type: 'q4_k', seed: 1 };
    const { ggufPath, hfDir } = writeTinyModel(dir, spec, 'bench');
    globalThis.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const model = await core.loadModel(ggufPath);
    globalThis.gc?.();
    const grown = process.memoryUsage().arrayBuffers - before;
    const f32 = await core.loadModel(hfDir);
    const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(`loaded Q4_K model (${spec.layers} layers, hidden ${spec.hidden}, ${model.parameters} parameters): residentBytes ${mib(model.residentBytes)} (file ${mib(model.fileBytes)}; ArrayBuffer growth on load ${mib(grown)}${globalThis.gc ? '' : ', without --expose-gc'}) vs ${mib(f32.residentBytes)} for the same model in F32 (${(f32.residentBytes / model.residentBytes).toFixed(1)}×)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
