import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

test('packageRoot finds the LLM Lens package.json from a built bundle', () => {
  const root = packageRoot();
  assert.ok(existsSync(join(root, 'package.json')));
  assert.ok(existsSync(join(root, 'src', 'core', 'index.ts')));
});
