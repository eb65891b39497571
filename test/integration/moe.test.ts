import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { loadModel } from '../../src/core/model/load';
import { forward } from '../../src/core/model/runtime';
import { embeddedModelDir } from '../../src/core/paths';
import type { MoeSnapshot } from '../../src/shared/protocol';
import { closeAll, llmLens, openText, waitFor } from './helpers';

/** Runs "Show MoE Routing" on `text` and waits for the view's snapshot of that text. */
async function showMoeFor(text: string): Promise<MoeSnapshot> {
  const api = await llmLens();
  await openText(text, 'typescript');
  await vscode.commands.executeCommand('llmLens.showMoeRouting');
  await waitFor('the MoE webview to say ready', () => api.isPanelReady('moe'), 30_000);
  return waitFor('a MoE snapshot of the text', () => {
    const s = api.snapshotOf('moe');
    return s && s.text === text ? s : undefined;
  }, 90_000);
}

describe('MoE routing view (issue 15)', () => {
  afterEach(closeAll);

  it('shows the embedded MoE model by default, with the routing the core computes for the same ids', async () => {
    const text = 'function add(a: number, b: number) {\n  return a + b;\n}\n';
    const s = await showMoeFor(text);
    // The default model is dense: the view says so and runs the embedded mixture of experts.
    assert.ok(s.model.denseChosen, 'the dense default model is named');
    assert.equal(s.model.experts, 8);
    assert.equal(s.model.topK, 2);
    assert.deepEqual(s.model.moeLayers, [0, 1]);
    assert.ok(s.model.active < s.model.total, `active ${s.model.active} < total ${s.model.total}`);
    // The core, independently: same model, same tokenizer, one forward pass.
    const model = await loadModel(embeddedModelDir('moe'));
    const ids = model.tokenizer?.encode(text, { addSpecialTokens: true }) ?? [];
    assert.equal(s.tokens.length, ids.length);
    assert.deepEqual(s.tokens, ids.map((id) => model.tokenizer?.label(id)));
    const core = await forward(model, ids, { logits: 'none' });
    assert.equal(s.routing.length, 2);
    for (const r of s.routing) {
      const expected = core.routing[r.layer];
      assert.ok(expected, `layer ${r.layer} is routed in the core`);
      assert.deepEqual(r.experts, Array.from(expected.experts), `layer ${r.layer} experts`);
      r.weights.forEach((w, i) => assert.ok(Math.abs(w - expected.weights[i]) < 1e-6, `layer ${r.layer} weight ${i}`));
    }
    assert.deepEqual({ total: s.model.total, active: s.model.active }, model.parameterCounts);
    // Mixtral-8x7B's counts for the study note: 46.7B total, 12.9B active.
    assert.equal((s.reference.total / 1e9).toFixed(1), '46.7');
    assert.equal((s.reference.active / 1e9).toFixed(1), '12.9');
  });
});
