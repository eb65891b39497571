// Benchmark (issue 3) in the real extension host (code-server, see scripts/vscode-launcher.sh):
//   - "LLM Lens: Tokenize Selection" on a ~10,000-token selection to the webview's first paint of the
//     tokens: target <= 300 ms (warm: worker running, vocabulary loaded; the cold first run is shown too);
//   - one status bar update for a 2,000-character selection: target <= 5 ms.
// Run after `node scripts/build.mjs`. Prints `name: value unit` lines. LLM_LENS_VSCODE picks the version.
import { benchVersion as version, runInExtensionHost } from '../lib/hostBench.mjs';

const r = await runInExtensionHost('tokenizeBench');
if (!r) {
  console.log('tokenizePanel: no results');
  process.exit(1);
}
console.log(`tokenize panel selection size (VS Code ${version}): ${r.tokens} tokens`);
console.log(`tokenize command to first paint, warm (median of ${r.warmRuns.length}): ${r.warmFirstPaintMs.toFixed(0)} ms (target <= 300 ms)`);
console.log(`tokenize command to first paint, cold (first run: the panel is created; the worker and vocabulary are usually those the status bar count started): ${r.coldFirstPaintMs.toFixed(0)} ms, of which tokens posted at ${r.coldPostedMs.toFixed(0)} ms, webview drawing ${r.coldRenderMs.toFixed(0)} ms`);
console.log(`tokenize command to the webview's report of its paint reaching the host, warm (median): ${r.warmReportedMs.toFixed(0)} ms`);
console.log(`tokenize command to tokens posted to the webview, warm (median): ${r.warmPostedMs.toFixed(0)} ms`);
console.log(`tokenize webview drawing, snapshot received to frame, warm (median): ${r.warmRenderMs.toFixed(0)} ms`);
if (r.statusBarHostMs === null) {
  console.log(`status bar update: no samples (active editor: ${r.activeEditor})`);
} else {
  console.log(`status bar update, 2,000 characters, extension host time (median of ${r.statusBarSamples}): ${r.statusBarHostMs.toFixed(2)} ms (target <= 5 ms)`);
  console.log(`status bar update, 2,000 characters, selection to new count incl. the worker (median): ${r.statusBarLatencyMs.toFixed(2)} ms`);
}
