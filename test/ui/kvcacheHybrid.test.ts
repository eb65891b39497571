import { after, before } from 'node:test';
import assert from 'node:assert/strict';
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
