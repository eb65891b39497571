// Benchmarks of the embedded model's training kernels and the BPE trainer (prints `name: value unit`).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const core = require(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'core', 'index.js'));

function timeFor(ms, fn) {
  fn();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    fn();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

// The kernel behind every linear layer: C = A·Bᵀ, shapes of the embedded model's MLP and output layer.
for (const kernel of ['js', 'wasm']) {
  core.useWasmMatmul(kernel === 'wasm');
  for (const [m, k, n] of [[128, 128, 344], [128, 128, 1024]]) {
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: n * k }, () => Math.random() - 0.5);
    const c = new Float32Array(m * n);
    const s = timeFor(700, () => core.matmulABt(a, b, m, k, n, c));
    console.log(`train_matmulABt_${kernel}_${m}x${k}x${n}: ${((2 * m * k * n) / s / 1e9).toFixed(2)} GFLOP/s`);
  }
}

// One 128-token sequence, forward + backward, with the embedded model's shape (single core).
const cfg = { vocabSize: 1024, hiddenSize: 128, layers: 4, qHeads: 4, kvHeads: 2, headDim: 32, intermediateSize: 344, ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 128 };
const layout = core.paramLayout(cfg);
const params = new Float32Array(layout.total);
core.initParams(cfg, layout, 1, params);
const grads = new Float32Array(layout.total);
const ids = Array.from({ length: 129 }, (_, i) => (i * 37) % 1024);
for (const kernel of ['js', 'wasm']) {
  core.useWasmMatmul(kernel === 'wasm');
  const s = timeFor(1500, () => core.sequenceForwardBackward(cfg, layout, params, ids.slice(0, 128), ids.slice(1), grads, 1 / 128));
  console.log(`train_fwd_bwd_${kernel}_one_core: ${(128 / s).toFixed(0)} tokens/s`);
}
core.useWasmMatmul(false);

// BPE training on ~1 MB of code-like text to 1024 tokens.
const words = ['function', 'return', 'const', 'let', 'value', 'index', 'length', 'push', 'map', 'filter', '=>', '{', '}', '(', ')', ';', '\n  ', 'if', 'else', 'this'];
let text = '';
let x = 1;
while (text.length < 1_000_000) {
  x = (x * 1103515245 + 12345) >>> 0;
  text += words[x % words.length] + (x & 16 ? ' ' : '');
}
const t0 = performance.now();
core.trainBpe(text, { vocabSize: 1024 });
console.log(`bpe_train_1MB_to_1024: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
