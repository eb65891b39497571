import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { Tokenizer } from '@huggingface/tokenizers';
import { get_encoding } from '@dqbd/tiktoken';
import { closeAll, llmLens, openText, waitFor } from './helpers';
import type { TokenizerInfo } from '../../src/core/tokenizers/types';

// A user's tokenizer.json (issue 19): "LLM Lens: Use as Tokenizer" on a workspace file, the comparison,
// the status bar counting with it, and the context budget. Expected counts come from independent
// libraries: @huggingface/tokenizers reads the same file, @dqbd/tiktoken counts o200k_base.

const content = 'export function add(a: number, b: number): number {\n  return a + b; // 더하기\n}\n';

function workspaceFile(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration tests open test/fixtures/workspace');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

function hfCount(file: string, text: string): number {
  const json = JSON.parse(readFileSync(file, 'utf8')) as object;
  return new Tokenizer(json, {}).encode(text, { add_special_tokens: false }).ids.length;
}

function o200kCount(text: string): number {
  const enc = get_encoding('o200k_base');
  try {
    return enc.encode_ordinary(text).length;
  } finally {
    enc.free();
  }
}

describe('LLM Lens: Use as Tokenizer', function () {
  this.timeout(240_000);
  const config = () => vscode.workspace.getConfiguration('llmLens');
  afterEach(async () => {
    await config().update('defaultTokenizer', undefined, vscode.ConfigurationTarget.Global);
    await config().update('statusBar.contextWindow', undefined, vscode.ConfigurationTarget.Global);
    await closeAll();
  });

  it('is offered on tokenizer.json files only (explorer and editor menus, not the palette); the setting takes file: ids and is restricted in untrusted workspaces', async () => {
    await llmLens();
    // The manifest as written (read from disk: the host's copy of it is processed).
    const folder = vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '';
    const manifest = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8')) as {
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
      contributes: {
        menus: Record<string, { command: string; when?: string }[]>;
        configuration: { properties: Record<string, { enum?: string[]; examples?: string[] }> }[];
      };
    };
    for (const menu of ['explorer/context', 'editor/context']) {
      const item = manifest.contributes.menus[menu].find((m) => m.command === 'llmLens.useAsTokenizer');
      assert.match(item?.when ?? '', /resourceFilename == tokenizer\.json/, menu);
    }
    assert.equal(manifest.contributes.menus.commandPalette.find((m) => m.command === 'llmLens.useAsTokenizer')?.when, 'false');
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('llmLens.defaultTokenizer'));
    const setting = manifest.contributes.configuration.map((c) => c.properties['llmLens.defaultTokenizer']).find(Boolean);
    assert.equal(setting?.enum, undefined, 'not a closed list');
    assert.ok(setting?.examples?.includes('o200k_base'));
  });

  it('adds a workspace tokenizer.json to the panel and its comparison, with the count @huggingface/tokenizers gives', async () => {
    const api = await llmLens();
    const uri = workspaceFile('tiny-model', 'tokenizer.json');
    const expected = hfCount(uri.fsPath, content);
    await openText(content, 'typescript');
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const info = await vscode.commands.executeCommand<TokenizerInfo | undefined>('llmLens.useAsTokenizer', uri);
    assert.ok(info, 'the file was accepted');
    assert.equal(info.id, `file:${uri.fsPath}`);
    assert.equal(info.label, 'tiny-model/tokenizer.json');
    const s = await waitFor(
      'the panel to tokenize with the file and compare',
      () => {
        const x = api.snapshotOf('tokenizer');
        return x && x.tokenization?.tokenizerId === info.id && x.comparison?.pending === false ? x : undefined;
      },
      200_000,
    );
    assert.equal(s.tokenizerId, info.id);
    assert.ok(s.tokenizers.some((t) => t.id === info.id && t.label === info.label), 'in the tokenizer list');
    assert.equal(s.stats?.tokens, expected);
    const row = s.comparison?.rows.find((r) => r.id === info.id);
    assert.equal(row?.tokens, expected, 'the comparison row counts like @huggingface/tokenizers');
    assert.equal(row?.label, 'tiny-model/tokenizer.json');
    assert.equal(s.comparison?.rows.find((r) => r.id === 'o200k_base')?.tokens, o200kCount(content));
  });

  it('a file that is not a tokenizer is refused and not listed', async () => {
    const api = await llmLens();
    const uri = workspaceFile('notes.md');
    const info = await vscode.commands.executeCommand<TokenizerInfo | undefined>('llmLens.useAsTokenizer', uri);
    assert.equal(info, undefined);
    assert.equal(api.openPanels().includes('tokenizer'), false, 'no panel opened for it');
  });

  it('the status bar counts with a file tokenizer set as default, and falls back to o200k_base (saying so) for an unknown id', async () => {
    const api = await llmLens();
    const uri = workspaceFile('tiny-model', 'tokenizer.json');
    await openText(content, 'typescript', new vscode.Selection(0, 0, 0, 0));
    await config().update('defaultTokenizer', `file:${uri.fsPath}`, vscode.ConfigurationTarget.Global);
    const expected = hfCount(uri.fsPath, content);
    await waitFor('the status bar to count with tiny-model/tokenizer.json', () =>
      /counted with tiny-model\/tokenizer\.json/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined,
    );
    assert.equal(api.tokenizer.statusBarText(), `$(symbol-string) ${expected.toLocaleString()} tokens`);
    await config().update('defaultTokenizer', 'file:/no/such/folder/tokenizer.json', vscode.ConfigurationTarget.Global);
    await waitFor('the fallback note in the tooltip', () => (/names no tokenizer LLM Lens knows/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined));
    assert.match(api.tokenizer.statusBarTooltip() ?? '', /counted with o200k_base/);
    assert.match(api.tokenizer.statusBarTooltip() ?? '', /file:\/no\/such\/folder\/tokenizer\.json/);
    assert.equal(api.tokenizer.statusBarText(), `$(symbol-string) ${o200kCount(content).toLocaleString()} tokens`);
  });

  it('the status bar shows the share of the context window set in llmLens.statusBar.contextWindow', async () => {
    const api = await llmLens();
    await openText(content, 'typescript', new vscode.Selection(0, 0, 0, 0));
    const n = o200kCount(content);
    await config().update('statusBar.contextWindow', 1000, vscode.ConfigurationTarget.Global);
    // Independent arithmetic: n tokens of 1,000 is n / 10 percent, one decimal.
    const want = `$(symbol-string) ${n} tokens · ${(n / 10).toFixed(1)}% of 1k`;
    await waitFor(`"${want}"`, () => (api.tokenizer.statusBarText() === want ? true : undefined));
    assert.match(api.tokenizer.statusBarTooltip() ?? '', new RegExp(`${(n / 10).toFixed(1)}% of a 1,000-token context window`));
    await config().update('statusBar.contextWindow', 131072, vscode.ConfigurationTarget.Global);
    await waitFor('"of 128k"', () => (api.tokenizer.statusBarText()?.endsWith('% of 128k') ? true : undefined));
    await config().update('statusBar.contextWindow', 0, vscode.ConfigurationTarget.Global);
    await waitFor('the count alone', () => (api.tokenizer.statusBarText() === `$(symbol-string) ${n} tokens` ? true : undefined));
  });
});
