import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeByteModel } from '../integration/attentionFixture';
import { extensionRoot } from '../support/codeServer';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

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

uiTest('the Attention panel in a dark theme: mean over heads, step view asks for one head', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'sum.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
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

  // Export: the host asks where (VS Code's save dialog, here the simple one: Enter accepts the proposed
  // workspace path) and writes the CSV of the shown matrix and the PNG the webview drew.
  const saveIn = async (button: string, file: string): Promise<Buffer> => {
    const path = join(workbench.server.workspace, file);
    // A file left by an earlier run would make the dialog ask about replacing it.
    rmSync(path, { force: true });
    await view.locator('vscode-button', { hasText: button }).click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    for (let i = 0; i < 100 && !(existsSync(path) && statSync(path).size > 0); i++) await page.waitForTimeout(100);
    return readFileSync(path);
  };
  const csv = (await saveIn('Export CSV', 'attention-layer0-mean.csv')).toString('utf8').split('\r\n');
  assert.match(csv[0], /^query \\ key,0:/);
  const [, tokens] = /(\d+) tokens/.exec((await view.locator('.model-header').textContent()) ?? '') ?? [];
  assert.equal(csv.filter((l) => l.length > 0).length, Number(tokens) + 1, 'a header and a row per query token');
  const png = await saveIn('Export PNG', 'attention-layer0-mean.png');
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  // The step view asks for a single head when the mean is selected.
  await view.locator('#tab-step').click();
  await view.locator('.step-view .notice', { hasText: 'pick a head' }).waitFor({ timeout: 10_000 });

  // The embedded model links its card (Markdown preview) and training-loss curve.
  if (!modelDir) {
    await view.locator('vscode-link', { hasText: 'Model card' }).click();
    await page.locator('.tab', { hasText: 'MODEL_CARD' }).first().waitFor({ timeout: 20_000 });
  }
});
