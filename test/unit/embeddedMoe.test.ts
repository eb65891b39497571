import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir, packageRoot } from '../../src/core/paths';
import { loadTrainModel } from '../../src/core/train/hf';
import { paramLayout, sequenceForwardBackward } from '../../src/core/train/model';
import { loadModel } from '../../src/core/model/load';

const dir = embeddedModelDir('moe');
const present = existsSync(join(dir, 'model.safetensors'));

test('embeddedModelDir: the dense model by default, the MoE sibling on request', () => {
  assert.equal(embeddedModelDir(), join(packageRoot(), 'data', 'embedded-model'));
  assert.equal(embeddedModelDir('dense'), embeddedModelDir());
  assert.equal(embeddedModelDir('moe'), join(packageRoot(), 'data', 'embedded-model-moe'));
});

test('the MoE model is saved in Mixtral\'s Hugging Face layout, within 16 MB, with the dense model\'s tokenizer', { skip: !present && 'model not trained yet' }, () => {
  const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(hf.model_type, 'mixtral');
  assert.deepEqual(hf.architectures, ['MixtralForCausalLM']);
  assert.equal(hf.num_local_experts, 8);
  assert.equal(hf.num_experts_per_tok, 2);
  assert.equal(hf.tie_word_embeddings, true);
  assert.ok(statSync(join(dir, 'model.safetensors')).size <= 16 * 1024 * 1024);
  const { cfg, tensorNames } = loadTrainModel(dir);
  const layout = paramLayout(cfg);
  assert.deepEqual([...tensorNames].sort(), layout.slots.map((s) => s.name).sort(), 'exactly the Mixtral tensors, no lm_head (tied)');
  for (let l = 0; l < cfg.layers; l++) {
    assert.ok(tensorNames.includes(`model.layers.${l}.block_sparse_moe.gate.weight`));
    for (let e = 0; e < 8; e++) for (const w of ['w1', 'w2', 'w3']) assert.ok(tensorNames.includes(`model.layers.${l}.block_sparse_moe.experts.${e}.${w}.weight`));
  }
  assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), readFileSync(join(embeddedModelDir(), 'tokenizer.json'), 'utf8'), 'the same embedded tokenizer');
});

test('the MoE model runs (trainer forward): finite loss well under uniform, routing weights sum to 1, more than one expert used', { skip: !present && 'model not trained yet' }, async () => {
  const { cfg, params } = loadTrainModel(dir);
  // The dense model's tokenizer (identical file) through the runtime's loader.
  const tok = (await loadModel(embeddedModelDir())).tokenizer;
  assert.ok(tok);
  const ids = tok.encode(readFileSync(join(packageRoot(), 'src', 'core', 'train', 'optim.ts'), 'utf8')).slice(0, cfg.maxPositions + 1);
  const r = sequenceForwardBackward(cfg, paramLayout(cfg), params, ids.slice(0, -1), ids.slice(1), undefined, 1, true);
  const loss = r.lossSum / r.counted;
  assert.ok(Number.isFinite(loss) && loss < Math.log(cfg.vocabSize) - 1, `loss ${loss}`);
  const routing = r.routing ?? [];
  assert.equal(routing.length, cfg.layers);
  for (const layer of routing) {
    const k = cfg.moe?.topK ?? 0;
    for (let t = 0; t < ids.length - 1; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += layer.weights[t * k + j];
      assert.ok(Math.abs(s - 1) < 1e-9);
    }
    assert.ok(new Set(Array.from({ length: ids.length - 1 }, (_, t) => layer.experts[t * k])).size >= 2);
  }
});

test('routing does not collapse on held-out code (the committed analysis): every layer uses ≥ half its experts first, none takes > half', { skip: !present && 'model not trained yet' }, () => {
  const a = JSON.parse(readFileSync(join(dir, 'experts.json'), 'utf8')) as { experts: number; tokens: number; layers: { usedAsFirst: number; maxFirstShare: number }[] };
  assert.ok(a.tokens >= 2000);
  for (const l of a.layers) {
    assert.ok(l.usedAsFirst >= a.experts / 2, `experts used first: ${l.usedAsFirst}`);
    assert.ok(l.maxFirstShare <= 0.5, `largest share ${l.maxFirstShare}`);
  }
});
