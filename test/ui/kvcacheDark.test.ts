import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  // A dark theme: the other KV-cache UI test runs in the default light one.
  workbench = await openWorkbench({ settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
});
after(async () => {
  await workbench?.close();
});

uiTest('the KV-cache panel in a dark theme: DeepSeek-V3 with its MLA variant, int4 cache, keyboard-read chart', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  await view.locator('.card[data-variant="GQA"]').waitFor({ timeout: 30_000 });
  // Pick DeepSeek-V3 in the preset dropdown.
  await view.locator('vscode-dropdown[data-field="preset"]').click();
  await view.locator('vscode-dropdown[data-field="preset"] vscode-option', { hasText: 'DeepSeek-V3' }).click();
  const mla = view.locator('.card[data-variant="MLA"]');
  await mla.waitFor({ timeout: 15_000 });
  assert.equal(await view.locator('.card.variant').count(), 4, 'MHA, GQA, MQA and MLA');
  // (512 + 64) · 61 layers · 2 B = 70,272 B = 68.63 KiB per token; MLA is the model's own variant.
  assert.match((await mla.textContent()) ?? '', /68\.63 KiB/);
  assert.match((await mla.textContent()) ?? '', /this model/);
  assert.equal(await mla.locator('.bytes').first().getAttribute('title'), '70,272 bytes');
  // An int4 cache (half a byte per value instead of two) is a quarter of that: 35,136 values · 0.5 B = 17,568 B.
  await view.locator('vscode-dropdown[data-field="kvDtype"]').click();
  await view.locator('vscode-dropdown[data-field="kvDtype"] vscode-option', { hasText: 'int4' }).click();
  await mla.locator('.bytes[title="17,568 bytes"]').waitFor();
  // The chart reads out values from the keyboard through the aria-live region.
  const canvas = view.locator('canvas.memory-chart');
  await canvas.focus();
  await page.keyboard.press('End');
  await view.locator('#llm-lens-live', { hasText: '1,048,576 tokens: MHA' }).waitFor();
  await screenshot(page, 'kvcache-dark');
  await view.locator('[data-testid="formula"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'kvcache-dark-chart');
});

test('after a window reload the KV-cache panel comes back with the model and cache type it showed', async () => {
  const { page } = workbench;
  await runCommand(page, 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const view = activeWebview(page);
  // Restored by its serializer from the webview's saved state: DeepSeek-V3 with an int4 cache.
  const mla = view.locator('.card[data-variant="MLA"]');
  await mla.locator('.bytes[title="17,568 bytes"]').waitFor({ timeout: 90_000 });
  // The restored page may draw twice (its saved state, then the host's snapshot): wait for the cards to settle.
  let cards = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await page.waitForTimeout(200)) {
    cards = await view.locator('.card.variant').count();
    if (cards === 4) break;
  }
  assert.equal(cards, 4);
  assert.match((await view.locator('[data-testid="model-summary"]').textContent()) ?? '', /DeepSeek-V3/);
  assert.equal(await page.locator('.tabs-container .tab', { hasText: 'KV Cache Memory' }).count(), 1, 'one panel, not a second one');
});
