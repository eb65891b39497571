import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { generate } from '../../src/core/decode/generate';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { loadModel } from '../../src/core/model/load';
import { embeddedModelDir } from '../../src/core/paths';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeByteModel } from './attentionFixture';
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
    // The embedded model is a base model: the chat-template toggle is off and says why.
    assert.equal(s.chat.available, false);
    assert.equal(s.chat.on, false);
    assert.match(s.chat.reason ?? '', /embedded model .*no chat template/);
  });

  it('an empty selection opens no panel', async () => {
    const api = await llmLens();
    const editor = await openText('   \n  ', 'plaintext');
    assert.equal(editor.document.getText(editor.selection).trim(), '');
    await vscode.commands.executeCommand('llmLens.generateFromSelection');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(api.openPanels(), []);
  });

  describe('with a model that has a chat template', () => {
    let modelDir = '';
    // A simple template in tokenizer_config.json (beside tokenizer.json), written by hand so the rendering is known.
    const template = '{% for m in messages %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
    const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('llmLens');
    before(async () => {
      modelDir = writeByteModel();
      writeFileSync(join(modelDir, 'tokenizer_config.json'), JSON.stringify({ chat_template: template }));
      await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    });
    after(async () => {
      await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
      rmSync(modelDir, { recursive: true, force: true });
    });

    it('the toggle wraps the selection as a user message before tokenizing; the Attention button runs on prompt + generated text', async () => {
      const api = await llmLens();
      const prompt = 'hello';
      await openText(prompt, 'plaintext');
      await vscode.commands.executeCommand('llmLens.generateFromSelection');
      await waitFor('the decoding webview to say ready', () => api.isPanelReady('decoding'), 30_000);
      const plain = await waitFor('a plain run', () => {
        const snap = api.snapshotOf('decoding');
        return snap?.result && snap.model.source === 'setting' ? snap : undefined;
      }, 90_000);
      assert.equal(plain.chat.available, true);
      assert.equal(plain.chat.on, false);
      assert.equal(plain.promptTokens, Buffer.byteLength(prompt), 'off: the selection itself, one token per byte');
      const settings = { ...plain.settings, maxNewTokens: 6 };
      assert.ok(api.postFromWebview('decoding', { type: 'generate', settings, chat: true }));
      const chat = await waitFor('a run through the chat template', () => {
        const snap = api.snapshotOf('decoding');
        return snap?.result && snap.chat.on ? snap : undefined;
      }, 90_000);
      const rendered = '<user>hello</user>\n<assistant>';
      assert.equal(chat.chat.rendered, rendered);
      assert.equal(chat.prompt, prompt, 'the selection itself is kept');
      assert.equal(chat.promptTokens, Buffer.byteLength(rendered));
      // Independent check: the core's greedy generate on the rendering's tokens (no special tokens added).
      const model = await loadModel(modelDir);
      const ids = model.tokenizer?.encode(rendered, { addSpecialTokens: false }) ?? [];
      assert.equal(ids.length, chat.promptTokens);
      const expected = await generate(model, ids, { strategy: 'greedy', maxNewTokens: 6 });
      const r = chat.result;
      assert.ok(r);
      assert.deepEqual(r.steps.map((st) => st.chosen), expected.tokenIds);

      assert.ok(api.postFromWebview('decoding', { type: 'openAttention' }));
      const attention = await waitFor('the Attention panel on prompt + generated text', () => {
        const snap = api.snapshotOf('attention');
        return snap && 'tokens' in snap && snap.text === rendered + r.text ? snap : undefined;
      }, 90_000);
      assert.ok(attention.tokens.length > chat.promptTokens, 'the generated tokens are in the Attention run');
      assert.equal(attention.tokens.slice(0, chat.promptTokens).map((t) => t.text).join(''), rendered);
    });

    it('compares two settings on the same prompt and seed: each column is the core\'s generation under its settings', async () => {
      const api = await llmLens();
      await openText('abc', 'plaintext');
      await vscode.commands.executeCommand('llmLens.generateFromSelection');
      const first = await waitFor('a run', () => {
        const snap = api.snapshotOf('decoding');
        return snap?.result && snap.model.source === 'setting' ? snap : undefined;
      }, 90_000);
      const a = { ...first.settings, strategy: 'sample' as const, temperature: 0.2, seed: 7, maxNewTokens: 8 };
      // B's own seed and length are overridden: the columns share the first's.
      const b = { ...a, temperature: 1.2, seed: 99, maxNewTokens: 3 };
      assert.ok(api.postFromWebview('decoding', { type: 'generate', settings: a, chat: false, compare: b }));
      const s = await waitFor('both columns', () => {
        const snap = api.snapshotOf('decoding');
        return snap?.result && snap.compare ? snap : undefined;
      }, 90_000);
      assert.ok(s.result && s.compare);
      assert.equal(s.compare.settings.temperature, 1.2);
      assert.equal(s.compare.settings.seed, 7);
      assert.equal(s.compare.settings.maxNewTokens, 8);
      const model = await loadModel(modelDir);
      // The reference reads the prompt the panel reports (the selection it took), with the same tokenizer.
      assert.ok(s.prompt.length > 0);
      const ids = model.tokenizer?.encode(s.prompt, { addSpecialTokens: true }) ?? [];
      assert.equal(s.promptTokens, ids.length);
      assert.equal(s.settings.temperature, 0.2);
      const refA = await generate(model, ids, { strategy: 'sample', temperature: 0.2, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 7, maxNewTokens: 8 });
      const refB = await generate(model, ids, { strategy: 'sample', temperature: 1.2, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 7, maxNewTokens: 8 });
      assert.deepEqual(s.result.steps.map((st) => st.chosen), refA.tokenIds);
      assert.deepEqual(s.compare.result.steps.map((st) => st.chosen), refB.tokenIds);
      // Dropping the second column: the next run has none.
      assert.ok(api.postFromWebview('decoding', { type: 'generate', settings: a, chat: false }));
      await waitFor('a run without the second column', () => {
        const snap = api.snapshotOf('decoding');
        return snap?.result && !snap.compare ? snap : undefined;
      }, 90_000);
    });
  });
});
