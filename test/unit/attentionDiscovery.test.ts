import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCachedModels, hfCacheRoot } from '../../src/core/model/discovery';
import { loadModel } from '../../src/core/model/load';
import { makeLlama } from './attentionFixtures';
import { readFileSync } from 'node:fs';

const llamaConfig = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 8, num_attention_heads: 2, num_key_value_heads: 1, num_hidden_layers: 3, intermediate_size: 8, vocab_size: 20 };

/** Lays out one repo the way huggingface_hub does: blobs, snapshots/<rev>/ symlinks, refs/main. */
function addRepo(root: string, id: string, revisions: Record<string, Record<string, string | Uint8Array>>, main?: string): void {
  const repo = join(root, `models--${id.replace('/', '--')}`);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  let blob = 0;
  for (const [rev, files] of Object.entries(revisions)) {
    mkdirSync(join(repo, 'snapshots', rev), { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      const blobPath = join(repo, 'blobs', `b${blob++}`);
      writeFileSync(blobPath, content);
      symlinkSync(join('..', '..', 'blobs', `b${blob - 1}`), join(repo, 'snapshots', rev, name));
    }
  }
  if (main) {
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), main);
  }
}

test('hfCacheRoot follows HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(hfCacheRoot({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }, '/home/u'), '/c');
  assert.equal(hfCacheRoot({ HF_HOME: '/h' }, '/home/u'), join('/h', 'hub'));
  assert.equal(hfCacheRoot({ XDG_CACHE_HOME: '/x' }, '/home/u'), join('/x', 'huggingface', 'hub'));
  assert.equal(hfCacheRoot({}, '/home/u'), join('/home/u', '.cache', 'huggingface', 'hub'));
});

test('findCachedModels lists supported models first, with reasons for the others, and the listed dir loads', async () => {
  const root = mkdtempSync(join(tmpdir(), 'llm-lens-hf-'));
  const { dir: realModel } = makeLlama({ layers: 1, hidden: 8, heads: 2, kvHeads: 1, intermediate: 8, vocab: 20, ropeTheta: 10000, tied: true, qkvBias: false, dtype: 'F32', seed: 1 });
  try {
    const weights = readFileSync(join(realModel, 'model.safetensors'));
    const config = readFileSync(join(realModel, 'config.json'), 'utf8');
    addRepo(root, 'org/tiny-llama', { old: { 'config.json': '{}' }, abc123: { 'config.json': config, 'model.safetensors': weights } }, 'abc123');
    addRepo(root, 'openai-community/gpt2', { r1: { 'config.json': JSON.stringify({ model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 2, vocab_size: 10 }), 'model.safetensors.index.json': '{"weight_map":{}}' } });
    addRepo(root, 'google-bert/bert-base-uncased', { r1: { 'config.json': JSON.stringify({ model_type: 'bert', architectures: ['BertForMaskedLM'] }) } });
    addRepo(root, 'org/bin-only', { r1: { 'config.json': JSON.stringify(llamaConfig), 'pytorch_model.bin': 'x' } });
    addRepo(root, 'org/broken-json', { r1: { 'config.json': '{oops' } });
    addRepo(root, 'org/no-config', { r1: { 'README.md': 'hi' } });
    mkdirSync(join(root, 'datasets--org--data', 'snapshots', 'r'), { recursive: true });
    writeFileSync(join(root, 'version.txt'), '1');
    // Two snapshots without refs/main: the newest wins.
    addRepo(root, 'org/two-revs', { older: { 'config.json': '{}' }, newer: { 'config.json': JSON.stringify(llamaConfig), 'model.safetensors': weights } });
    utimesSync(join(root, 'models--org--two-revs', 'snapshots', 'older'), new Date(2000, 1, 1), new Date(2000, 1, 1));

    const found = findCachedModels(root);
    assert.deepEqual(found.map((m) => [m.id, m.supported]), [
      ['openai-community/gpt2', true],
      ['org/tiny-llama', true],
      ['org/two-revs', true],
      ['google-bert/bert-base-uncased', false],
      ['org/bin-only', false],
      ['org/broken-json', false],
    ]);
    const tiny = found.find((m) => m.id === 'org/tiny-llama');
    assert.equal(tiny?.revision, 'abc123');
    assert.match(tiny?.summary ?? '', /1 layers × 2 heads \(1 KV heads\)/);
    assert.equal(found.find((m) => m.id === 'org/two-revs')?.revision, 'newer');
    assert.match(found.find((m) => m.id === 'google-bert/bert-base-uncased')?.reason ?? '', /bert.*not supported/);
    assert.match(found.find((m) => m.id === 'org/bin-only')?.reason ?? '', /safetensors/);
    // The snapshot dir (symlinks into blobs) loads.
    const model = await loadModel(tiny?.dir ?? '');
    assert.equal(model.config.layers, 1);
    assert.deepEqual(findCachedModels(join(root, 'does-not-exist')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(realModel, { recursive: true, force: true });
  }
});
