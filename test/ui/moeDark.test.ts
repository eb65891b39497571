// The MoE routing view in a dark theme: chip colours and text stay readable, bars keep their contrast.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({
    files: { 'moeDark.ts': 'const total = items.reduce((sum, item) => sum + item.price * item.count, 0);\n' },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
});
after(async () => {
  await workbench?.close();
});

uiTest('the MoE routing view in a dark theme', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'moeDark.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show MoE Routing');
  const view = activeWebview(page);
  await view.locator('.chip').first().waitFor({ timeout: 120_000 });
  // Chip text is black or white, whichever reads on the chip's colour (never the theme's grey on yellow).
  const colours = await view.locator('.chip').evaluateAll((chips) => chips.map((c) => getComputedStyle(c).color));
  assert.ok(colours.every((c) => c === 'rgb(0, 0, 0)' || c === 'rgb(255, 255, 255)'), colours.join(' '));
  // The dark theme's palette: eight distinct expert colours, each at WCAG's 3:1 non-text contrast with the background.
  const swatches = await view.locator('.load-row .swatch').evaluateAll((s) => s.map((e) => getComputedStyle(e).backgroundColor));
  assert.equal(new Set(swatches).size, 8, swatches.join(' '));
  const luminance = (rgb: string): number => {
    const [r, g, b] = (rgb.match(/\d+/g) ?? []).map((v) => Number(v) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = await view.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
  for (const s of swatches) assert.ok((luminance(s) + 0.05) / (luminance(background) + 0.05) >= 3, `${s} stands out from ${background}`);
  await view.locator('.chip').nth(2).hover();
  assert.match((await view.locator('.readout').textContent()) ?? '', /^Token 2 /);
  await screenshot(page, 'moe-dark');
});
