// The glossary in the real workbench, started in Korean: a hover shows the Korean entry, and the walkthrough
// "Learn LLM basics with LLM Lens" opens and runs a chapter. Screenshots: test-results/ui/glossary-*.png.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { glossaryEntry } from '../../src/core/glossary/glossary';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

let workbench: Workbench;

const notes = [
  '# LLM 노트',
  '',
  'Llama-3.1-8B는 GQA를 씁니다: 쿼리 헤드 32개가 KV 헤드 8개를 공유합니다.',
  '',
  '셀프 어텐션의 결과가 맥락 벡터입니다.',
  '',
].join('\n');

before(async () => {
  // VS Code in Korean (see startCodeServer: an empty Korean language pack is registered).
  workbench = await openWorkbench({ locale: 'ko', files: { 'notes.md': notes } });
});
after(async () => {
  await workbench?.close();
});

/** Moves the mouse over the first occurrence of `needle` in the editor's rendered lines. */
async function hoverOver(page: Page, needle: string): Promise<void> {
  const point = await page.evaluate((text) => {
    for (const line of Array.from(document.querySelectorAll('.monaco-editor .view-lines .view-line'))) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = (node.textContent ?? '').indexOf(text);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + text.length);
        const box = range.getBoundingClientRect();
        return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      }
    }
    return undefined;
  }, needle);
  assert.ok(point, `"${needle}" is rendered in the editor`);
  await page.mouse.move(point.x, point.y + 40);
  await page.mouse.move(point.x, point.y, { steps: 4 });
}

uiTest('hovering GQA in a Markdown file shows the Korean glossary entry when VS Code is in Korean', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'notes.md');
  const gqa = glossaryEntry('gqa');
  assert.ok(gqa);
  // The extension activates on startup; retry the hover until its provider answers.
  const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content', { hasText: gqa.name.ko });
  for (let attempt = 0; ; attempt++) {
    await hoverOver(page, 'GQA');
    try {
      await hover.first().waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
      await page.mouse.move(10, 10);
    }
  }
  const text = (await hover.first().innerText()).replace(/\s+/g, ' ');
  assert.ok(text.includes(gqa.definition.ko.replace(/\s+/g, ' ')), `Korean definition in: ${text.slice(0, 200)}`);
  assert.ok(text.includes(gqa.name.en), 'the English name is shown too');
  assert.ok(!text.includes(gqa.definition.en), 'no English definition');
  await screenshot(page, 'glossary-hover-ko');
  await page.mouse.move(10, 10);
});

uiTest('the walkthrough "Learn LLM basics with LLM Lens" opens in Korean and a step opens its panel', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'Welcome: Open Walkthrough');
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'LLM Lens로 LLM 기초 배우기' }).first();
  await pick.waitFor({ timeout: 15_000 });
  await pick.click();
  const walkthrough = page.locator('.gettingStartedContainer');
  await walkthrough.locator('.getting-started-category h2, .category-title', { hasText: 'LLM Lens로 LLM 기초 배우기' }).first().waitFor({ timeout: 30_000 });
  // Eight chapter steps, titled in Korean.
  const steps = walkthrough.locator('.getting-started-step');
  assert.equal(await steps.count(), 8);
  await walkthrough.locator('.getting-started-step', { hasText: 'KV 캐시, MQA와 GQA' }).first().click();
  await screenshot(page, 'glossary-walkthrough-ko');
  await walkthrough.locator('.getting-started-step.expanded a, .getting-started-step.expanded .button-link', { hasText: 'KV 캐시 패널 열기' }).first().click();
  // The step opens an untitled copy of the sample config.json and the KV cache panel on it, and is then checked off.
  await page.locator('.tabs-container .tab', { hasText: /Untitled|제목 없음/ }).first().waitFor({ timeout: 30_000 });
  await page.locator('.tabs-container .tab', { hasText: 'KV 캐시 메모리' }).first().waitFor({ timeout: 30_000 });
  await activeWebview(page).locator('h1', { hasText: 'KV' }).first().waitFor({ timeout: 60_000 });
  await screenshot(page, 'glossary-walkthrough-kvcache-ko');
  // Back on the walkthrough, the step is checked off.
  // The walkthrough's tab is "Walkthrough: …" on VS Code 1.100 and "Welcome" on 1.139.
  await page.locator('.tabs-container .tab', { hasText: /Walkthrough|Welcome/ }).first().click();
  await walkthrough.locator('.getting-started-step', { hasText: 'KV 캐시, MQA와 GQA' }).locator('.codicon.complete').first().waitFor({ timeout: 10_000 });
});

uiTest('LLM Lens: Open Glossary shows the chapters in Korean and filters by search', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: 용어집 열기');
  const view = activeWebview(page);
  const gqa = glossaryEntry('gqa');
  assert.ok(gqa);
  await view.locator('h2', { hasText: '시퀀스 길이와 연산 효율' }).waitFor({ timeout: 30_000 });
  await view.locator('#term-gqa .definition', { hasText: gqa.definition.ko.slice(0, 20) }).waitFor();
  assert.equal(await view.locator('article.term').count(), 50);
  await view.locator('vscode-text-field.search input, vscode-text-field.search').first().click();
  await page.keyboard.type('맥락');
  // The host ranks the search and answers; the results list then holds the terms found, best first.
  await view.locator('.results article.term').first().waitFor();
  const shown = await view.locator('article.term:visible').evaluateAll((items) => items.map((i) => i.getAttribute('data-term')));
  assert.ok(shown.includes('context-vector') && shown.length < 50, `shown: ${shown.join(', ')}`);
  await screenshot(page, 'glossary-panel-ko');
});
