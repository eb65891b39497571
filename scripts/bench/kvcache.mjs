// Benchmark: a full recompute of everything the KV-cache panel shows after a slider move
// (issue 4 target: <= 16 ms in the extension host). Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'core', 'index.js'));

const presets = core.modelPresets();
const budgets = core.gpuSizes().map((g) => g.bytes);
const byId = (id) => presets.find((p) => p.id === id);

/** One slider move: the report for a new context length (what the host recomputes and posts). */
function recompute(preset, seqLen, kvBytesPerElement) {
  return core.kvCacheReport({
    shape: preset.shape,
    parameters: preset.parameters,
    seqLen,
    batch: 4,
    kvBytesPerElement,
    weightsBytesPerElement: 2,
    budgets,
    chartMaxTokens: 1 << 24,
  });
}

function bench(name, preset) {
  const moves = [];
  for (let i = 0; i < 200; i++) moves.push(Math.max(1, Math.round(2 ** ((i % 50) * 0.48))));
  for (let i = 0; i < 20; i++) recompute(preset, moves[i], 2); // warm-up
  const times = [];
  for (let i = 0; i < moves.length; i++) {
    const t0 = process.hrtime.bigint();
    recompute(preset, moves[i], i % 2 ? 2 : 0.5);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length / 2)];
  const p95 = times[Math.floor(times.length * 0.95)];
  console.log(`kvcache_report_${name}_p50: ${p50.toFixed(3)} ms`);
  console.log(`kvcache_report_${name}_p95: ${p95.toFixed(3)} ms`);
  return p95;
}

const worst = Math.max(
  bench('llama31_8b', byId('llama-3.1-8b')),
  bench('gemma2_9b', byId('gemma-2-9b')),
  bench('deepseek_v3', byId('deepseek-v3')),
);
console.log(`kvcache_report_worst_p95: ${worst.toFixed(3)} ms`);
console.log(`kvcache_report_target: 16 ms`);
