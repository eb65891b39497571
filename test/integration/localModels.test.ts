// "LLM Lens: Choose Model" in the real extension host: models in fake Ollama and LM Studio folders (small GGUF
// files written by the test GGUF writer), reached through the llmLens.modelRoots setting, are listed with their
// facts and estimated memory; an unsupported one says why; and a GGUF model runs in the Attention panel.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { meta, writeGguf, type MetaValue } from '../support/ggufWriter';
import { writeTinyModel } from '../support/ggufModels';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('llmLens');

/** A SentencePiece vocabulary of letters in the GGUF metadata, so the panel can tokenize text. */
function letterTokenizer(): [string, MetaValue][] {
  const letters = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
  const tokens = ['<unk>', '<s>', '</s>', '▁', ...letters, ...letters.map((l) => `▁${l}`)];
  return [
    ['tokenizer.ggml.model', meta.str('llama')],
    ['tokenizer.ggml.tokens', meta.strs(tokens)],
    ['tokenizer.ggml.scores', meta.f32s(tokens.map((_, i) => -i))],
    ['tokenizer.ggml.token_type', meta.i32s(tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : 1)))],
    ['tokenizer.ggml.bos_token_id', meta.u32(1)],
  ];
}

describe('LLM Lens: Choose Model with Ollama and LM Studio models', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'llm-lens-localmodels-'));
    const scratch = join(root, 'scratch');
    mkdirSync(scratch);
    // Ollama: manifests/<registry>/<namespace>/<model>/<tag> → blobs/sha256-<hex> (no extension).
    const ollama = join(root, 'ollama');
    const q8 = writeTinyModel(scratch, { arch: 'llama', layers: 2, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 64, type: 'q8_0', seed: 31, extraMeta: [['general.file_type', meta.u32(7)], ...letterTokenizer()] }, 'ollama');
    const blob = readFileSync(q8.ggufPath);
    const digest = createHash('sha256').update(blob).digest('hex');
    mkdirSync(join(ollama, 'blobs'), { recursive: true });
    writeFileSync(join(ollama, 'blobs', `sha256-${digest}`), blob);
    mkdirSync(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'tinyllama'), { recursive: true });
    writeFileSync(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'tinyllama', 'latest'), JSON.stringify({
      schemaVersion: 2,
      layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: blob.length }],
    }));
    // LM Studio: <publisher>/<model>/*.gguf; a Q4_K qwen2 and an architecture LLM Lens does not run.
    const lm = join(root, 'lmstudio');
    const q4 = writeTinyModel(scratch, { arch: 'qwen2', layers: 3, hidden: 256, heads: 4, kvHeads: 4, intermediate: 256, vocab: 64, type: 'q4_k', seed: 32, extraMeta: letterTokenizer() }, 'lmstudio');
    mkdirSync(join(lm, 'test-pub', 'tiny-qwen'), { recursive: true });
    writeFileSync(join(lm, 'test-pub', 'tiny-qwen', 'tiny-qwen-Q4_K.gguf'), readFileSync(q4.ggufPath));
    mkdirSync(join(lm, 'test-pub', 'tiny-mamba'), { recursive: true });
    writeFileSync(join(lm, 'test-pub', 'tiny-mamba', 'tiny-mamba.gguf'), writeGguf({ metadata: [['general.architecture', meta.str('mamba')]], tensors: [] }));
    rmSync(scratch, { recursive: true, force: true });
  });
  after(async () => {
    await config().update('modelRoots', undefined, vscode.ConfigurationTarget.Global);
    rmSync(root, { recursive: true, force: true });
  });
  afterEach(closeAll);

  it('lists them with source, architecture, parameters, quantization, size and estimated memory, and runs the Ollama model in the Attention panel', async () => {
    const api = await llmLens();
    await config().update('modelRoots', [join(root, 'ollama'), join(root, 'lmstudio')], vscode.ConfigurationTarget.Global);
    const text = 'hi there';
    await openText(text, 'plaintext');

    const done = vscode.commands.executeCommand('llmLens.chooseModel');
    const rows = await waitFor('the Choose Model rows', () => {
      const r = api.chooseModelRows();
      return r?.some((x) => x.label === 'tinyllama:latest') ? r : undefined;
    }, 30_000);
    const ollama = rows.find((r) => r.label === 'tinyllama:latest');
    assert.ok(ollama?.description, 'the Ollama model is listed');
    for (const part of ['Ollama', 'llama', 'Q8_0', 'K']) assert.ok(ollama.description.includes(part), `${part} in ${ollama.description}`);
    assert.match(ollama.detail ?? '', /Estimated memory of a run: [\d.]+ (KiB|MiB) .*256 tokens; an estimate/);
    // Issue 13: the estimated time of a run, from the parameter count at an assumed FLOP rate, said to be an estimate.
    assert.match(ollama.detail ?? '', /Estimated time of a 256-token run: [\d.]+ (s|min|h) at an assumed 1\.7 GFLOP\/s \(an estimate\)/);
    const qwen = rows.find((r) => r.label === 'test-pub/tiny-qwen/tiny-qwen-Q4_K.gguf');
    assert.ok(qwen?.description, 'the LM Studio model is listed');
    for (const part of ['LM Studio', 'qwen2', 'Q4_K']) assert.ok(qwen.description.includes(part), `${part} in ${qwen.description}`);
    assert.match(qwen.detail ?? '', /Estimated memory of a run/);
    const mamba = rows.find((r) => r.label.endsWith('test-pub/tiny-mamba/tiny-mamba.gguf'));
    assert.ok(mamba, 'the unsupported model is listed');
    assert.match(mamba.detail ?? '', /Not supported: .*mamba/);

    // Pick the Ollama model: the quick pick starts on its first row and skips separators.
    await new Promise((r) => setTimeout(r, 500));
    const index = rows.indexOf(ollama);
    for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await done;

    await vscode.commands.executeCommand('llmLens.showAttention');
    const s = await waitFor('an attention snapshot of the Ollama model', () => {
      const snap = api.snapshotOf('attention');
      if (snap && 'problem' in snap && snap.model.label === 'tinyllama:latest') throw new Error(`the GGUF model was refused: ${snap.problem.message}`);
      return snap && !('problem' in snap) && snap.text === text && snap.model.label === 'tinyllama:latest' ? snap : undefined;
    }, 60_000);
    // The panel names the model's real source (Ollama), not "cache".
    assert.equal(s.model.source, 'ollama');
    assert.equal(s.layers, 2);
    assert.equal(s.heads, 4);
    const thumbs = await waitFor('the thumbnails of the run', () => (api.attention.thumbnails()?.runId === s.runId ? api.attention.thumbnails() : undefined), 30_000);
    assert.equal(thumbs.pixels.length, 2 * (4 + 2) * 8 * 8);
    // <s>, ▁h, i, ▁t, h, e, r, e: the tokenizer from the GGUF metadata.
    assert.deepEqual(s.tokens.map((t) => t.text), ['<s>', ' h', 'i', ' t', 'h', 'e', 'r', 'e']);
    assert.equal(thumbs.size, 8);

    // Back to the embedded model (the first row) so later suites start where they expect.
    const back = vscode.commands.executeCommand('llmLens.chooseModel');
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await back;
  });
});
