// The Attention panel's data at scale (issue 12): what crosses from the worker is what the panel draws — a
// head recomputed from the kept q and k equals the run's own matrix; pooling keeps one-token patterns; the
// messages of a click stay under a bound set by the cells drawn, not by layers × heads × seqLen².
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { serialize } from 'node:v8';
import { attentionJob, attentionViewJob, maxHeatmapBins, thumbnailBudgetBytes } from '../../src/compute/attentionJob';
import { blockSizeFor, headRow, maxPool } from '../../src/core/analysis/headView';
import { loadModel } from '../../src/core/model/load';
import { headProbs, runAttention, type AttentionRun } from '../../src/core/model/runtime';
import type { AttentionView } from '../../src/shared/protocol';
import { writeByteModel } from '../integration/attentionFixture';
import { makeArch } from './archFixtures';
import { makeLlama, rng } from './attentionFixtures';

function ids(seed: number, n: number, vocab: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * vocab));
}

/** The run without its matrices, as the worker keeps it for a long text (q/k/v only). */
function lean(run: AttentionRun): AttentionRun {
  return { ...run, probs: [] };
}

async function assertRecomputedEqualsKept(dir: string, tokenIds: number[]): Promise<void> {
  const model = await loadModel(dir);
  const run = await runAttention(model, tokenIds);
  const T = tokenIds.length;
  for (let l = 0; l < run.layers; l++) {
    for (let h = 0; h < run.heads; h++) {
      const want = run.probs[l][h];
      const got = headProbs(model, lean(run), l, h);
      // The same arithmetic as the forward pass (runtime.ts headAttention): equal bit for bit.
      for (let c = 0; c < T * T; c++) assert.equal(got[c], want[c], `layer ${l} head ${h} cell ${c}`);
      const q = T - 3;
      const row = headRow(lean(run), l, h, q);
      for (let j = 0; j < T; j++) assert.ok(Math.abs(row[j] - want[q * T + j]) < 1e-6, `row ${q} key ${j}`);
    }
  }
}

test('a head recomputed from the kept q and k equals the run\'s matrix (Llama with GQA)', async () => {
  const { dir } = makeLlama({ layers: 2, hidden: 32, heads: 4, kvHeads: 2, intermediate: 40, vocab: 50, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 11 });
  try {
    await assertRecomputedEqualsKept(dir, ids(5, 23, 50));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('… and under soft-capping and a sliding window (Gemma 2)', async () => {
  const { dir } = makeArch({ kind: 'gemma2', layers: 2, hidden: 32, heads: 4, kvHeads: 2, headDim: 8, intermediate: 40, vocab: 50, ropeTheta: 10000, seed: 3, slidingWindow: 5, attnSoftcap: 20, finalSoftcap: 30 });
  try {
    await assertRecomputedEqualsKept(dir, ids(9, 17, 50));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('max pooling keeps a one-token diagonal at full weight (a mean would fade it to 1/block)', () => {
  const T = 1024;
  const p = new Float32Array(T * T);
  for (let i = 0; i < T; i++) p[i * T + Math.max(0, i - 1)] = 1;
  const block = blockSizeFor(T, maxHeatmapBins);
  assert.equal(block, 4);
  const pooled = maxPool(p, T, block);
  const bins = T / block;
  for (let b = 1; b < bins; b++) assert.equal(pooled[b * bins + b], 1, `diagonal cell ${b}`);
  assert.equal(pooled[5 * bins + 2], 0);
});

/** Decodes cell (i, j) of a view's matrix. */
function cell(view: AttentionView, i: number, j: number): number {
  const r = (view.matrix?.[(i * (i + 1)) / 2 + j] ?? NaN) / 65535;
  return r * r;
}

test('past 256 tokens the open head is sent as 256 × 256 max-pooled cells, with the query\'s exact row', async () => {
  const dir = writeByteModel({ maxPositions: 4096 });
  try {
    const text = 'function f(x) { return x * 2; }\n'.repeat(16).slice(0, 300);
    const out = await attentionJob({ dir, text, maxTokens: 1024, topK: 3, runId: 7 }, () => undefined);
    assert.equal(out.seqLen, 300);
    const view = attentionViewJob({ runId: 7, layer: 1, head: 2, query: 299, scaled: true, temperature: 1, withMatrix: true });
    assert.equal(view.block, 2);
    assert.equal(view.bins, 150);
    // The reference: the full matrix from an independent run of the same model.
    const model = await loadModel(dir);
    const run = await runAttention(model, model.tokenizer?.encode(text, { addSpecialTokens: true }).slice(0, 300) ?? []);
    const full = run.probs[1][2];
    const pooled = maxPool(full, 300, 2);
    for (let i = 0; i < 150; i++) for (let j = 0; j <= i; j++) assert.ok(Math.abs(cell(view, i, j) - pooled[i * 150 + j]) < 4e-5, `cell ${i},${j}`);
    for (let j = 0; j < 300; j++) assert.ok(Math.abs(view.row[j] - full[299 * 300 + j]) < 1e-6);
    // Mean over heads: the pooled mean of the four matrices.
    const mean = attentionViewJob({ runId: 7, layer: 0, head: 'mean', query: 10, scaled: true, temperature: 1, withMatrix: true });
    const avg = new Float32Array(300 * 300);
    for (const p of run.probs[0]) for (let c = 0; c < avg.length; c++) avg[c] += p[c] / 4;
    const pooledMean = maxPool(avg, 300, 2);
    for (let i = 0; i < 150; i += 7) for (let j = 0; j <= i; j += 3) assert.ok(Math.abs(cell(mean, i, j) - pooledMean[i * 150 + j]) < 4e-5);
    assert.equal(mean.step, undefined);
    // A request for a run this worker no longer holds says so (the panel then runs the text again).
    assert.throws(() => attentionViewJob({ runId: 6, layer: 0, head: 0, query: 0, scaled: true, temperature: 1, withMatrix: false }), (e: unknown) => (e as { code?: string }).code === 'runGone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a click moves a bound set by the cells drawn, not by layers × heads × seqLen² (22 layers × 32 heads, 256 tokens)', async () => {
  const dir = writeByteModel({ layers: 22, heads: 32, kvHeads: 8, headDim: 4, maxPositions: 4096 });
  try {
    const T = 256;
    const text = 'let total = 0; for (const v of values) total += v;\n'.repeat(8).slice(0, T);
    const out = await attentionJob({ dir, text, maxTokens: 1024, topK: 10, runId: 1 }, () => undefined);
    assert.equal(out.seqLen, T);
    const before = 22 * 32 * T * T * 4 + 2 * 22 * T * T * 4;
    const perRun = serialize(out).length;
    assert.ok(out.thumbnails.pixels.length <= thumbnailBudgetBytes, `${out.thumbnails.pixels.length} thumbnail bytes`);
    assert.ok(perRun <= thumbnailBudgetBytes + 64 * 1024, `the run's reply is ${perRun} bytes`);
    const bins = Math.min(T, maxHeatmapBins);
    // What one view draws: the matrix's triangle at 2 bytes a cell, and a handful of seqLen-long rows.
    const bound = (withMatrix: boolean): number => (withMatrix ? bins * (bins + 1) : 0) + 12 * 4 * T + 8 * 1024;
    const headClick = serialize(attentionViewJob({ runId: 1, layer: 21, head: 31, query: T - 1, scaled: true, temperature: 1, withMatrix: true })).length;
    const queryClick = serialize(attentionViewJob({ runId: 1, layer: 21, head: 31, query: 100, scaled: true, temperature: 1, withMatrix: false })).length;
    const sliderFrame = serialize(attentionViewJob({ runId: 1, layer: 21, head: 31, query: 100, scaled: true, temperature: 0.42, withMatrix: false })).length;
    assert.ok(headClick <= bound(true), `a head click moves ${headClick} bytes (bound ${bound(true)})`);
    assert.ok(queryClick <= bound(false), `a query click moves ${queryClick} bytes (bound ${bound(false)})`);
    assert.ok(sliderFrame <= bound(false), `a slider frame moves ${sliderFrame} bytes (bound ${bound(false)})`);
    console.log(`22 × 32 heads, ${T} tokens: before ${(before / 2 ** 20).toFixed(1)} MiB per click; now run ${(perRun / 1024).toFixed(0)} KiB once, head click ${(headClick / 1024).toFixed(1)} KiB, query click ${(queryClick / 1024).toFixed(1)} KiB, slider frame ${(sliderFrame / 1024).toFixed(1)} KiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a newer run supersedes an older one in the worker: the older ends, the model stays loaded', async () => {
  const dir = writeByteModel({ layers: 6, maxPositions: 4096 });
  try {
    const first = attentionJob({ dir, text: 'a'.repeat(200), maxTokens: 1024, topK: 1, runId: 1 }, () => undefined);
    const second = attentionJob({ dir, text: 'b'.repeat(50), maxTokens: 1024, topK: 1, runId: 2 }, () => undefined);
    await assert.rejects(first, { name: 'AttentionCancelledError' });
    const out = await second;
    assert.equal(out.runId, 2);
    assert.equal(out.seqLen, 50);
    // Views answer for the newest run only.
    assert.equal(attentionViewJob({ runId: 2, layer: 0, head: 0, query: 49, scaled: true, temperature: 1, withMatrix: false }).row.length, 50);
    assert.throws(() => attentionViewJob({ runId: 1, layer: 0, head: 0, query: 0, scaled: true, temperature: 1, withMatrix: false }), /no longer held/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
