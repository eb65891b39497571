// Restricted Mode (an untrusted folder, in a workbench of its own with workspace trust on): LLM Lens stays
// enabled and its commands work, but the workspace's own llmLens.modelPath is not used until the folder is
// trusted — the embedded model runs, and the panel and Choose Model say why.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeByteModel } from '../integration/attentionFixture';
import { extensionRoot } from '../support/codeServer';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

const embedded = existsSync(join(extensionRoot, 'data', 'embedded-model', 'model.safetensors'));
// A real model folder: were the workspace setting used, this 2-layer model would run instead of the embedded one.
const workspaceModel = writeByteModel();
const sample = 'export const area = (r: number): number => Math.PI * r * r;\n';

let workbench: Workbench;

// LLM Lens as a user has it: an installed copy, not a development path (VS Code never disables an extension
// under development, so only an installed one shows what Restricted Mode does to it).
const extensionsDir = mkdtempSync('/tmp/llr-');

before(async () => {
  const installed = join(extensionsDir, 'llm-lens.llm-lens-0.1.0');
  for (const entry of ['package.json', 'package.nls.json', 'package.nls.ko.json', 'dist', 'l10n', 'media', 'data']) {
    cpSync(join(extensionRoot, entry), join(installed, entry), { recursive: true });
  }
  workbench = await openWorkbench({
    isolated: true,
    development: false,
    extensionsDir,
    workspaceTrust: true,
    files: { 'area.ts': sample, '.vscode/settings.json': JSON.stringify({ 'llmLens.modelPath': workspaceModel }, null, 2) },
  });
});
after(async () => {
  await workbench?.close();
  rmSync(workspaceModel, { recursive: true, force: true });
  rmSync(extensionsDir, { recursive: true, force: true });
});

uiTest('in Restricted Mode LLM Lens works, but a modelPath from the workspace settings is not used (and the panel says why)', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  // The workbench really is in Restricted Mode.
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });

  await runCommand(page, 'LLM Lens: Show Welcome');
  await activeWebview(page).locator('h1', { hasText: 'LLM Lens' }).waitFor({ timeout: 60_000 });

  await openFile(page, 'area.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const view = activeWebview(page);
  if (embedded) {
    await view.locator('.thumb').first().waitFor({ timeout: 90_000 });
    assert.match((await view.locator('.model-header strong').first().textContent()) ?? '', /embedded model/);
  }
  const notice = view.locator('.notice.untrusted');
  await notice.waitFor({ timeout: 30_000 });
  const text = (await notice.textContent()) ?? '';
  assert.match(text, /not trusted/);
  assert.ok(text.includes(workspaceModel), `the notice names the ignored path: ${text}`);
  await screenshot(page, 'attention-restricted');

  // Choose Model lists the workspace's path as not used until the folder is trusted.
  await runCommand(page, 'LLM Lens: Choose Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'not used until you trust this folder' }).waitFor({ timeout: 15_000 });
  await screenshot(page, 'attention-restricted-choose-model');
  await page.keyboard.press('Escape');

  await runCommand(page, 'LLM Lens: Tokenize Selection');
  await activeWebview(page).locator('h1', { hasText: 'Tokenization' }).waitFor({ timeout: 60_000 });
});
