// The Tokenization panel as a new user uses it with the mouse: click chip after chip and watch the editor
// select each token; rest the pointer on a chip and see its word's merge replay; all in a 480 px panel.
// Token ranges come from OpenAI's tiktoken (@dqbd/tiktoken), independent of the extension.
// Screenshots: test-results/ui/tokenize-clicks-*.png.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from '@dqbd/tiktoken';
import type { FrameLocator, Page } from 'playwright-core';
import { clippedElements, narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// ASCII only (so characters and bytes line up) and no tabs (so the status bar's column is the character's).
const SAMPLE = [
  'export function softmax(values: number[]): number[] {',
  '  const max = Math.max(...values);',
  '  const exps = values.map((v) => Math.exp(v - max));',
  '  const sum = exps.reduce((a, b) => a + b, 0);',
  '  return exps.map((e) => e / sum);',
  '}',
  '',
].join('\n');

/** Each o200k_base token's character range in SAMPLE, from tiktoken. */
function tiktokenRanges(text: string): { start: number; end: number }[] {
  const encoding = get_encoding('o200k_base');
  try {
    const ranges: { start: number; end: number }[] = [];
    let at = 0;
    for (const id of encoding.encode_ordinary(text)) {
      const length = encoding.decode_single_token_bytes(id).length;
      ranges.push({ start: at, end: at + length });
      at += length;
    }
    return ranges;
  } finally {
    encoding.free();
  }
}

/** What VS Code's status bar shows for a selection ending at `end` (line and column are 1-based). */
function statusFor(text: string, range: { start: number; end: number }): string {
  const before = text.slice(0, range.end);
  const line = before.split('\n').length;
  const column = range.end - (before.lastIndexOf('\n') + 1) + 1;
  return `Ln ${line}, Col ${column} (${range.end - range.start} selected)`;
}

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'softmax.ts': SAMPLE } });
});
after(async () => {
  await restoreViewport(workbench.page).catch(() => undefined);
  await workbench?.close();
});

/** Moves the pointer onto chip `index` the way a hand does (a few steps), rests, then presses and releases. */
async function clickChipLikeAUser(page: Page, view: FrameLocator, index: number): Promise<void> {
  const chip = view.locator(`#tok-${index}`);
  await chip.scrollIntoViewIfNeeded();
  const box = await chip.boundingBox();
  assert.ok(box, `chip ${index} is drawn`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
  await page.waitForTimeout(120);
  await page.mouse.down();
  await page.waitForTimeout(60);
  await page.mouse.up();
}

uiTest('seven chip clicks in a row each select their token in the editor; resting on a chip replays its merges (480 px)', { workbench: () => workbench, timeout: 300_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'softmax.ts');
  await runCommand(page, 'LLM Lens: Tokenize Selection');
  const view = activeWebview(page);
  const ranges = tiktokenRanges(SAMPLE);
  await view.locator('.stat[data-stat="tokens"] .stat-value', { hasText: new RegExp(`^${ranges.length}$`) }).waitFor({ timeout: 120_000 });
  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) <= 8, `webview width ${width}`);
  await view.locator('table.comparison-table').waitFor({ timeout: 180_000 });

  // Seven different chips, spread over the lines; after each click the panel marks that chip and the editor
  // (focused with Ctrl+1, where the status bar shows its selection) holds exactly that token; the next click
  // then goes into a panel without the focus, as when a user looks at the editor between clicks.
  const picks = [3, 9, 16, 22, 31, 40, 52].filter((i) => i < ranges.length);
  assert.equal(picks.length, 7);
  const missed: string[] = [];
  for (const index of picks) {
    await clickChipLikeAUser(page, view, index);
    const expected = statusFor(SAMPLE, ranges[index]);
    const token = `chip ${index} “${SAMPLE.slice(ranges[index].start, ranges[index].end)}”`;
    // The click reached this chip (not a neighbour that moved under the pointer)…
    if (!(await view.locator(`#tok-${index}.active`).waitFor({ timeout: 10_000 }).then(() => true, () => false))) {
      missed.push(`${token}: the panel marked ${(await view.locator('.chip.active').getAttribute('data-index').catch(() => null)) ?? 'no chip'} instead`);
      continue;
    }
    // …and the editor selected exactly its characters (the status bar shows a focused editor's selection).
    await page.evaluate(() => (document.activeElement instanceof HTMLIFrameElement ? document.activeElement.blur() : undefined));
    await page.keyboard.press('Control+1');
    await page.locator('.monaco-editor.focused').first().waitFor({ timeout: 10_000 });
    const shown = await page
      .locator('.statusbar-item', { hasText: expected })
      .first()
      .waitFor({ timeout: 15_000 })
      .then(() => expected, async () => (await page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().textContent({ timeout: 2_000 }).catch(() => '?'))?.trim());
    if (shown !== expected) missed.push(`${token}: expected ${expected}, the status bar shows ${shown}`);
  }
  assert.deepEqual(missed, [], 'every click selected its token');

  // Resting the pointer on a chip replays the merges of its word (no click, no keyboard).
  const word = ranges.findIndex((r) => SAMPLE.slice(r.start, r.end).includes('reduce'));
  assert.ok(word > 0);
  const chip = view.locator(`#tok-${word}`);
  await chip.scrollIntoViewIfNeeded();
  const box = await chip.boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
  await view.locator('.replay .replay-word', { hasText: 'reduce' }).waitFor({ timeout: 15_000 });
  await screenshot(page, 'tokenize-clicks-480');

  // At 480 px the chip rows are cut to the width (no row runs past the right edge), and nothing else is cut off.
  const overflow = await view.locator('.token-viewport').evaluate((e) => e.scrollWidth - e.clientWidth);
  assert.ok(overflow <= 2, `the chip rows fit the token view (${overflow} px wider)`);
  assert.deepEqual(await clippedElements(view, ['.token-viewport', '.replay-steps', '.trainer-preview', '.details']), []);
  await restoreViewport(page);
});
