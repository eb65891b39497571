// The MoE routing view (issue 15) on the embedded mixture-of-experts model: tokens coloured by their first expert,
// gate weights on keyboard focus, the expert-load chart, total vs active parameters, in a 480 px wide panel.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { clippedElements, narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'moe.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n' } });
});
after(async () => {
  await workbench?.close();
});

uiTest('the MoE routing view: first experts, gate weights on focus, expert load, parameters; 480 px', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'moe.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show MoE Routing');
  const view = activeWebview(page);
  await view.locator('.chip').first().waitFor({ timeout: 120_000 });
  // The default model is dense, so the embedded MoE model runs and the view says so.
  assert.match((await view.locator('.note').textContent()) ?? '', /dense model/);
  assert.match((await view.locator('.model-line').textContent()) ?? '', /8 experts per MoE layer, top-2 per token, 2 of 2 layers/);
  const chips = view.locator('.chip');
  const n = await chips.count();
  assert.ok(n > 5, `${n} token chips`);
  // Keyboard: focus the first token, move right; the readout names the token and its two gate weights.
  await chips.first().focus();
  await page.keyboard.press('ArrowRight');
  const readout = (await view.locator('.readout').textContent()) ?? '';
  assert.match(readout, /^Token 1 .*expert \d \(0\.\d{3}\), expert \d \(0\.\d{3}\)$/);
  const second = await chips.nth(1).getAttribute('data-expert');
  assert.match(readout, new RegExp(`: expert ${second} `), 'the chip shows the first expert of the readout');
  // The expert load: 8 bars whose counts add up to tokens × top-2.
  const counts = await view.locator('.load-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-count'))));
  assert.equal(counts.length, 8);
  assert.equal(counts.reduce((a, b) => a + b, 0), 2 * n);
  // Eight experts, eight different colours (the old 7-colour palette repeated at the 8th), each chip in its
  // expert's colour as the load chart's swatches show it, and the expert's number on every chip.
  const swatches = await view.locator('.load-row .swatch').evaluateAll((s) => s.map((e) => getComputedStyle(e).backgroundColor));
  assert.equal(new Set(swatches).size, 8, swatches.join(' '));
  const chipColours = await chips.evaluateAll((c) => c.map((e) => [Number(e.getAttribute('data-expert')), getComputedStyle(e).backgroundColor, e.querySelector('.chip-expert')?.textContent ?? ''] as const));
  for (const [expert, colour, label] of chipColours) {
    assert.equal(colour, swatches[expert], `a chip of expert ${expert}`);
    assert.equal(label, `E${expert}`);
  }
  assert.match((await view.locator('.params').textContent()) ?? '', /Active per token: .*Mixtral-8x7B-v0\.1 by the same arithmetic: 46\.7B total, 12\.9B active/);
  await screenshot(page, 'moe-light');
  // Layer 1 from the picker.
  await view.locator('#layer-picker').click();
  await view.locator('vscode-option', { hasText: 'Layer 1' }).click();
  await view.locator('h2', { hasText: 'Expert load in layer 1' }).waitFor({ timeout: 15_000 });
  // A 480 px panel: nothing cut off.
  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) <= 16, `webview ${width} px wide`);
  // The aria-live region is hidden on purpose (it only speaks).
  assert.deepEqual((await clippedElements(view)).filter((c) => !c.includes('visually-hidden')), []);
  await screenshot(page, 'moe-480');
  await restoreViewport(page);
});
