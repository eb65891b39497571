import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameLocator } from 'playwright-core';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// Compare: two settings (T = 0.2 and T = 1.2, same prompt and seed) side by side, stacked at about 480 px.
let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'compare.py': 'def mean(values):\n    total = 0\n' } });
});
after(async () => {
  await workbench?.close();
});

async function panelWidth(view: FrameLocator): Promise<number> {
  return view.locator('body').evaluate(() => document.documentElement.clientWidth);
}

uiTest('Generate from Selection: compare T = 0.2 with T = 1.2 side by side, stacked at 480 px', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  // Wide enough that the panel beside the editor is over 600 px: the two columns side by side.
  await page.setViewportSize({ width: 2200, height: 900 });
  await openFile(page, 'compare.py');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Generate from Selection');
  const view = activeWebview(page);
  await view.locator('.gen-token').first().waitFor({ timeout: 90_000 });

  // The embedded model has no chat template: the toggle is disabled and says why.
  assert.equal(await view.locator('vscode-checkbox.chat-toggle').getAttribute('disabled'), '');
  assert.match((await view.locator('.chat-why').textContent()) ?? '', /no chat template/);

  // A: sampling at T = 0.2; B (the compare column starts as sampling at T = 1.2).
  await view.locator('vscode-dropdown[aria-label="Strategy"]').click();
  await view.locator('vscode-option', { hasText: 'Sampling' }).click();
  const temperatureA = view.locator('vscode-text-field[data-column="a"][data-field="temperature"] input');
  await temperatureA.fill('0.2');
  await view.locator('vscode-checkbox.compare-toggle').click();
  await view.locator('.settings-column').nth(1).waitFor();
  assert.equal(await view.locator('.settings-column').count(), 2);
  await view.locator('vscode-button.generate-button').click();
  await view.locator('.compare-card').nth(1).locator('.cmp-token').first().waitFor({ timeout: 90_000 });
  const settingsA = (await view.locator('.compare-card').nth(0).locator('.compare-settings').textContent()) ?? '';
  const settingsB = (await view.locator('.compare-card').nth(1).locator('.compare-settings').textContent()) ?? '';
  assert.match(settingsA, /T = 0\.2 · seed 0/);
  assert.match(settingsB, /T = 1\.2 · seed 0/);
  assert.ok((await view.locator('.compare-card').nth(0).locator('.cmp-token').count()) >= 1);

  // Wide: the two results sit side by side.
  const wideA = await view.locator('.compare-card').nth(0).boundingBox();
  const wideB = await view.locator('.compare-card').nth(1).boundingBox();
  assert.ok(wideA && wideB && Math.abs(wideA.y - wideB.y) < 2 && wideB.x > wideA.x + wideA.width - 1, 'side by side');
  await view.locator('.compare').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-compare-wide');

  // Narrow the window until the panel is about 480 px: the columns stack and nothing overflows.
  for (let i = 0; i < 3; i++) {
    const width = await panelWidth(view);
    if (width >= 465 && width <= 495) break;
    const viewport = page.viewportSize() ?? { width: 2200, height: 900 };
    await page.setViewportSize({ width: Math.round(viewport.width + 2 * (480 - width)), height: 900 });
    await page.waitForTimeout(800);
  }
  const width = await panelWidth(view);
  assert.ok(width >= 460 && width <= 510, `panel width ${width}`);
  const narrowA = await view.locator('.compare-card').nth(0).boundingBox();
  const narrowB = await view.locator('.compare-card').nth(1).boundingBox();
  assert.ok(narrowA && narrowB && narrowB.y >= narrowA.y + narrowA.height - 1, 'stacked');
  const overflow = await view.locator('body').evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no horizontal overflow (${overflow} px)`);
  await view.locator('.compare').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-compare-narrow');
  await view.locator('.controls').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-compare-narrow-settings');
  await page.setViewportSize({ width: 1400, height: 900 });
});
