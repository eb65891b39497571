// Benchmark (issue 3): tokenize() with spans vs the tokenizer library's raw encode on ~1 MB of real
// source code, per tokenizer. Target: spans at >= 0.8x the raw speed. The raw encode is countTokens(),
// which is exactly the library call (gpt-tokenizer encode / @huggingface/tokenizers encode) on the same
// loaded instance, so both sides share vocabulary and merge caches. Run after `node scripts/build.mjs`.
// Prints `name: value unit` lines.
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

const ids = process.argv.slice(2).length > 0 ? process.argv.slice(2) : core.listTokenizers().map((t) => t.id);
for (const id of ids) {
  try {
    const load = await time(() => core.countTokens(id, 'warm up'));
    // Warm both paths once (merge caches, JIT), then alternate and keep each side's best of three.
    let count = 0;
    await core.countTokens(id, text);
    await core.tokenize(id, text);
    const raw = { wall: Infinity, cpu: Infinity };
    const spans = { wall: Infinity, cpu: Infinity };
    const keepBest = (best, t) => {
      best.wall = Math.min(best.wall, t.wall);
      best.cpu = Math.min(best.cpu, t.cpu);
    };
    for (let round = 0; round < 3; round++) {
      keepBest(raw, await time(async () => (count = await core.countTokens(id, text))));
      keepBest(spans, await time(() => core.tokenize(id, text)));
    }
    console.log(`tokenize ${id} load: ${(load.wall * 1000).toFixed(0)} ms`);
    console.log(`tokenize ${id} tokens: ${count} tokens`);
    console.log(`tokenize ${id} raw encode: ${(mb / raw.wall).toFixed(2)} MB/s`);
    console.log(`tokenize ${id} with spans: ${(mb / spans.wall).toFixed(2)} MB/s`);
    console.log(`tokenize ${id} spans/raw ratio (wall): ${(raw.wall / spans.wall).toFixed(2)} x`);
    console.log(`tokenize ${id} spans/raw ratio (cpu): ${(raw.cpu / spans.cpu).toFixed(2)} x (target >= 0.8)`);
  } catch (e) {
    if (e && e.code === 'embeddedNotBuilt') console.log(`tokenize ${id}: skipped (embedded model not built yet)`);
    else throw e;
  }
}
