import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { activeWebview, openFile, openWorkbench, reportFailure, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// Gemma-2-9B's published config.json (the fields that matter plus some that must be ignored).
const GEMMA_CONFIG = JSON.stringify(
  {
    architectures: ['Gemma2ForCausalLM'],
    head_dim: 256,
    hidden_size: 3584,
    intermediate_size: 14336,
    max_position_embeddings: 8192,
    model_type: 'gemma2',
    num_attention_heads: 16,
    num_hidden_layers: 42,
    num_key_value_heads: 8,
    query_pre_attn_scalar: 256,
    sliding_window: 4096,
    vocab_size: 256000,
  },
  null,
  2,
);

// Qwen2.5-7B-Instruct's published config.json: trained on 32,768 tokens (max_position_embeddings).
const QWEN_CONFIG = JSON.stringify(
  {
    architectures: ['Qwen2ForCausalLM'],
    hidden_size: 3584,
    intermediate_size: 18944,
    max_position_embeddings: 32768,
    max_window_layers: 28,
    model_type: 'qwen2',
    num_attention_heads: 28,
    num_hidden_layers: 28,
    num_key_value_heads: 4,
    rope_theta: 1000000.0,
    sliding_window: 131072,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_sliding_window: false,
    vocab_size: 152064,
  },
  null,
  2,
);

let workbench: Workbench;

before(async () => {
  // Its own workbench: the explorer context-menu step was flaky in a workbench shared with other files.
  workbench = await openWorkbench({ files: { 'config.json': GEMMA_CONFIG, 'qwen/config.json': QWEN_CONFIG }, isolated: true });
  await workbench.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
});
after(async () => {
  await workbench?.close();
});

uiTest('LLM Lens: Show KV Cache Memory — variants, validation, GQA slider, copy, and a config.json from the explorer', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  await view.locator('h1', { hasText: 'KV cache memory' }).waitFor({ timeout: 30_000 });
  const card = (kind: string) => view.locator(`.card[data-variant="${kind}"]`);
  await card('GQA').waitFor();
  assert.equal(await view.locator('.card.variant').count(), 3, 'Llama-3.1-8B: MHA, GQA, MQA');
  // Llama-3.1-8B at 32,768 tokens in bf16: 4 GiB (GQA, the model), 16 GiB (MHA), 512 MiB (MQA).
  assert.match((await card('GQA').textContent()) ?? '', /4 GiB/);
  assert.match((await card('MHA').textContent()) ?? '', /16 GiB/);
  assert.match((await card('MQA').textContent()) ?? '', /512 MiB/);
  // Exact bytes on hover.
  const title = await card('GQA').locator('.bytes').nth(1).getAttribute('title');
  assert.equal(title, '4,294,967,296 bytes');
  await view.locator('canvas.memory-chart').waitFor();
  await screenshot(page, 'kvcache-preset');

  // A bad context length: a message next to the field, the old numbers kept, never NaN.
  const seqLen = view.locator('vscode-text-field[data-field="seqLen"] input');
  await seqLen.fill('12x');
  await view.locator('#error-seqLen', { hasText: 'whole number' }).waitFor();
  assert.equal(await view.locator('.stale-note').isVisible(), true);
  assert.doesNotMatch((await view.locator('body').textContent()) ?? '', /NaN|undefined|Infinity/);
  assert.match((await card('GQA').textContent()) ?? '', /4 GiB/);
  // Fixed: 131,072 tokens -> 16 GiB for the model's GQA.
  await seqLen.fill('131,072');
  await view.locator('.card[data-variant="GQA"] dd', { hasText: /^16 GiB$/ }).first().waitFor();
  assert.equal(await view.locator('#error-seqLen').textContent(), '');

  // A batch so large that context × batch passes 2^53 bytes: both fields say so, the numbers stay.
  const batchField = view.locator('vscode-text-field[data-field="batch"] input');
  await batchField.fill('1000000');
  await view.locator('#error-batch', { hasText: 'Too large' }).waitFor();
  await view.locator('#error-seqLen', { hasText: 'Too large' }).waitFor();
  assert.doesNotMatch((await view.locator('body').textContent()) ?? '', /NaN|undefined|Infinity/);
  // 100,000 sequences fit in exact arithmetic (the chart stops where they would not): 16 GiB · 100,000.
  await batchField.fill('100000');
  await view.locator('.card[data-variant="GQA"] dd', { hasText: /^1\.53 PiB$/ }).first().waitFor();
  assert.equal(await view.locator('#error-batch').textContent(), '');
  await batchField.fill('1');
  await view.locator('.card[data-variant="GQA"] dd', { hasText: /^16 GiB$/ }).first().waitFor();

  // The GQA slider: one step left = 4 KV heads, each shared by 8 query heads, half the cache.
  const gqa = view.locator('input[data-field="gqaKvHeads"]');
  await gqa.focus();
  await page.keyboard.press('ArrowLeft');
  await view.locator('.gqa-info', { hasText: '4 KV heads, each shared by 8 query heads' }).waitFor();
  await view.locator('.card[data-variant="GQA"] dd', { hasText: /^8 GiB$/ }).first().waitFor();

  // Copy as Markdown table.
  await view.locator('vscode-button[data-action="copyMarkdown"]').click();
  let markdown = '';
  for (let i = 0; i < 40 && !markdown.includes('| MHA |'); i++) {
    await page.waitForTimeout(250);
    markdown = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
  }
  assert.match(markdown, /^Llama-3\.1-8B: 131,072 tokens × batch 1/);
  assert.match(markdown, /\| Variant \| KV heads \| KV per token \|/);
  assert.match(markdown, /\| MHA \| 32 \| 512 KiB \(524,288 B\) \| 64 GiB \(68,719,476,736 B\) \|/);

  // Custom: every field editable, each checked on its own; KV heads must divide the query heads.
  await view.locator('vscode-dropdown[data-field="source"]').click();
  await view.locator('vscode-dropdown[data-field="source"] vscode-option', { hasText: 'Custom' }).click();
  const kvHeads = view.locator('vscode-text-field[data-field="kvHeads"] input');
  await kvHeads.waitFor();
  assert.equal(await kvHeads.inputValue(), '8', 'the custom form starts from the model shown');
  await kvHeads.fill('5');
  await view.locator('#error-kvHeads', { hasText: 'Must divide the 32 query heads evenly: 1, 2, 4, 8, 16, 32.' }).waitFor();
  await view.locator('vscode-text-field[data-field="headDim"] input').fill('-1');
  await view.locator('#error-headDim', { hasText: 'at least 1' }).waitFor();
  assert.doesNotMatch((await view.locator('body').textContent()) ?? '', /NaN|undefined|Infinity/);
  await view.locator('vscode-text-field[data-field="headDim"] input').fill('128');
  await kvHeads.fill('1');
  // One KV head: the custom model is MQA, 131,072 tokens · 2 · 32 · 128 · 2 B = 2 GiB.
  await view.locator('.card.is-model[data-variant="MQA"] dd', { hasText: /^2 GiB$/ }).first().waitFor();

  // The explorer context menu of config.json opens that model (Gemma 2: even layers slide).
  const summary = view.locator('[data-testid="model-summary"]');
  await kvHeads.blur();
  // The context menu can close before the click lands on a busy machine: open it again until the panel follows.
  for (let attempt = 1; ; attempt++) {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'config.json' }).first().click({ button: 'right' });
    const item = page.locator('.context-view .action-item:not(.disabled) .action-label', { hasText: 'Show KV Cache Memory' }).first();
    await item.hover();
    await item.click();
    try {
      await summary.filter({ hasText: 'sliding window 4,096 on 21 of 42 layers' }).waitFor({ timeout: 15_000 });
      break;
    } catch (error) {
      console.log(`attempt ${attempt}: the summary reads "${(await summary.textContent().catch(() => '')) ?? ''}"`);
      await reportFailure(workbench, `kvcache-explorer-${attempt}`);
      if (attempt >= 3) throw error;
      await page.keyboard.press('Escape');
    }
  }
  assert.match((await summary.textContent()) ?? '', /\/config\.json/);
  assert.match((await view.locator('[data-testid="formula"]').textContent()) ?? '', /21 full layers × 131,072 \+ 21 sliding layers × min\(131,072, 4,096\)/);
  await screenshot(page, 'kvcache-config');
  await view.locator('[data-testid="formula"]').scrollIntoViewIfNeeded();
  await view.locator('canvas.memory-chart').hover({ position: { x: 500, y: 150 } });
  await screenshot(page, 'kvcache-chart');
});

/** The chart's labels as drawn (the canvas records them) and the canvas size. */
async function chartLabels(view: FrameLocator): Promise<{ labels: { text: string; x: number; y: number; w: number; h: number }[]; width: number; height: number }> {
  const canvas = view.locator('canvas.memory-chart');
  const labels = JSON.parse((await canvas.getAttribute('data-labels')) ?? '[]') as { text: string; x: number; y: number; w: number; h: number }[];
  const size = JSON.parse((await canvas.getAttribute('data-size')) ?? '{}') as { width: number; height: number };
  return { labels, ...size };
}

/** Fails when two chart labels share any pixel or one leaves the canvas. */
async function assertLabelsApart(view: FrameLocator, what: string): Promise<string[]> {
  const { labels, width, height } = await chartLabels(view);
  for (const a of labels) assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= width && a.y + a.h <= height, `${what}: "${a.text}" inside the ${width} px chart`);
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i], labels[j]];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `${what}: "${a.text}" and "${b.text}" overlap (${JSON.stringify(a)} / ${JSON.stringify(b)})`);
    }
  }
  return labels.map((l) => l.text);
}

/** Makes the active webview `target` CSS pixels wide: its group maximized, no side bar, then the window sized. */
async function narrowWebview(page: Page, view: FrameLocator, target: number): Promise<number> {
  let width = await view.locator('body').evaluate(() => window.innerWidth);
  for (let i = 0; i < 4 && Math.abs(width - target) > 2; i++) {
    const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
    await page.setViewportSize({ width: viewport.width + (target - width), height: viewport.height });
    await page.waitForTimeout(500);
    width = await view.locator('body').evaluate(() => window.innerWidth);
  }
  return width;
}

/** What sticks out past the right edge of the webview (nothing should, from 480 px up). */
async function clipped(view: FrameLocator): Promise<string[]> {
  return view.locator('body').evaluate(() => {
    const right = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > right + 1) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${right}`);
    for (const element of Array.from(document.querySelectorAll('#app *'))) {
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > right + 1) out.push(`${element.tagName.toLowerCase()}.${element.className}: right ${Math.round(box.right)} > ${right} "${(element.textContent ?? '').slice(0, 40)}"`);
    }
    return out.slice(0, 10);
  });
}

uiTest('a workspace config.json at 480 px: counted parameters, the trained-context warning, why no MLA card, labels apart, a broken save followed', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'View: Close All Editors');
  await openFile(page, 'qwen/config.json');
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  const summary = view.locator('[data-testid="model-summary"]');
  // The parameter count comes from the file's shapes, not "unknown".
  await summary.filter({ hasText: '7,615,616,512 parameters' }).waitFor({ timeout: 30_000 });
  assert.match((await summary.textContent()) ?? '', /counted from the shapes in config\.json/);
  assert.match((await summary.textContent()) ?? '', /trained context 32,768 tokens/);
  // The panel alone in the editor area (the file stays followed while closed).
  const fileTab = page.locator('.tabs-container .tab', { hasText: 'config.json' });
  await fileTab.click({ button: 'middle' });
  await fileTab.waitFor({ state: 'detached' });
  await view.locator('[data-testid="model-summary"]').waitFor();
  // 24 GiB minus 15,231,233,024 B of bf16 weights leaves room for 183,778 tokens of 56 KiB.
  await view.locator('.card.is-model[data-variant="GQA"] .fit', { hasText: '183,778 tokens' }).waitFor();
  // No MLA card, and a card that says why.
  assert.equal(await view.locator('.card.variant[data-variant="MLA"]').count(), 0);
  assert.match((await view.locator('.card.note[data-note="MLA"]').textContent()) ?? '', /latent the model is trained with/);

  // At the trained context, "current" and "trained context" mark the same spot: their labels stay apart.
  const seqLen = view.locator('vscode-text-field[data-field="seqLen"] input');
  // The host refuses a field of more than 64 characters (the whole update would be dropped): the field stops there.
  assert.equal(await seqLen.evaluate((input) => (input as HTMLInputElement).maxLength), 64);
  await seqLen.fill('32768');
  await view.locator('.card.is-model[data-variant="GQA"] dd', { hasText: /^1\.75 GiB$/ }).first().waitFor();
  const warning = view.locator('[data-testid="context-warning"]');
  assert.equal(await warning.isVisible(), false, 'no warning at the trained context itself');
  let texts = await assertLabelsApart(view, 'wide, at 32,768 tokens');
  for (const text of ['current', 'trained context', '48 GiB', '80 GiB']) assert.ok(texts.includes(text), `"${text}" is drawn (${texts.join(', ')})`);
  // One token past it: the warning names the trained length.
  await seqLen.fill('32769');
  await warning.filter({ hasText: 'past the 32,768 this model was trained on' }).waitFor();
  await seqLen.fill('1703417');
  await warning.filter({ hasText: '1,703,417 tokens is past the 32,768' }).waitFor();
  await screenshot(page, 'kvcache-qwen-wide');

  // 480 px wide: nothing clipped, labels still apart.
  await runCommand(page, 'View: Close Primary Side Bar', 15_000);
  const width = await narrowWebview(page, view, 480);
  assert.ok(Math.abs(width - 480) <= 2, `the webview is ${width} px wide`);
  await seqLen.fill('32768');
  await view.locator('[data-testid="context-warning"][hidden]').waitFor({ state: 'attached' });
  await page.waitForTimeout(500);
  assert.deepEqual(await clipped(view), [], 'nothing sticks out at 480 px');
  texts = await assertLabelsApart(view, '480 px');
  assert.ok(texts.includes('current') && texts.includes('trained context'), texts.join(', '));
  await screenshot(page, 'kvcache-480');
  await view.locator('canvas.memory-chart').scrollIntoViewIfNeeded();
  await screenshot(page, 'kvcache-480-chart');

  // A broken save: the error, no numbers at all (not Llama's, not the old file's), no "marked fields".
  const file = join(workbench.server.workspace, 'qwen', 'config.json');
  writeFileSync(file, QWEN_CONFIG.replace('"num_key_value_heads": 4', '"num_key_value_heads": 4,,'));
  await view.locator('[data-testid="no-numbers"]', { hasText: 'the panel follows it' }).waitFor({ timeout: 20_000 });
  assert.equal(await view.locator('[data-testid="results"]').isVisible(), false);
  assert.equal(await view.locator('.stale-note').isVisible(), false, 'no "Fix the marked fields" without a marked field');
  assert.match((await view.locator('.config-status').textContent()) ?? '', /not valid JSON/);
  await screenshot(page, 'kvcache-480-broken');
  // Fixed and saved again: the numbers come back by themselves.
  writeFileSync(file, QWEN_CONFIG);
  await view.locator('.card.is-model[data-variant="GQA"] dd', { hasText: /^1\.75 GiB$/ }).first().waitFor({ timeout: 20_000 });
  assert.equal(await view.locator('[data-testid="no-numbers"]').isVisible(), false);

  // Fast typing (15 ms a key) in one field and straight on into the next: no keystroke is lost on the way.
  await seqLen.fill('');
  await seqLen.pressSequentially('262144', { delay: 15 });
  const batch = view.locator('vscode-text-field[data-field="batch"] input');
  await batch.selectText();
  await batch.pressSequentially('12', { delay: 15 });
  await seqLen.focus();
  await seqLen.press('End');
  await seqLen.pressSequentially('0', { delay: 15 });
  // 2,621,440 tokens × batch 12 × 57,344 B = 1,803,886,264,320 B = 1.64 TiB for the model's GQA.
  await view.locator('.card.is-model[data-variant="GQA"] dd', { hasText: /^1\.64 TiB$/ }).first().waitFor({ timeout: 15_000 });
  assert.equal(await seqLen.inputValue(), '2621440');
  assert.equal(await batch.inputValue(), '12');
  await page.setViewportSize({ width: 1400, height: 900 });
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
});
