// "LLM Lens: Toggle Token Boundaries" in the real workbench: alternating backgrounds over the visible
// tokens (the default light theme; a screenshot to look at), and off again. (Dark and high contrast: their
// colours are registered defaults in package.json; switching themes live in the shared workbench was not
// reliable, see workbench.ts.)
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;
const lines = Array.from({ length: 400 }, (_, i) => `const tokenBoundary${i} = describe("토큰 경계 ${i}", () => value ** ${i}); // 🙂`);

before(async () => {
  workbench = await openWorkbench({ files: { 'boundaries.txt': lines.join('\n') + '\n' } });
});
after(async () => {
  await workbench?.close();
});

/** Decoration elements Monaco renders for inline decorations of the visible lines. */
const decorations = (workbench: Workbench) => workbench.page.locator('.monaco-editor .view-overlays div[class*="ced-"]');

uiTest('token boundaries are drawn in the editor and toggled off', { workbench: () => workbench, timeout: 240_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'boundaries.txt');
  await runCommand(page, 'LLM Lens: Toggle Token Boundaries');
  await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .view-overlays div[class*="ced-"]').length > 40, undefined, { timeout: 60_000 });
  assert.ok((await decorations(workbench).count()) > 40, 'decorations drawn');
  await screenshot(page, 'token-boundaries-light');
  await runCommand(page, 'LLM Lens: Toggle Token Boundaries');
  await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .view-overlays div[class*="ced-"]').length === 0, undefined, { timeout: 30_000 });
});
