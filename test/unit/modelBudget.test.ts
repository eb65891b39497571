import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMemoryBudgetBytes, heapLimitMiB, memoryBudgetBytes } from '../../src/compute/budget';

const GiB = 1024 ** 3;

test('the memory budget is the setting in MiB, or a quarter of the machine for 0, unset or malformed values', () => {
  assert.equal(memoryBudgetBytes(2048, 24 * GiB), 2 * GiB);
  assert.equal(memoryBudgetBytes(0, 24 * GiB), 6 * GiB);
  assert.equal(memoryBudgetBytes(undefined, 16 * GiB), 4 * GiB);
  assert.equal(memoryBudgetBytes(-5, 8 * GiB), 2 * GiB);
  assert.equal(memoryBudgetBytes('1024', 8 * GiB), 2 * GiB);
  assert.equal(memoryBudgetBytes(Number.NaN, 8 * GiB), 2 * GiB);
  assert.equal(defaultMemoryBudgetBytes(24 * GiB), 6 * GiB);
});

test('the model process heap limit is a quarter of the machine, between 1 and 4 GiB', () => {
  assert.equal(heapLimitMiB(24 * GiB), 4096);
  assert.equal(heapLimitMiB(8 * GiB), 2048);
  assert.equal(heapLimitMiB(2 * GiB), 1024);
  assert.equal(heapLimitMiB(256 * GiB), 4096);
});
