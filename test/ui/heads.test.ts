// Issue 18 in the real workbench, in a panel 480 px wide (light theme; headsDark.test.ts repeats the views in a
// dark one): Find heads with its grid, keyboard and badges, the logit lens table by keyboard, an ablation, and
// the first-token view exported as SVG through VS Code's own save dialog; then a window reload keeps the settings.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extensionRoot } from '../support/codeServer';
import { narrowWebviewTo, restoreViewport } from './narrow';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';
import { openReadingHeads, REPEATED_CODE } from './headsSteps';

const embedded = existsSync(join(extensionRoot, 'data', 'embedded-model', 'model.safetensors'));

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'repeat.py': REPEATED_CODE } });
});
after(async () => {
  await workbench?.close();
});

uiTest('Reading heads at 480 px: Find heads, badges, the logit lens by keyboard, ablation, SVG export of the first-token view', { workbench: () => workbench, timeout: 240_000 }, async () => {
  if (!embedded) return;
  const { page } = workbench;
  await openFile(page, 'repeat.py');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const view = activeWebview(page);
  await view.locator('.thumb').first().waitFor({ timeout: 90_000 });
  const width = await narrowWebviewTo(page, 480);
  assert.ok(Math.abs(width - 480) < 24, `webview ${width} px wide`);
  try {
    await openReadingHeads(view);
    // Find heads: the grid of the previous-token score, one cell per layer × head of the embedded model (4 × 4).
    assert.equal(await view.locator('td.score-cell').count(), 16);
    assert.match((await view.locator('p.score-caption').textContent()) ?? '', /P: previous token/);
    // Keyboard: the first cell takes the focus, the arrow moves to head 1, Enter opens that head's heatmap.
    await view.locator('td.score-cell[tabindex="0"]').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await view.locator('td.score-cell:focus').getAttribute('data-head'), '1');
    await page.keyboard.press('Enter');
    await view.locator('canvas.heatmap[aria-label*="layer 0, Head 1"]').waitFor({ timeout: 30_000 });
    await view.locator('#tab-analysis').click();
    await view.locator('table.score-grid').waitFor({ timeout: 30_000 });
    // The standard test (the embedded model is small: no confirmation) and its scores beside the selection's.
    await view.locator('vscode-button', { hasText: 'Run the standard test' }).click();
    await view.locator('.test-done').waitFor({ timeout: 120_000 });
    await view.locator('.top-list h4', { hasText: 'standard test' }).waitFor();
    await screenshot(page, 'heads-find-480');

    // Badges: at threshold 0 every head is marked on the All heads thumbnails, each letter explained on hover.
    await view.locator('#head-threshold').focus();
    await page.keyboard.press('Home');
    await view.locator('#tab-grid').click();
    await view.locator('.thumb .head-badge').first().waitFor({ timeout: 10_000 });
    assert.ok((await view.locator('.thumb[data-head="0"] .head-badge').count()) >= 4, 'badges on the layer thumbnails');
    assert.match((await view.locator('.head-badge.badge-p').first().getAttribute('title')) ?? '', /^P: previous-token head \(score/);
    assert.match((await view.locator('.head-badge.badge-i').first().getAttribute('title')) ?? '', /standard test/);
    await screenshot(page, 'heads-badges-480');

    // The logit lens: layers × positions, keyboard from the first cell to the next layer.
    await view.locator('#tab-analysis').click();
    await view.locator('#section-lens').click();
    await view.locator('table.lens-table').waitFor({ timeout: 60_000 });
    assert.equal(await view.locator('table.lens-table tbody tr').count(), 4);
    assert.equal(await view.locator('table.lens-table thead th').count(), 9, 'a layer column and 8 positions');
    await view.locator('td.lens-cell[tabindex="0"]').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await view.locator('td.lens-cell:focus').getAttribute('data-layer'), '1');
    assert.match((await view.locator('.lens-detail h4').textContent()) ?? '', /^Layer 1, after position/);
    assert.ok((await view.locator('td.lens-cell.answer').count()) >= 8, 'a ★ in every column');
    await screenshot(page, 'heads-lens-480');

    // Ablation: layer 0's whole attention off, run, the KL divergence shown.
    await view.locator('#section-ablation').click();
    await view.locator('button.ablate-toggle[data-layer="0"][data-col="4"]').click();
    assert.equal(await view.locator('button.ablate-toggle[data-layer="0"][data-col="0"]').getAttribute('aria-pressed'), 'true', 'a whole layer covers its heads');
    await view.locator('vscode-button', { hasText: 'Run with these ablated' }).click();
    await view.locator('.ablation-kl').waitFor({ timeout: 60_000 });
    assert.match((await view.locator('.ablation-kl').textContent()) ?? '', /KL divergence \(before ‖ after\): \d+\.\d{4} nats/);
    await screenshot(page, 'heads-ablation-480');

    // The heatmap without the first token's column (a view, and it says so), saved as SVG through the dialog.
    await view.locator('#tab-heatmap').click();
    await view.locator('.first-key-toggle').click();
    await view.locator('.first-key-note').waitFor();
    assert.match((await view.locator('.first-key-note').textContent()) ?? '', /A view, not the model/);
    await screenshot(page, 'heads-first-key-hidden-480');
    const file = join(workbench.server.workspace, 'attention-layer0-head1-without-first-token.svg');
    rmSync(file, { force: true });
    await view.locator('vscode-button', { hasText: 'Export SVG' }).click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    // The simple dialog fills in its proposal a moment after it opens.
    let proposed = '';
    for (let i = 0; i < 50 && !proposed.endsWith('.svg'); i++, await page.waitForTimeout(100)) proposed = await input.inputValue();
    assert.match(proposed, /attention-layer0-head1-without-first-token\.svg$/, 'the dialog proposes a new file in the workspace');
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    for (let i = 0; i < 150 && !(existsSync(file) && statSync(file).size > 0); i++) await page.waitForTimeout(100);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /first token hidden, renormalised/);

    // The Analysis tab's settings live in the webview's state: after a window reload the panel comes back with them
    // (threshold 0, the first-token view, layer 0's ablation pick from above, exclude_bos set now, Find heads open).
    await view.locator('#tab-analysis').click();
    await view.locator('#section-heads').click();
    await view.locator('table.score-grid').waitFor({ timeout: 30_000 });
    await view.locator('vscode-checkbox', { hasText: 'exclude_bos' }).click();
    await page.waitForTimeout(500);
    await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const restored = activeWebview(page);
    await restored.locator('table.score-grid').waitFor({ timeout: 120_000 });
    assert.equal(await restored.locator('#section-heads').getAttribute('aria-selected'), 'true', 'Find heads is the open section');
    assert.equal(await restored.locator('vscode-checkbox', { hasText: 'exclude_bos' }).getAttribute('checked'), '', 'exclude_bos is still set');
    assert.equal(await restored.locator('vscode-checkbox', { hasText: 'exclude_current_token' }).getAttribute('checked'), null);
    assert.equal(await restored.locator('#head-threshold').inputValue(), '0', 'the threshold is still 0');
    assert.equal(await restored.locator('td.score-cell.above').count(), 16, 'every head is above threshold 0');
    await screenshot(page, 'heads-after-reload');
    await restored.locator('#section-ablation').click();
    assert.equal(await restored.locator('button.ablate-toggle[data-layer="0"][data-col="4"]').getAttribute('aria-pressed'), 'true', 'the ablation pick is kept');
    await restored.locator('#tab-heatmap').click();
    await restored.locator('.first-key-note').waitFor({ timeout: 30_000 });
    assert.equal(await restored.locator('.first-key-toggle').getAttribute('checked'), '', 'the first-token view is still on');
  } finally {
    await restoreViewport(page);
  }
});
