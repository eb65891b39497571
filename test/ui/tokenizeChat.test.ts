import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from '@dqbd/tiktoken';
import { activeWebview, openFile, openWorkbench, runCommand, screenshot, uiTest, type Workbench } from './workbench';

// Chat mode of the Tokenization panel (issue 19): a JSON conversation under every tokenizer's chat format.
const CHAT = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: '토큰이 뭐예요? What is a token?' },
];

/**
 * o200k_base's chat count, by hand from tiktoken (independent of gpt-tokenizer): OpenAI's ChatML for
 * gpt-4o is <|im_start|>role<|im_sep|>content<|im_end|> per message (three special tokens, one id each)
 * and the reply primed with <|im_start|>assistant<|im_sep|>.
 */
function o200kChatCount(messages: { role: string; content: string }[]): number {
  const enc = get_encoding('o200k_base');
  try {
    const n = (s: string) => enc.encode_ordinary(s).length;
    return messages.reduce((sum, m) => sum + 3 + n(m.role) + n(m.content), 0) + 2 + n('assistant');
  } finally {
    enc.free();
  }
}

for (const theme of ['light', 'dark'] as const) {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({
      files: { 'chat.json': `${JSON.stringify(CHAT, null, 2)}\n` },
      ...(theme === 'dark' ? { settings: { 'workbench.colorTheme': 'Default Dark Modern' } } : {}),
    });
  });
  after(async () => {
    await workbench?.close();
  });

  uiTest(`Chat mode (${theme}): every tokenizer's chat format, special tokens drawn apart, counts per message`, { workbench: () => workbench, timeout: 400_000 }, async () => {
    const { page } = workbench;
    await openFile(page, 'chat.json');
    await runCommand(page, 'LLM Lens: Tokenize Selection');
    const view = activeWebview(page);
    await view.locator('.token-rows .chip').first().waitFor({ timeout: 120_000 });
    await view.locator('vscode-checkbox', { hasText: 'Chat' }).click();
    const o200k = view.locator('.chat-card[data-tokenizer="o200k_base"]');
    await o200k.waitFor({ timeout: 180_000 });
    assert.match((await view.locator('.chat').textContent()) ?? '', /2 messages read from the JSON array/);
    assert.equal(((await o200k.locator('.chat-total').textContent()) ?? '').replace(/[^\d]/g, ''), String(o200kChatCount(CHAT)));
    assert.match((await o200k.locator('.chat-format').textContent()) ?? '', /OpenAI chat format, counted with gpt-tokenizer’s chat encoding/);
    assert.match((await o200k.locator('.chat-counts').textContent()) ?? '', /system: \d+ · user: \d+ · template: \d+/);
    // The chat markers are single special tokens, drawn apart from the text's tokens.
    assert.ok((await o200k.locator('.chip.special', { hasText: '<|im_start|>' }).count()) === 3, 'two messages and the reply: three <|im_start|>');
    const qwen = view.locator('.chat-card[data-tokenizer="qwen3"]');
    assert.match((await qwen.locator('.chat-format').textContent()) ?? '', /chat template/);
    assert.ok((await qwen.locator('.chip.special', { hasText: '<|im_start|>' }).count()) >= 3);
    const special = await qwen.locator('.chip.special').first().evaluate((e) => getComputedStyle(e).borderStyle);
    const plain = await qwen.locator('.chip:not(.special)').first().evaluate((e) => getComputedStyle(e).borderStyle);
    assert.notEqual(special, plain, 'special tokens have their own chip style');
    // The embedded model has no chat template: the card says so instead of a count.
    assert.match((await view.locator('.chat-card[data-tokenizer="embedded"]').textContent()) ?? '', /No chat template|not built/);
    await view.locator('.chat').scrollIntoViewIfNeeded();
    await screenshot(page, `tokenize-chat-${theme}`);
  });

  if (theme === 'dark') {
    test('Chat mode survives a window reload: the restored panel shows the same chat', async () => {
      const { page } = workbench;
      await runCommand(page, 'Developer: Reload Window');
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      const view = activeWebview(page);
      // Restored by its serializer from the webview's saved state: the text, and Chat mode on.
      const o200k = view.locator('.chat-card[data-tokenizer="o200k_base"]');
      await o200k.waitFor({ timeout: 180_000 });
      assert.equal(((await o200k.locator('.chat-total').textContent()) ?? '').replace(/[^\d]/g, ''), String(o200kChatCount(CHAT)));
      assert.match((await view.locator('.chat').textContent()) ?? '', /2 messages read from the JSON array/);
      assert.equal(await view.locator('vscode-checkbox', { hasText: 'Chat' }).getAttribute('aria-checked'), 'true', 'the Chat checkbox is on');
      assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Tokenization' }).count(), 1, 'one panel, not a second one');
      await screenshot(page, 'tokenize-chat-restored');
    });
  }
}
