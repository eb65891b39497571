import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { codeServerCommand, extensionRoot, isolatedEnv, selectedVersion } from '../support/codeServer';
import { activeWebview, openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

const vsix = join(extensionRoot, 'llm-lens.vsix');
let workbench: Workbench;
let extensionsDir: string;

before(async () => {
  assert.ok(existsSync(vsix), `${vsix} is missing: run npm run package first`);
  extensionsDir = mkdtempSync('/tmp/llx-');
  const { node, entry } = codeServerCommand(selectedVersion());
  // The same CLI a user runs: code-server --install-extension llm-lens.vsix
  execFileSync(node, [entry, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    env: isolatedEnv(join(extensionsDir, 'home')),
    stdio: 'pipe',
    timeout: 120_000,
  });
  workbench = await openWorkbench({ development: false, extensionsDir });
});
after(async () => {
  await workbench?.close();
  if (extensionsDir) rmSync(extensionsDir, { recursive: true, force: true });
});

test('the .vsix installs with --install-extension and holds only the allow-listed files', () => {
  const installed = readdirSync(extensionsDir).filter((d) => d.startsWith('llm-lens.llm-lens-'));
  assert.equal(installed.length, 1, `installed: ${readdirSync(extensionsDir).join(', ')}`);
  const top = readdirSync(join(extensionsDir, installed[0])).sort();
  const allowed = new Set(['dist', 'data', 'docs', 'media', 'l10n', 'package.json', 'package.nls.json', 'package.nls.ko.json', 'README.md', 'LICENSE', 'NOTICE', 'LICENSE.txt', 'readme.md', '.vsixmanifest']);
  for (const name of top) assert.ok(allowed.has(name), `unexpected file in the package: ${name}`);
  assert.ok(existsSync(join(extensionsDir, installed[0], 'dist', 'extension.js')));
  assert.ok(!existsSync(join(extensionsDir, installed[0], 'src')), 'no sources in the package');
});

test('a command runs from the installed package (no development path)', async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: Show Welcome');
  const view = activeWebview(page);
  await view.locator('h1', { hasText: 'LLM Lens' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'installed-vsix-welcome');
});
