import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir } from '../../src/core/paths';
import { loadModel } from '../../src/core/model/load';
import { runAttention } from '../../src/core/model/runtime';
import { parseSafetensors } from '../../src/core/model/formats/safetensors';
import { paramLayout, sequenceForwardBackward, type TrainModelConfig } from '../../src/core/train/model';
import { applyBpe, bytesToUnicode, type BpeMerge } from '../../src/core/bpe/trainer';
import { Tokenizer } from '@huggingface/tokenizers';

const dir = embeddedModelDir();
const present = existsSync(join(dir, 'model.safetensors'));

test('the committed embedded model loads through loadModel and runs causal GQA attention', { skip: !present && 'model not trained yet' }, async () => {
  const model = await loadModel(dir);
  assert.ok(model.tokenizer, 'tokenizer.json is loaded with the model');
  const ids = model.tokenizer.encode('function add(a: number, b: number): number {\n  return a + b;\n}\n');
  assert.ok(ids.length > 5);
  const run = await runAttention(model, ids, { keepQkv: false, topK: 3 });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  assert.equal(run.layers, cfg.num_hidden_layers);
  assert.equal(run.heads, cfg.num_attention_heads);
  assert.deepEqual(run.kvHeadOf, [0, 0, 1, 1]);
  for (const layer of run.probs) for (const p of layer) {
    for (let i = 0; i < ids.length; i++) {
      let s = 0;
      for (let j = 0; j < ids.length; j++) {
        if (j > i) assert.equal(p[i * ids.length + j], 0);
        s += p[i * ids.length + j];
      }
      assert.ok(Math.abs(s - 1) < 1e-4);
    }
  }
  assert.ok(statSync(join(dir, 'model.safetensors')).size <= 8 * 1024 * 1024, 'weights stay within 8 MB');
});

test('the loader\'s forward pass and the training forward pass agree on the committed weights', { skip: !present && 'model not trained yet' }, async () => {
  const model = await loadModel(dir);
  const hf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const cfg: TrainModelConfig = {
    vocabSize: hf.vocab_size, hiddenSize: hf.hidden_size, layers: hf.num_hidden_layers, qHeads: hf.num_attention_heads,
    kvHeads: hf.num_key_value_heads, headDim: hf.head_dim, intermediateSize: hf.intermediate_size, ropeTheta: hf.rope_theta,
    rmsNormEps: hf.rms_norm_eps, maxPositions: hf.max_position_embeddings,
  };
  const layout = paramLayout(cfg);
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  assert.equal(st.header.tensors.size, layout.slots.length, 'exactly the Llama tensors, no lm_head (tied)');
  const params = new Float32Array(layout.total);
  for (const s of layout.slots) params.set(st.read(s.name), s.offset);
  const ids = (model.tokenizer as NonNullable<typeof model.tokenizer>).encode('const xs = [1, 2, 3].map((x) => x * 2); // 두 배\n');
  const run = await runAttention(model, ids, { keepQkv: false, topK: 0 });
  const ours = sequenceForwardBackward(cfg, layout, params, ids, ids, undefined, 1, true).probs as Float32Array[][];
  let maxDiff = 0;
  for (let l = 0; l < cfg.layers; l++) for (let h = 0; h < cfg.qHeads; h++) {
    for (let i = 0; i < ids.length * ids.length; i++) maxDiff = Math.max(maxDiff, Math.abs(run.probs[l][h][i] - ours[l][h][i]));
  }
  assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
});

test('the model card reports a held-out loss below the bigram baseline', { skip: !present && 'model not trained yet' }, () => {
  const summary = JSON.parse(readFileSync(join(dir, 'training-summary.json'), 'utf8')) as { results: { heldOutLoss: number; bigramLoss: number } };
  assert.ok(summary.results.heldOutLoss < summary.results.bigramLoss);
  const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
  assert.ok(card.includes(summary.results.heldOutLoss.toFixed(3)));
});

test('the committed tokenizer.json: @huggingface/tokenizers and our applyBpe (merges read back from the file) agree', { skip: !present && 'model not trained yet' }, () => {
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: [string, string][] } };
  const byteOf = new Map(bytesToUnicode().map((c, b) => [c, b]));
  const bytesOf = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => byteOf.get(c) as number));
  const merges: BpeMerge[] = json.model.merges.map(([l, r]) => ({
    left: json.model.vocab[l], right: json.model.vocab[r], count: 0, newId: json.model.vocab[l + r], bytes: bytesOf(l + r),
  }));
  merges.forEach((m, i) => assert.equal(m.newId, 256 + i, 'merge i makes token 256 + i'));
  const hf = new Tokenizer(json, {});
  for (const text of [
    'export async function loadModel(dir: string): Promise<Model> {\n  const config = await readConfig(dir);\n}\n',
    '// 어텐션 가중치는 설명이 아닙니다.\nconst x = 0x1F; let y = 12345;',
  ]) {
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, applyBpe(text, merges));
  }
});
