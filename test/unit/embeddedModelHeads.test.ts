import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir, packageRoot } from '../../src/core/paths';
import { loadModel } from '../../src/core/model/load';
import { runAttention } from '../../src/core/model/runtime';
import { headScores, standardInductionTest } from '../../src/core/analysis/headScores';

// What issue 16 asks of the dense embedded model, measured on the committed files through the runtime's own
// loadModel/runAttention (not the trainer): an induction head, a previous-token head on real code, a 256-token
// context and a held-out loss at least 0.5 nats/token under the bigram baseline.
const dir = embeddedModelDir();
const present = existsSync(join(dir, 'model.safetensors'));
// Open targets: the committed dense model is still the 4-layer, 128-token one (no induction head, 0.37 nats under
// the bigram). These tests measure the targets on whatever is committed and are marked todo until a model that
// meets them is; drop `todo` then.
const open = 'issue 16 target, not met by the committed dense model yet';

test('the embedded model was trained on 256-token windows and says so in config.json', { skip: !present && 'model not trained yet', todo: open }, () => {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { max_position_embeddings: number };
  const summary = JSON.parse(readFileSync(join(dir, 'training-summary.json'), 'utf8')) as { training: { ctx: number } };
  assert.ok(summary.training.ctx >= 256, `trained context ${summary.training.ctx}`);
  assert.equal(cfg.max_position_embeddings, summary.training.ctx);
});

test('the embedded model has an induction head: standard test score ≥ 0.4', { skip: !present && 'model not trained yet', todo: open }, async () => {
  const model = await loadModel(dir);
  const vocab = model.config.vocab;
  // Ordinary ids are all but the last (<|endoftext|>, also the BOS the test starts with).
  const scores = await standardInductionTest((ids) => runAttention(model, ids, { keepQkv: false, topK: 0 }), vocab - 1, vocab - 1);
  const best = Math.max(...scores);
  assert.ok(best >= 0.4, `best induction score ${best.toFixed(3)}`);
  // The committed card quotes the same measurement.
  const summary = JSON.parse(readFileSync(join(dir, 'training-summary.json'), 'utf8')) as { results: { inductionTest?: { best: number } } };
  assert.ok(summary.results.inductionTest, 'training-summary.json records the standard test');
  assert.ok(Math.abs(summary.results.inductionTest.best - best) < 0.01, `card ${summary.results.inductionTest.best} vs measured ${best}`);
});

test('the embedded model has a previous-token head (headScores ≥ 0.5) on real code it was not trained on', { skip: !present && 'model not trained yet' }, async () => {
  const model = await loadModel(dir);
  // LLM Lens's own source is not in the training corpus (only the glossary and node_modules are).
  const text = readFileSync(join(packageRoot(), 'src', 'core', 'train', 'optim.ts'), 'utf8');
  const ids = (model.tokenizer as NonNullable<typeof model.tokenizer>).encode(text).slice(0, 256);
  const run = await runAttention(model, ids, { keepQkv: false, topK: 0 });
  const s = headScores(run, ids);
  const best = Math.max(...s.previousToken);
  assert.ok(best >= 0.5, `best previous-token score ${best.toFixed(3)}`);
});

test('the held-out loss is at least 0.5 nats/token below the bigram baseline', { skip: !present && 'model not trained yet', todo: open }, () => {
  const summary = JSON.parse(readFileSync(join(dir, 'training-summary.json'), 'utf8')) as { results: { heldOutLoss: number; bigramLoss: number } };
  const margin = summary.results.bigramLoss - summary.results.heldOutLoss;
  assert.ok(margin >= 0.5, `held-out ${summary.results.heldOutLoss.toFixed(3)} vs bigram ${summary.results.bigramLoss.toFixed(3)}: ${margin.toFixed(3)}`);
});
