import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelDir } from '../../src/core/paths';
import { conceptProbeJob, conceptTrainJob, MASK_TOKENS } from '../../src/compute/conceptJob';
import { parseConceptLabRequest } from '../../src/shared/conceptLabProtocol';

const dir = embeddedModelDir();
const present = existsSync(join(dir, 'model.safetensors'));
const text = 'function add(a: number, b: number): number {\n  return a + b;\n}\n';

test('the Concept Lab request validator accepts the offered values only', () => {
  assert.deepEqual(parseConceptLabRequest({ type: 'setPage', page: 'masks' }), { type: 'setPage', page: 'masks' });
  assert.equal(parseConceptLabRequest({ type: 'setPage', page: 'toString' }), undefined);
  assert.deepEqual(parseConceptLabRequest({ type: 'setProbe', layer: 1, head: 2, token: 3 }), { type: 'setProbe', layer: 1, head: 2, token: 3 });
  assert.equal(parseConceptLabRequest({ type: 'setProbe', layer: -1, head: 2, token: 3 }), undefined);
  assert.equal(parseConceptLabRequest({ type: 'setProbe', layer: 1.5, head: 2, token: 3 }), undefined);
  assert.equal(parseConceptLabRequest({ type: 'setExtension', factor: 3 }), undefined);
  assert.deepEqual(parseConceptLabRequest({ type: 'setExtension', factor: 8 }), { type: 'setExtension', factor: 8 });
  assert.equal(parseConceptLabRequest({ type: 'train', steps: 1e9 }), undefined);
  assert.deepEqual(parseConceptLabRequest({ type: 'train', steps: 20 }), { type: 'train', steps: 20 });
  assert.equal(parseConceptLabRequest({ type: 'unknown' }), undefined);
});

test('the probe job computes every page on the embedded model', { skip: !present && 'no embedded model' }, async () => {
  const out = await conceptProbeJob({ dir, text, layer: 9, head: 0, token: 999, factor: 4, maxTokens: 256 }, () => {});
  assert.equal(out.kind, 'done');
  if (out.kind !== 'done') return;
  assert.equal(out.probe.layer, 3, 'an out-of-range layer is clamped to the last');
  assert.equal(out.probe.token, out.readTokens - 1);
  assert.equal(out.rope.inverseFrequencies.length, 16);
  assert.equal(out.rope.angles.length, out.rope.anglePositions * 16);
  assert.equal(out.rope.extension.methods.length, 5);
  assert.ok(out.rope.qk && out.rope.qk.withRope.length === out.readTokens);
  assert.ok(out.norm.mlp && out.norm.mlp.gate.length === out.model.intermediate);
  assert.equal(out.masks.masks.length, 5);
  assert.equal(out.masks.windowFromModel, false);
  assert.equal(out.masks.masks[0].rows, Math.min(out.readTokens, MASK_TOKENS));
  const empty = await conceptProbeJob({ dir, text: '', layer: 0, head: 0, token: 0, factor: 4, maxTokens: 256 }, () => {});
  assert.equal(empty.kind, 'refused');
});

test('the training job streams one loss per step and stops on the cancel flag', { skip: !present && 'no embedded model' }, async () => {
  const seen: number[] = [];
  const out = await conceptTrainJob({ dir, text, steps: 5 }, (_f, message) => {
    if (message?.startsWith('{')) seen.push((JSON.parse(message) as { step: number }).step);
  });
  assert.equal(out.kind, 'done');
  if (out.kind !== 'done') return;
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(out.losses.length, 5);
  assert.ok(out.predictions.length > 0 && out.predictions.every((p) => p.pBefore > 0 && p.pAfter > 0));
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const cancelled = await conceptTrainJob({ dir, text, steps: 50, cancelFlag: flag }, (_f, message) => {
    if (message?.startsWith('{') && (JSON.parse(message) as { step: number }).step === 3) Atomics.store(flag, 0, 1);
  });
  assert.equal(cancelled.kind, 'done');
  if (cancelled.kind === 'done') {
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.losses.length, 3);
  }
  assert.deepEqual(await conceptTrainJob({ dir, text: 'a', steps: 5 }, () => {}), { kind: 'refused', reason: 'tooShort' });
});
