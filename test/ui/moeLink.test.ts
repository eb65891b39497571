// Issue 15: the Attention panel links to the MoE view when the model is a mixture of experts. With the embedded MoE
// model as llmLens.modelPath, the panel's header offers the link (reached by keyboard: focus + Enter), and the MoE view
// opens on the same text and model — not the "dense model" fallback — with one distinct colour per expert. In the
// high-contrast theme, where every chip also gets the theme's contrast border.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { embeddedModelDir } from '../../src/core/paths';
import { narrowWebviewTo, restoreViewport } from './narrow';
import { openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({
    files: { 'router.ts': 'const route = (token: string) => experts[gate(token)];\n' },
    settings: { 'llmLens.modelPath': embeddedModelDir('moe'), 'workbench.colorTheme': 'Default High Contrast' },
  });
});
after(async () => {
  await workbench?.close();
});

/** The webview (of several open) whose page shows `selector`. */
async function webviewWith(page: Page, selector: string, timeoutMs = 120_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = page.locator('iframe.webview.ready');
    const n = await frames.count();
    for (let i = n - 1; i >= 0; i--) {
      const frame = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(250);
  }
}

uiTest('a mixture-of-experts model: the Attention panel links to the MoE view of the same text and model (keyboard, high contrast)', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'router.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const attention = await webviewWith(page, '.moe-link');
  const link = attention.locator('.moe-link');
  assert.match((await link.textContent()) ?? '', /MoE routing: which of the 8 experts each token goes to \(top-2\)/);
  const tokens = await attention.locator('.model-header').textContent();
  assert.match(tokens ?? '', /embedded-model-moe/);
  await screenshot(page, 'moe-link-attention');
  // In a 480 px panel the link wraps inside the panel instead of running off its edge.
  const width = await narrowWebviewTo(page, 480);
  const overflow = await link.evaluate((a) => a.getBoundingClientRect().right - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the link ends ${overflow} px past a ${width} px panel`);
  await screenshot(page, 'moe-link-attention-480');
  await restoreViewport(page);
  // Keyboard: the link takes focus and Enter follows it.
  await link.focus();
  await page.keyboard.press('Enter');
  const moe = await webviewWith(page, '.chip');
  assert.match((await moe.locator('.model-line').textContent()) ?? '', /LLM Lens embedded MoE model: 8 experts per MoE layer, top-2 per token/);
  assert.equal(await moe.locator('.note').count(), 0, 'the chosen MoE model ran (no "dense model" note)');
  // Eight experts, eight different colours (the old palette gave experts 0 and 7 the same one), each chip in its expert's colour.
  const swatches = await moe.locator('.load-row .swatch').evaluateAll((s) => s.map((e) => getComputedStyle(e).backgroundColor));
  assert.equal(swatches.length, 8);
  assert.equal(new Set(swatches).size, 8, swatches.join(' '));
  const chips = await moe.locator('.chip').evaluateAll((c) => c.map((e) => [Number(e.getAttribute('data-expert')), getComputedStyle(e).backgroundColor] as const));
  for (const [expert, colour] of chips) assert.equal(colour, swatches[expert], `a chip of expert ${expert}`);
  // High contrast: chips are outlined in the theme's contrast border, so neighbouring chips never merge.
  const contrastBorder = await moe.locator('body').evaluate((b) => getComputedStyle(b).getPropertyValue('--vscode-contrastBorder').trim());
  assert.ok(contrastBorder, 'the high-contrast theme defines contrastBorder');
  const borders = await moe.locator('.chip').evaluateAll((c) => c.map((e) => getComputedStyle(e).borderTopColor));
  const expectedBorder = await moe.locator('body').evaluate((b, colour) => {
    const probe = document.createElement('span');
    probe.style.color = colour;
    b.appendChild(probe);
    const resolved = getComputedStyle(probe).color;
    probe.remove();
    return resolved;
  }, contrastBorder);
  assert.ok(borders.every((b) => b === expectedBorder), `${borders[0]} vs ${expectedBorder}`);
  await screenshot(page, 'moe-link-moe');
});
