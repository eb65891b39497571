// Issue 15: each supported architecture loads in the Attention panel from a fake Hugging Face cache. Small random
// models of every family (Llama, GPT-2, Qwen3, Qwen3-MoE, Gemma 2, Gemma 3 text and multimodal, Phi-3, Mixtral) are
// written into a hub cache layout (models--org--name/snapshots/<rev>/ → ../../blobs/<sha256>, refs/main), and the
// GGUF variants (qwen3, qwen3moe, gemma2, gemma3, phi3, Mixtral as llama with expert tensors) into an LM Studio
// folder; both folders reach the extension through llmLens.modelRoots. Each model is picked in "LLM Lens: Choose
// Model" as a user would, the Attention panel runs a selection, and the test checks what a user checks: the model's
// name, layers × heads, a run without error, one attention row against the tests' own naive forward pass
// (archFixtures.ts / attentionFixtures.ts, written from transformers' modeling files), and for a mixture of experts
// the panel's link to the MoE view, whose routing must match the reference's experts and gate weights.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { AttentionSnapshot, AttentionView, MoeSnapshot } from '../../src/shared/protocol';
import { writeArchGguf } from '../support/ggufArchs';
import { meta, type MetaValue } from '../support/ggufWriter';
import { isMoeLayer, makeArch, referenceArch, type ArchRef, type ArchSpec } from '../unit/archFixtures';
import { makeGpt2, makeLlama, referenceGpt2, referenceLlama } from '../unit/attentionFixtures';
import { writeByteTokenizer } from './attentionFixture';
import { closeAll, llmLens, openText, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('llmLens');
const ORG = 'llm-lens-test';
/** Selected text for the byte-level tokenizer (one token per byte: 18 tokens, longer than the sliding windows). */
const HF_TEXT = 'let y = f(x) + 1;\n';
/** Selected text for the GGUF models' letter vocabulary. */
const GGUF_TEXT = 'hi there';

/** One model of the test and what the panel must show for it. */
interface Case {
  /** The Choose Model row's label (Hub id, or LM Studio's publisher/model/file). */
  label: string;
  source: 'cache' | 'lmstudio';
  text: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The reference's attention probabilities [layer][head][query][key] for the token ids. */
  probs(ids: number[]): number[][][][];
  /** Mixture of experts: experts, top-k, MoE layers and the reference routing per layer (ids / weights per token, best first). */
  moe?: { experts: number; topK: number; layers: number[]; routing(ids: number[]): ({ experts: number[][]; weights: number[][] } | undefined)[] };
}

/** A SentencePiece vocabulary of letters in the GGUF metadata (as localModels.test.ts), so the panel can tokenize. */
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

/**
 * Moves the files of `dir` into the hub cache under `hub` as huggingface_hub stores them: content in
 * blobs/<sha256>, the snapshot's files as relative symlinks to them, refs/main naming the revision.
 */
function intoHubCache(hub: string, name: string, dir: string): void {
  const repo = join(hub, `models--${ORG}--${name}`);
  const revision = createHash('sha1').update(name).digest('hex');
  const snapshot = join(repo, 'snapshots', revision);
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  for (const file of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, file));
    const blob = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(repo, 'blobs', blob), bytes);
    symlinkSync(join('..', '..', 'blobs', blob), join(snapshot, file));
  }
  writeFileSync(join(repo, 'refs', 'main'), revision);
  rmSync(dir, { recursive: true, force: true });
}

const small = { layers: 2, hidden: 16, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, vocab: 256, ropeTheta: 10000 };
/**
 * The round-2 families (archFixtures.ts), each with the feature that sets it apart, and what differs in its GGUF:
 * llama.cpp has no metadata key for some settings and hard-codes them (src/llama-model.cpp load_hparams), so those
 * models keep the values it assumes — Qwen3-MoE: every layer MoE (no mlp_only_layers), top-k weights renormalised
 * (build_moe_ffn's norm_w = true); Gemma 2:
 * query_pre_attn_scalar = head size (below 27B); Gemma 3: a sliding-window pattern of 6 with a local RoPE base 10000.
 */
const archSpecs: [string, ArchSpec, Partial<ArchSpec>?][] = [
  ['qwen3', { kind: 'qwen3', ...small, seed: 101 }],
  ['qwen3-moe', { kind: 'qwen3moe', ...small, layers: 3, seed: 102, experts: 12, topK: 2, moeIntermediate: 8, normTopK: false, mlpOnlyLayers: [0] }, { mlpOnlyLayers: [], normTopK: true }],
  ['gemma2', { kind: 'gemma2', ...small, seed: 103, slidingWindow: 4, attnSoftcap: 20, finalSoftcap: 30, queryPreAttnScalar: 8 }, { queryPreAttnScalar: undefined }],
  ['gemma3', { kind: 'gemma3', ...small, layers: 4, seed: 104, pattern: 2, slidingWindow: 4, localRopeTheta: 10, linearRope: 4 }, { layers: 6, pattern: 6, localRopeTheta: 10000 }],
  ['gemma3-multimodal', { kind: 'gemma3mm', ...small, seed: 105, slidingWindow: 4, torchDtype: 'bfloat16' }],
  ['phi3', { kind: 'phi3', ...small, seed: 106, slidingWindow: 6, longrope: { short: [1, 1.5], long: [2, 6], original: 8, maxPositions: 64 } }],
  ['mixtral', { kind: 'mixtral', ...small, seed: 107, experts: 8, topK: 2 }],
];

/** Writes every model; returns the cases in the order they run. */
function writeModels(hub: string, gguf: string): Case[] {
  const cases: Case[] = [];
  const shape = { layers: small.layers, heads: small.heads, kvHeads: small.kvHeads, headDim: small.headDim };
  // Llama and GPT-2 from the first round's fixtures.
  const llama = makeLlama({ ...small, tied: false, qkvBias: false, modelType: 'llama', dtype: 'F32', seed: 108 });
  writeByteTokenizer(llama.dir);
  intoHubCache(hub, 'tiny-llama', llama.dir);
  cases.push({ label: `${ORG}/tiny-llama`, source: 'cache', text: HF_TEXT, ...shape, probs: (ids) => referenceLlama(llama.ref, ids).probs });
  const gpt2 = makeGpt2({ layers: 2, hidden: 16, heads: 4, vocab: 256, positions: 64, prefix: true, maskBuffers: false, dtype: 'F32', seed: 109 });
  writeByteTokenizer(gpt2.dir);
  intoHubCache(hub, 'tiny-gpt2', gpt2.dir);
  cases.push({ label: `${ORG}/tiny-gpt2`, source: 'cache', text: HF_TEXT, layers: 2, heads: 4, kvHeads: 4, headDim: 4, probs: (ids) => referenceGpt2(gpt2.ref, ids).probs });
  const factsOf = (spec: ArchSpec, ref: ArchRef): Omit<Case, 'label' | 'source' | 'text'> => ({
    layers: spec.layers, heads: spec.heads, kvHeads: spec.kvHeads, headDim: spec.headDim,
    probs: (ids) => referenceArch(ref, ids).probs,
    moe: spec.experts
      ? { experts: spec.experts, topK: spec.topK ?? 1, layers: Array.from({ length: spec.layers }, (_, l) => l).filter((l) => isMoeLayer(spec, l)), routing: (ids) => referenceArch(ref, ids).routing }
      : undefined,
  });
  for (const [name, spec, ggufChanges] of archSpecs) {
    // The GGUF llama.cpp's converter writes (the multimodal checkpoint's text model is the gemma3 one).
    if (spec.kind !== 'gemma3mm') {
      const ggufSpec = { ...spec, ...ggufChanges };
      const made = makeArch(ggufSpec);
      const folder = join(gguf, ORG, `tiny-${name}`);
      mkdirSync(folder, { recursive: true });
      writeArchGguf(made.ref, join(folder, `tiny-${name}-F32.gguf`), 'f32', letterTokenizer());
      rmSync(made.dir, { recursive: true, force: true });
      cases.push({ label: `${ORG}/tiny-${name}/tiny-${name}-F32.gguf`, source: 'lmstudio', text: GGUF_TEXT, ...factsOf(ggufSpec, made.ref) });
    }
    const { dir, ref } = makeArch(spec);
    writeByteTokenizer(dir);
    intoHubCache(hub, `tiny-${name}`, dir);
    cases.push({ label: `${ORG}/tiny-${name}`, source: 'cache', text: HF_TEXT, ...factsOf(spec, ref) });
  }
  return cases;
}

/** Picks the row labelled `label` in "LLM Lens: Choose Model" with the quick pick's own navigation, as a user would. */
async function chooseModel(label: string | ((rows: readonly { label: string }[]) => string)): Promise<void> {
  const api = await llmLens();
  const before = api.chooseModelRows();
  const done = vscode.commands.executeCommand('llmLens.chooseModel');
  // The rows of THIS quick pick (a new list each time), once the folders are searched.
  const rows = await waitFor('the Choose Model rows', () => {
    const r = api.chooseModelRows();
    return r && r !== before ? r : undefined;
  }, 30_000);
  const wanted = typeof label === 'string' ? label : label(rows);
  const index = rows.findIndex((r) => r.label === wanted);
  assert.ok(index >= 0, `"${wanted}" is listed: ${rows.map((r) => r.label).join(' | ')}`);
  assert.doesNotMatch(rows[index].detail ?? '', /Not supported/, `${wanted} is supported`);
  // The rows are recorded just before the quick pick shows them.
  await new Promise((r) => setTimeout(r, 700));
  for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  await done;
}

/** The view of (layer, head) at `query`, asked for as the webview asks. */
async function viewOf(s: AttentionSnapshot, layer: number, head: number, query: number): Promise<AttentionView> {
  const api = await llmLens();
  api.postFromWebview('attention', { type: 'select', layer, head, query });
  return waitFor(`the view of layer ${layer} head ${head}`, () => {
    const v = api.attention.view();
    return v && v.runId === s.runId && v.selection.layer === layer && v.selection.head === head && v.selection.query === query ? v : undefined;
  }, 30_000);
}

describe('Each architecture loads in the Attention panel from a fake Hugging Face cache (issue 15)', () => {
  const root = mkdtempSync(join(tmpdir(), 'llm-lens-archs-'));
  const hub = join(root, 'hub');
  const gguf = join(root, 'lmstudio');
  mkdirSync(hub);
  mkdirSync(gguf);
  const cases = writeModels(hub, gguf);

  before(async () => {
    await config().update('modelRoots', [hub, gguf], vscode.ConfigurationTarget.Global);
  });
  after(async function () {
    this.timeout(60_000);
    // Forget the stored choice, as picking the llmLens.modelPath row does, so later suites see no choice
    // (picking the embedded row would store "embedded", which outranks their llmLens.modelPath).
    await config().update('modelPath', root, vscode.ConfigurationTarget.Global);
    await chooseModel((rows) => rows.find((r) => r.label.endsWith(basename(root)))?.label ?? rows[0].label).catch(() => undefined);
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Global);
    await closeAll();
    await config().update('modelRoots', undefined, vscode.ConfigurationTarget.Global);
    rmSync(root, { recursive: true, force: true });
  });
  afterEach(closeAll);

  for (const c of cases) {
    it(`${c.label}: layers × heads, a run without error, attention as the reference${c.moe ? ', and the MoE view from the panel’s link' : ''}`, async function () {
      this.timeout(120_000);
      const api = await llmLens();
      await chooseModel(c.label);
      await openText(c.text, 'plaintext');
      await vscode.commands.executeCommand('llmLens.showAttention');
      const s = await waitFor(`an attention run of ${c.label}`, () => {
        const snap = api.snapshotOf('attention');
        if (snap && 'problem' in snap && snap.model.label === c.label) throw new Error(`${c.label} was refused: ${snap.problem.message}`);
        return snap && !('problem' in snap) && snap.text === c.text && snap.model.label === c.label ? snap : undefined;
      }, 60_000);
      assert.equal(api.errorOf('attention'), undefined, 'the panel shows no error');
      assert.equal(s.model.source, c.source);
      assert.equal(s.layers, c.layers);
      assert.equal(s.heads, c.heads);
      assert.equal(s.model.kvHeads, c.kvHeads);
      assert.equal(s.model.headDim, c.headDim);
      assert.equal(s.kvHeadOf.length, c.heads);
      const thumbs = await waitFor('the run’s thumbnails', () => (api.attention.thumbnails()?.runId === s.runId ? api.attention.thumbnails() : undefined), 30_000);
      assert.equal(thumbs.pixels.length, c.layers * (c.heads + 2) * thumbs.size * thumbs.size, 'a thumbnail per head, mean and max of every layer');
      // The first and last layers' last head at the last query (a sliding layer and a global one where the family
      // alternates), against the reference forward pass on the same ids.
      const ids = s.tokens.map((t) => t.id);
      assert.equal(s.seqLen, ids.length);
      if (c.source === 'cache') assert.deepEqual(ids, Array.from(Buffer.from(c.text)), 'one byte-level token per byte');
      const T = s.seqLen;
      const probs = c.probs(ids);
      for (const layer of [0, c.layers - 1]) {
        const view = await viewOf(s, layer, c.heads - 1, T - 1);
        const expected = probs[layer][c.heads - 1][T - 1];
        for (let j = 0; j < T; j++) assert.ok(Math.abs(view.row[j] - expected[j]) < 1e-4, `layer ${layer} key ${j}: panel ${view.row[j]}, reference ${expected[j]}`);
      }

      if (!c.moe) {
        assert.equal(s.model.moe, undefined, 'a dense model offers no MoE view');
        return;
      }
      // A mixture of experts: the panel names it and links to the MoE view (the webview's own request).
      assert.deepEqual(s.model.moe, { experts: c.moe.experts, topK: c.moe.topK });
      assert.ok(api.postFromWebview('attention', { type: 'showMoeRouting' }));
      const m: MoeSnapshot = await waitFor(`the MoE view of ${c.label}`, () => {
        const snap = api.snapshotOf('moe');
        return snap && snap.text === c.text && snap.model.label === c.label ? snap : undefined;
      }, 60_000);
      assert.equal(api.errorOf('moe'), undefined, 'the MoE view shows no error');
      assert.equal(m.model.denseChosen, undefined, 'the chosen model ran, not the embedded one');
      assert.equal(m.model.experts, c.moe.experts);
      assert.equal(m.model.topK, c.moe.topK);
      assert.deepEqual(m.model.moeLayers, c.moe.layers);
      assert.equal(m.tokens.length, T);
      const reference = c.moe.routing(ids);
      assert.deepEqual(m.routing.map((r) => r.layer), c.moe.layers);
      for (const r of m.routing) {
        const want = reference[r.layer];
        assert.ok(want, `layer ${r.layer} routes in the reference`);
        assert.deepEqual(r.experts, want.experts.flat(), `layer ${r.layer}: the experts each token went to, best first`);
        want.weights.flat().forEach((w, i) => assert.ok(Math.abs(r.weights[i] - w) < 1e-4, `layer ${r.layer} gate weight ${i}: ${r.weights[i]} vs ${w}`));
      }
    });
  }
});
