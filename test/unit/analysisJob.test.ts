// The Attention panel's analysis jobs (issue 18), called as the compute worker calls them, against the core
// functions they wrap, on the embedded model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ablationJob, headScanJob, heatmapExportJob, inductionTestJob, logitLensJob, ordinaryIds } from '../../src/compute/analysisJob';
import { sessionModel as attentionModel } from '../../src/compute/modelSession';
import { ablateHeads } from '../../src/core/analysis/ablation';
import { headScores, standardInductionTest } from '../../src/core/analysis/headScores';
import { logitLens } from '../../src/core/analysis/logitLens';
import { sinkShares } from '../../src/core/analysis/sinks';
import { runAttention } from '../../src/core/model/runtime';
import { embeddedModelDir } from '../../src/core/paths';

const dir = embeddedModelDir();
const skip = !existsSync(join(dir, 'model.safetensors')) && 'the embedded model is not built';
const noProgress = (): void => undefined;

test('analysis jobs equal the core functions they wrap (embedded model)', { skip }, async () => {
  const model = await attentionModel(dir);
  const ids = model.tokenizer?.encode('a = b + c\na = b + c\n', { addSpecialTokens: true }) ?? [];
  assert.ok(ids.length > 8);
  const run = await runAttention(model, ids, { keepQkv: false, topK: 0 });

  const scan = await headScanJob({ dir, ids, excludeBos: true, excludeCurrentToken: false }, noProgress);
  const core = headScores(run, ids, { excludeBos: true });
  // The job sums only the pattern entries during its pass (each softmax row sums to 1): equal within rounding.
  const close = (a: Float32Array, b: Float32Array, what: string): void => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${what} ${i}: ${v} vs ${b[i]}`));
  close(scan.previousToken, core.previousToken, 'previous');
  close(scan.duplicateToken, core.duplicateToken, 'duplicate');
  close(scan.induction, core.induction, 'induction');
  assert.ok(scan.induction.some((v) => v > 0.05), 'the repeated line gives some head an induction score');
  // Other exclusions on the same ids: rescored from the kept sums, without another pass (no progress reported).
  let reported = 0;
  const again = await headScanJob({ dir, ids, excludeBos: false, excludeCurrentToken: true }, () => { reported++; });
  assert.equal(reported, 0, 'no second forward pass');
  const coreAgain = headScores(run, ids, { excludeCurrentToken: true });
  close(again.previousToken, coreAgain.previousToken, 'previous (current token excluded)');
  close(again.induction, coreAgain.induction, 'induction (current token excluded)');
  // Other ids: a new pass.
  const other = await headScanJob({ dir, ids: ids.slice(0, -1), excludeBos: false, excludeCurrentToken: false }, () => { reported++; });
  assert.ok(reported > 0, 'a new pass for other ids');
  close(other.duplicateToken, headScores(await runAttention(model, ids.slice(0, -1), { keepQkv: false, topK: 0 }), ids.slice(0, -1)).duplicateToken, 'duplicate (other ids)');
  close(scan.sinks, sinkShares(run), 'sink share');

  // The embedded model's special token is its last id: the test draws from the ids below it, as the card's number does.
  assert.equal(ordinaryIds(model).length, model.config.vocab - 1);
  const test = await inductionTestJob({ dir }, noProgress);
  const reference = await standardInductionTest((seq) => runAttention(model, seq, { keepQkv: false, topK: 0 }), model.config.vocab - 1, model.config.vocab - 1);
  assert.deepEqual(Array.from(test.scores), Array.from(reference));

  const positions = [ids.length - 3, ids.length - 2, ids.length - 1];
  const lens = await logitLensJob({ dir, ids, positions, topK: 3 }, noProgress);
  const coreLens = await logitLens(model, ids, { topK: 3, positions });
  assert.deepEqual(lens.ids.map((a) => Array.from(a)), coreLens.ids.map((a) => Array.from(a)));
  assert.deepEqual(lens.probs.map((a) => Array.from(a)), coreLens.probs.map((a) => Array.from(a)));
  assert.equal(lens.texts[0][0], model.tokenizer?.label(coreLens.ids[0][0]));

  const ablations = [{ layer: 0, head: 1 }, { layer: 3 }];
  const ablated = await ablationJob({ dir, ids, ablations, topK: 5 }, noProgress);
  const coreAblated = await ablateHeads(model, ids, ablations, { topK: 5 });
  assert.deepEqual(ablated, coreAblated);
});

test('heatmap export job: the first-token view drops column 0, rescales rows and leaves row 0 empty', () => {
  const values = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5];
  const svg = heatmapExportJob({ format: 'svg', hideFirstKey: true, lang: 'en', description: '', spec: { title: 't', rowLabels: ['a', 'b', 'c'], colLabels: ['a', 'b', 'c'], values } });
  const cells = [...svg.matchAll(/<title>(\w) → (\w): ([^<]+)<\/title>/g)].map((m) => `${m[1]}${m[2]}=${m[3]}`);
  assert.deepEqual(cells, ['ab=NaN', 'ac=NaN', 'bb=1', 'bc=0', 'cb=0.375', 'cc=0.625']);
  const html = heatmapExportJob({ format: 'html', hideFirstKey: false, lang: 'ko', description: 'd', spec: { title: 't', rowLabels: ['a'], colLabels: ['a'], values: [1] } });
  assert.match(html, /<html xmlns="http:\/\/www.w3.org\/1999\/xhtml" lang="ko">/);
});
