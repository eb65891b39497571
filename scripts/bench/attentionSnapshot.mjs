// The Attention panel's messages (issue 12): bytes that cross from the compute worker per run and per click,
// before (every layer's probabilities in each snapshot, re-posted on every select and slider frame) and now
// (thumbnails once per run; per click the open head at ≤ 256 cells a side, the query's row and the step view),
// and how long a click takes to answer. Cases: the embedded model at 256 tokens; a random 22-layer × 32-head
// model at 256 tokens; a random 32 × 32 model (head size 4) at 1,024 tokens, whose 4 GiB of probabilities
// nobody holds. "Before" is the size of what the previous snapshot held, from its layout.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteTokenizerJson, writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function measure(name, dir, text, T) {
  const worker = new Worker(new URL('../../dist/worker.js', import.meta.url));
  let nextId = 1;
  const call = (job, input) => new Promise((resolve, reject) => {
    const id = nextId++;
    const listener = (reply) => {
      if (reply.id !== id || reply.kind === 'progress') return;
      worker.off('message', listener);
      if (reply.kind === 'result') resolve(reply.output);
      else reject(new Error(reply.message));
    };
    worker.on('message', listener);
    worker.postMessage({ id, job, input });
  });
  try {
    let t0 = performance.now();
    const run = await call('attentionRun', { dir, text, maxTokens: T, allowBeyondTrainedContext: true, topK: 10, runId: 1 });
    const runMs = performance.now() - t0;
    const { layers, heads, seqLen } = run;
    const before = (layers * heads + 2 * layers) * seqLen * seqLen * 4;
    const timed = async (input) => {
      t0 = performance.now();
      const view = await call('attentionView', { runId: 1, scaled: true, temperature: 1, ...input });
      return { bytes: serialize(view).length, ms: performance.now() - t0 };
    };
    const head = await timed({ layer: layers - 1, head: heads - 1, query: seqLen - 1, withMatrix: true });
    const mean = await timed({ layer: 1, head: 'mean', query: seqLen - 1, withMatrix: true });
    const query = await timed({ layer: layers - 1, head: heads - 1, query: Math.floor(seqLen / 2), withMatrix: false });
    const slider = await timed({ layer: layers - 1, head: heads - 1, query: Math.floor(seqLen / 2), temperature: 0.5, withMatrix: false });
    console.log(`attention messages ${name} (${layers} × ${heads}, ${seqLen} tokens) run: ${runMs.toFixed(0)} ms, ${kib(serialize(run).length)} once (${run.keptProbs ? 'probabilities kept in the worker' : 'q/k/v only in the worker'})`);
    console.log(`attention messages ${name} before, per click: ${mib(before)}`);
    console.log(`attention messages ${name} head click: ${kib(head.bytes)} in ${head.ms.toFixed(0)} ms`);
    console.log(`attention messages ${name} mean-over-heads click: ${kib(mean.bytes)} in ${mean.ms.toFixed(0)} ms`);
    console.log(`attention messages ${name} query click: ${kib(query.bytes)} in ${query.ms.toFixed(0)} ms`);
    console.log(`attention messages ${name} slider frame: ${kib(slider.bytes)} in ${slider.ms.toFixed(0)} ms`);
  } finally {
    await worker.terminate();
  }
}

const code = 'export function mean(values: number[]): number {\n  let sum = 0;\n  for (const v of values) sum += v;\n  return sum / values.length;\n}\n';

{
  const dir = core.embeddedModelDir();
  if (!existsSync(join(dir, 'model.safetensors'))) console.log('# attention messages embedded: skipped (no model.safetensors)');
  else await measure('embedded', dir, code.repeat(40), 256);
}
for (const [name, shape, T] of [
  ['22x32', { layers: 22, hidden: 128, heads: 32, kvHeads: 8, headDim: 4, intermediate: 256, vocab: 256 }, 256],
  ['32x32', { layers: 32, hidden: 128, heads: 32, kvHeads: 8, headDim: 4, intermediate: 256, vocab: 256 }, 1024],
]) {
  const dir = writeRandomLlama(shape);
  try {
    writeFileSync(join(dir, 'tokenizer.json'), byteTokenizerJson());
    await measure(name, dir, code.repeat(40), T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
