// `npm run bench`: prints the numbers behind LLM Lens's performance targets.
//   - the extension's activation time in the real extension host (VS Code 1.139.1 via code-server)
//   - the size of dist/extension.js and of the .vsix
//   - every scripts/bench/*.mjs (each feature's own benchmarks)
// LLM_LENS_BENCH=tokenize,kvcache runs only those feature benchmarks.
// `npm run bench -- --quick` (or LLM_LENS_BENCH_QUICK=1) runs the heavy ones small: moe (2 of 48 layers),
// gguf8b (4 tokens), threads (2 runs each).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { benchVersion as version, root, runInExtensionHost } from './lib/hostBench.mjs';

const only = (process.env.LLM_LENS_BENCH ?? '').split(',').filter(Boolean);
// The feature benchmarks read LLM_LENS_BENCH_QUICK from the environment they inherit.
if (process.argv.includes('--quick')) process.env.LLM_LENS_BENCH_QUICK = '1';
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

if (only.length === 0 || only.includes('extension')) {
  console.log('== extension ==');
  // Measured on the production build, the one the .vsix ships (minified, no source maps).
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: 'ignore' });
  console.log(`dist/extension.js size (production): ${kib(statSync(join(root, 'dist', 'extension.js')).size)}`);
  console.log(`llm-lens.vsix size: ${(statSync(join(root, 'llm-lens.vsix')).size / 1024 / 1024).toFixed(2)} MiB`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const run = await runInExtensionHost('activationBench');
    if (run) runs.push(run);
  }
  // Back to the development build (with source maps) for tests.
  execFileSync('node', ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (runs.length === 0) throw new Error('activation benchmark: no run finished');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`activation time, bundle load + activate() (VS Code ${version}, median of ${runs.length}): ${median(runs.map((r) => r.activationMs)).toFixed(1)} ms (target < 50 ms)`);
  const own = runs.map((r) => r.bundleEvaluationMs + r.activateBodyMs);
  console.log(`  LLM Lens's own cost, bundle evaluation + activate() body (median): ${median(own).toFixed(1)} ms (evaluation ${median(runs.map((r) => r.bundleEvaluationMs)).toFixed(1)} ms, activate() ${median(runs.map((r) => r.activateBodyMs)).toFixed(1)} ms); the rest is the host's work between loading the module and calling activate()`);
  console.log(`extension.activate() as awaited by a caller, incl. the host's own work: ${median(runs.map((r) => r.activateCallMs)).toFixed(1)} ms`);
  console.log(`welcome panel open to ready (median): ${median(runs.map((r) => r.welcomeReadyMs)).toFixed(1)} ms`);
}

const benchDir = join(root, 'scripts', 'bench');
for (const file of existsSync(benchDir) ? readdirSync(benchDir).filter((f) => f.endsWith('.mjs')).sort() : []) {
  const name = file.replace(/\.mjs$/, '');
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  const result = spawnSync('node', [join(benchDir, file)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) console.log(`${name}: benchmark failed (exit ${result.status})`);
}
