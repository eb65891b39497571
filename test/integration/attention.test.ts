import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { maxInputChars } from '../../src/shared/limits';
import type { AttentionHeadChoice, AttentionPanelSnapshot, AttentionProblemSnapshot, AttentionSnapshot, AttentionView } from '../../src/shared/protocol';
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

/** Runs the command on the open editor and waits for a snapshot (a run or a model problem) that `accept` takes. */
async function runFor<T extends AttentionPanelSnapshot>(what: string, accept: (s: AttentionPanelSnapshot) => s is T): Promise<T> {
  const api = await llmLens();
  await vscode.commands.executeCommand('llmLens.showAttention');
  return waitFor(what, () => {
    const s = api.snapshotOf('attention');
    return s && accept(s) ? s : undefined;
  }, 60_000);
}

const isProblem = (s: AttentionPanelSnapshot): s is AttentionProblemSnapshot => 'problem' in s;

/** Opens (layer, head) through the webview's own request and waits for its view. */
async function viewOf(layer: number, head: AttentionHeadChoice, query: number): Promise<AttentionView> {
  const api = await llmLens();
  let runId = (api.snapshotOf('attention') as AttentionSnapshot).runId;
  api.postFromWebview('attention', { type: 'select', layer, head, query });
  return waitFor(`the view of layer ${layer} head ${head}`, () => {
    // A settings change may re-run the same text meanwhile (a new run starts at its default selection): ask again.
    const now = (api.snapshotOf('attention') as AttentionSnapshot).runId;
    if (now !== runId) {
      runId = now;
      api.postFromWebview('attention', { type: 'select', layer, head, query });
    }
    const v = api.attention.view();
    return v && v.runId === runId && v.selection.layer === layer && v.selection.head === head && v.selection.query === query ? v : undefined;
  }, 30_000);
}

/** The weight of cell (i, j) of a view's matrix (its lower triangle of √p at 16 bits). */
function cell(view: AttentionView, i: number, j: number): number {
  const r = (view.matrix?.[(i * (i + 1)) / 2 + j] ?? NaN) / 65535;
  return r * r;
}

/**
 * Every head of every layer, opened as the panel opens them: at one token per cell the matrix is causal
 * (the triangle holds no later key) and each row sums to 1; the query's exact row matches the matrix.
 */
async function assertCausalViews(s: AttentionSnapshot): Promise<void> {
  const T = s.seqLen;
  const thumbs = (await llmLens()).attention.thumbnails();
  assert.ok(thumbs && thumbs.runId === s.runId);
  assert.equal(thumbs.pixels.length, s.layers * (s.heads + 2) * thumbs.size * thumbs.size);
  for (let l = 0; l < s.layers; l++) {
    for (let h = 0; h < s.heads; h++) {
      const view = await viewOf(l, h, T - 1);
      assert.equal(view.block, 1);
      assert.equal(view.bins, T);
      assert.equal(view.matrix?.length, (T * (T + 1)) / 2, 'the lower triangle only: later keys are masked');
      for (let i = 0; i < T; i++) {
        let sum = 0;
        for (let j = 0; j <= i; j++) sum += cell(view, i, j);
        assert.ok(Math.abs(sum - 1) < 2e-3, `layer ${l} head ${h} row ${i} sums to ${sum}`);
      }
      let rowSum = 0;
      for (let j = 0; j < T; j++) {
        rowSum += view.row[j];
        assert.ok(Math.abs(view.row[j] - cell(view, T - 1, j)) < 1e-4, `row and matrix agree at key ${j}`);
      }
      assert.ok(Math.abs(rowSum - 1) < 1e-5);
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
    await assertCausalViews(s);
    // The step view (layer 0, head 0, last query) reproduces the model's row.
    const T = s.seqLen;
    const step = (await viewOf(0, 0, T - 1)).step;
    assert.ok(step);
    for (let j = 0; j < T; j++) assert.ok(Math.abs(step.probs[j] - step.modelProbs[j]) < 1e-6);
    assert.equal(s.predictions.length, 10);
  });

  it('caps long selections at llmLens.attention.maxTokens and says how many tokens there were', async () => {
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    await config().update('attention.maxTokens', 8, vscode.ConfigurationTarget.Global);
    const text = 'function add(a, b) { return a + b; }';
    const s = await showAttentionFor(text);
    assert.equal(s.seqLen, 8);
    assert.deepEqual(s.cap, { total: Buffer.byteLength(text), limit: 8, reason: 'maxTokens' });
    assert.equal(s.beyondTrainedContext, false);
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
    await assertCausalViews(s);
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

  it('says whether it ran on the selection or on the whole document (nothing selected), with its file name', async () => {
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    const text = 'let a = 1;\nlet b = 2;\n';
    const selection = await showAttentionFor(text);
    assert.equal(selection.input.scope, 'selection');
    assert.equal(selection.input.totalChars, text.length);
    // Nothing selected: the whole document runs, and the panel says so.
    const editor = await openText(text, 'typescript', new vscode.Selection(0, 0, 0, 0));
    const whole = await runFor('a run of the whole document', (s): s is AttentionSnapshot => !isProblem(s) && s.input.scope === 'document');
    assert.equal(whole.text, text);
    assert.equal(whole.input.label, editor.document.uri.path.split('/').pop());
    assert.equal(whole.input.readChars, text.length);
  });

  it('reads at most the shared character cap (the same as Tokenization) and counts the tokens of what it read', async () => {
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    const api = await llmLens();
    const total = maxInputChars + 123_457;
    const big = 'x = 1;\n'.repeat(Math.ceil(total / 7)).slice(0, total);
    await openText(big, 'plaintext', new vscode.Selection(0, 0, 0, 0));
    const s = await runFor('a run of the big document', (x): x is AttentionSnapshot => !isProblem(x) && x.input.totalChars === total);
    assert.equal(s.input.scope, 'document');
    assert.equal(s.input.readChars, maxInputChars);
    assert.equal(s.text.length, maxInputChars);
    // One token per byte (ASCII): the count is of the characters read, and the token cap is what limits the run.
    assert.deepEqual(s.cap, { total: maxInputChars, limit: 256, reason: 'maxTokens' });
    // The Tokenization panel cuts at the same number.
    await vscode.commands.executeCommand('llmLens.tokenizeSelection');
    const t = await waitFor('the tokenizer snapshot of the big document', () => {
      const x = api.snapshotOf('tokenizer');
      return x?.source?.totalChars === total ? x : undefined;
    }, 60_000);
    assert.equal(t.limit, maxInputChars);
    assert.equal(t.text.length, maxInputChars);
  });

  it('stops at the trained context (max_position_embeddings) unless allowed past it, and says which limit applied', async () => {
    const short = writeByteModel({ maxPositions: 16 });
    try {
      await config().update('modelPath', short, vscode.ConfigurationTarget.Global);
      const text = 'const answer = compute(40, 2); // forty-two';
      const bytes = Buffer.byteLength(text);
      const capped = await showAttentionFor(text);
      assert.equal(capped.seqLen, 16);
      assert.equal(capped.model.trainedContext, 16);
      assert.deepEqual(capped.cap, { total: bytes, limit: 16, reason: 'trainedContext' });
      assert.equal(capped.beyondTrainedContext, false);
      // A smaller token cap is the limit that applies.
      await config().update('attention.maxTokens', 10, vscode.ConfigurationTarget.Global);
      const byTokens = await runFor('a run capped at 10 tokens', (s): s is AttentionSnapshot => !isProblem(s) && s.seqLen === 10);
      assert.deepEqual(byTokens.cap, { total: bytes, limit: 10, reason: 'maxTokens' });
      // Allowed past the trained context: the run goes to maxTokens and is flagged.
      await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
      await config().update('attention.allowBeyondTrainedContext', true, vscode.ConfigurationTarget.Global);
      const beyond = await runFor('a run past the trained context', (s): s is AttentionSnapshot => !isProblem(s) && s.seqLen === bytes);
      assert.equal(beyond.cap, undefined);
      assert.equal(beyond.beyondTrainedContext, true);
      await assertCausalViews(beyond);
    } finally {
      await config().update('attention.allowBeyondTrainedContext', undefined, vscode.ConfigurationTarget.Global);
      await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
      rmSync(short, { recursive: true, force: true });
    }
  });

  it('the embedded model stops at its trained context (max_position_embeddings) when maxTokens allows more', async function () {
    const dir = join(vscode.extensions.getExtension('llm-lens.llm-lens')?.extensionPath ?? '', 'data', 'embedded-model');
    if (!existsSync(join(dir, 'model.safetensors'))) this.skip();
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    const trained = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { max_position_embeddings: number }).max_position_embeddings;
    // The default token cap (256) is the embedded model's trained context, so it is the cap that applies by default;
    // with a larger cap the trained context is what stops the run.
    await config().update('attention.maxTokens', trained * 2, vscode.ConfigurationTarget.Global);
    try {
      const text = Array.from({ length: trained }, (_, i) => `const value${i} = ${i * 7};`).join('\n');
      const s = await showAttentionFor(text);
      assert.equal(s.model.source, 'embedded');
      assert.equal(s.seqLen, trained);
      assert.equal(s.cap?.reason, 'trainedContext');
      assert.ok((s.cap?.total ?? 0) > trained);
    } finally {
      await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a model folder that cannot run says what is wrong (not found, a file, no config.json, no weights, unusable)', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'llm-lens-broken-'));
    try {
      const file = join(scratch, 'model.bin');
      writeFileSync(file, 'not a folder');
      const noConfig = join(scratch, 'empty');
      mkdirSync(noConfig);
      const noWeights = join(scratch, 'config-only');
      mkdirSync(noWeights);
      writeFileSync(join(noWeights, 'config.json'), readFileSync(join(modelDir, 'config.json')));
      const badWeights = join(scratch, 'bad-weights');
      cpSync(modelDir, badWeights, { recursive: true });
      writeFileSync(join(badWeights, 'model.safetensors'), Buffer.from([1, 2, 3]));
      const cases: [string, AttentionProblemSnapshot['problem']['kind'], RegExp][] = [
        [join(scratch, 'no-such-model'), 'notFound', /does not exist/],
        [file, 'notFolder', /is a file, not a model folder/],
        [noConfig, 'noConfig', /no config\.json/],
        [noWeights, 'noWeights', /no weights/],
        [badWeights, 'unusable', /cannot be used/],
      ];
      await openText('const broken = true;', 'typescript');
      for (const [path, kind, message] of cases) {
        await config().update('modelPath', path, vscode.ConfigurationTarget.Global);
        const s = await runFor(`the problem of ${path}`, (x): x is AttentionProblemSnapshot => isProblem(x) && x.model.dir === path);
        assert.equal(s.problem.kind, kind, path);
        assert.match(s.problem.message, message);
        assert.ok(s.problem.message.includes(path), `the message names the path: ${s.problem.message}`);
        assert.equal(s.model.source, 'setting');
      }
      // Fixing the setting runs the model again (the problem view is replaced by the run).
      await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
      await runFor('a run after the fix', (x): x is AttentionSnapshot => !isProblem(x) && x.model.dir === modelDir);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('fast repeated runs end with the last text, and binary-looking text (NUL, a lone surrogate) runs', async function () {
    this.timeout(120_000);
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
    const api = await llmLens();
    const texts = ['let a = 1;', 'let b = 22;', 'let c = 333;', 'let d = 4444;', 'bytes\u0000\u0001 and \ud800 end'];
    let last = '';
    for (const text of texts) {
      // What the document holds (VS Code may store the lone surrogate differently).
      last = (await openText(text, 'plaintext')).document.getText();
      // Not awaited: each run starts before the one before it has finished.
      void vscode.commands.executeCommand('llmLens.showAttention');
      await new Promise((r) => setTimeout(r, 30));
    }
    const s = await waitFor('the last run', () => {
      const x = api.snapshotOf('attention');
      return x && !('problem' in x) && x.text === last ? x : undefined;
    }, 60_000);
    // The lone surrogate is U+FFFD (3 bytes) once UTF-8 encoded: one token per byte.
    assert.equal(s.seqLen, Buffer.byteLength(last));
    await assertCausalViews(s);
    // Nothing later replaces it.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = api.snapshotOf('attention');
    assert.ok(after && !('problem' in after) && after.text === last);
  });
});
