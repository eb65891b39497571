import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from '../../src/shared/protocol';

test('tokenizer panel requests: well-formed messages pass through', () => {
  assert.deepEqual(parseRequest('tokenizer', { type: 'setTokenizer', tokenizerId: 'llama3' }), { type: 'setTokenizer', tokenizerId: 'llama3' });
  // A user's tokenizer.json deep in a models folder: `file:` and its absolute path.
  const fileId = `file:/home/someone/${'models/'.repeat(20)}Qwen2.5-7B-Instruct/tokenizer.json`;
  assert.deepEqual(parseRequest('tokenizer', { type: 'setTokenizer', tokenizerId: fileId }), { type: 'setTokenizer', tokenizerId: fileId });
  assert.deepEqual(parseRequest('tokenizer', { type: 'setLive', live: true }), { type: 'setLive', live: true });
  assert.deepEqual(parseRequest('tokenizer', { type: 'selectToken', index: 12 }), { type: 'selectToken', index: 12 });
  assert.deepEqual(parseRequest('tokenizer', { type: 'focusToken', index: 0 }), { type: 'focusToken', index: 0 });
  assert.deepEqual(parseRequest('tokenizer', { type: 'trainBpe' }), { type: 'trainBpe' });
  assert.deepEqual(parseRequest('tokenizer', { type: 'trainStep', step: 300 }), { type: 'trainStep', step: 300 });
  assert.deepEqual(
    parseRequest('tokenizer', { type: 'rendered', revision: 3, renderMs: 12.5, paintedAt: 1_796_000_000_000.25 }),
    { type: 'rendered', revision: 3, renderMs: 12.5, paintedAt: 1_796_000_000_000.25 },
  );
  assert.deepEqual(parseRequest('tokenizer', { type: 'cancel' }), { type: 'cancel' });
});

test('tokenizer panel requests: malformed or hostile messages are rejected', () => {
  const bad: unknown[] = [
    null,
    'setTokenizer',
    { type: 'setTokenizer' },
    { type: 'setTokenizer', tokenizerId: 42 },
    { type: 'setTokenizer', tokenizerId: 'x'.repeat(4_102) },
    { type: 'setLive', live: 'yes' },
    { type: 'selectToken', index: -1 },
    { type: 'selectToken', index: 1.5 },
    { type: 'focusToken', index: Number.NaN },
    { type: 'focusToken', index: '3' },
    { type: 'trainStep', step: 1e9 },
    { type: 'rendered', revision: 1 },
    { type: 'rendered', revision: 1, renderMs: -1, paintedAt: 1 },
    { type: 'rendered', revision: 1, renderMs: 1 },
    { type: 'rendered', revision: 1, renderMs: 1, paintedAt: 'now' },
    { type: 'runCommand', command: 'llmLens.showWelcome' },
    { type: 'constructor' },
  ];
  for (const message of bad) assert.equal(parseRequest('tokenizer', message), undefined, JSON.stringify(message));
});
