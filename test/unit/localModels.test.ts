// findLocalModels on fake Hugging Face, Ollama and LM Studio trees in a temp dir: names, paths loadModel
// accepts, architecture, parameters, quantization, context length, sizes, and the reasons for what is not
// supported. The GGUF files are real (written by the test writer); Ollama's blobs have no extension.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel } from '../../src/core/model/load';
import { defaultLocalModelRoots, estimateRunActivationBytes, estimateRunBytes, findLocalModels, type LocalModel, type ModelDims } from '../../src/core/model/localModels';
import { meta, writeGguf } from '../support/ggufWriter';
import { writeTinyModel } from '../support/ggufModels';

const root = mkdtempSync(join(tmpdir(), 'llm-lens-local-'));
after(() => rmSync(root, { recursive: true, force: true }));
const hf = join(root, 'hf', 'hub');
const ollama = join(root, 'ollama', 'models');
const lms = join(root, 'lmstudio', 'models');
const lmsOld = join(root, 'cache', 'lm-studio', 'models');
const work = join(root, 'work');
const spec = { layers: 1, hidden: 64, heads: 4, kvHeads: 2, intermediate: 96, vocab: 128, seed: 3 };
let found: LocalModel[] = [];
let llamaGguf = '';

function mkdir(...parts: string[]): string {
  const p = join(...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

function ollamaPull(registry: string, namespace: string, model: string, tag: string, gguf: Uint8Array | undefined, oldBlobName = false): void {
  const hex = createHash('sha256').update(gguf ?? 'missing').digest('hex');
  if (gguf) writeFileSync(join(mkdir(ollama, 'blobs'), oldBlobName ? `sha256:${hex}` : `sha256-${hex}`), gguf);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 10 },
    layers: [
      { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex}`, size: gguf?.length ?? 0 },
      { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'1'.repeat(64)}`, size: 10 },
    ],
  };
  writeFileSync(join(mkdir(ollama, 'manifests', registry, namespace, model), tag), JSON.stringify(manifest));
}

before(() => {
  // Models written as HF directory + GGUF; the HF one goes into the hub cache layout.
  const llama = writeTinyModel(work, { ...spec, arch: 'llama', type: 'q8_0' }, 'llama');
  const qwen = writeTinyModel(work, { ...spec, arch: 'qwen2', type: 'f16', seed: 4 }, 'qwen');
  llamaGguf = llama.ggufPath;
  const snap = mkdir(hf, 'models--acme--tiny-llama', 'snapshots', 'abc123');
  copyFileSync(join(llama.hfDir, 'config.json'), join(snap, 'config.json'));
  copyFileSync(join(llama.hfDir, 'model.safetensors'), join(snap, 'model.safetensors'));
  writeFileSync(join(mkdir(hf, 'models--acme--tiny-llama', 'refs'), 'main'), 'abc123');

  // Ollama: a library model, a Hugging Face pull, an old-style blob name, a missing blob, a non-GGUF blob.
  const llamaBytes = readFileSync(llama.ggufPath);
  ollamaPull('registry.ollama.ai', 'library', 'tiny', 'latest', llamaBytes);
  ollamaPull('hf.co', 'someone', 'Tiny-GGUF', 'Q8_0', readFileSync(qwen.ggufPath), true);
  ollamaPull('registry.ollama.ai', 'library', 'partial', '7b', undefined);
  ollamaPull('registry.ollama.ai', 'library', 'notgguf', 'latest', new TextEncoder().encode('not a gguf at all'));

  // LM Studio: a normal file, a split model in two shards, an MXFP4 model, an unknown architecture, in both roots.
  copyFileSync(qwen.ggufPath, join(mkdir(lms, 'Qwen', 'Tiny-GGUF'), 'tiny-q8_0.gguf'));
  const shard = (i: number, tensors: Parameters<typeof writeGguf>[0]['tensors']): Uint8Array => writeGguf({
    metadata: [['split.no', { t: 'u16', v: i }], ['split.count', { t: 'u16', v: 2 }], ...(i === 0 ? ([['general.architecture', meta.str('llama')], ['llama.context_length', meta.u32(8192)]] as [string, ReturnType<typeof meta.str>][]) : [])],
    tensors,
  });
  const split = mkdir(lms, 'bartowski', 'Big-GGUF');
  writeFileSync(join(split, 'big-00001-of-00002.gguf'), shard(0, [{ name: 'a', dims: [64, 2], type: 'q8_0', values: new Float32Array(128) }]));
  writeFileSync(join(split, 'big-00002-of-00002.gguf'), shard(1, [{ name: 'b', dims: [32], type: 'f32', values: new Float32Array(32) }]));
  writeFileSync(join(mkdir(lms, 'openai', 'gpt-oss-GGUF'), 'gpt-oss-mxfp4.gguf'), writeGguf({
    metadata: [['general.architecture', meta.str('llama')]],
    tensors: [{ name: 'blk.0.ffn_down_exps.weight', dims: [32], typeId: 39, bytes: new Uint8Array(17) }],
  }));
  writeFileSync(join(mkdir(lmsOld, 'state-spaces', 'mamba-GGUF'), 'mamba.gguf'), writeGguf({ metadata: [['general.architecture', meta.str('mamba')]], tensors: [] }));
  writeFileSync(join(mkdir(lms, 'readme-only', 'x'), 'README.md'), 'not a model');
});

const byName = (name: string): LocalModel => {
  const m = found.find((x) => x.name === name);
  assert.ok(m, `${name} listed (got ${found.map((x) => x.name).join(', ')})`);
  return m;
};

describe('findLocalModels', () => {
  it('lists every source, supported first', async () => {
    found = await findLocalModels({ huggingFace: hf, ollama, lmStudio: [lms, lmsOld] });
    assert.deepEqual(found.map((m) => [m.source, m.name, m.supported]), [
      ['huggingface', 'acme/tiny-llama', true],
      ['ollama', 'hf.co/someone/Tiny-GGUF:Q8_0', true],
      ['ollama', 'tiny:latest', true],
      ['lmstudio', 'bartowski/Big-GGUF/big-00001-of-00002.gguf', true],
      ['lmstudio', 'Qwen/Tiny-GGUF/tiny-q8_0.gguf', true],
      ['ollama', 'notgguf:latest', false],
      ['ollama', 'partial:7b', false],
      ['lmstudio', 'openai/gpt-oss-GGUF/gpt-oss-mxfp4.gguf', false],
      ['lmstudio', 'state-spaces/mamba-GGUF/mamba.gguf', false],
    ]);
  });

  it('describes a Hugging Face snapshot', () => {
    const m = byName('acme/tiny-llama');
    assert.equal(m.format, 'safetensors');
    assert.equal(m.architecture, 'llama');
    assert.equal(m.contextLength, 4096);
    assert.equal(m.quantization, 'F32');
    // embed + lm_head (128 × 64 each), q 64×64, k and v 32×64, o 64×64, gate/up/down 96×64, three norms of 64.
    assert.equal(m.parameters, 2 * 128 * 64 + 64 * 64 * 2 + 32 * 64 * 2 + 96 * 64 * 3 + 3 * 64);
    assert.equal(m.fileBytes, statSync(join(m.path, 'model.safetensors')).size);
  });

  it('describes Ollama blobs found through their manifests (new and old blob names)', async () => {
    const tiny = byName('tiny:latest');
    assert.match(tiny.path, /blobs[/\\]sha256-[0-9a-f]{64}$/);
    assert.deepEqual([tiny.format, tiny.architecture, tiny.quantization, tiny.contextLength, tiny.parameters], ['gguf', 'llama', 'Q8_0', 4096, byName('acme/tiny-llama').parameters]);
    assert.equal(tiny.fileBytes, statSync(llamaGguf).size);
    const hfPull = byName('hf.co/someone/Tiny-GGUF:Q8_0');
    assert.match(hfPull.path, /sha256:[0-9a-f]{64}$/);
    assert.equal(hfPull.architecture, 'qwen2');
    assert.equal(hfPull.quantization, 'F16');
    // The path is what loadModel takes: a GGUF without extension, detected by its magic.
    const model = await loadModel(tiny.path);
    assert.equal(model.config.layers, 1);
    assert.match(byName('partial:7b').reason ?? '', /missing/);
    assert.match(byName('notgguf:latest').reason ?? '', /not a GGUF/);
  });

  it('describes LM Studio files: split models once with all shards, unsupported ones with the reason', () => {
    const big = byName('bartowski/Big-GGUF/big-00001-of-00002.gguf');
    const shards = ['big-00001-of-00002.gguf', 'big-00002-of-00002.gguf'].map((f) => statSync(join(lms, 'bartowski', 'Big-GGUF', f)).size);
    assert.deepEqual([big.fileBytes, big.parameters, big.contextLength], [shards[0] + shards[1], 128 + 32, 8192]);
    assert.ok(!found.some((m) => m.name.includes('00002-of')));
    assert.match(byName('openai/gpt-oss-GGUF/gpt-oss-mxfp4.gguf').reason ?? '', /MXFP4 \(ggml type id 39/);
    const mamba = byName('state-spaces/mamba-GGUF/mamba.gguf');
    assert.equal(mamba.architecture, 'mamba');
    assert.match(mamba.reason ?? '', /"mamba" is not supported/);
  });

  it('extra roots (llmLens.modelRoots) are recognised by layout: Ollama, hub cache, LM Studio, a folder of .gguf files', async () => {
    const none = join(root, 'none');
    const extra = await findLocalModels({ huggingFace: none, ollama: none, lmStudio: [], extra: [ollama, hf, lms, work] });
    const names = (source: LocalModel['source']): string[] => extra.filter((m) => m.source === source).map((m) => m.name).sort();
    assert.deepEqual(names('ollama'), ['hf.co/someone/Tiny-GGUF:Q8_0', 'notgguf:latest', 'partial:7b', 'tiny:latest']);
    assert.deepEqual(names('huggingface'), ['acme/tiny-llama']);
    assert.ok(names('lmstudio').includes('Qwen/Tiny-GGUF/tiny-q8_0.gguf'));
    // writeTinyModel put llama.gguf and qwen.gguf directly in `work` (their HF folders hold no .gguf).
    assert.deepEqual(names('folder'), ['llama.gguf', 'qwen.gguf']);
    // A root listed twice, or also a default root, gives each model once.
    const twice = await findLocalModels({ huggingFace: none, ollama, lmStudio: [], extra: [ollama] });
    assert.equal(twice.filter((m) => m.name === 'tiny:latest').length, 1);
  });

  it('residentBytes is what loadModel then holds; the run estimate adds the activations at a token count', async () => {
    const tiny = byName('tiny:latest');
    const model = await loadModel(tiny.path);
    assert.equal(tiny.residentBytes, model.residentBytes);
    const hfModel = byName('acme/tiny-llama');
    assert.equal(hfModel.residentBytes, (await loadModel(hfModel.path)).residentBytes);
    assert.deepEqual(tiny.dims, { layers: 1, hidden: 64, heads: 4, kvHeads: 2, headDim: 16, intermediate: 96, vocab: 128 });
    assert.deepEqual(hfModel.dims, tiny.dims);
    // 1 layer, 4 heads, T = 10: probabilities 1·100·4·(4 + 2), q/k/v 1·10·(4 + 4)·16·4, one layer's residual
    // and MLP 10·(4·64 + 3·96)·4, logits 128·4, the 4 MiB dequantization tile.
    const activations = 100 * 4 * 6 + 10 * 8 * 16 * 4 + 10 * (256 + 288) * 4 + 128 * 4 + 4 * 2 ** 20;
    assert.equal(estimateRunActivationBytes(tiny.dims as ModelDims, 10), activations);
    assert.equal(estimateRunBytes(tiny, 10), (tiny.residentBytes ?? 0) + activations);
    assert.equal(estimateRunBytes(byName('partial:7b'), 10), undefined);
  });

  it('missing roots give an empty list, not an error', async () => {
    assert.deepEqual(await findLocalModels({ huggingFace: join(root, 'none'), ollama: join(root, 'none'), lmStudio: [join(root, 'none')] }), []);
  });

  it('default roots follow OLLAMA_MODELS and the documented folders', () => {
    const d = defaultLocalModelRoots({ OLLAMA_MODELS: '/data/ollama', HF_HOME: '/data/hf' }, '/home/u');
    assert.deepEqual(d, { huggingFace: '/data/hf/hub', ollama: '/data/ollama', lmStudio: ['/home/u/.lmstudio/models', '/home/u/.cache/lm-studio/models'] });
    renameSync(join(root, 'ollama'), join(root, '.ollama'));
    assert.equal(defaultLocalModelRoots({}, root).ollama, join(root, '.ollama', 'models'));
    renameSync(join(root, '.ollama'), join(root, 'ollama'));
  });
});
