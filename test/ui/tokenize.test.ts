import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

// Code with Korean, an emoji (split into byte fragments by o200k) and a tab: everything the chips must show.
const SAMPLE = [
  'function greet(name: string): string {',
  '\treturn `안녕하세요, ${name}! 🦊`;',
  '}',
  '',
  'const 뷁 = greet("world");',
  '',
].join('\n');

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'greet.ts': SAMPLE } });
});
after(async () => {
  await workbench?.close();
});

test('LLM Lens: Tokenize Selection shows chips, details, the comparison table and the BPE stepper', { timeout: 400_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'greet.ts');
  // Nothing selected: the whole document is tokenized.
  await runCommand(page, 'LLM Lens: Tokenize Selection');
  const view = activeWebview(page);
  await view.locator('h1', { hasText: 'Tokenization' }).waitFor({ timeout: 60_000 });
  await view.locator('.chip').first().waitFor({ timeout: 120_000 });
  // The stats show the real count (o200k_base: checked against tiktoken in the integration tests).
  const tokens = Number(((await view.locator('.stat[data-stat="tokens"] .stat-value').textContent()) ?? '').replace(/[^\d]/g, ''));
  assert.ok(tokens > 20, `tokens: ${tokens}`);
  const chipCount = await view.locator('.token-rows .chip').count();
  assert.equal(chipCount, tokens, 'one chip per token (the text is short enough to be drawn whole)');
  // A character split across tokens is drawn as a group of byte fragments in hex.
  assert.ok((await view.locator('.group .chip.fragment').count()) >= 2, 'byte fragments are grouped');
  assert.match((await view.locator('.group .chip.fragment').first().textContent()) ?? '', /^[0-9A-F]{2}( [0-9A-F]{2})*$/);
  // Whitespace is visible.
  assert.ok((await view.locator('.chip', { hasText: '→' }).count()) >= 1, 'the tab is drawn as →');
  assert.ok((await view.locator('.chip', { hasText: '↵' }).count()) >= 1, 'line breaks are drawn as ↵');

  // Every tokenizer compared on the same text.
  const table = view.locator('table.comparison-table');
  await table.waitFor({ timeout: 180_000 });
  assert.equal(await table.locator('tbody tr').count(), 6);
  assert.match((await table.locator('tr[data-tokenizer="o200k_base"] td').first().textContent()) ?? '', new RegExp(`^${tokens}$`));
  assert.match((await table.locator('tr[data-tokenizer="llama3"] td').first().textContent()) ?? '', /^\d+$/);

  // Hover a chip: its id, piece, bytes and position.
  await view.locator('.token-rows .chip').nth(1).hover();
  await view.locator('.details .detail-title').waitFor();
  assert.match((await view.locator('.details').textContent()) ?? '', /Id\s*\d+.*Bytes/s);
  // Hovering may have scrolled the page: show it from the top for the screenshot.
  await view.locator('.token-viewport').evaluate((e) => (e.scrollLeft = 0));
  await view.locator('h1').evaluate((e) => e.scrollIntoView());
  await view.locator('.token-rows .chip').nth(1).hover();
  await view.locator('.details .detail-title').waitFor();
  await screenshot(page, 'tokenize-chips');

  // Keyboard: focus the tokens, move right, Enter selects the token in the editor (the status bar shows it).
  await view.locator('.token-viewport').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await view.locator('.chip.active').waitFor();
  await page.keyboard.press('Enter');
  // Back in the editor (focus only, the selection stays), the status bar reports the selected characters.
  await page.keyboard.press('Control+1');
  await page.locator('.statusbar-item', { hasText: /\(\d+ selected\)/ }).first().waitFor({ timeout: 30_000 });

  // The merge replay of the focused token's word.
  await view.locator('.replay .replay-word').waitFor({ timeout: 60_000 });
  assert.ok((await view.locator('.replay .replay-sequence .chip').count()) >= 1);

  // Ids instead of text.
  await view.locator('vscode-checkbox', { hasText: 'Show token ids' }).click();
  await view.locator('.token-rows .chip').first().filter({ hasText: /^\d+$/ }).waitFor();

  // Train BPE on this text and step through the merges.
  await view.locator('vscode-checkbox', { hasText: 'Show token ids' }).click();
  await view.locator('vscode-button', { hasText: 'Train on this text' }).click();
  const stepper = view.locator('.trainer input[type="range"]');
  await stepper.waitFor({ timeout: 60_000 });
  const before = (await view.locator('.trainer-step').textContent()) ?? '';
  await stepper.focus();
  await page.keyboard.press('End');
  await view.locator('.trainer-step').filter({ hasNotText: before }).waitFor();
  await view.locator('.trainer-merge').waitFor();
  await screenshot(page, 'tokenize-bpe');
});
