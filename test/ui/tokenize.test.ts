import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from '@dqbd/tiktoken';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// Code with Korean, an emoji (split into byte fragments by o200k) and a tab: everything the chips must show.
const SAMPLE = [
  'function greet(name: string): string {',
  '\treturn `안녕하세요, ${name}! 🦊`;',
  '}',
  '',
  'const 뷁 = greet("world");',
  '',
].join('\n');

// About 230,000 characters of real JavaScript (TypeScript's compiler): more than 50,000 o200k tokens.
const BIG = readFileSync(join(__dirname, '..', '..', 'node_modules', 'typescript', 'lib', 'typescript.js'), 'utf8').slice(1_000_000, 1_230_000);

/** o200k_base count from @dqbd/tiktoken (OpenAI's tiktoken as WASM), independent of the extension. */
function o200kCount(text: string): number {
  const encoding = get_encoding('o200k_base');
  try {
    return encoding.encode_ordinary(text).length;
  } finally {
    encoding.free();
  }
}

let workbench: Workbench;

before(async () => {
  // Its own workbench: its first steps were flaky after other files in a shared one.
  workbench = await openWorkbench({ files: { 'greet.ts': SAMPLE, 'big.js': BIG }, isolated: true });
});
after(async () => {
  await workbench?.close();
});

uiTest('LLM Lens: Tokenize Selection shows chips, details, the comparison table and the BPE stepper', { workbench: () => workbench, timeout: 400_000 }, async () => {
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
  // Hovering scrolled the page and the token view (its long lines scroll sideways, like an editor's):
  // bring the view's top-left corner into sight, so the hover below needs no scrolling, for the screenshot.
  await view.locator('.token-viewport').evaluate((e) => {
    e.scrollLeft = 0;
    e.scrollTop = 0;
    e.scrollIntoView({ block: 'start' });
  });
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

  // Live mode: the panel follows the editor's selection (o200k count of the first line from tiktoken).
  await view.locator('vscode-checkbox', { hasText: 'Live' }).click();
  // Focus the editor and wait for it: a key pressed while the focus is still moving is lost, and Shift+End
  // would then extend the chip click's earlier selection instead of selecting the first line.
  await page.keyboard.press('Control+1');
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+Home');
  await page.locator('.statusbar-item', { hasText: /^\s*Ln 1, Col 1\s*$/ }).first().waitFor();
  await page.keyboard.press('Shift+End');
  const firstLine = SAMPLE.slice(0, SAMPLE.indexOf('\n'));
  const expected = o200kCount(firstLine);
  await view.locator('.stat[data-stat="tokens"] .stat-value', { hasText: new RegExp(`^${expected}$`) }).waitFor({ timeout: 60_000 });
  assert.match((await view.locator('.source').textContent()) ?? '', /Selection in greet\.ts/);
  await view.locator('vscode-checkbox', { hasText: 'Live' }).click();
});

uiTest('50,000 tokens: only the visible rows are drawn, and scrolling and the keyboard stay fast', { workbench: () => workbench, timeout: 600_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'big.js');
  await runCommand(page, 'LLM Lens: Tokenize Selection');
  const view = activeWebview(page);
  const stat = view.locator('.stat[data-stat="tokens"] .stat-value');
  await stat
    .filter({ hasText: /^\d{2},\d{3}$/ })
    .waitFor({ timeout: 300_000 })
    .catch(async (error: unknown) => {
      await screenshot(page, 'tokenize-50k-failed');
      throw error;
    });
  const tokens = Number(((await stat.textContent()) ?? '').replace(/[^\d]/g, ''));
  assert.ok(tokens >= 50_000, `tokens: ${tokens}`);
  const viewport = view.locator('.token-viewport');
  const drawn = await view.locator('.token-rows .chip').count();
  assert.ok(drawn > 0 && drawn < 4_000, `virtualised: ${drawn} chips in the DOM for ${tokens} tokens`);
  // Jump to the middle: the rows there are drawn within a couple of frames.
  const scrollMs = await viewport.evaluate(async (e) => {
    const t0 = performance.now();
    e.scrollTop = e.scrollHeight / 2;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  });
  const middle = await view.locator('.token-rows .chip').first().getAttribute('data-index');
  assert.ok(Number(middle) > tokens / 4, `rows near the middle are drawn (first drawn token ${middle})`);
  assert.ok(scrollMs < 500, `scrolling to the middle took ${scrollMs.toFixed(0)} ms`);
  // Ctrl+End moves the keyboard focus to the last token, scrolling it into view.
  await viewport.focus();
  await page.keyboard.press('Control+End');
  await view.locator(`#tok-${tokens - 1}.active`).waitFor({ timeout: 10_000 });
  await screenshot(page, 'tokenize-50k');
});
