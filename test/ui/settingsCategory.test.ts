// The Settings editor as a new user opens it for LLM Lens: its group in the table of contents and every
// setting's category read "LLM Lens" (not VS Code's "Llm Lens", made from the key prefix `llmLens`).
// Screenshots: test-results/ui/settings-*.png.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench();
});
after(async () => {
  await workbench?.close();
});

/** The category and label of every setting row shown, e.g. "Status Bar: " + "Token Count". */
async function settingTitles(page: Page): Promise<string[]> {
  return page.locator('.settings-editor .setting-item-contents .setting-item-title').evaluateAll((titles) => titles.map((t) => (t.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

/** Types `query` into the Settings editor's search box and waits for the rows to follow. */
async function searchSettings(page: Page, query: string): Promise<void> {
  await page.locator('.settings-editor .settings-header .search-container').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(query, { delay: 20 });
  await page.locator('.settings-editor .setting-item-contents .setting-item-title', { hasText: /Tokenizer/ }).first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1_000);
}

uiTest('the Settings editor names the LLM Lens category "LLM Lens", never "Llm Lens"', { workbench: () => workbench, timeout: 180_000 }, async () => {
  const { page } = workbench;
  await runCommand(page, 'Preferences: Open Settings (UI)');
  await page.locator('.settings-editor').waitFor({ timeout: 30_000 });
  for (const query of ['@ext:llm-lens.llm-lens', 'llmLens']) {
    await searchSettings(page, query);
    const titles = await settingTitles(page);
    assert.ok(titles.length >= 6, `settings shown for ${query}: ${titles.join(' | ')}`);
    assert.deepEqual(titles.filter((t) => /Llm/.test(t)), [], `no "Llm" in: ${titles.join(' | ')}`);
    await screenshot(page, `settings-${query.startsWith('@') ? 'ext' : 'search'}`);
  }
  // The table of contents (the settings tree without a search) has an "LLM Lens" group.
  await searchSettings(page, '@ext:llm-lens.llm-lens');
  const toc = await page.locator('.settings-toc-container .monaco-list-row').allTextContents();
  assert.ok(toc.some((t) => t.includes('LLM Lens')), `table of contents: ${toc.join(' | ')}`);
  assert.ok(!toc.some((t) => t.includes('Llm Lens')), `table of contents: ${toc.join(' | ')}`);
});
