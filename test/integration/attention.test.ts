import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AttentionSnapshot } from '../../src/shared/protocol';
import { writeByteModel } from './attentionFixture';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('llmLens');

/** Runs the command on `text` and waits for the snapshot of that text. */
async function showAttentionFor(text: string): Promise<AttentionSnapshot> {
  const api = await llmLens();
  await openText(text, 'typescript');
  await vscode.commands.executeCommand('llmLens.showAttention');
  await waitFor('the attention webview to say ready', () => api.isPanelReady('attention'), 30_000);
  return waitFor('an attention snapshot of the selection', () => {
    const s = api.snapshotOf('attention');
    return s && !('problem' in s) && s.text === text ? s : undefined;
  }, 60_000);
}

function assertCausalRows(s: AttentionSnapshot): void {
  const T = s.seqLen;
  for (let l = 0; l < s.layers; l++) {
    for (let h = 0; h < s.heads; h++) {
      for (let i = 0; i < T; i++) {
        let sum = 0;
        for (let j = 0; j < T; j++) {
          const p = s.probs[l][h * T * T + i * T + j];
          if (j > i) assert.equal(p, 0, 'no weight on later tokens');
          sum += p;
        }
        assert.ok(Math.abs(sum - 1) < 1e-4, `layer ${l} head ${h} row ${i} sums to ${sum}`);
      }
    }
  }
}

describe('LLM Lens: Show Attention for Selection', () => {
  let modelDir = '';
  before(() => {
    modelDir = writeByteModel();
  });
  after(async () => {
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
    rmSync(modelDir, { recursive: true, force: true });
  });
  afterEach(closeAll);

  it('is in the editor context menu and the palette, with Choose Model beside it', async () => {
    await llmLens();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('llmLens.showAttention') && commands.includes('llmLens.chooseModel'));
    const manifest = vscode.extensions.getExtension('llm-lens.llm-lens')?.packageJSON as { contributes: { menus: Record<string, { command: string }[]> } };
    assert.ok(manifest.contributes.menus['editor/context'].some((m) => m.command === 'llmLens.showAttention'));
  });

  it('runs the model from llmLens.modelPath in a worker: one token per byte, layers × heads, GQA groups, causal rows', async () => {
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    const text = 'const x = 1;';
    const s = await showAttentionFor(text);
    assert.equal(s.model.source, 'setting');
    assert.equal(s.seqLen, Buffer.byteLength(text));
    assert.deepEqual(s.tokens.map((t) => t.text).join(''), text);
    assert.equal(s.layers, 2);
    assert.equal(s.heads, 4);
    assert.deepEqual(s.kvHeadOf, [0, 0, 1, 1]);
    assert.equal(s.cap, undefined);
    assertCausalRows(s);
    // The step view of the default selection (layer 0, head 0, last query) reproduces the heatmap row.
    const step = s.step;
    assert.ok(step);
    const T = s.seqLen;
    for (let j = 0; j < T; j++) assert.ok(Math.abs(step.probs[j] - s.probs[0][(T - 1) * T + j]) < 1e-6);
    assert.equal(s.predictions.length, 10);
  });

  it('caps long selections at llmLens.attention.maxTokens and says how many tokens there were', async () => {
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    await config().update('attention.maxTokens', 8, vscode.ConfigurationTarget.Global);
    const text = 'function add(a, b) { return a + b; }';
    const s = await showAttentionFor(text);
    assert.equal(s.seqLen, 8);
    assert.deepEqual(s.cap, { total: Buffer.byteLength(text), limit: 8 });
    await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
  });

  it('runs the embedded model by default: its layers × heads', async function () {
    const dir = join(vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '', 'data', 'embedded-model');
    if (!existsSync(join(dir, 'model.safetensors'))) this.skip();
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    const s = await showAttentionFor('export function square(x: number): number {\n  return x * x;\n}\n');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
    assert.equal(s.model.source, 'embedded');
    assert.equal(s.layers, cfg.num_hidden_layers);
    assert.equal(s.heads, cfg.num_attention_heads);
    assert.ok(s.model.hasModelCard);
    assert.ok(s.seqLen > 5);
    assertCausalRows(s);
  });

  it('Choose Model lists supported models of the Hugging Face cache and re-runs the open panel on the choice', async () => {
    const api = await llmLens();
    // A fake hub cache (models--org--name/snapshots/<rev>/ + refs/main) holding the byte-level model.
    const hub = mkdtempSync(join(tmpdir(), 'llm-lens-hub-'));
    const snapshot = join(hub, 'models--test-org--byte-model', 'snapshots', 'rev1');
    mkdirSync(snapshot, { recursive: true });
    cpSync(modelDir, snapshot, { recursive: true });
    mkdirSync(join(hub, 'models--test-org--byte-model', 'refs'));
    writeFileSync(join(hub, 'models--test-org--byte-model', 'refs', 'main'), 'rev1');
    const previous = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = hub;
    try {
      await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
      const text = 'let y = 2;';
      assert.equal((await showAttentionFor(text)).model.source, 'setting');
      // Items: embedded, the setting's folder, (separator) the cached model, (separator) Browse….
      const pick = async (downs: number): Promise<void> => {
        const done = vscode.commands.executeCommand('llmLens.chooseModel');
        await new Promise((r) => setTimeout(r, 1500));
        for (let i = 0; i < downs; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await done;
      };
      await pick(2);
      const chosen = await waitFor('a re-run with the cached model', () => {
        const s = api.snapshotOf('attention');
        return s && !('problem' in s) && s.model.source === 'cache' ? s : undefined;
      }, 60_000);
      assert.equal(chosen.model.label, 'test-org/byte-model');
      assert.equal(chosen.text, text);
      // Back to the setting's folder (which also forgets the stored choice).
      await pick(1);
      await waitFor('a re-run with the setting', () => (api.snapshotOf('attention')?.model.source === 'setting' ? true : undefined), 60_000);
    } finally {
      if (previous === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = previous;
      rmSync(hub, { recursive: true, force: true });
    }
  });
});
