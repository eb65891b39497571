import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeByteModel } from '../integration/attentionFixture';
import { extensionRoot } from '../support/codeServer';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

// A dark theme (the other attention UI test runs in the default light one).
const embedded = existsSync(join(extensionRoot, 'data', 'embedded-model', 'model.safetensors'));
const modelDir = process.env.LLM_LENS_UI_MODEL ?? (embedded ? undefined : writeByteModel());

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({
    files: { 'sum.ts': 'const total = items.reduce((a, b) => a + b, 0);\n' },
    settings: { 'workbench.colorTheme': 'Default Dark Modern', ...(modelDir ? { 'llmLens.modelPath': modelDir } : {}) },
  });
});
after(async () => {
  await workbench?.close();
});

test('the Attention panel in a dark theme: mean over heads, step view asks for one head', async () => {
  const { page } = workbench;
  await openFile(page, 'sum.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const view = activeWebview(page);
  await view.locator('.thumb').first().waitFor({ timeout: 90_000 });
  assert.match((await view.locator('.note').first().textContent()) ?? '', /not an explanation/);
  // The mean-over-heads thumbnail of layer 0 opens the heatmap of the mean.
  await view.locator('.thumb[data-layer="0"][data-head="mean"]').click();
  await view.locator('canvas.heatmap').waitFor({ timeout: 30_000 });
  assert.match((await view.locator('canvas.heatmap').getAttribute('aria-label')) ?? '', /Mean over heads/);
  await screenshot(page, 'attention-dark');
  // The step view asks for a single head when the mean is selected.
  await view.locator('#tab-step').click();
  await view.locator('.step-view .notice', { hasText: 'pick a head' }).waitFor({ timeout: 10_000 });
});
