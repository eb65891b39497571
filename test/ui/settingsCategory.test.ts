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

uiTest('the Settings editor shows LLM Lens as "LLM Lens" with its sections, never "Llm Lens"', { workbench: () => workbench, timeout: 180_000 }, async () => {
  const { page } = workbench;
  // A wide, tall window: the Settings editor hides its tree when narrow and draws only the rows that fit.
  await page.setViewportSize({ width: 1600, height: 1200 });
  await runCommand(page, 'Preferences: Open Settings (UI)');
  await page.locator('.settings-editor').waitFor({ timeout: 30_000 });
  // The settings tree, as a user browses it: Extensions › LLM Lens, with one section per panel.
  const toc = page.locator('.settings-toc-container .monaco-list-row');
  const group = toc.filter({ hasText: /LLM Lens/ }).first();
  // Extensions may already be expanded (a retry in the same workbench): a second click would fold it.
  if (!(await group.isVisible())) await toc.filter({ hasText: /Extensions/ }).first().click();
  await group.waitFor({ timeout: 15_000 });
  await group.click();
  await page.locator('.settings-editor .setting-item-contents .setting-item-title', { hasText: /Default Tokenizer/ }).first().waitFor({ timeout: 15_000 });
  await page.waitForTimeout(1_000);
  const labels = (await toc.allTextContents()).map((t) => t.trim());
  for (const section of ['Tokenization', 'Attention', 'Glossary']) assert.ok(labels.some((t) => t.replace(/\s*\(\d+\)$/, '') === section), `the tree has ${section} under LLM Lens: ${labels.join(' | ')}`);
  assert.ok(!labels.some((t) => /Llm/.test(t)), labels.join(' | '));
  const titles = await settingTitles(page);
  const ours = titles.filter((t) => /Tokenizer|Token Count|Model Path|Max Tokens|Trained Context|Glossary/.test(t));
  assert.ok(ours.length >= 4, `LLM Lens settings shown: ${titles.join(' | ')}`);
  assert.deepEqual(ours.filter((t) => /Llm/.test(t)), [], `no "Llm" in: ${ours.join(' | ')}`);
  await screenshot(page, 'settings-tree');
  // A search (or @ext: filter) prefixes each setting with VS Code's reading of the key, "Llm Lens" from
  // `llmLens.…` (settingsTreeModels.ts: settingKeyToDisplayFormat, wordifyKey): no manifest field changes that
  // short of renaming every key, so it is only recorded here.
  await searchSettings(page, '@ext:llm-lens.llm-lens');
  console.log(`search result titles: ${(await settingTitles(page)).join(' | ')}`);
  await screenshot(page, 'settings-ext');
  await page.setViewportSize({ width: 1400, height: 900 });
});
