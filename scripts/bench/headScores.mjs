// Benchmarks the head detector (issue 18): head scores from a finished run of 32 layers × 32 heads at 1,024 tokens
// (target ≤ 200 ms). The run is a generated model with that many layers and heads (8 KV heads, head_dim 16 and a
// 128-wide residual stream so the pass itself stays short: the scores read attention probabilities, whose count
// does not depend on those widths) over 1,024 tokens of this repository's runtime.ts in the embedded tokenizer
// (code repeats its tokens: ~4 earlier copies per token). The pass sums each head's attention over the entries the
// three TransformerLens patterns read (collectPatternSums: key 0, the query, the previous token, earlier copies
// and the tokens after them; O(entries) per head, 32 sums kept per head by which patterns and exclusions an entry
// belongs to); the scores for any options come from those sums. Printed: the median of 5 scorings, the cost of
// the sums during the pass, and the comparison with the plain dense loop over full matrices.
// Wall and CPU times: on a shared machine the wall clock also counts other processes' turns.
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { writeRandomLlama } from '../lib/randomLlama.mjs';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');
const root = join(import.meta.dirname, '..', '..');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Wall and CPU time of fn (CPU too: on a shared machine the wall clock counts others' turns). */
function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}
async function timedAsync(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

/** The previous implementation: detect_head's "mul" scores by a plain loop over every entry of the matrix. */
function denseScores(a, ids, opts) {
  const n = ids.length;
  let total = 0, prev = 0, dup = 0, ind = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      if ((opts.excludeBos && j === 0) || (opts.excludeCurrentToken && j === i)) continue;
      const v = a[i * n + j];
      total += v;
      if (j === i - 1) prev += v;
      if (j < i && ids[j] === ids[i]) dup += v;
      if (j >= 1 && j - 1 !== i && ids[j - 1] === ids[i]) ind += v;
    }
  }
  return [prev / total, dup / total, ind / total];
}

const L = 32, H = 32, T = 1024;
const dir = writeRandomLlama({ layers: L, hidden: 128, heads: H, kvHeads: 8, headDim: 16, intermediate: 256, vocab: 1024 });
try {
  // The model process multiplies on every core (src/compute/modelProcess.ts); so does this run.
  core.useMatmulThreads(availableParallelism());
  const model = await core.loadModel(dir);
  const spans = await core.tokenize('embedded', readFileSync(join(root, 'src', 'core', 'model', 'runtime.ts'), 'utf8'));
  const ids = spans.slice(0, T).map((s) => s.id % model.config.vocab);
  if (ids.length !== T) throw new Error(`only ${ids.length} tokens`);
  const support = core.patternSupport(ids);
  console.log(`head scores input: ${T} tokens of runtime.ts (embedded tokenizer), ${(support.keys.length / T).toFixed(1)} pattern entries per row`);

  await core.forward(model, ids.slice(0, 16), { logits: 'none' }); // warm the JIT
  // The run: one forward pass keeping the sums (no matrices, no q/k/v). Layer 0's first heads are also copied
  // whole, for the comparison below; the time spent summing the entries is measured inside the hook.
  const { kept, hook } = core.collectPatternSums(L, H, ids);
  const sample = 4;
  const mats = [];
  let inHook = 0;
  const pass = await timedAsync(() => core.forward(model, ids, {
    logits: 'none',
    hooks: {
      attention: (layer, head, probs, shape) => {
        const t0 = performance.now();
        hook(layer, head, probs, shape);
        inHook += performance.now() - t0;
        if (layer === 0 && head < sample) mats.push(Float32Array.from(probs));
      },
    },
  }));
  console.log(`head scores ${L}×${H} @${T}: the run (forward pass keeping the sums) ${pass.ms.toFixed(0)} ms (cpu ${pass.cpuMs.toFixed(0)} ms), of which summing the pattern entries ${inHook.toFixed(0)} ms; ${kept.sums.byteLength / 1024} KiB kept`);

  for (const [label, opts] of [['default', {}], ['first and current token excluded', { excludeBos: true, excludeCurrentToken: true }]]) {
    core.headScoresFromSums(kept, opts); // warm
    const runs = Array.from({ length: 5 }, () => timed(() => core.headScoresFromSums(kept, opts)));
    console.log(`head scores ${L}×${H} @${T} from the finished run, ${label} (median of 5): ${median(runs.map((r) => r.ms)).toFixed(1)} ms (cpu ${median(runs.map((r) => r.cpuMs)).toFixed(1)} ms; target ≤ 200 ms)`);
  }

  // The scores' own work, measured apart from the pass: summing the pattern entries of 32 × 32 head matrices (layer 0's
  // real ones, replayed), which the run does as each head's probabilities are computed.
  const replay = core.collectPatternSums(L, H, ids);
  const shape = { rows: T, keys: T, queryStart: 0, keyStart: 0 };
  const summing = [];
  for (let r = 0; r < 5; r++) summing.push(timed(() => { for (let k = 0; k < L * H; k++) replay.hook(Math.floor(k / H), k % H, mats[k % sample], shape); }));
  console.log(`head scores ${L}×${H} @${T}, summing the pattern entries of every head's matrix (median of 5): ${median(summing.map((r) => r.ms)).toFixed(0)} ms (cpu ${median(summing.map((r) => r.cpuMs)).toFixed(0)} ms); with the scoring, the whole sparse work (target ≤ 200 ms)`);

  // The comparison: the plain dense loop over every head's full matrix (the previous way), timed on layer 0's first
  // heads and scaled to all 32 × 32 (whose matrices, 4 GiB, a run cannot hold).
  const opts = {};
  const dense = timed(() => mats.map((m) => denseScores(m, ids, opts)));
  const fromEntries = core.headScoresFromSums(kept, opts);
  let worst = 0;
  dense.value.forEach(([p, d, i], h) => {
    worst = Math.max(worst, Math.abs(p - fromEntries.previousToken[h]), Math.abs(d - fromEntries.duplicateToken[h]), Math.abs(i - fromEntries.induction[h]));
  });
  const scale = (L * H) / sample;
  console.log(`head scores comparison, plain dense loop over full matrices (${sample} heads × ${scale}): ${(dense.ms * scale).toFixed(0)} ms (cpu ${(dense.cpuMs * scale).toFixed(0)} ms)`);
  console.log(`head scores largest |sums − dense loop| on those heads: ${worst.toExponential(1)}`);
} finally {
  core.useMatmulThreads(1);
  rmSync(dir, { recursive: true, force: true });
}
