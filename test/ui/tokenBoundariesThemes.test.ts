// Token boundaries in the dark and high-contrast themes (issue 19): the same command as tokenBoundaries.test.ts,
// in a workbench started in each theme (switching themes live in a shared workbench is not reliable, see
// workbench.ts). Dark: alternating translucent backgrounds; high contrast: outlines (package.json's colour
// defaults), checked on the rendered decoration elements and in a screenshot to look at.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

const lines = Array.from({ length: 200 }, (_, i) => `const tokenBoundary${i} = describe("토큰 경계 ${i}", () => value ** ${i}); // 🙂`);

for (const [theme, colorTheme] of [['dark', 'Default Dark Modern'], ['high-contrast', 'Default High Contrast']] as const) {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({ files: { 'boundaries.txt': lines.join('\n') + '\n' }, settings: { 'workbench.colorTheme': colorTheme } });
  });
  after(async () => {
    await workbench?.close();
  });

  uiTest(`token boundaries in the ${theme} theme: visible, and outlined in high contrast`, { workbench: () => workbench, timeout: 240_000 }, async () => {
    const { page } = workbench;
    await openFile(page, 'boundaries.txt');
    await runCommand(page, 'LLM Lens: Toggle Token Boundaries');
    await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .view-overlays div[class*="ced-"]').length > 40, undefined, { timeout: 60_000 });
    // What each decoration draws: its background and its outline (border or outline), as the browser computed them.
    const looks = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.monaco-editor .view-overlays div[class*="ced-"]')).slice(0, 60).map((e) => {
        const s = getComputedStyle(e);
        return { background: s.backgroundColor, border: `${s.borderTopStyle} ${s.borderTopWidth}`, outline: `${s.outlineStyle} ${s.outlineWidth}` };
      }),
    );
    const transparent = (c: string) => c === 'rgba(0, 0, 0, 0)' || c === 'transparent';
    if (theme === 'dark') {
      const backgrounds = new Set(looks.map((l) => l.background).filter((c) => !transparent(c)));
      assert.ok(backgrounds.size >= 2, `two alternating backgrounds, got ${[...backgrounds].join(' | ')}`);
    } else {
      const outlined = looks.filter((l) => !/^none|^hidden/.test(l.border) || !/^none/.test(l.outline));
      assert.ok(outlined.length > 20, `outlined tokens in high contrast, got ${JSON.stringify(looks.slice(0, 3))}`);
    }
    await screenshot(page, `token-boundaries-${theme}`);
    await runCommand(page, 'LLM Lens: Toggle Token Boundaries');
  });
}
