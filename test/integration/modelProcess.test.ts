// Issue 14: model work runs in its own process. These tests end that process on purpose (the test-only job
// __crashForTest, honoured because scripts/run-integration.mjs sets LLM_LENS_TEST_HOOKS=1) while a panel runs,
// and check what a user would: the panel says what happened and what to try, the extension host keeps
// answering, and the next run works, on a new process, with the same numbers as before the crash.
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as vscode from 'vscode';
import type { AttentionPanelSnapshot, AttentionSnapshot } from '../../src/shared/protocol';
import { writeByteModel } from './attentionFixture';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('llmLens');

const isRun = (s: AttentionPanelSnapshot | undefined): s is AttentionSnapshot => s !== undefined && !('problem' in s);

/** Runs Show Attention on the open editor and waits for a run of `text` other than `previous`. */
async function attentionRun(text: string, previous?: AttentionSnapshot): Promise<AttentionSnapshot> {
  const api = await llmLens();
  await vscode.commands.executeCommand('llmLens.showAttention');
  await waitFor('the attention webview to say ready', () => api.isPanelReady('attention'), 30_000);
  return waitFor('an attention run of the text', () => {
    const s = api.snapshotOf('attention');
    return isRun(s) && s.text === text && s !== previous ? s : undefined;
  }, 60_000);
}

describe('LLM Lens: the model process (crash isolation, memory budget)', () => {
  let modelDir = '';
  before(async () => {
    modelDir = writeByteModel();
    await config().update('modelPath', modelDir, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    await config().update('model.memoryBudgetMiB', undefined, vscode.ConfigurationTarget.Global);
    rmSync(modelDir, { recursive: true, force: true });
  });
  afterEach(closeAll);

  it('when the model process is killed during a run, the panel says so, the host lives on, and the next run works on a new process', async () => {
    const api = await llmLens();
    const text = 'let a = 1;';
    await openText(text, 'typescript');
    const before = await attentionRun(text);
    // What the panel drew of that run: every head's thumbnail and the opened head's exact query row.
    const drawnOf = (runId: number) => waitFor(`the views of run ${runId}`, () => {
      const v = api.attention.view();
      const t = api.attention.thumbnails();
      return v?.runId === runId && t?.runId === runId ? { row: [...v.row], matrix: [...(v.matrix ?? [])], pixels: [...t.pixels] } : undefined;
    }, 30_000);
    const drawnBefore = await drawnOf(before.runId);
    const models = api.compute.models;
    const firstPid = models.pid;
    assert.ok(firstPid !== undefined && firstPid !== process.pid, 'the forward pass ran in a process of its own');
    const started = models.processesStarted;

    // The next job the model process receives (the panel's own run) ends it with SIGKILL, as the kernel's
    // out-of-memory killer does.
    assert.equal(await api.compute.run('__crashForTest', { how: 'kill', when: 'nextJob' }), 'armed');
    await vscode.commands.executeCommand('llmLens.showAttention');
    const message = await waitFor('the panel to show what happened', () => api.errorOf('attention'), 30_000);
    assert.match(message, /model process/);
    assert.match(message, /SIGKILL/);
    assert.match(message, /out of memory/);
    assert.match(message, /fewer tokens/, 'says what to try');
    assert.match(message, /llmLens\.model\.memoryBudgetMiB/, 'names the budget setting');
    assert.equal(api.snapshotOf('attention'), before, 'the last good run stays on screen');

    // The extension host answers: a tokenizer job in its worker threads and a command round trip.
    assert.equal(await api.compute.run('countTokens', { tokenizerId: 'o200k_base', texts: ['hello world'] }), 2);
    assert.ok((await vscode.commands.getCommands(true)).includes('llmLens.showAttention'));

    // The next run starts a new process and gives the same numbers as before the crash.
    const after = await attentionRun(text, before);
    assert.equal(api.errorOf('attention'), undefined, 'the error is cleared by the new run');
    assert.equal(models.processesStarted, started + 1);
    assert.notEqual(models.pid, firstPid);
    assert.deepEqual(after.tokens, before.tokens);
    assert.deepEqual(await drawnOf(after.runId), drawnBefore, 'the same thumbnails, heatmap and exact query row');
  });

  it('a native crash (SIGABRT) while decoding shows the crash in the Decoding panel, and generation works again', async () => {
    const api = await llmLens();
    await openText('abc', 'plaintext');
    await vscode.commands.executeCommand('llmLens.generateFromSelection');
    await waitFor('the decoding webview to say ready', () => api.isPanelReady('decoding'), 30_000);
    const first = await waitFor('a generation', () => {
      const s = api.snapshotOf('decoding');
      return s?.result ? s : undefined;
    }, 90_000);
    assert.equal(await api.compute.run('__crashForTest', { how: 'abort', when: 'nextJob' }), 'armed');
    assert.ok(api.postFromWebview('decoding', { type: 'generate', settings: first.settings, chat: false }));
    const message = await waitFor('the Decoding panel to show what happened', () => api.errorOf('decoding'), 30_000);
    assert.match(message, /model process/);
    assert.match(message, /stopped unexpectedly \(SIGABRT\)/);
    assert.match(message, /next run starts a new model process/);
    assert.ok(api.postFromWebview('decoding', { type: 'generate', settings: first.settings, chat: false }));
    const again = await waitFor('a generation after the crash', () => {
      const s = api.snapshotOf('decoding');
      return s?.result && s !== first ? s : undefined;
    }, 90_000);
    assert.equal(api.errorOf('decoding'), undefined);
    assert.ok(again.result && first.result);
    assert.deepEqual(again.result.steps.map((s) => s.chosen), first.result.steps.map((s) => s.chosen), 'the same greedy tokens as before the crash');
  });

  it('a run over the memory budget is refused in the model process and the panel says what to change', async () => {
    const api = await llmLens();
    // 1 MiB: the tiny model's weights fit, but 256 tokens keep 2 layers × 4 heads × 256² floats (2 MiB) of probabilities.
    await config().update('model.memoryBudgetMiB', 1, vscode.ConfigurationTarget.Global);
    await config().update('attention.maxTokens', 256, vscode.ConfigurationTarget.Global);
    try {
      await openText('x'.repeat(300), 'plaintext');
      await vscode.commands.executeCommand('llmLens.showAttention');
      const message = await waitFor('the panel to show the refusal', () => api.errorOf('attention'), 60_000);
      assert.match(message, /does not fit in the memory budget \(1 MiB\)/);
      assert.match(message, /Raise llmLens\.model\.memoryBudgetMiB/);
      assert.match(message, /fewer tokens/);
      assert.match(message, /at most \d+ tokens/, "the core's estimate says how many tokens would fit");
      // The refusal came before anything large was allocated: the process is alive and serves the next job.
      const pid = api.compute.models.pid;
      assert.ok(pid !== undefined);
      assert.deepEqual(await api.compute.run('__sessionForTest', undefined), { maxResidentBytes: 1024 * 1024 });
      assert.equal(api.compute.models.pid, pid);
    } finally {
      await config().update('attention.maxTokens', undefined, vscode.ConfigurationTarget.Global);
      await config().update('model.memoryBudgetMiB', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('the memory budget setting reaches the model process as maxResidentBytes (0 = a quarter of the machine)', async () => {
    const api = await llmLens();
    await config().update('model.memoryBudgetMiB', 96, vscode.ConfigurationTarget.Global);
    assert.deepEqual(await api.compute.run('__sessionForTest', undefined), { maxResidentBytes: 96 * 1024 * 1024 });
    await config().update('model.memoryBudgetMiB', undefined, vscode.ConfigurationTarget.Global);
    const { totalmem } = await import('node:os');
    assert.deepEqual(await api.compute.run('__sessionForTest', undefined), { maxResidentBytes: Math.floor(totalmem() / 4) });
  });
});
