// The Attention panel at scale (issues 12 and 14): a generated model of 32 layers × 32 heads (head size 4) at
// 1,024 tokens — 4 GiB of probabilities that nobody holds. The grid draws from thumbnails reduced in the
// worker, a head opens as max-pooled cells, and keyboard moves (each a request answered by the worker) answer.
// The time bounds here only guard against a hang; the timings themselves belong in `npm run bench`.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { writeByteModel } from '../integration/attentionFixture';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// LLM_LENS_UI_SCALE=32x32 runs the full grid (32 layers × 32 heads at 1,024 tokens: minutes on 2 cores); the suite
// runs 8 × 8 heads at 1,024 tokens, which exercises the same pooled views in time.
const [layers, heads] = (process.env.LLM_LENS_UI_SCALE ?? '8x8').split('x').map(Number);
const modelDir = writeByteModel({ layers, heads, kvHeads: Math.max(1, heads / 4), headDim: 4, maxPositions: 2048 });
// One token per byte: 1,024 ASCII characters are 1,024 tokens.
const text = 'export const total = values.reduce((sum, v) => sum + v, 0);\n'.repeat(20).slice(0, 1024);

let workbench: Workbench;

// Its own workbench: its settings (the generated model, 1,024 tokens) are there from the start, not applied live to a
// shared one (where a run could start before VS Code had read them and use the embedded model).
before(async () => {
  workbench = await openWorkbench({ isolated: true, files: { 'long.ts': text }, settings: { 'llmLens.modelPath': modelDir, 'llmLens.attention.maxTokens': 1024 } });
});
after(async () => {
  await workbench?.close();
  rmSync(modelDir, { recursive: true, force: true });
});

uiTest(`${layers} layers × ${heads} heads at 1,024 tokens: the grid draws, a head opens pooled, keyboard moves answer`, { workbench: () => workbench, timeout: 1_200_000 }, async () => {
  const { page } = workbench;
  await openFile(page, 'long.ts');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.locator('.monaco-editor.focused').first().waitFor();
  await page.keyboard.press('Control+A');
  await runCommand(page, 'LLM Lens: Show Attention for Selection');
  const view = activeWebview(page);

  // The grid: 32 × (32 + mean + max) thumbnails, painted once the run's thumbnails arrived.
  await view.locator('.thumb').first().waitFor({ timeout: 900_000 });
  assert.equal(await view.locator('.thumb').count(), layers * (heads + 2));
  await view.locator('.thumbs-loading').waitFor({ state: 'detached', timeout: 60_000 });
  const header = (await view.locator('.model-header').textContent()) ?? '';
  assert.match(header, /1,024 tokens/);
  const painted = await view.locator('.thumb-canvas').first().evaluate((c) => (c as HTMLCanvasElement).width);
  assert.ok(painted > 0 && painted <= 64, `thumbnail ${painted} px`);
  await screenshot(page, 'attention-scale-grid');

  // A head opens as its heatmap: 1,024 tokens in 256 × 256 cells of 4 × 4 tokens.
  const guard = 30_000;
  let started = Date.now();
  await view.locator(`.thumb[data-layer="${layers - 1}"][data-head="${heads - 1}"]`).click();
  const heatmap = view.locator('canvas.heatmap');
  await view.locator(`canvas.heatmap[aria-label*="layer ${layers - 1}, Head ${heads - 1} "]`).waitFor({ timeout: guard });
  console.log(`head opened in ${Date.now() - started} ms`);
  assert.match((await view.locator('.pooled-note').textContent()) ?? '', /1,024 tokens.*4 × 4/);
  const box = await heatmap.boundingBox();
  assert.ok(box);
  await heatmap.hover({ position: { x: box.width / 2, y: box.height - 6 } });
  const tooltip = view.locator('.tooltip.visible');
  await tooltip.waitFor({ timeout: 10_000 });
  assert.match((await tooltip.textContent()) ?? '', /Queries [\d,]+–[\d,]+ → keys [\d,]+–[\d,]+: at most \d+(\.\d+)?%/);
  await screenshot(page, 'attention-scale-heatmap');

  // Keyboard: move on the heatmap (read out), Enter opens the step view of that query (asked of the worker).
  await heatmap.focus();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('ArrowUp');
  await view.locator('#llm-lens-live').filter({ hasText: /Queries 1,016–1,019/ }).waitFor({ timeout: 10_000 });
  started = Date.now();
  await page.keyboard.press('Enter');
  await view.locator('.step-view h3', { hasText: 'Query 1016' }).waitFor({ timeout: guard });
  console.log(`step view of query 1016 in ${Date.now() - started} ms`);
  await view.locator('table.step-table').waitFor({ timeout: guard });

  // The temperature slider: each frame is a request; the last one wins.
  const slider = view.locator('#temperature');
  await slider.focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
  await view.locator('p.formula', { hasText: '÷ 0.79' }).waitFor({ timeout: guard });
  await screenshot(page, 'attention-scale-step');

  // Token lines: up arrow five times, each a new query answered by the worker.
  await view.locator('#tab-lines').click();
  const lines = view.locator('canvas.lines');
  await lines.waitFor({ timeout: guard });
  await lines.focus();
  started = Date.now();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowUp');
  await view.locator('canvas.lines[aria-label*="query 1,011 "]').waitFor({ timeout: guard });
  console.log(`five query moves answered in ${Date.now() - started} ms`);
  await screenshot(page, 'attention-scale-lines');

  // Another layer from the grid: its mean over heads (kept at the heatmap's resolution in the worker).
  await view.locator('#tab-grid').click();
  started = Date.now();
  await view.locator('.thumb[data-layer="1"][data-head="mean"]').click();
  await view.locator('canvas.heatmap[aria-label*="layer 1, Mean"]').waitFor({ timeout: guard });
  console.log(`layer 1 mean opened in ${Date.now() - started} ms`);
});
