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
