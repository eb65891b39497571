// The Reading heads views in a dark theme at 480 px (heads.test.ts covers the light theme and the export).
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { extensionRoot } from '../support/codeServer';
import { narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';
import { openReadingHeads, REPEATED_CODE } from './headsSteps';

const embedded = existsSync(join(extensionRoot, 'data', 'embedded-model', 'model.safetensors'));

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'repeat.py': REPEATED_CODE }, settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
});
after(async () => {
  await workbench?.close();
});

uiTest('Reading heads in a dark theme at 480 px: the score grid, sinks and the logit lens', { workbench: () => workbench, timeout: 180_000 }, async () => {
  if (!embedded) return;
  const { page } = workbench;
  await openFile(page, 'repeat.py');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const view = activeWebview(page);
  await view.locator('.thumb').first().waitFor({ timeout: 90_000 });
  await narrowWebviewTo(page, 480);
  try {
    await openReadingHeads(view);
    // The sink score: every head's share of attention on the first token, with the note on why.
    await view.locator('vscode-dropdown[aria-label="Score"]').click();
    await view.locator('vscode-option', { hasText: 'Attention on the first token (sink)' }).click();
    await view.locator('p.score-caption', { hasText: 'sink' }).waitFor({ timeout: 10_000 });
    assert.match((await view.locator('.sink-note').textContent()) ?? '', /attention sinks/);
    await screenshot(page, 'heads-find-dark-480');
    await view.locator('#section-lens').click();
    await view.locator('table.lens-table').waitFor({ timeout: 60_000 });
    await screenshot(page, 'heads-lens-dark-480');
  } finally {
    await restoreViewport(page);
  }
});
