// Benchmarks the glossary hover's core work (issue 7), target < 1 ms per hover in a 5,000-line file:
//   - building the term matcher (once, on the first hover);
//   - one hover = the region of the hovered position (comment/string/code; line-start states cached per
//     document, invalidated from an edited line on) plus the term under the cursor in that line; measured on a
//     newly opened file (every line above is scanned), below an edit, and warm;
//   - the matcher alone on a 10,000-character minified line (worst case for one call).
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

// A 5,000-line TypeScript file: code, line comments, JSDoc blocks and strings, with glossary terms in each.
const block = [
  '/**',
  ' * Computes attention for one layer. With GQA, 32 query heads share 8 KV heads, so the KV cache shrinks 4x.',
  ' * The scores are scaled by √d_k before softmax; RoPE is applied to q and k first (어텐션의 위치 정보).',
  ' */',
  'export function attentionLayer(q: Float32Array, k: Float32Array, v: Float32Array, heads: number): Float32Array {',
  '  const scale = 1 / Math.sqrt(q.length / heads); // √d_k scaling keeps softmax from saturating',
  "  const label = 'grouped-query attention (GQA는 MHA와 MQA의 절충안)';",
  '  for (let h = 0; h < heads; h++) applyRotary(q, k, h, scale); // rotary positional embedding',
  '  return weightedSum(softmaxRows(q, k, scale), v); // the weighted sum is the context vector (맥락 벡터)',
  '}',
];
const lines = [];
while (lines.length < 5000) lines.push(...block);
lines.length = 5000;

const hoverPoints = [];
for (let i = 0; i < lines.length; i++) {
  const text = lines[i];
  const at = Math.max(0, text.search(/GQA|softmax|RoPE|context vector|rotary|어텐션/));
  hoverPoints.push([i, at]);
}

const syntax = core.languageSyntax('typescript');

/** One hover as the extension does it: region check, then the term under the cursor. */
function hover(regions, line, character) {
  if (regions.regionAt(line, character) === 'code') return undefined;
  return core.findTermAt(lines[line], character);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. The very first hover of a session: builds the matcher's trie, and nothing is compiled by the JIT yet.
let t0 = performance.now();
hover(new core.DocumentRegions(syntax, (i) => lines[i]), 4998, hoverPoints[4998][1]);
const firstMs = performance.now() - t0;
t0 = performance.now();
core.createTermMatcher(core.glossaryEntries());
const buildMs = performance.now() - t0;

// 2. First hover in a freshly opened document, near its end: every line above is scanned once.
const coldRuns = 60;
const cold = [];
for (let r = 0; r < coldRuns; r++) {
  const line = 4999 - (r % 10);
  const regions = new core.DocumentRegions(syntax, (i) => lines[i]);
  t0 = performance.now();
  hover(regions, line, hoverPoints[line][1]);
  cold.push(performance.now() - t0);
}

// 2b. Hover after an edit 200 lines above the hovered line (the extension invalidates from the edited line).
const edited = [];
const live = new core.DocumentRegions(syntax, (i) => lines[i]);
hover(live, 4999, 0);
for (let r = 0; r < coldRuns; r++) {
  const line = 4000 + r * 10;
  live.invalidateFrom(line - 200);
  t0 = performance.now();
  hover(live, line, hoverPoints[line][1]);
  edited.push(performance.now() - t0);
}

// 3. Warm hovers: one document version, hovering every line in turn.
const regions = new core.DocumentRegions(syntax, (i) => lines[i]);
hover(regions, 4999, 0);
const rounds = 20;
let hits = 0;
t0 = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const [line, at] of hoverPoints) if (hover(regions, line, at)) hits++;
}
const warmUs = ((performance.now() - t0) * 1000) / (rounds * hoverPoints.length);

// 4. A 10,000-character minified line: the hover's findTermAt (windowed) and a full findTerms.
const minified = 'var a=function(q,k){return softmax(q*k/Math.sqrt(d_k))};/* GQA */'.repeat(150).slice(0, 10000);
const longRuns = 200;
t0 = performance.now();
for (let r = 0; r < longRuns; r++) core.findTermAt(minified, 5000 + r);
const longAtUs = ((performance.now() - t0) * 1000) / longRuns;
t0 = performance.now();
for (let r = 0; r < longRuns; r++) core.findTerms(minified);
const longMs = (performance.now() - t0) / longRuns;

console.log(`glossary first hover of a session (trie build, cold JIT): ${firstMs.toFixed(2)} ms`);
console.log(`glossary matcher build: ${buildMs.toFixed(2)} ms`);
console.log(`glossary first hover in a newly opened 5,000-line file (last lines, median of ${coldRuns}): ${median(cold).toFixed(3)} ms`);
console.log(`glossary hover 200 lines below an edit (median of ${coldRuns}): ${median(edited).toFixed(3)} ms`);
console.log(`glossary hover warm (5,000-line file): ${warmUs.toFixed(2)} µs`);
console.log(`glossary hover on a 10,000-char line: ${longAtUs.toFixed(2)} µs`);
console.log(`glossary findTerms on a whole 10,000-char line: ${longMs.toFixed(3)} ms`);
console.log(`glossary hover hits: ${hits / rounds} of ${hoverPoints.length} lines`);
