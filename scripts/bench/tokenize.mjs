// Benchmark (issues 3 and 19): tokenize() with spans vs the tokenizer library's raw encode on ~1 MB of real
// source code, per tokenizer, median of 5 alternating runs. Target (issue 19): spans at >= 0.95x the raw
// speed. The raw encode is countTokens(), which is exactly the library call (gpt-tokenizer encode /
// @huggingface/tokenizers encode) on the same loaded instance, so both sides share vocabulary and merge
// caches. Run after `node scripts/build.mjs`. Prints `name: value unit` lines.
//   LLM_LENS_BENCH_BASELINE=<dir>/dist/core/index.js  also measures another build of the core (e.g. main's)
//   in the same run, for before/after ratios.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const core = require(join(root, 'dist', 'core', 'index.js'));

const TARGET_BYTES = 1 << 20;

/** ~1 MB of JavaScript/TypeScript from installed packages, in a fixed order so runs compare. */
function sourceCorpus() {
  const dirs = ['typescript/lib', 'mocha/lib', 'esbuild/lib', 'playwright-core/lib/server', 'playwright-core/lib/client'];
  let text = '';
  for (const d of dirs) {
    const dir = join(root, 'node_modules', d);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(js|ts)$/.test(name) || name === 'typescript.js' || name === '_tsc.js') continue;
      const file = join(dir, name);
      if (!statSync(file).isFile()) continue;
      text += readFileSync(file, 'utf8') + '\n';
      // Cut at a line end near 1 MB (the files are ASCII almost throughout, so chars ≈ bytes).
      if (Buffer.byteLength(text) >= TARGET_BYTES) return text.slice(0, text.lastIndexOf('\n', TARGET_BYTES) + 1);
    }
  }
  // Fall back to TypeScript's compiler source for the rest.
  const ts = readFileSync(join(root, 'node_modules', 'typescript', 'lib', 'typescript.js'), 'utf8');
  return text + ts.slice(0, TARGET_BYTES - Buffer.byteLength(text));
}

const text = sourceCorpus();
const mb = Buffer.byteLength(text) / 1e6;
console.log(`tokenize corpus: ${mb.toFixed(2)} MB`);

/** Wall-clock and CPU seconds of one call (CPU time stays meaningful when other jobs share the cores). */
async function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROUNDS = 5;

/** Median wall and CPU seconds of raw encode and of tokenize() with spans, alternating, after a warm-up. */
async function measure(lib, id) {
  await lib.countTokens(id, text);
  await lib.tokenize(id, text);
  const raw = { wall: [], cpu: [] };
  const spans = { wall: [], cpu: [] };
  let count = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const r = await time(async () => (count = await lib.countTokens(id, text)));
    const s = await time(() => lib.tokenize(id, text));
    raw.wall.push(r.wall);
    raw.cpu.push(r.cpu);
    spans.wall.push(s.wall);
    spans.cpu.push(s.cpu);
  }
  return { count, raw: { wall: median(raw.wall), cpu: median(raw.cpu) }, spans: { wall: median(spans.wall), cpu: median(spans.cpu) } };
}

const baselinePath = process.env.LLM_LENS_BENCH_BASELINE;
const baseline = baselinePath ? require(baselinePath) : undefined;
const ids = process.argv.slice(2).length > 0 ? process.argv.slice(2) : core.listTokenizers().map((t) => t.id);
for (const id of ids) {
  try {
    const load = await time(() => core.countTokens(id, 'warm up'));
    const m = await measure(core, id);
    console.log(`tokenize ${id} load: ${(load.wall * 1000).toFixed(0)} ms`);
    console.log(`tokenize ${id} tokens: ${m.count} tokens`);
    console.log(`tokenize ${id} raw encode: ${(mb / m.raw.wall).toFixed(2)} MB/s`);
    console.log(`tokenize ${id} with spans: ${(mb / m.spans.wall).toFixed(2)} MB/s`);
    console.log(`tokenize ${id} spans/raw ratio (wall, median of ${ROUNDS}): ${(m.raw.wall / m.spans.wall).toFixed(2)} x (target >= 0.95)`);
    console.log(`tokenize ${id} spans/raw ratio (cpu, median of ${ROUNDS}): ${(m.raw.cpu / m.spans.cpu).toFixed(2)} x`);
    if (baseline) {
      const b = await measure(baseline, id);
      console.log(`tokenize ${id} baseline spans/raw ratio (wall): ${(b.raw.wall / b.spans.wall).toFixed(2)} x`);
      console.log(`tokenize ${id} baseline spans/raw ratio (cpu): ${(b.raw.cpu / b.spans.cpu).toFixed(2)} x`);
    }
  } catch (e) {
    if (e && e.code === 'embeddedNotBuilt') console.log(`tokenize ${id}: skipped (embedded model not built yet)`);
    else throw e;
  }
}
