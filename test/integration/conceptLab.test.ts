import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/core/model/load';
import { embeddedModelDir } from '../../src/core/paths';
import { probeConcepts } from '../../src/core/concepts/probe';
import { extendedInverseFrequencies, ropeDecayBound, ropePairFrequencies, ropeWavelengths } from '../../src/core/concepts/rope';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const sample = 'const ready = items.filter((item) => item.done).map((item) => item.name);\n';

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('LLM Lens: Open Concept Lab', () => {
  afterEach(closeAll);

  it('computes every page on the embedded model: the panel\'s numbers equal the core\'s on the selection', async () => {
    const api = await llmLens();
    await openText(sample, 'typescript');
    await vscode.commands.executeCommand('llmLens.openConceptLab', { page: 'norm' });
    await waitFor('the concept lab webview to say ready', () => api.isPanelReady('conceptLab'), 30_000);
    const s = await waitFor('a concept lab snapshot', () => api.snapshotOf('conceptLab'), 60_000);
    assert.equal(s.page, 'norm');
    assert.match(s.textLabel, /Selection in/);
    assert.equal(s.model.embedded, true);
    const model = await loadModel(embeddedModelDir());
    const ids = model.tokenizer?.encode(sample) ?? [];
    assert.equal(s.tokenCount, ids.length);
    assert.deepEqual(s.tokens, ids.map((id) => model.tokenizer?.label(id)));
    const c = model.config;
    assert.equal(s.model.ropeTheta, c.ropeTheta);
    assert.equal(s.model.headDim, c.headDim);
    // RoPE page: frequencies, wavelengths, decay and the extensions, straight from the core's formulas.
    closeTo(s.rope.inverseFrequencies, ropePairFrequencies(c.headDim, c.ropeTheta), 1e-12, 'ω');
    closeTo(s.rope.wavelengths, ropeWavelengths(ropePairFrequencies(c.headDim, c.ropeTheta)), 1e-12, 'λ');
    closeTo(s.rope.decay.subarray(0, 100), ropeDecayBound(ropePairFrequencies(c.headDim, c.ropeTheta), 99), 1e-6, 'decay');
    const yarn = s.rope.extension.methods.find((m) => m.method === 'yarn');
    const expectedYarn = extendedInverseFrequencies('yarn', c.headDim, c.ropeTheta, { factor: s.rope.extension.factor, originalContext: c.maxPositions });
    closeTo(yarn?.wavelengths ?? [], ropeWavelengths(expectedYarn.inverseFrequencies), 1e-12, 'YaRN λ');
    // The real-model numbers: the same forward pass and hooks, run here.
    const probe = await probeConcepts(model, ids, s.probe);
    assert.ok(s.rope.qk && probe.qk);
    closeTo(s.rope.qk.withRope, probe.qk.withRope, 1e-5, 'q·k with RoPE');
    closeTo(s.rope.qk.withoutRope, probe.qk.withoutRope, 1e-5, 'q·k without RoPE');
    assert.ok(Math.abs(s.norm.rms - probe.norm.rms) < 1e-9 && Math.abs(s.norm.mean - probe.norm.mean) < 1e-9);
    closeTo(s.norm.rmsOut, probe.norm.rmsOut, 1e-6, 'RMSNorm output');
    assert.ok(s.norm.mlp && probe.mlp);
    closeTo(s.norm.mlp.product, probe.mlp.token.product, 1e-6, 'SwiGLU product');
    assert.equal(s.masks.masks.length, 5);

    // Another layer, head and token on request; an out-of-range one is ignored.
    api.postFromWebview('conceptLab', { type: 'setProbe', layer: 2, head: 1, token: 3 });
    const s2 = await waitFor('the probe of layer 2', () => {
      const snap = api.snapshotOf('conceptLab');
      return snap?.probe.layer === 2 ? snap : undefined;
    }, 60_000);
    const probe2 = await probeConcepts(model, ids, { layer: 2, head: 1, token: 3 });
    closeTo(s2.rope.qk?.withRope ?? [], probe2.qk?.withRope ?? [], 1e-5, 'layer 2 q·k');
    assert.ok(Math.abs(s2.norm.rms - probe2.norm.rms) < 1e-9);
    api.postFromWebview('conceptLab', { type: 'setProbe', layer: 999, head: 0, token: 0 });
    api.postFromWebview('conceptLab', { type: 'setPage', page: 'nonsense' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(api.snapshotOf('conceptLab')?.probe.layer, 2);
  });

  it('the glossary hover of RMSNorm links to its page, and the link opens it; a malformed argument opens the first page', async () => {
    const api = await llmLens();
    const content = 'Llama normalises with RMSNorm before attention.';
    const document = await vscode.workspace.openTextDocument({ content, language: 'markdown' });
    await vscode.window.showTextDocument(document);
    const at = document.positionAt(content.indexOf('RMSNorm') + 2);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at)) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (c instanceof vscode.MarkdownString ? c.value : ''))).join('\n');
    const link = /\(command:llmLens\.openConceptLab\?([^)]+)\)/.exec(text);
    assert.ok(link, `the hover links to the Concept Lab: ${text}`);
    const args = JSON.parse(decodeURIComponent(link[1])) as unknown[];
    await vscode.commands.executeCommand('llmLens.openConceptLab', ...args);
    const s = await waitFor('the lab on the norm page', () => {
      const snap = api.snapshotOf('conceptLab');
      return snap?.page === 'norm' ? snap : undefined;
    }, 60_000);
    assert.match(s.textLabel, /sample/);
    await closeAll();
    await vscode.commands.executeCommand('llmLens.openConceptLab', { page: '../../etc' });
    const first = await waitFor('the lab on its first page', () => api.snapshotOf('conceptLab'), 60_000);
    assert.equal(first.page, 'rope');
  });

  it('trains the embedded model on the selection: the loss falls, the curve streams, the shipped weights stay as they were', async () => {
    const api = await llmLens();
    const file = join(embeddedModelDir(), 'model.safetensors');
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    await openText(sample.repeat(3), 'typescript');
    await vscode.commands.executeCommand('llmLens.openConceptLab', 'train');
    await waitFor('a concept lab snapshot', () => api.snapshotOf('conceptLab'), 60_000);
    api.postFromWebview('conceptLab', { type: 'train', steps: 20 });
    const done = await waitFor('training to finish', () => {
      const t = api.snapshotOf('conceptLab')?.train;
      return t?.state === 'done' ? t : undefined;
    }, 120_000);
    assert.equal(done.losses.length, 20);
    assert.ok(done.lossAfter !== undefined && done.lossBefore !== undefined && done.lossAfter < done.lossBefore, `${done.lossBefore} → ${done.lossAfter}`);
    assert.ok(done.bigram !== undefined && done.bigram > 0);
    assert.ok((done.predictions?.length ?? 0) > 0);
    assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), before);
    // A request outside the offered step counts is refused by the validator (nothing starts).
    api.postFromWebview('conceptLab', { type: 'train', steps: 1e9 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(api.snapshotOf('conceptLab')?.train.state, 'done');
  });
});
