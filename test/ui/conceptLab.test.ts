// The Concept Lab (issue 20) in the real workbench: every page drawn from the embedded model, light and dark,
// a live training run to its end, and the panel at 480 px with nothing cut off.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';
import { clippedElements, narrowWebviewTo, restoreViewport } from './narrow';

let workbench: Workbench;

const code = 'export function mean(values: number[]): number {\n  const total = values.reduce((a, b) => a + b, 0);\n  return total / values.length;\n}\n';

before(async () => {
  workbench = await openWorkbench({ files: { 'mean.ts': code } });
});
after(async () => {
  await workbench?.close();
});

uiTest('the Concept Lab: RoPE, RMSNorm and SwiGLU, masks and live training on the embedded model, light and dark, at 480 px', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'mean.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Open Concept Lab');
  const view = activeWebview(page);
  await view.locator('section[data-section="qk"] canvas').first().waitFor({ timeout: 90_000 });
  assert.match((await view.locator('.page').textContent()) ?? '', /rope_theta θ = 10000 · head size d = 32 → 16 frequency pairs/);
  assert.match((await view.locator('header').textContent()) ?? '', /Selection in mean\.ts/);
  // The position slider moves the circles: the readout follows.
  const readout = view.locator('.readout');
  const before = await readout.textContent();
  await view.locator('input[type="range"]').fill('40');
  assert.notEqual(await readout.textContent(), before);
  assert.match((await readout.textContent()) ?? '', /^Position 40:/);
  await screenshot(page, 'conceptlab-rope-light');

  await view.locator('.tab[data-page="norm"]').click();
  await view.locator('section[data-section="swiglu"] canvas').first().waitFor({ timeout: 30_000 });
  assert.match((await view.locator('table.stats').textContent()) ?? '', /RMS\(x\)/);
  await screenshot(page, 'conceptlab-norm-light');

  await view.locator('.tab[data-page="masks"]').click();
  await view.locator('figure[data-mask="encoderDecoder"] canvas').waitFor({ timeout: 30_000 });
  assert.equal(await view.locator('figure[data-mask]').count(), 5);
  await screenshot(page, 'conceptlab-masks-light');

  await view.locator('.tab[data-page="train"]').click();
  await view.locator('vscode-button', { hasText: 'Train' }).click();
  await view.locator('p[data-train="done"]').waitFor({ timeout: 120_000 });
  assert.match((await view.locator('p[data-train="done"]').textContent()) ?? '', /\(60 steps/);
  assert.ok((await view.locator('table.predictions tbody tr').count()) > 0);
  await screenshot(page, 'conceptlab-train-light');

  // Dark theme: the same panel redraws in the theme's colours.
  await runCommand(page, 'Preferences: Toggle Between Light/Dark Themes');
  await page.waitForTimeout(1000);
  await screenshot(page, 'conceptlab-train-dark');
  await view.locator('.tab[data-page="rope"]').click();
  await view.locator('section[data-section="qk"] canvas').first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'conceptlab-rope-dark');

  // 480 px: every page fits (the mask grids and the predictions table scroll on their own; the aria-live region is hidden by design).
  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) <= 8, `webview width ${width}`);
  for (const p of ['rope', 'norm', 'masks', 'train']) {
    await view.locator(`.tab[data-page="${p}"]`).click();
    await view.locator(`.page[data-page="${p}"]`).waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(await clippedElements(view, ['.mask-scroll', '.table-scroll', '#llm-lens-live']), [], `page ${p} at 480 px`);
  }
  await view.locator('.tab[data-page="masks"]').click();
  await screenshot(page, 'conceptlab-masks-480');
  await runCommand(page, 'Preferences: Toggle Between Light/Dark Themes');
  await restoreViewport(page);
});
