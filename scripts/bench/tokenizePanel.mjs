// Benchmark (issue 3) in the real extension host (code-server, see scripts/vscode-launcher.sh):
//   - "LLM Lens: Tokenize Selection" on a ~10,000-token selection to the webview's first paint of the
//     tokens: target <= 300 ms (warm: worker running, vocabulary loaded; the cold first run is shown too);
//   - one status bar update for a 2,000-character selection: target <= 5 ms.
// Run after `node scripts/build.mjs`. Prints `name: value unit` lines. LLM_LENS_VSCODE picks the version.
import { runTests } from '@vscode/test-electron';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const version = process.env.LLM_LENS_VSCODE ?? '1.139.1';
mkdirSync(join(root, 'test-results'), { recursive: true });
const results = join(root, 'test-results', `bench-tokenize-${process.pid}.json`);
rmSync(results, { force: true });
try {
  await runTests({
    vscodeExecutablePath: join(root, 'scripts', 'vscode-launcher.sh'),
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'dist-test', 'support', 'tokenizeBench.js'),
    launchArgs: [join(root, 'test', 'fixtures', 'workspace')],
    extensionTestsEnv: { LLM_LENS_VSCODE: version, LLM_LENS_RESULTS: results },
  });
} catch (error) {
  console.log(`tokenizePanel: the run failed (${error})`);
}
if (!existsSync(results)) {
  console.log('tokenizePanel: no results');
  process.exit(1);
}
const r = JSON.parse(readFileSync(results, 'utf8'));
rmSync(results, { force: true });
console.log(`tokenize panel selection size (VS Code ${version}): ${r.tokens} tokens`);
console.log(`tokenize command to first paint, warm (median of ${r.warmRuns.length}): ${r.warmFirstPaintMs.toFixed(0)} ms (target <= 300 ms)`);
console.log(`tokenize command to first paint, cold (worker start + vocabulary load): ${r.coldFirstPaintMs.toFixed(0)} ms`);
console.log(`tokenize command to tokens posted to the webview, warm (median): ${r.warmPostedMs.toFixed(0)} ms`);
console.log(`tokenize webview drawing, snapshot received to frame, warm (median): ${r.warmRenderMs.toFixed(0)} ms`);
if (r.statusBarHostMs === null) {
  console.log(`status bar update: no samples (active editor: ${r.activeEditor})`);
} else {
  console.log(`status bar update, 2,000 characters, extension host time (median of ${r.statusBarSamples}): ${r.statusBarHostMs.toFixed(2)} ms (target <= 5 ms)`);
  console.log(`status bar update, 2,000 characters, selection to new count incl. the worker (median): ${r.statusBarLatencyMs.toFixed(2)} ms`);
}
