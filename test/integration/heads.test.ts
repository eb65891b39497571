// Issue 18 in the real extension host: the Attention panel's Reading heads views on the embedded model. Each
// number the panel shows is checked against the core run directly in this test on the same token ids.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ablateHeads } from '../../src/core/analysis/ablation';
import { headScores, INDUCTION_TEST, inductionTestScores, inductionTestSequences } from '../../src/core/analysis/headScores';
import { answerFirstLayer, logitLens } from '../../src/core/analysis/logitLens';
import { sinkShares, withoutFirstKeyView } from '../../src/core/analysis/sinks';
import { embeddedModelDir } from '../../src/core/paths';
import { loadModel, type Model } from '../../src/core/model/load';
import { runAttention } from '../../src/core/model/runtime';
import type { AttentionSnapshot } from '../../src/shared/protocol';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const TEXT = 'def add(a, b):\n    return a + b\n\ndef add(a, b):\n    return a + b\n';

/** The attention snapshot once `check` accepts it. */
async function snapshotWhere(what: string, check: (s: AttentionSnapshot) => boolean, timeoutMs = 60_000): Promise<AttentionSnapshot> {
  const api = await llmLens();
  return waitFor(what, () => {
    const s = api.snapshotOf('attention');
    return s && !('problem' in s) && check(s) ? s : undefined;
  }, timeoutMs);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}] is NaN in the core`);
    else assert.ok(Math.abs(a - e) <= tolerance, `${what}[${i}]: panel ${a}, core ${e}`);
  }
}

describe('Attention panel: Reading heads (issue 18)', function () {
  this.timeout(180_000);
  const dir = embeddedModelDir();
  const available = existsSync(join(dir, 'model.safetensors'));
  let model: Model;
  let shown: AttentionSnapshot;
  let ids: number[];
  let out: string;

  before(async function () {
    if (!available) this.skip();
    await vscode.workspace.getConfiguration('llmLens').update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    model = await loadModel(dir);
    const api = await llmLens();
    await openText(TEXT, 'python');
    await vscode.commands.executeCommand('llmLens.showAttention');
    await waitFor('the attention webview to say ready', () => api.isPanelReady('attention'), 30_000);
    shown = await snapshotWhere('a run of the text', (s) => s.text === TEXT);
    ids = shown.tokens.map((t) => t.id);
    out = mkdtempSync(join(tmpdir(), 'llm-lens-heads-'));
  });
  after(async () => {
    if (out) rmSync(out, { recursive: true, force: true });
    await closeAll();
  });

  it('Find heads: the panel\'s scores and sink shares equal core headScores and sinkShares on the same ids', async () => {
    const api = await llmLens();
    const reference = await runAttention(model, ids, { keepQkv: false, topK: 0 });
    for (const options of [{ excludeBos: false, excludeCurrentToken: false }, { excludeBos: true, excludeCurrentToken: true }]) {
      assert.ok(api.postFromWebview('attention', { type: 'findHeads', ...options }));
      const s = await snapshotWhere(`head scores with ${JSON.stringify(options)}`, (x) => x.analysis?.heads?.excludeBos === options.excludeBos && x.analysis.heads.excludeCurrentToken === options.excludeCurrentToken);
      const heads = s.analysis?.heads;
      assert.ok(heads);
      const core = headScores(reference, ids, options);
      assertClose(heads.previousToken, core.previousToken, 'previous-token');
      assertClose(heads.duplicateToken, core.duplicateToken, 'duplicate-token');
      assertClose(heads.induction, core.induction, 'induction');
      assertClose(heads.sinks, sinkShares(reference), 'sink share');
      // The text repeats itself and the embedded model has an induction head (issue 16): in the second copy it attends
      // to the token after the earlier occurrence (a score near 0 everywhere would be a broken pattern).
      assert.ok(Math.max(...heads.induction) > 0.2, `an induction score well above chance on a repeated text (best ${Math.max(...heads.induction).toFixed(3)})`);
    }
  });

  it('Find heads: the standard induction test equals the core test (10 × [BOS] r r, fixed seed)', async () => {
    const api = await llmLens();
    const before = await snapshotWhere('a snapshot with the test\'s estimate', (s) => s.analysis !== undefined);
    assert.equal(before.analysis?.inductionTest.needsConfirmation, false, 'a 0.8M-parameter model runs without asking');
    assert.equal(before.analysis?.inductionTest.tokens, INDUCTION_TEST.batch * (2 * INDUCTION_TEST.half + 1));
    assert.ok(api.postFromWebview('attention', { type: 'inductionTest', confirmed: false }));
    const s = await snapshotWhere('the standard test\'s scores', (x) => x.analysis?.inductionTest.scores !== undefined, 120_000);
    const vocab = model.config.vocab;
    const runs = [];
    for (const seq of inductionTestSequences(vocab - 1, vocab - 1)) runs.push(await runAttention(model, seq, { keepQkv: false, topK: 0 }));
    const core = inductionTestScores(runs, INDUCTION_TEST.half);
    const scores = s.analysis?.inductionTest.scores;
    assert.ok(scores);
    assertClose(scores, core, 'standard induction test');
    assert.equal(scores.length, model.config.layers * model.config.heads);
    // What a user opening Find heads on the embedded model looks for: an induction head (issue 16's model has one).
    assert.ok(Math.max(...scores) >= 0.4, `the embedded model shows an induction head in the panel (best ${Math.max(...scores).toFixed(3)})`);
  });

  it('Logit lens: the table equals core logitLens at the positions shown, with the answer layer', async () => {
    const api = await llmLens();
    const end = ids.length - 1;
    assert.ok(api.postFromWebview('attention', { type: 'logitLens', end, count: 6 }));
    const s = await snapshotWhere('the logit lens', (x) => x.analysis?.lens?.positions.at(-1) === end);
    const lens = s.analysis?.lens;
    assert.ok(lens);
    const positions = Array.from({ length: 6 }, (_, i) => end - 5 + i);
    assert.deepEqual(lens.positions, positions);
    const core = await logitLens(model, ids, { topK: lens.topK, positions });
    assert.equal(lens.ids.length, model.config.layers);
    for (let l = 0; l < model.config.layers; l++) {
      assert.deepEqual(Array.from(lens.ids[l]), Array.from(core.ids[l]), `layer ${l} top ids`);
      assertClose(lens.probs[l], core.probs[l], `layer ${l} probabilities`);
      assertClose(lens.entropy[l], core.entropy[l], `layer ${l} entropy`, 1e-4);
      assert.deepEqual(lens.texts[l], Array.from(core.ids[l], (id) => model.tokenizer?.label(id)), `layer ${l} token texts`);
    }
    assert.deepEqual(Array.from(lens.answerLayer), Array.from(answerFirstLayer(core)));
    // The last layer is the model's own output: its top token at the last position is the panel's first prediction.
    assert.equal(lens.ids[model.config.layers - 1][(positions.length - 1) * lens.topK], shown.predictions[0].id);
  });

  it('Ablation: the before/after predictions and KL equal core ablateHeads; out-of-range picks are dropped', async () => {
    const api = await llmLens();
    const picks = [{ layer: 1, head: 0 }, { layer: 2 }, { layer: 2, head: 3 }, { layer: 99, head: 0 }];
    assert.ok(api.postFromWebview('attention', { type: 'ablate', ablations: picks }));
    const s = await snapshotWhere('the ablation result', (x) => x.analysis?.ablation !== undefined);
    const a = s.analysis?.ablation;
    assert.ok(a);
    assert.deepEqual(a.ablations, [{ layer: 1, head: 0 }, { layer: 2 }], 'layer 99 does not exist; layer 2 is ablated whole');
    const core = await ablateHeads(model, ids, a.ablations, { topK: a.before.length });
    assert.deepEqual(a.before.map((p) => p.id), core.before.map((p) => p.id));
    assert.deepEqual(a.after.map((p) => p.id), core.after.map((p) => p.id));
    assertClose(a.after.map((p) => p.probability), core.after.map((p) => p.probability), 'after');
    assert.ok(Math.abs(a.klDivergence - core.klDivergence) < 1e-6, `KL ${a.klDivergence} vs ${core.klDivergence}`);
    assert.ok(a.klDivergence > 0, 'removing a whole layer\'s attention changes the prediction');
    assertClose([a.afterProbabilityOfBeforeTop], [core.afterProbabilityOfBeforeTop], 'p(clean top) after');
    // A malformed request is refused by the protocol and changes nothing.
    assert.ok(api.postFromWebview('attention', { type: 'ablate', ablations: [{ layer: -1 }] }));
    await new Promise((r) => setTimeout(r, 300));
    const after = await snapshotWhere('the attention snapshot', () => true);
    assert.deepEqual(after.analysis?.ablation?.ablations, a.ablations);
  });

  it('Export: SVG and self-contained HTML of the shown heatmap go where the save dialog says', async () => {
    const api = await llmLens();
    assert.ok(api.postFromWebview('attention', { type: 'select', layer: 1, head: 2, query: 0 }));
    await waitFor('layer 1 head 2 selected', () => (api.attention.view()?.selection.layer === 1 && api.attention.view()?.selection.head === 2) || undefined);
    const T = ids.length;
    const svgPath = join(out, 'heatmap.svg');
    api.useSaveTargetOnceForTest(vscode.Uri.file(svgPath));
    assert.ok(api.postFromWebview('attention', { type: 'exportHeatmap', format: 'svg', hideFirstKey: false }));
    await waitFor('the SVG file', () => existsSync(svgPath) && readFileSync(svgPath, 'utf8').endsWith('</svg>'));
    const svg = readFileSync(svgPath, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const reference = await runAttention(model, ids, { keepQkv: false, topK: 0 });
    const matrix = reference.probs[1][2];
    // One rect per cell, each titled with its weight; spot-check the last row against the core run.
    assert.equal((svg.match(/<rect x="\d+(\.\d+)?" y="\d+(\.\d+)?" width="14" height="14"/g) ?? []).length, T * T);
    const lastRow = [...svg.matchAll(/<title>(\d+): [^<]* → (\d+): [^<]*: ([^<]+)<\/title>/g)].filter((m) => Number(m[1]) === T - 1);
    assert.equal(lastRow.length, T);
    for (const m of lastRow) assert.ok(Math.abs(Number(m[3]) - matrix[(T - 1) * T + Number(m[2])]) < 1e-3, `cell ${m[2]}: ${m[3]}`);

    const htmlPath = join(out, 'heatmap.html');
    api.useSaveTargetOnceForTest(vscode.Uri.file(htmlPath));
    assert.ok(api.postFromWebview('attention', { type: 'exportHeatmap', format: 'html', hideFirstKey: true }));
    await waitFor('the HTML file', () => existsSync(htmlPath) && readFileSync(htmlPath, 'utf8').includes('</html>'));
    const html = readFileSync(htmlPath, 'utf8');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no scripts, nothing from the network');
    assert.match(html, /renormalised/, 'the file says it is a view');
    // The hidden-first-token view: T − 1 columns, each row rescaled (core withoutFirstKeyView).
    const view = withoutFirstKeyView(matrix, T);
    const row = [...html.matchAll(/<title>(\d+): [^<]* → (\d+): [^<]*: ([^<]+)<\/title>/g)].filter((m) => Number(m[1]) === T - 1);
    assert.equal(row.length, T - 1);
    for (const m of row) assert.ok(Math.abs(Number(m[3]) - view.values[(T - 1) * view.cols + Number(m[2]) - 1]) < 1e-3, `view cell ${m[2]}: ${m[3]}`);
  });
});
