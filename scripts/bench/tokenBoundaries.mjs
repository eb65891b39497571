// Benchmark (issue 19) in the real extension host (code-server, see scripts/vscode-launcher.sh): token
// boundaries in the editor on a 5,000-line file, host time per scroll or edit (target <= 5 ms on the
// extension host's event loop; the tokenizing itself runs in the compute worker).
// Run after `node scripts/build.mjs`. Prints `name: value unit` lines. LLM_LENS_VSCODE picks the version.
import { benchVersion as version, runInExtensionHost } from '../lib/hostBench.mjs';

const r = await runInExtensionHost('tokenBoundariesBench');
if (!r) {
  console.log('tokenBoundaries: no results');
  process.exit(1);
}
console.log(`token boundaries file (VS Code ${version}): ${r.lines} lines, ${r.tokensPerUpdate} tokens decorated per update (visible lines + margin), ${r.updates} updates`);
console.log(`token boundaries host time per scroll or edit (median): ${r.hostMedianMs.toFixed(2)} ms (target <= 5 ms)`);
console.log(`token boundaries host time per scroll or edit (max): ${r.hostMaxMs.toFixed(2)} ms`);
console.log(`token boundaries host time, of which reading the slice (median): ${r.sliceMedianMs.toFixed(2)} ms, placing and setting decorations (median): ${r.decorateMedianMs.toFixed(2)} ms`);
console.log(`token boundaries scroll or edit to decorations incl. debounce and worker (median): ${r.latencyMedianMs.toFixed(0)} ms`);
