import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// The Decoding panel in a dark theme (decoding.test.ts runs in the default light one).
let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({
    files: { 'story.txt': 'Once upon a time, there was a' },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
});
after(async () => {
  await workbench?.close();
});

uiTest('the Decoding panel in a dark theme: confidence colours, candidates, cancel-free greedy run', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'story.txt');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Generate from Selection');
  const view = activeWebview(page);
  await view.locator('.gen-token').first().waitFor({ timeout: 90_000 });
  // Colour by entropy instead of probability: the token colours change.
  const before = await view.locator('.gen-token').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  await view.locator('vscode-dropdown[aria-label="Colour by"]').click();
  await view.locator('vscode-option', { hasText: 'Entropy of the distribution' }).click();
  await view.locator('.gen-token').first().waitFor();
  const after = await view.locator('.gen-token').first().evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(after, before);
  assert.match((await view.locator('.hallucination').textContent()) ?? '', /signal, not a detector/);
  await view.locator('.bars').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-dark');
});
