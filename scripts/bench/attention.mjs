// Benchmarks the attention forward pass (issue 5):
//   1. a generated model with SmolLM2-135M's shape (random BF16 weights in a temp dir) on 128 tokens: target ≤ 3 s;
//   2. the embedded model (data/embedded-model/) on 256 tokens: target ≤ 100 ms (skipped until it exists).
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteTokenizerJson, writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);

/** FLOPs of one forward pass over T tokens (matmuls + attention + the last position's logits). */
function forwardFlops(c, T) {
  const d = c.headDim;
  const perLayer = 2 * T * c.hidden * (c.heads * d + 2 * c.kvHeads * d) + 2 * T * c.heads * d * c.hidden
    + 2 * T * c.hidden * c.intermediate * (c.block.mlp === 'gelu' ? 2 : 3)
    + 2 * c.heads * d * T * (T + 1); // Q·Kᵀ and P·V over the causal half, both
  return c.layers * perLayer + 2 * c.hidden * c.vocab;
}

async function timeRun(model, T, repeats) {
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % model.config.vocab);
  await core.runAttention(model, ids.slice(0, 8)); // warm the JIT on a short input
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await core.runAttention(model, ids);
    best = Math.min(best, performance.now() - t0);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  // CPU time is printed too: on a shared machine the wall clock also counts other processes' turns.
  return { ms: best, cpuMs: bestCpu };
}

/**
 * The extension's path: the forward pass runs in dist/worker.js (the compute worker) while this thread plays
 * the extension host. Prints the longest event-loop stall here (the 50 ms budget), including receiving the
 * result (tokens, predictions, thumbnails: the run itself stays in the worker) and the first view request.
 */
async function eventLoopDuringWorkerRun(dir, T) {
  writeFileSync(join(dir, 'tokenizer.json'), byteTokenizerJson());
  const text = 'export function mean(values: number[]): number {\n  let sum = 0;\n  for (const v of values) sum += v;\n  return sum / values.length;\n}\n'.repeat(3);
  const worker = new Worker(new URL('../../dist/worker.js', import.meta.url));
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  let maxGap = 0;
  let last = performance.now();
  const gaps = [];
  let lastTickBeforeResult = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last - 2);
    if (now - last > 30) gaps.push([Math.round(last), Math.round(now - last)]);
    last = now;
  }, 2);
  histogram.enable();
  const t0 = performance.now();
  let nextId = 1;
  const call = (job, input) => new Promise((resolve, reject) => {
    const id = nextId++;
    const listener = (reply) => {
      if (reply.id !== id) return;
      // The last tick before this message: from there to the end of the host's own work, the loop is ours.
      if (reply.kind === 'result') lastTickBeforeResult = last;
      if (reply.kind === 'result') resolve(reply.output);
      else if (reply.kind === 'error') reject(new Error(reply.message));
      if (reply.kind !== 'progress') worker.off('message', listener);
    };
    worker.on('message', listener);
    worker.on('error', reject);
    worker.postMessage({ id, job, input });
  });
  const output = await call('attentionRun', { dir, text, maxTokens: T, topK: 10, runId: 1 });
  const resultStall = performance.now() - lastTickBeforeResult;
  // What AttentionPanel does next: asks the worker for the open head's view (the run stays in the worker).
  const c0 = performance.now();
  await call('attentionView', { runId: 1, layer: 0, head: 0, query: output.seqLen - 1, scaled: true, temperature: 1, withMatrix: true });
  const hostMs = performance.now() - c0;
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(ticker);
  histogram.disable();
  await worker.terminate();
  if (process.env.BENCH_DEBUG) console.log('# gaps > 30 ms [start, length]:', JSON.stringify(gaps));
  console.log(`attention worker run (load + ${output.seqLen} tokens, smollm2-135m shape): ${(performance.now() - t0).toFixed(0)} ms`);
  console.log(`attention host stall receiving the result (${(output.thumbnails.pixels.byteLength / 1024).toFixed(0)} KiB of thumbnails; the probabilities stay in the worker): ${resultStall.toFixed(1)} ms (budget 50)`);
  console.log(`attention open head view from the worker (heatmap, row, step): ${hostMs.toFixed(1)} ms`);
  // On a shared machine the OS also deschedules an idle thread; this longest gap includes that.
  console.log(`attention host event loop longest gap during the whole run: ${Math.max(maxGap, histogram.max / 1e6).toFixed(1)} ms`);
}

// 1. SmolLM2-135M shape (HuggingFaceTB/SmolLM2-135M config.json: 30 layers, hidden 576, 9 heads, 3 KV heads,
//    intermediate 1536, vocab 49152, tied embeddings).
{
  const dir = writeRandomLlama({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, intermediate: 1536, vocab: 49152 });
  try {
    const t0 = performance.now();
    const model = await core.loadModel(dir);
    console.log(`attention smollm2-135m-shape load: ${(performance.now() - t0).toFixed(0)} ms`);
    console.log(`attention smollm2-135m-shape parameters: ${(model.parameters / 1e6).toFixed(1)} M`);
    const T = 128;
    const { ms, cpuMs } = await timeRun(model, T, 2);
    const mem = process.memoryUsage();
    console.log(`attention smollm2-135m-shape 128 tokens: ${ms.toFixed(0)} ms (target 3000)`);
    console.log(`attention smollm2-135m-shape 128 tokens cpu: ${cpuMs.toFixed(0)} ms`);
    console.log(`attention smollm2-135m-shape effective: ${(forwardFlops(model.config, T) / ms / 1e6).toFixed(2)} GFLOP/s`);
    console.log(`attention smollm2-135m-shape effective per cpu-second: ${(forwardFlops(model.config, T) / cpuMs / 1e6).toFixed(2)} GFLOP/s`);
    console.log(`attention smollm2-135m-shape weights: ${mib(model.weightBytes)} MiB`);
    console.log(`attention smollm2-135m-shape rss: ${mib(mem.rss)} MiB`);
    console.log(`attention smollm2-135m-shape array buffers: ${mib(mem.arrayBuffers)} MiB`);
    await eventLoopDuringWorkerRun(dir, T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 2. Optional (BENCH_ATTENTION_LARGE=1): a ~500M-parameter model with Qwen2.5-0.5B's shape (Qwen/Qwen2.5-0.5B
//    config.json: 24 layers, hidden 896, 14 heads, 2 KV heads, intermediate 4864, vocab 151936, q/k/v biases) —
//    the upper size; prints load time, run time and memory.
if (process.env.BENCH_ATTENTION_LARGE) {
  const dir = writeRandomLlama({ layers: 24, hidden: 896, heads: 14, kvHeads: 2, headDim: 64, intermediate: 4864, vocab: 151936, qkvBias: true });
  try {
    const t0 = performance.now();
    const model = await core.loadModel(dir);
    console.log(`attention qwen2.5-0.5b-shape load: ${(performance.now() - t0).toFixed(0)} ms`);
    console.log(`attention qwen2.5-0.5b-shape parameters: ${(model.parameters / 1e6).toFixed(1)} M`);
    const { ms, cpuMs } = await timeRun(model, 128, 1);
    const mem = process.memoryUsage();
    console.log(`attention qwen2.5-0.5b-shape 128 tokens: ${ms.toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms)`);
    console.log(`attention qwen2.5-0.5b-shape weights: ${mib(model.weightBytes)} MiB`);
    console.log(`attention qwen2.5-0.5b-shape rss: ${mib(mem.rss)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 3. The embedded model on 256 tokens.
{
  const dir = core.embeddedModelDir();
  if (!existsSync(join(dir, 'model.safetensors'))) {
    console.log(`# attention embedded model: skipped (no ${join(dir, 'model.safetensors')} yet)`);
  } else {
    const model = await core.loadModel(dir);
    const { ms, cpuMs } = await timeRun(model, 256, 5);
    console.log(`attention embedded 256 tokens: ${ms.toFixed(1)} ms (target 100)`);
    console.log(`attention embedded 256 tokens cpu: ${cpuMs.toFixed(1)} ms`);
    console.log(`attention embedded effective: ${(forwardFlops(model.config, 256) / ms / 1e6).toFixed(2)} GFLOP/s`);
    await decodeSteps(model, 256, 32);
  }
}

/**
 * Greedy decoding of `steps` tokens after a `T`-token prompt: with the runtime's KV cache (prefill once, then
 * one token per forward) and without it (the whole sequence recomputed per token). Same tokens both ways.
 */
async function decodeSteps(model, T, steps) {
  const prompt = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % model.config.vocab);
  const argmax = (logits) => logits.reduce((best, v, i) => (v > logits[best] ? i : best), 0);
  let t0 = performance.now();
  const cache = core.createKvCache(model);
  let logits = (await core.forward(model, prompt, { cache })).logits;
  const prefillMs = performance.now() - t0;
  const cached = [];
  t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    cached.push(argmax(logits));
    logits = (await core.forward(model, [cached[s]], { cache })).logits;
  }
  const cachedMs = performance.now() - t0;
  const ids = prompt.slice();
  t0 = performance.now();
  for (let s = 0; s < steps; s++) ids.push(argmax(await core.nextTokenLogits(model, ids)));
  const fullMs = performance.now() - t0;
  if (ids.slice(T).some((id, s) => id !== cached[s])) throw new Error('decoding with and without the KV cache chose different tokens');
  console.log(`attention embedded decode ${steps} tokens after ${T} (prefill ${prefillMs.toFixed(0)} ms): with KV cache ${(steps / (cachedMs / 1000)).toFixed(1)} tokens/s, recomputing ${(steps / (fullMs / 1000)).toFixed(1)} tokens/s (${(fullMs / cachedMs).toFixed(1)}x)`);
}
