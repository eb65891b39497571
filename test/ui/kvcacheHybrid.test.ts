import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// ai21labs/Jamba-v0.1's published config.json (the fields that matter, and some that must be ignored).
const JAMBA_CONFIG = JSON.stringify(
  {
    architectures: ['JambaForCausalLM'], model_type: 'jamba', num_hidden_layers: 32, hidden_size: 4096, intermediate_size: 14336,
    num_attention_heads: 32, num_key_value_heads: 8, attn_layer_period: 8, attn_layer_offset: 4, expert_layer_period: 2,
    expert_layer_offset: 1, num_experts: 16, num_experts_per_tok: 2, mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2,
    mamba_dt_rank: 256, max_position_embeddings: 262144, vocab_size: 65536, torch_dtype: 'bfloat16', use_mamba_kernels: true,
  },
  null,
  2,
);

let workbench: Workbench;

before(async () => {
  workbench = await openWorkbench({ files: { 'jamba/config.json': JAMBA_CONFIG }, isolated: true });
});
after(async () => {
  await workbench?.close();
});

uiTest('a hybrid model (Jamba): only its 4 attention layers grow a cache; the Mamba state is shown apart', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await openFile(page, 'jamba/config.json');
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  await view.locator('[data-testid="model-summary"]').filter({ hasText: 'config.json' }).waitFor({ timeout: 30_000 });
  await view.locator('vscode-text-field[data-field="seqLen"] input').fill('1000');
  const formula = view.locator('[data-testid="formula"]');
  // 4 attention layers (4, 12, 20, 28) × 1,000 tokens; read as 32 attention layers it would be 8× too large.
  await formula.filter({ hasText: '4 × 1,000 = 4,000' }).waitFor({ timeout: 15_000 });
  const text = (await formula.textContent()) ?? '';
  assert.match(text, /28 of 32 layers keep no KV cache/);
  // Mamba state: 28 layers × 8,192 × (4 + 16) values × 2 bytes = 9,175,040 B = 8.75 MiB, not in the KV cache.
  assert.match(text, /fixed state, reported apart[^=]*= 9,175,040 B × 1 = 8\.75 MiB/);
  // The model's card: 16,384 B per token × 1,000 = 16,384,000 B.
  await view.locator('.card.is-model .bytes[title="16,384,000 bytes"]').first().waitFor();
  await formula.scrollIntoViewIfNeeded();
  await screenshot(page, 'kvcache-hybrid');
});

uiTest('speed bounds: Llama-3.1-8B at 4,096 tokens on an H100 SXM decodes at most ≈ 201.8 tokens/s', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  // A fresh panel opens on its default preset, Llama-3.1-8B.
  await view.locator('[data-testid="model-summary"]').filter({ hasText: 'Llama-3.1-8B' }).waitFor({ timeout: 30_000 });
  await view.locator('vscode-text-field[data-field="seqLen"] input').fill('4096');
  const h100 = view.locator('[data-testid="speed"] .speed-row[data-gpu="h100-sxm"]');
  // 3,350 GB/s ÷ (16,060,522,496 bf16 weight bytes + 536,870,912 KV bytes) = 201.8 tokens/s.
  await h100.filter({ hasText: '16,597,393,408 B' }).waitFor({ timeout: 15_000 });
  const text = (await h100.textContent()) ?? '';
  assert.match(text, /3,350 GB\/s ÷ 16,597,393,408 B = 201\.8 tokens\/s/);
  // Each sequence's 512 MiB KV read takes longer than its FLOPs: batching never reaches the compute roof.
  assert.match(text, /batching never makes decode compute-bound/);
  assert.match(text, /Source: .*H100 Tensor Core GPU datasheet/);
  await view.locator('[data-testid="speed"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'kvcache-speed');
});

uiTest('serving: Llama-3.1-8B on 2 GPUs with 16-token blocks, replication past 8 KV heads, your own GPU in the speed bounds, bad numbers named', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  // A fresh panel on its default preset, Llama-3.1-8B, at 4,096 tokens.
  await view.locator('[data-testid="model-summary"]').filter({ hasText: 'Llama-3.1-8B' }).waitFor({ timeout: 60_000 });
  await view.locator('vscode-text-field[data-field="seqLen"] input').fill('4096');
  await view.locator('vscode-text-field[data-field="batch"] input').fill('4');
  await view.locator('vscode-text-field[data-field="tpDegree"] input').fill('2');
  const serving = view.locator('[data-testid="serving"]');
  // Per GPU: 16,060,522,496 B of weights ÷ 2 + 4 KV heads × 2 × 128 × 32 layers × 2 B × 4,096 tokens × 4 sequences.
  await serving.locator('[data-testid="serving-total"] .bytes[title="9,104,003,072 bytes"]').waitFor({ timeout: 15_000 });
  assert.match((await serving.locator('[data-testid="serving-heads"]').textContent()) ?? '', /8 ÷ 2 GPUs = 4 per GPU/);
  assert.match((await serving.locator('[data-testid="serving-blocks"]').textContent()) ?? '', /4,096 tokens need 256 blocks .* leaves 0 slots empty/);
  // 24 GiB (the GPU chosen above) − 8,030,261,248 B of weights, ÷ 268,435,456 B per 4,096-token sequence = 66.
  assert.match((await serving.locator('[data-testid="serving-max"]').textContent()) ?? '', /At most 66 concurrent sequences of 4,096 tokens/);
  assert.match((await serving.locator('[data-testid="serving-fit"]').textContent()) ?? '', /^Fits on 24 GiB/);
  // 16 GPUs for 8 KV heads: each head is held twice.
  await view.locator('vscode-text-field[data-field="tpDegree"] input').fill('16');
  await serving.locator('[data-testid="serving-heads"]').filter({ hasText: 'replicated on 2 GPUs' }).waitFor({ timeout: 15_000 });
  // A 4,000-token context in 16-token blocks: 250 blocks exactly; 4,001 tokens leave 15 slots of the 251st empty.
  await view.locator('vscode-text-field[data-field="seqLen"] input').fill('4001');
  await serving.locator('[data-testid="serving-blocks"]').filter({ hasText: 'leaves 15 slots empty' }).waitFor({ timeout: 15_000 });
  // Nonsense gets a message on its field, and no serving numbers.
  await view.locator('vscode-text-field[data-field="tpDegree"] input').fill('3');
  await view.locator('#error-tpDegree').filter({ hasText: '3 GPUs cannot share 8 KV heads evenly' }).waitFor({ timeout: 15_000 });
  await view.locator('vscode-text-field[data-field="gpuMemoryGiB"] input').fill('-5');
  await view.locator('#error-gpuMemoryGiB').filter({ hasText: 'greater than 0' }).waitFor({ timeout: 15_000 });
  assert.match((await serving.textContent()) ?? '', /Fix the marked Serving fields/);
  await view.locator('vscode-text-field[data-field="tpDegree"] input').fill('2');
  await view.locator('vscode-text-field[data-field="gpuMemoryGiB"] input').fill('8');
  await serving.locator('[data-testid="serving-fit"]').filter({ hasText: 'Does not fit on your GPU (8 GiB)' }).waitFor({ timeout: 15_000 });
  // Your GPU in the speed bounds: 1,000 GB/s ÷ 16,597,… B at 4,096 tokens — back to 4,096 and one sequence.
  await view.locator('vscode-text-field[data-field="seqLen"] input').fill('4096');
  await view.locator('vscode-text-field[data-field="batch"] input').fill('1');
  await view.locator('vscode-text-field[data-field="gpuBandwidthGBs"] input').fill('1000');
  await view.locator('#error-gpuTflops').filter({ hasText: 'TFLOP/s' }).waitFor({ timeout: 15_000 });
  await view.locator('vscode-text-field[data-field="gpuTflops"] input').fill('100');
  const mine = view.locator('[data-testid="speed"] .speed-row[data-gpu="custom"]');
  await mine.filter({ hasText: '1,000 GB/s ÷ 16,597,393,408 B = 60.3 tokens/s' }).waitFor({ timeout: 15_000 });
  await serving.scrollIntoViewIfNeeded();
  await screenshot(page, 'kvcache-serving');
});

/** Makes the active webview `target` CSS pixels wide by sizing the window (the side bar closed first). */
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
      if (box.width > 0 && box.right > right + 1) out.push(`${element.tagName.toLowerCase()}.${element.className}: right ${Math.round(box.right)} > ${right}`);
    }
    return out.slice(0, 10);
  });
}

uiTest('the issue-21 presets at 480 px: Qwen3-Next, Llama 4 Scout and OpenELM say which layers cache, the fixed state and their counts', { workbench: () => workbench }, async () => {
  const { page } = workbench;
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'LLM Lens: Show KV Cache Memory');
  const view = activeWebview(page);
  const summary = view.locator('[data-testid="model-summary"]');
  await summary.filter({ hasText: 'Llama-3.1-8B' }).waitFor({ timeout: 60_000 });
  await runCommand(page, 'View: Close Primary Side Bar', 15_000);
  const width = await narrowWebview(page, view, 480);
  assert.ok(Math.abs(width - 480) <= 2, `the webview is ${width} px wide`);
  const pick = async (label: string) => {
    await view.locator('vscode-dropdown[data-field="preset"]').click();
    await view.locator('vscode-dropdown[data-field="preset"] vscode-option', { hasText: label }).click();
    await summary.filter({ hasText: label }).waitFor({ timeout: 15_000 });
  };
  try {
    // Qwen/Qwen3-Next-80B-A3B-Instruct: 12 of 48 layers attend; the 36 DeltaNet layers hold
    // 36 × 557,056 values × 2 B = 40,108,032 B = 38.25 MiB per sequence.
    await pick('Qwen3-Next-80B-A3B');
    let text = (await summary.textContent()) ?? '';
    assert.match(text, /KV cache in 12 of 48 layers/);
    assert.match(text, /plus a fixed state of 38\.25 MiB per sequence/);
    assert.match(text, /79,674,391,296 parameters, 3,874,929,408 active per token/);
    assert.match(text, /multi-token-prediction layer/);
    await page.waitForTimeout(300);
    assert.deepEqual(await clipped(view), [], 'nothing sticks out at 480 px (Qwen3-Next)');
    await screenshot(page, 'kvcache-qwen3next-480');
    // meta-llama/Llama-4-Scout-17B-16E: 36 of 48 layers keep one 8,192-token chunk.
    await pick('Llama-4-Scout');
    text = (await summary.textContent()) ?? '';
    assert.match(text, /attention chunks of 8,192 tokens on 36 of 48 layers/);
    assert.match(text, /107,769,861,120 parameters, 17,172,894,720 active per token/);
    assert.deepEqual(await clipped(view), [], 'nothing sticks out at 480 px (Llama 4)');
    // apple/OpenELM-3B: 3 to 6 KV heads per layer.
    await pick('OpenELM-3B');
    text = (await summary.textContent()) ?? '';
    assert.match(text, /KV heads per layer from 3 to 6/);
    assert.match(text, /3,036,647,424 parameters/);
    await screenshot(page, 'kvcache-openelm-480');
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  }
});
