// The Glossary panel's search as a new user types it: fast (30–60 ms a key), in a panel 480 px wide, with
// the host answering each keystroke. The field must keep every key; results come ranked by the core.
// Screenshots: test-results/ui/glossary-search-*.png.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { searchGlossary } from '../../src/core/glossary/search';
import { clippedElements, narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench();
});
after(async () => {
  await restoreViewport(workbench.page).catch(() => undefined);
  await workbench?.close();
});

/** Types `text` one key at a time, 30 to 60 ms apart, as a fast typist does. */
async function typeFast(page: Page, text: string): Promise<void> {
  let i = 0;
  for (const key of text) {
    await page.keyboard.type(key);
    await page.waitForTimeout(30 + ((i++ * 17) % 31));
  }
}

/** The search field's value, read from the input inside the toolkit field. */
async function fieldValue(view: FrameLocator): Promise<string> {
  return view.locator('vscode-text-field.search').evaluate((e) => (e as HTMLElement & { value: string }).value);
}

/** The ids of the terms shown, in the order shown. */
async function shownIds(view: FrameLocator): Promise<string[]> {
  return view.locator('article.term:visible').evaluateAll((items) => items.map((i) => i.getAttribute('data-term') ?? ''));
}

/**
 * Clears the field as people do (Ctrl+A, Backspace), types `query` fast, and waits until the results answer
 * exactly that query. (Before the fix, VS Code's own Select All came back to the webview a moment after the
 * browser's and selected the first keys typed: "kv cache" became "v cache".)
 */
async function search(page: Page, view: FrameLocator, query: string): Promise<string[]> {
  const field = view.locator('vscode-text-field.search');
  await field.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await typeFast(page, query);
  assert.equal(await fieldValue(view), query, 'the field holds every key typed');
  const expected = searchGlossary(query).map((h) => h.entry.id);
  // The results follow the host's answer to the last keystroke.
  await view.locator('.count', { hasText: new RegExp(`^${expected.length} of \\d+ terms$`) }).waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);
  assert.equal(await fieldValue(view), query, 'no answer from the host rewrote the field');
  return expected;
}

uiTest('Glossary search keeps every key typed at 30–60 ms, ranks exact matches first, and fits 480 px', { workbench: () => workbench, timeout: 180_000 }, async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: Open Glossary');
  const view = activeWebview(page);
  const field = view.locator('vscode-text-field.search');
  await field.waitFor({ timeout: 30_000 });
  // Type at once, while the panel is still settling (the moment the keys used to get lost).
  await field.click();
  await typeFast(page, 'flash attention');
  assert.equal(await fieldValue(view), 'flash attention');
  await view.locator('.no-matches:visible', { hasText: 'flash attention' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(await shownIds(view), searchGlossary('flash attention').map((h) => h.entry.id));

  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) <= 8, `webview width ${width}`);

  const kv = await search(page, view, 'kv cache');
  assert.equal(kv[0], 'kv-cache');
  assert.deepEqual(await shownIds(view), kv);

  // "GQA": Grouped-Query Attention (its alias) first, KV cache (which only mentions GQA) after it.
  const gqa = await search(page, view, 'GQA');
  const shown = await shownIds(view);
  assert.deepEqual(shown, gqa);
  assert.equal(shown[0], 'gqa');
  assert.ok(shown.indexOf('kv-cache') > 0, `shown: ${shown.join(', ')}`);
  await screenshot(page, 'glossary-search-480');

  // Korean exact name.
  const ko = await search(page, view, '그룹 쿼리 어텐션');
  assert.equal(ko[0], 'gqa');
  assert.deepEqual(await shownIds(view), ko);

  // Nothing is cut off at 480 px; clearing the search brings every chapter back.
  assert.deepEqual(await clippedElements(view), []);
  await field.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await view.locator('section.chapter:visible').first().waitFor();
  assert.equal(await view.locator('article.term:visible').count(), searchGlossary('').length);
  assert.deepEqual(await clippedElements(view), []);
  await screenshot(page, 'glossary-chapters-480');
  await restoreViewport(page);
});
