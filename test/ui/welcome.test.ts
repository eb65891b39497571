import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clippedElements, narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, closeAllEditors, openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench();
});
after(async () => {
  await workbench?.close();
});

test('LLM Lens: Show Welcome renders the toolkit page in the real workbench', async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: Show Welcome');
  const view = activeWebview(page);
  await view.locator('h1', { hasText: 'LLM Lens' }).waitFor({ timeout: 30_000 });
  // The page's text comes from the host's snapshot (version from package.json).
  const version = await view.locator('.muted').first().textContent();
  assert.match(version ?? '', /\d+\.\d+\.\d+/);
  // Toolkit components are defined and rendered (custom elements upgraded, with a shadow root).
  const upgraded = await view.locator('vscode-button').evaluateAll((buttons) => buttons.filter((b) => b.shadowRoot !== null).length);
  const cards = await view.locator('.card').count();
  assert.equal(upgraded, cards, 'one upgraded toolkit button per feature card');
  await screenshot(page, 'welcome');
});

test('at 480 px nothing is cut off, and with no file open a feature button runs on a sample copy', async () => {
  const { page } = workbench;
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'LLM Lens: Show Welcome');
  const view = activeWebview(page);
  await view.locator('.card vscode-button').first().waitFor({ timeout: 30_000 });
  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) <= 8, `webview width ${width}`);
  assert.deepEqual(await clippedElements(view), []);
  await screenshot(page, 'welcome-480');
  await restoreViewport(page);
  // No editor is open: the Tokenization button opens an untitled copy of the sample and tokenizes it.
  await view.locator('.card[data-command="llmLens.tokenizeSelection"] vscode-button').click();
  await page.locator('.tabs-container .tab', { hasText: 'Untitled' }).first().waitFor({ timeout: 30_000 });
  const tokens = activeWebview(page).locator('.stat[data-stat="tokens"] .stat-value');
  await tokens.filter({ hasText: /^\d+$/ }).waitFor({ timeout: 120_000 });
  await screenshot(page, 'welcome-sample');
  // The untitled copy is a throwaway: closing it asks whether to save it (closeAllEditors says no).
  await closeAllEditors(page);
  await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  // The next test reloads the window with the Welcome panel open.
  await runCommand(page, 'LLM Lens: Show Welcome');
  await activeWebview(page).locator('h1', { hasText: 'LLM Lens' }).waitFor({ timeout: 30_000 });
});

test('the panel comes back after a window reload (its serializer restores it)', async () => {
  const { page } = workbench;
  await runCommand(page, 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const view = activeWebview(page);
  await view.locator('h1', { hasText: 'LLM Lens' }).waitFor({ timeout: 60_000 });
  const tab = page.locator('.tabs-container .tab', { hasText: 'Welcome to LLM Lens' });
  assert.equal(await tab.count(), 1);
});

test('the webview reports no CSP violations other than the toolkit’s known ones', () => {
  // Known and harmless (house-style.md): FAST's :focus-visible probe and the badge/tag style placeholder.
  const violations = workbench.consoleMessages.filter((m) => /Content Security Policy/i.test(m) && !/style-src/.test(m));
  assert.deepEqual(violations, []);
});
