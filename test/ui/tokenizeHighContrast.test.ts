import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// The Tokenization panel in the dark high-contrast theme (the other UI test runs in the default light one):
// chips lose their tints and keep palette-coloured outlines, so token boundaries stay visible.
let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({
    files: { 'hello.py': 'def hello(name):\n\treturn f"안녕, {name}! 🦊"\n' },
    settings: { 'workbench.colorTheme': 'Default High Contrast' },
  });
});
after(async () => {
  await workbench?.close();
});

uiTest('the Tokenization panel in a high-contrast theme: outlined chips, readable table', { workbench: () => workbench, timeout: 400_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'hello.py');
  await runCommand(page, 'LLM Lens: Tokenize Selection');
  const view = activeWebview(page);
  await view.locator('body.vscode-high-contrast').waitFor({ timeout: 60_000 });
  const chip = view.locator('.token-rows .chip').first();
  await chip.waitFor({ timeout: 120_000 });
  const style = await chip.evaluate((e) => {
    const s = getComputedStyle(e);
    return { background: s.backgroundColor, border: s.borderTopColor, borderWidth: s.borderTopWidth, color: s.color };
  });
  assert.equal(style.background, 'rgba(0, 0, 0, 0)', 'no tint in high contrast');
  assert.equal(style.border, 'rgb(230, 159, 0)', 'the first chip is outlined in Okabe–Ito orange');
  assert.equal(style.borderWidth, '1px');
  await view.locator('table.comparison-table').waitFor({ timeout: 180_000 });
  await view.locator('h1').evaluate((e) => e.scrollIntoView());
  await screenshot(page, 'tokenize-high-contrast');
});
