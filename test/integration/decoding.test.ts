import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { generate } from '../../src/core/decode/generate';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { loadModel } from '../../src/core/model/load';
import { embeddedModelDir } from '../../src/core/paths';
import { closeAll, llmLens, openText, waitFor } from './helpers';

describe('LLM Lens: Generate from Selection', () => {
  afterEach(closeAll);

  it('is in the palette and the editor context menu', async () => {
    await llmLens();
    assert.ok((await vscode.commands.getCommands(true)).includes('llmLens.generateFromSelection'));
    const manifest = vscode.extensions.getExtension('llm-lens.llm-lens')?.packageJSON as { contributes: { menus: Record<string, { command: string }[]> } };
    assert.ok(manifest.contributes.menus['editor/context'].some((m) => m.command === 'llmLens.generateFromSelection'));
  });

  it('continues the selection with the embedded model: the steps are greedy decoding of the prompt, and the cache bytes match the formula', async () => {
    const api = await llmLens();
    const prompt = 'def add(a, b):\n    return';
    await openText(prompt, 'python');
    await vscode.commands.executeCommand('llmLens.generateFromSelection');
    await waitFor('the decoding webview to say ready', () => api.isPanelReady('decoding'), 30_000);
    const s = await waitFor('a decoding snapshot with a result', () => {
      const snap = api.snapshotOf('decoding');
      return snap?.result && snap.prompt === prompt ? snap : undefined;
    }, 90_000);
    const r = s.result;
    assert.ok(r);
    assert.equal(s.settings.strategy, 'greedy');
    assert.ok(r.steps.length >= 1 && r.steps.length <= s.settings.maxNewTokens);
    // Independent check: the core's greedy generate on the same tokens chooses the same ids.
    const model = await loadModel(embeddedModelDir());
    const ids = model.tokenizer?.encode(prompt, { addSpecialTokens: true }) ?? [];
    assert.equal(s.promptTokens, ids.length);
    const expected = await generate(model, ids, { strategy: 'greedy', maxNewTokens: s.settings.maxNewTokens });
    assert.deepEqual(r.steps.map((st) => st.chosen), expected.tokenIds);
    assert.equal(r.text, expected.tokenIds.map((id) => model.tokenizer?.label(id) ?? '').join(''));
    for (const st of r.steps) {
      // Greedy: the chosen token is the best candidate, and its probability is shown.
      assert.equal(st.candidates[0].id, st.chosen);
      assert.ok(st.chosenProb > 0 && st.chosenProb <= 1);
    }
    assert.equal(r.kvCache.bytes, kvCacheBytes(model.shape, { seqLen: r.kvCache.positions, bytesPerElement: 4 }));
    assert.equal(r.kvCache.bytes, r.kvCache.formulaBytes);
    assert.equal(r.kvCache.positions, ids.length + r.steps.length - 1);
    assert.ok(r.speed.run > 0 && (r.speed.cached ?? 0) > 0 && (r.speed.uncached ?? 0) > 0 && r.speed.measuredTokens > 0);
    assert.equal(s.canInsert, true);
    assert.ok(s.model.eos.length > 0, 'the embedded model has an EOS token');
  });

  it('an empty selection opens no panel', async () => {
    const api = await llmLens();
    const editor = await openText('   \n  ', 'plaintext');
    assert.equal(editor.document.getText(editor.selection).trim(), '');
    await vscode.commands.executeCommand('llmLens.generateFromSelection');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(api.openPanels(), []);
  });
});
