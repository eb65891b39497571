// The Decoding panel's pure parts: the request validator (webview messages are untrusted) and where the
// cut-offs are drawn among a step's candidates, against hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from '../../src/shared/protocol';
import { defaultDecodingSettings, parseDecodingSettings } from '../../src/shared/decodingProtocol';
import { candidateCutoffs } from '../../src/core/decode/cutoffs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

test('decoding requests: valid settings pass; out-of-range, non-integer or unknown values are refused', () => {
  const good = { ...defaultDecodingSettings, strategy: 'sample', temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, seed: 42 };
  assert.deepEqual(parseRequest('decoding', { type: 'generate', settings: good }), { type: 'generate', settings: good, chat: false });
  assert.deepEqual(parseRequest('decoding', { type: 'generate', settings: good, chat: true }), { type: 'generate', settings: good, chat: true });
  assert.equal(parseRequest('decoding', { type: 'generate', settings: good, chat: 'yes' }), undefined);
  assert.deepEqual(parseRequest('decoding', { type: 'openAttention' }), { type: 'openAttention' });
  const hot = { ...good, strategy: 'sample', temperature: 1.2 };
  assert.deepEqual(parseRequest('decoding', { type: 'generate', settings: good, compare: hot }), { type: 'generate', settings: good, chat: false, compare: hot });
  assert.equal(parseRequest('decoding', { type: 'generate', settings: good, compare: { ...hot, temperature: 99 } }), undefined);
  for (const bad of [
    { ...good, strategy: 'nucleus' },
    { ...good, temperature: 0 },
    { ...good, temperature: Number.NaN },
    { ...good, topK: 2.5 },
    { ...good, topP: 0 },
    { ...good, topP: 1.5 },
    { ...good, minP: -0.1 },
    { ...good, beamWidth: 0 },
    { ...good, maxNewTokens: 10_000 },
    { ...good, seed: '1' },
    { ...good, repetitionPenalty: undefined },
  ]) {
    assert.equal(parseDecodingSettings(bad), undefined, JSON.stringify(bad));
    assert.equal(parseRequest('decoding', { type: 'generate', settings: bad }), undefined);
  }
  assert.deepEqual(parseRequest('decoding', { type: 'copy' }), { type: 'copy' });
  assert.deepEqual(parseRequest('decoding', { type: 'insert', text: 'ignored' }), { type: 'insert' });
  assert.equal(parseRequest('decoding', { type: 'writeFile', path: '/etc/passwd' }), undefined);
  assert.equal(parseRequest('decoding', 'generate'), undefined);
});

test('cut-offs: the top-k boundary (ties kept), the nucleus line after top-k renormalisation, the min-p threshold', () => {
  // probBefore 0.4, 0.3, 0.2, 0.05, 0.05 (logits ordered the same way; the last two tie).
  const c = [0.4, 0.3, 0.2, 0.05, 0.05].map((p) => ({ logit: Math.log(p), probBefore: p }));
  assert.deepEqual(candidateCutoffs(c, {}), {});
  assert.equal(candidateCutoffs(c, { topK: 2 }).topKCount, 2);
  assert.equal(candidateCutoffs(c, { topK: 4 }).topKCount, undefined); // the tie keeps all five: no boundary shown
  // Without top-k: cumulative 0.4, 0.7, 0.9 → p = 0.85 is reached at the third.
  assert.equal(candidateCutoffs(c, { topP: 0.85 }).topPCount, 3);
  assert.equal(candidateCutoffs(c, { topP: 0.4 }).topPCount, 1);
  // With top-k 2 the nucleus sees 0.4/0.7 and 0.3/0.7: 0.571 < 0.6, so p = 0.6 needs both.
  assert.deepEqual(candidateCutoffs(c, { topK: 2, topP: 0.6 }), { topKCount: 2, topPCount: 2 });
  assert.equal(candidateCutoffs(c, { topK: 2, topP: 0.5 }).topPCount, 1);
  // p beyond what the shown candidates hold: no line.
  assert.equal(candidateCutoffs(c.slice(0, 2), { topP: 0.9 }).topPCount, undefined);
  assert.ok(Math.abs((candidateCutoffs(c, { minP: 0.25 }).minPThreshold ?? 0) - 0.1) < 1e-12);
});

test('dist/core/index.js exports the decoding API (architecture.md: nextTokenLogits, generate)', () => {
  const core = require(join(packageRoot(), 'dist', 'core', 'index.js')) as Record<string, unknown>;
  for (const name of ['nextTokenLogits', 'generate', 'eosTokenIds', 'processLogits', 'candidateCutoffs']) assert.equal(typeof core[name], 'function', name);
});
