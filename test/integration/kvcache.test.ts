import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeAll, llmLens, waitFor } from './helpers';
import type { KvCacheSnapshot } from '../../src/shared/protocol';

const GiB = 1024 ** 3;

function workspaceFile(path: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, path);
}

/** Waits for a KV-cache snapshot that satisfies `check`. */
async function kvSnapshot(what: string, check: (s: KvCacheSnapshot) => boolean): Promise<KvCacheSnapshot> {
  const api = await llmLens();
  return waitFor(what, () => {
    const s = api.snapshotOf('kvcache');
    return s && check(s) ? s : undefined;
  });
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

  it('a malformed config.json gets a clear error naming the field, and the panel keeps real numbers', async () => {
    await vscode.commands.executeCommand('llmLens.showKvCache', workspaceFile('models/broken/config.json'));
    const s = await kvSnapshot('the broken-config snapshot', (x) => x.config?.label === 'broken/config.json');
    assert.match(s.config?.error ?? '', /num_key_value_heads/);
    assert.match(s.fieldErrors.config ?? '', /num_key_value_heads/);
    assert.ok(s.variants.length >= 3, 'the last valid model stays on screen');
    for (const v of s.variants) assert.ok(Number.isSafeInteger(v.kvBytes) && v.kvBytes > 0);
  });
});
