import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// The embedded model (the default model source) continues a selection; stepping, the cut-offs and the beam tree.
let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'prompt.py': 'def mean(values):\n    total = 0\n    for v in values:\n' } });
});
after(async () => {
  await workbench?.close();
});

uiTest('Generate from Selection: step through greedy decoding, sample with the Creative preset, and see the beam tree', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'prompt.py');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Generate from Selection');
  const view = activeWebview(page);

  // Greedy by default: the generated tokens, step 1 shown with its candidates.
  await view.locator('.gen-token').first().waitFor({ timeout: 90_000 });
  const tokens = await view.locator('.gen-token').count();
  assert.ok(tokens >= 2, `${tokens} tokens generated`);
  const label = view.locator('.step-label');
  assert.equal(await label.textContent(), `Step 1 of ${tokens}`);
  assert.ok((await view.locator('.bar-row:not(.head)').count()) >= 2);
  assert.match((await view.locator('.cache li').first().textContent()) ?? '', /The cache held .* positions/);
  assert.match((await view.locator('.cache li').nth(1).textContent()) ?? '', /— equal\./);

  // Next / Back, and the keyboard on the generated text.
  await view.locator('vscode-button', { hasText: 'Next' }).click();
  await view.locator('.step-label', { hasText: `Step 2 of ${tokens}` }).waitFor({ timeout: 10_000 });
  await view.locator('vscode-button', { hasText: 'Back' }).click();
  await view.locator('.step-label', { hasText: `Step 1 of ${tokens}` }).waitFor({ timeout: 10_000 });
  await view.locator('.gen-token.current').focus();
  await page.keyboard.press('End');
  await view.locator('.step-label', { hasText: `Step ${tokens} of ${tokens}` }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'decoding-greedy');

  // Creative preset: sampling with top-p and min-p; the reason is shown and the cut-offs are drawn.
  await view.locator('vscode-button', { hasText: 'Creative' }).click();
  await view.locator('.preset-reason', { hasText: 'top-p 0.95' }).waitFor({ timeout: 10_000 });
  await view.locator('vscode-button.generate-button').click();
  await view.locator('.minp-line').first().waitFor({ timeout: 90_000 });
  assert.match((await view.locator('.hint', { hasText: 'min-p threshold' }).first().textContent()) ?? '', /min-p threshold: \d/);
  await view.locator('.bars').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-sample');

  // Beam search: the tree of beams with cumulative log-probabilities; pruned branches greyed.
  await view.locator('vscode-dropdown[aria-label="Strategy"]').click();
  await view.locator('vscode-option', { hasText: 'Beam search' }).click();
  await view.locator('vscode-button.generate-button').click();
  await view.locator('.beam-tree').waitFor({ timeout: 90_000 });
  const steps = await view.locator('.gen-token').count();
  await view.locator('.gen-token.current').focus();
  await page.keyboard.press('End');
  await view.locator('.step-label', { hasText: `Step ${steps} of ${steps}` }).waitFor({ timeout: 10_000 });
  const live = await view.locator('.beam-tree li.live').count();
  const pruned = await view.locator('.beam-tree li.pruned').count();
  assert.ok(live >= 1, `${live} live branches`);
  assert.ok(pruned > 0, 'some branches were pruned');
  assert.match((await view.locator('.beam-tree li.live > .score').first().textContent()) ?? '', /log p = -\d/);
  // The best beam's text is the generated text.
  assert.match((await view.locator('.beam-tree .hint', { hasText: 'Best beam' }).textContent()) ?? '', /log p = -\d/);
  await view.locator('.beam-tree').scrollIntoViewIfNeeded();
  await screenshot(page, 'decoding-beam');
});
