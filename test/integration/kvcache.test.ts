import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAll, llmLens, waitFor } from './helpers';
import type { KvCacheSnapshot } from '../../src/shared/protocol';
import { modelPresets } from '../../src/core/kvcache/presets';
import { maxContextForBudget } from '../../src/core/kvcache/budget';

const GiB = 1024 ** 3;

function workspaceFile(path: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, path);
}

/** Waits for a KV-cache snapshot that satisfies `check`. */
async function kvSnapshot(what: string, check: (s: KvCacheSnapshot) => boolean, timeoutMs?: number): Promise<KvCacheSnapshot> {
  const api = await llmLens();
  return waitFor(
    what,
    () => {
      const s = api.snapshotOf('kvcache');
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
  );
}

const variant = (s: KvCacheSnapshot, kind: string) => {
  const found = s.variants.find((v) => v.kind === kind);
  assert.ok(found, `${kind} variant`);
  return found;
};

describe('LLM Lens: Show KV Cache Memory', () => {
  afterEach(closeAll);

  it('is in the palette and in the explorer and editor context menus of config.json files only', async () => {
    await llmLens();
    assert.ok((await vscode.commands.getCommands(true)).includes('llmLens.showKvCache'));
    const manifest = vscode.extensions.getExtension('llm-lens.llm-lens')?.packageJSON as {
      contributes: { commands: { command: string; category: string }[]; menus: Record<string, { command: string; when?: string }[]> };
    };
    const command = manifest.contributes.commands.find((c) => c.command === 'llmLens.showKvCache');
    assert.ok(command?.category);
    for (const menu of ['explorer/context', 'editor/context']) {
      const entry = manifest.contributes.menus[menu]?.find((m) => m.command === 'llmLens.showKvCache');
      assert.equal(entry?.when, 'resourceFilename == config.json', menu);
    }
    const hidden = manifest.contributes.menus.commandPalette?.find((m) => m.command === 'llmLens.showKvCache');
    assert.ok(!hidden || hidden.when !== 'false', 'not hidden from the palette');
  });

  it('from the palette opens Llama-3.1-8B with exact numbers for every variant', async () => {
    const api = await llmLens();
    await vscode.commands.executeCommand('llmLens.showKvCache');
    await waitFor('the KV-cache webview to say ready', () => api.isPanelReady('kvcache'));
    const s = await kvSnapshot('a preset snapshot', (x) => x.inputs.source === 'preset');
    assert.equal(s.model.label, 'Llama-3.1-8B');
    assert.equal(s.used.seqLen, 32768);
    // 2 · 32 layers · 8 KV heads · 128 · 2 B = 128 KiB per token; 32,768 tokens = 4 GiB.
    assert.equal(variant(s, 'GQA').bytesPerToken, 131072);
    assert.equal(variant(s, 'GQA').kvBytes, 4 * GiB);
    assert.ok(variant(s, 'GQA').isModel);
    assert.equal(variant(s, 'MHA').kvBytes, 16 * GiB);
    assert.equal(variant(s, 'MQA').kvBytes, GiB / 2);
    assert.equal(s.weightsBytes, 2 * 8_030_261_248);
    // 24 GiB minus 16,060,522,496 B of weights leaves room for 74,075 tokens of 128 KiB.
    assert.deepEqual(variant(s, 'GQA').fits[0], { kind: 'bounded', maxTokens: 74_075 });
    assert.deepEqual(s.gqaChoices, [2, 4, 8, 16]);
    assert.deepEqual(s.fieldErrors, {});
    for (const v of s.variants) assert.equal(v.series.length, s.chartTokens.length);
  });

  it('on a config.json in the workspace reads that model (read-only) and recognises its parameter count', async () => {
    const uri = workspaceFile('models/llama-3.1-8b-instruct/config.json');
    const before = await vscode.workspace.fs.readFile(uri);
    const statBefore = await vscode.workspace.fs.stat(uri);
    await vscode.commands.executeCommand('llmLens.showKvCache', uri);
    const s = await kvSnapshot('the config snapshot', (x) => x.inputs.source === 'config' && x.config !== null);
    assert.equal(s.config?.error, undefined);
    assert.equal(s.config?.label, 'llama-3.1-8b-instruct/config.json');
    assert.deepEqual(s.model.shape, { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 });
    assert.equal(s.model.parameters, 8_030_261_248, 'an unmodified Llama-3.1-8B config gets the preset parameter count');
    assert.equal(s.model.contextLength, 131072, 'max_position_embeddings');
    assert.equal(variant(s, 'GQA').bytesPerToken, 131072);
    assert.equal(variant(s, 'MHA').bytesPerToken, 4 * 131072);
    const after = await vscode.workspace.fs.readFile(uri);
    assert.deepEqual(Buffer.from(after), Buffer.from(before), 'the file is unchanged');
    assert.equal((await vscode.workspace.fs.stat(uri)).mtime, statBefore.mtime);
  });

  it('from the palette with a config.json in the active editor: Gemma 2 alternating windows', async () => {
    const document = await vscode.workspace.openTextDocument(workspaceFile('models/gemma-2-9b/config.json'));
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('llmLens.showKvCache');
    const s = await kvSnapshot('the Gemma config snapshot', (x) => x.inputs.source === 'config' && x.model.shape.headDim === 256);
    assert.equal(s.model.shape.slidingWindow, 4096);
    assert.equal(s.model.shape.slidingWindowLayers?.length, 21);
    // 8,192 B per layer-token; at 32,768 tokens 21 layers keep 32,768 and 21 keep 4,096.
    assert.equal(variant(s, 'GQA').kvBytes, 8192 * (21 * 32768 + 21 * 4096));
    assert.equal(variant(s, 'GQA').breakdown.slidingTokens, 4096);
    assert.equal(s.model.parameters, 9_241_705_984);
    assert.equal(document.isDirty, false);
  });

  it('a malformed config.json gets a clear error naming the field, and no other model’s numbers', async () => {
    await vscode.commands.executeCommand('llmLens.showKvCache', workspaceFile('models/broken/config.json'));
    const s = await kvSnapshot('the broken-config snapshot', (x) => x.config?.label === 'broken/config.json');
    assert.match(s.config?.error ?? '', /num_key_value_heads/);
    assert.match(s.fieldErrors.config ?? '', /num_key_value_heads/);
    assert.equal(s.numbers, 'none', 'Llama-3.1-8B (the default) must not stand under the broken file');
    assert.deepEqual(Object.keys(s.fieldErrors), ['config'], 'no form field is marked: none is at fault');
  });

  it('Qwen2.5-7B-Instruct’s config.json: parameters counted from its shapes, the same longest context as the preset, trained context 32,768', async () => {
    await vscode.commands.executeCommand('llmLens.showKvCache', workspaceFile('models/qwen2.5-7b-instruct/config.json'));
    const s = await kvSnapshot('the Qwen config snapshot', (x) => x.config?.label === 'qwen2.5-7b-instruct/config.json' && x.numbers === 'current');
    // 28 layers · (q/k/v/o with q/k/v biases + SwiGLU 18,944 + 2 RMSNorms) + untied 152,064 × 3,584 embeddings.
    assert.equal(s.model.parameters, 7_615_616_512);
    assert.equal(s.inputs.configParameters, '7,615,616,512', 'the count is filled in, and can be overwritten');
    assert.match(s.model.parametersNote ?? '', /counted from the shapes in config\.json/);
    assert.equal(s.model.contextLength, 32768);
    const preset = modelPresets().find((p) => p.id === 'qwen2.5-7b');
    assert.ok(preset);
    assert.deepEqual(s.model.shape, preset.shape);
    // bf16 weights (15,231,233,024 B) and a bf16 cache of 57,344 B per token on each GPU size.
    for (const [i, gpu] of s.gpus.entries()) {
      const expected = maxContextForBudget(preset.shape, { batch: 1, bytesPerElement: 2, budgetBytes: gpu.bytes, weightsBytes: 2 * preset.parameters });
      assert.deepEqual(variant(s, 'GQA').fits[i], expected, gpu.label);
    }
    assert.deepEqual(variant(s, 'GQA').fits[0], { kind: 'bounded', maxTokens: 183_778 });
  });

  it('odd config files: empty, a JSON array, an unknown model_type, a multimodal text_config', async () => {
    const folder = workspaceFile(`models/.tmp-odd-${process.pid}`);
    const write = async (name: string, text: string) => {
      const uri = vscode.Uri.joinPath(folder, name, 'config.json');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
      return uri;
    };
    try {
      const cases: [string, string, (s: KvCacheSnapshot) => void][] = [
        ['empty', '', (s) => {
          assert.match(s.config?.error ?? '', /not valid JSON/);
          assert.equal(s.numbers, 'none');
        }],
        ['array', '[1, 2]', (s) => {
          assert.match(s.config?.error ?? '', /must hold a JSON object/);
          assert.equal(s.numbers, 'none');
        }],
        ['unknown', JSON.stringify({ model_type: 'mamba-ish', num_hidden_layers: 4, num_attention_heads: 8, hidden_size: 512 }), (s) => {
          // The cache can still be worked out from the shapes; the weights cannot, and the panel says why.
          assert.equal(s.numbers, 'current');
          assert.equal(s.model.parameters, 0);
          assert.match(s.model.parametersNote ?? '', /cannot count the parameters: .*mamba-ish/);
          assert.equal(variant(s, 'MHA').bytesPerToken, 2 * 4 * 8 * 64 * 2);
        }],
        ['wrapper', JSON.stringify({
          model_type: 'llava',
          vision_config: { hidden_size: 1024, num_hidden_layers: 24 },
          text_config: { model_type: 'llama', num_hidden_layers: 2, hidden_size: 64, intermediate_size: 128, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100, max_position_embeddings: 4096 },
        }), (s) => {
          assert.equal(s.numbers, 'current');
          assert.deepEqual(s.model.shape, { layers: 2, queryHeads: 4, kvHeads: 2, headDim: 16 });
          // 2 · (64·64·2 + 64·32·2 + 3·64·128 + 2·64) + 2 · 100·64 + 64
          assert.equal(s.model.parameters, 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 128 + 2 * 64) + 2 * 100 * 64 + 64);
          assert.match(s.model.parametersNote ?? '', /text_config/);
          assert.equal(s.model.contextLength, 4096);
        }],
      ];
      for (const [name, text, check] of cases) {
        const uri = await write(name, text);
        await vscode.commands.executeCommand('llmLens.showKvCache', uri);
        check(await kvSnapshot(`the ${name} config`, (x) => x.config?.uri === uri.toString()));
      }
    } finally {
      await vscode.workspace.fs.delete(folder, { recursive: true });
    }
  });
});

describe('the KV-cache panel follows its config.json', () => {
  const folder = workspaceFile(`models/.tmp-follow-${process.pid}`);
  const uri = vscode.Uri.joinPath(folder, 'config.json');
  const fixed = JSON.stringify({ model_type: 'qwen2', num_hidden_layers: 28, hidden_size: 3584, intermediate_size: 18944, num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, max_position_embeddings: 32768 }, null, 2);
  const label = `${folder.path.split('/').pop() ?? ''}/config.json`;

  afterEach(closeAll);
  after(async () => {
    try {
      await vscode.workspace.fs.delete(folder, { recursive: true });
    } catch {
      // Nothing was written.
    }
  });

  it('a fix saved by another program shows without reopening the panel', async () => {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('{ "model_type": "qwen2", "num_hidden_layers": 28,'));
    await vscode.commands.executeCommand('llmLens.showKvCache', uri);
    const broken = await kvSnapshot('the malformed file', (x) => x.config?.label === label && x.config.error !== undefined);
    assert.match(broken.config?.error ?? '', /not valid JSON/);
    assert.equal(broken.numbers, 'none');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(fixed));
    const s = await kvSnapshot('the fixed file', (x) => x.config?.label === label && x.config.error === undefined && x.numbers === 'current', 15_000);
    assert.equal(s.model.parameters, 7_615_616_512);
    assert.equal(variant(s, 'GQA').bytesPerToken, 57344);
    // Deleted: said in words, and no numbers left standing.
    await vscode.workspace.fs.delete(uri);
    const gone = await kvSnapshot('the deleted file', (x) => x.config?.error !== undefined, 15_000);
    assert.match(gone.config?.error ?? '', /is gone \(deleted or moved\)/);
    assert.equal(gone.numbers, 'none');
  });

  it('an edit saved in the editor shows: broken, then fixed again', async () => {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(fixed));
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('llmLens.showKvCache');
    await kvSnapshot('the file as opened', (x) => x.config?.label === label && x.numbers === 'current');
    const replace = async (from: string, to: string) => {
      const start = document.getText().indexOf(from);
      assert.ok(start >= 0, from);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(document.positionAt(start), document.positionAt(start + from.length)), to);
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.ok(await document.save());
    };
    await replace('"num_key_value_heads": 4', '"num_key_value_heads": 5');
    const broken = await kvSnapshot('the saved mistake', (x) => x.config?.error !== undefined, 15_000);
    assert.match(broken.config?.error ?? '', /num_key_value_heads/);
    assert.equal(broken.numbers, 'none');
    await replace('"num_key_value_heads": 5', '"num_key_value_heads": 7');
    // 28 query heads in 7 groups of 4: 2 · 28 layers · 7 · 128 · 2 B per token.
    const s = await kvSnapshot('the saved fix', (x) => x.config?.error === undefined && x.numbers === 'current' && x.model.shape.kvHeads === 7, 15_000);
    assert.equal(variant(s, 'GQA').bytesPerToken, 2 * 28 * 7 * 128 * 2);
  });
});

describe('where LLM Lens panels open', () => {
  afterEach(closeAll);

  it('every panel in the one column beside the editor, titled "LLM Lens: …", even when a panel has the focus', async () => {
    const document = await vscode.workspace.openTextDocument(workspaceFile('notes.md'));
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('llmLens.openGlossary');
    const tabOf = (title: string) => waitFor(`the "${title}" tab`, () => {
      for (const group of vscode.window.tabGroups.all) {
        const tab = group.tabs.find((t) => t.label === title);
        if (tab) return { tab, column: group.viewColumn };
      }
      return undefined;
    });
    const glossary = await tabOf('LLM Lens: Glossary');
    assert.equal(glossary.column, vscode.ViewColumn.Two);
    // The focus on the glossary's column: ViewColumn.Beside alone would open a third column now.
    await vscode.commands.executeCommand('workbench.action.focusSecondEditorGroup');
    await waitFor('the second group to be active', () => vscode.window.tabGroups.activeTabGroup.viewColumn === vscode.ViewColumn.Two || undefined);
    await vscode.commands.executeCommand('llmLens.showKvCache', workspaceFile('models/gemma-2-9b/config.json'));
    const kv = await tabOf('LLM Lens: KV Cache Memory');
    assert.equal(kv.column, vscode.ViewColumn.Two);
    assert.equal(vscode.window.tabGroups.all.length, 2, 'no third column');
  });
});
