import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatContextShare, formatContextWindow } from '../../src/core/tokenizers/contextBudget';

test('context windows are written the way model cards name them', () => {
  assert.equal(formatContextWindow(128_000), '128k');
  assert.equal(formatContextWindow(131_072), '128k'); // 2^17, Llama 3.1's max_position_embeddings
  assert.equal(formatContextWindow(256_000), '256k');
  assert.equal(formatContextWindow(8_192), '8k');
  assert.equal(formatContextWindow(1_000_000), '1M');
  assert.equal(formatContextWindow(1_048_576), '1M');
  assert.equal(formatContextWindow(1_234), '1,234');
});

test('the share is a percentage with one decimal, with small and overflowing counts readable', () => {
  assert.equal(formatContextShare(1_234, 128_000), '1.0%'); // 0.964…% rounds to 1.0
  assert.equal(formatContextShare(1_150, 128_000), '0.9%'); // 0.898…%
  assert.equal(formatContextShare(0, 128_000), '0.0%');
  assert.equal(formatContextShare(3, 128_000), '<0.1%');
  assert.equal(formatContextShare(64_000, 128_000), '50.0%');
  assert.equal(formatContextShare(192_000, 128_000), '150%');
  assert.equal(formatContextShare(10, 0), '');
});
