import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandId, intIn, numberIn, oneOf, parseRequest, stringUpTo } from '../../src/shared/protocol';

test('parseRequest accepts the common requests and valid panel requests', () => {
  assert.deepEqual(parseRequest('welcome', { type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseRequest('welcome', { type: 'cancel', extra: 1 }), { type: 'cancel' });
  assert.deepEqual(parseRequest('welcome', { type: 'runCommand', command: CommandId.showKvCache }), { type: 'runCommand', command: 'llmLens.showKvCache' });
});

test('parseRequest rejects anything a hostile or buggy webview could send', () => {
  const hostile: unknown[] = [
    null,
    undefined,
    42,
    'ready',
    [],
    { type: 42 },
    { type: 'unknown' },
    { type: 'runCommand' },
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
    { type: 'runCommand', command: { toString: () => 'llmLens.showWelcome' } },
    { type: 'runCommand', command: 'llmLens.showWelcome\u0000' },
    JSON.parse('{"type":"runCommand","command":"llmLens.x","__proto__":{"polluted":true}}'),
  ];
  for (const message of hostile) assert.equal(parseRequest('welcome', message), undefined, JSON.stringify(message));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('the field validators reject NaN, Infinity, out-of-range and wrong types', () => {
  assert.equal(numberIn(Number.NaN, 0, 1), undefined);
  assert.equal(numberIn(Number.POSITIVE_INFINITY, 0, Number.MAX_VALUE), undefined);
  assert.equal(numberIn('1', 0, 2), undefined);
  assert.equal(numberIn(0.5, 0, 1), 0.5);
  assert.equal(intIn(1.5, 0, 2), undefined);
  assert.equal(intIn(-1, 0, 2), undefined);
  assert.equal(intIn(2, 0, 2), 2);
  assert.equal(stringUpTo('abc', 2), undefined);
  assert.equal(stringUpTo('ab', 2), 'ab');
  assert.equal(oneOf('b', ['a', 'b'] as const), 'b');
  assert.equal(oneOf('c', ['a', 'b'] as const), undefined);
});
