import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { activeWebview, openWorkbench, reportFailure, runCommand, screenshot, uiTest, type Workbench } from './workbench';

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

let workbench: Workbench;

before(async () => {
  // Its own workbench: the explorer context-menu step was flaky in a workbench shared with other files.
  workbench = await openWorkbench({ files: { 'config.json': GEMMA_CONFIG }, isolated: true });
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
