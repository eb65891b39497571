import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKvCacheInputs, parseRequest, type KvCacheInputs } from '../../src/shared/protocol';

const valid: KvCacheInputs = {
  source: 'preset',
  presetId: 'llama-3.1-8b',
  custom: {
    layers: '32', queryHeads: '32', kvHeads: '8', headDim: '128', slidingWindow: '', slidingLayers: 'all',
    slidingLayerList: '', kvLoraRank: '', ropeHeadDim: '', parameters: '8030261248',
  },
  configParameters: '',
  seqLen: '32768',
  batch: '1',
  kvDtype: 'bf16',
  weightsDtype: 'bf16',
  gqaKvHeads: null,
  gpuId: 'gpu24',
};

test('the KV-cache panel accepts well-formed requests (bad field text is the host’s job, not the validator’s)', () => {
  assert.deepEqual(parseRequest('kvcache', { type: 'setInputs', inputs: valid }), { type: 'setInputs', inputs: valid });
  const typo = { ...valid, seqLen: '12x', custom: { ...valid.custom, kvHeads: '5' }, gqaKvHeads: 4 };
  assert.deepEqual(parseRequest('kvcache', { type: 'setInputs', inputs: typo }), { type: 'setInputs', inputs: typo });
  assert.deepEqual(parseRequest('kvcache', { type: 'setInputs', inputs: valid, seq: 7 }), { type: 'setInputs', inputs: valid, seq: 7 });
  assert.deepEqual(parseRequest('kvcache', { type: 'copyMarkdown' }), { type: 'copyMarkdown' });
  assert.deepEqual(parseRequest('kvcache', { type: 'pickConfig', path: '/etc/passwd' }), { type: 'pickConfig' }, 'extra fields are dropped');
  assert.deepEqual(parseRequest('kvcache', { type: 'ready' }), { type: 'ready' });
});

test('the KV-cache panel rejects malformed requests', () => {
  const bad: unknown[] = [
    null,
    'setInputs',
    { type: 'setInputs' },
    { type: 'setInputs', inputs: { ...valid, source: 'url' } },
    { type: 'setInputs', inputs: { ...valid, seqLen: 32768 } },
    { type: 'setInputs', inputs: { ...valid, seqLen: 'x'.repeat(65) } },
    { type: 'setInputs', inputs: { ...valid, gqaKvHeads: 2.5 } },
    { type: 'setInputs', inputs: valid, seq: -1 },
    { type: 'setInputs', inputs: valid, seq: '3' },
    { type: 'setInputs', inputs: { ...valid, gqaKvHeads: '8' } },
    { type: 'setInputs', inputs: { ...valid, custom: undefined } },
    { type: 'setInputs', inputs: { ...valid, custom: { ...valid.custom, slidingLayers: 'some' } } },
    { type: 'setInputs', inputs: { ...valid, custom: { ...valid.custom, layers: ['32'] } } },
    { type: 'openFile', path: '/etc/passwd' },
    { type: 'runCommand', command: 'llmLens.showKvCache' },
  ];
  for (const message of bad) assert.equal(parseRequest('kvcache', message), undefined, JSON.stringify(message));
  assert.equal(parseKvCacheInputs([]), undefined);
});

test('the Serving fields: optional (states saved before them restore), text when present, malformed refused', () => {
  const serving = { tpDegree: '2', blockSize: '16', gpuMemoryGiB: '24', gpuBandwidthGBs: '', gpuTflops: 'abc' };
  assert.deepEqual(parseKvCacheInputs({ ...valid, serving }), { ...valid, serving });
  assert.deepEqual(parseKvCacheInputs(valid), valid);
  assert.equal(parseKvCacheInputs({ ...valid, serving: { ...serving, tpDegree: 2 } }), undefined);
  assert.equal(parseKvCacheInputs({ ...valid, serving: { ...serving, gpuTflops: undefined } }), undefined);
  assert.equal(parseKvCacheInputs({ ...valid, serving: 'tp=2' }), undefined);
});
