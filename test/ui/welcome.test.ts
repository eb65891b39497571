import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

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
