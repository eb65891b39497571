import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { packageRoot } from '../../src/core/paths';

const eslint = new ESLint({ cwd: packageRoot() });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(packageRoot(), filePath) });
  return result.messages.map((m) => m.ruleId ?? 'fatal');
}

test('the lint fails when src/core or src/shared import vscode', async () => {
  const code = "import * as vscode from 'vscode';\nexport const x = vscode.version;\n";
  assert.ok((await ruleIds('src/core/example.ts', code)).includes('no-restricted-imports'));
  assert.ok((await ruleIds('src/shared/example.ts', code)).includes('no-restricted-imports'));
  // The extension layers may.
  assert.ok(!(await ruleIds('src/panels/example.ts', code)).includes('no-restricted-imports'));
});

test('the lint rejects default exports and any', async () => {
  assert.ok((await ruleIds('src/core/example.ts', 'export default 1;\n')).includes('no-restricted-syntax'));
  assert.ok((await ruleIds('src/core/example.ts', 'export const f = (x: any) => x;\n')).includes('@typescript-eslint/no-explicit-any'));
});
