// Chat templates of the packaged tokenizers rendered by applyChatTemplate against the strings Python's
// Jinja2 renders with transformers' environment (test/fixtures/chat/render.py wrote expected.json from the
// same tokenizer_config.json files the build copies into dist/data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyChatTemplate,
  chatTemplateFromConfig,
  chatTemplateOf,
  chatTokens,
  ChatTemplateError,
  contentTokens,
  countTokens,
  packageRoot,
  type ChatMessage,
} from '../../src/core/index';

interface RenderCase {
  tokenizer: string;
  templateSha256: string;
  conversation: string;
  messages: ChatMessage[];
  addGenerationPrompt: boolean;
  bosToken: string | null;
  eosToken: string | null;
  variables: Record<string, unknown>;
  expected: string;
}

interface BadTemplate {
  name: string;
  template: string;
  messages: ChatMessage[];
  python: { kind: 'syntax' | 'raised' | 'none'; message: string };
}

const fixture = JSON.parse(readFileSync(join(packageRoot(), 'test', 'fixtures', 'chat', 'expected.json'), 'utf8')) as {
  cases: RenderCase[];
  badTemplates: BadTemplate[];
};

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

for (const tokenizer of ['llama3', 'qwen3', 'deepseek_v3']) {
  test(`${tokenizer}: the packaged chat template renders every conversation exactly as Jinja2 with transformers' settings`, async () => {
    const config = await chatTemplateOf(tokenizer);
    assert.ok(config, `${tokenizer} ships a chat template`);
    const cases = fixture.cases.filter((c) => c.tokenizer === tokenizer);
    assert.ok(cases.length >= 14, `${tokenizer}: enough fixture cases (${cases.length})`);
    for (const c of cases) {
      assert.equal(sha256(config.template), c.templateSha256, `${tokenizer}: the fixture was rendered from this template`);
      assert.equal(config.bosToken ?? null, c.bosToken);
      assert.equal(config.eosToken ?? null, c.eosToken);
      const got = applyChatTemplate(config.template, c.messages, {
        addGenerationPrompt: c.addGenerationPrompt,
        bosToken: config.bosToken,
        eosToken: config.eosToken,
        variables: c.variables,
      });
      assert.equal(got, c.expected, `${tokenizer} / ${c.conversation} / generation prompt ${c.addGenerationPrompt} / ${JSON.stringify(c.variables)}`);
    }
  });
}

test('the fixture covers the conversations and switches the issue asks for', () => {
  const names = new Set(fixture.cases.map((c) => c.conversation));
  for (const n of ['system and user', 'multi-turn', 'Korean', 'leading and trailing spaces', 'code']) assert.ok(names.has(n), n);
  const qwen = fixture.cases.filter((c) => c.tokenizer === 'qwen3');
  // enable_thinking=false adds an empty think block to the generation prompt only.
  const off = qwen.find((c) => c.conversation === 'one user message' && c.addGenerationPrompt && c.variables.enable_thinking === false);
  const on = qwen.find((c) => c.conversation === 'one user message' && c.addGenerationPrompt && c.variables.enable_thinking === true);
  assert.ok(off?.expected.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  assert.ok(on?.expected.endsWith('<|im_start|>assistant\n'));
  // Llama 3 trims message contents; Qwen3 keeps them.
  const llamaSpaces = fixture.cases.find((c) => c.tokenizer === 'llama3' && c.conversation === 'leading and trailing spaces');
  assert.ok(llamaSpaces?.expected.includes('<|end_header_id|>\n\nkeep my spaces<|eot_id|>'));
});

test('generation prompt on and off differ by the start of the assistant turn (Qwen3, DeepSeek-V3)', async () => {
  const messages = [{ role: 'user', content: '안녕하세요' }];
  for (const [id, prompt] of [['qwen3', '<|im_start|>assistant\n'], ['deepseek_v3', '<｜Assistant｜>']] as const) {
    const config = await chatTemplateOf(id);
    assert.ok(config);
    const off = applyChatTemplate(config.template, messages, { bosToken: config.bosToken, eosToken: config.eosToken });
    const on = applyChatTemplate(config.template, messages, { addGenerationPrompt: true, bosToken: config.bosToken, eosToken: config.eosToken });
    assert.equal(on, off + prompt, id);
  }
});

for (const bad of fixture.badTemplates) {
  test(`a bad template (${bad.name}) is a typed ChatTemplateError`, () => {
    assert.notEqual(bad.python.kind, 'none', 'Jinja2 rejects it too');
    assert.throws(
      () => applyChatTemplate(bad.template, bad.messages),
      (e: unknown) => {
        assert.ok(e instanceof ChatTemplateError);
        assert.equal(e.code, bad.python.kind);
        // raise_exception's text is the template's own, word for word as in transformers.
        if (bad.python.kind === 'raised') assert.equal(e.message, bad.python.message);
        return true;
      },
    );
  });
}

test('malformed messages and options are rejected with badInput', () => {
  const t = '{{ messages[0].content }}';
  for (const messages of [undefined, 'hi', [{ role: 'user' }], [{ role: 1, content: 'x' }], [null]]) {
    assert.throws(() => applyChatTemplate(t, messages as unknown as ChatMessage[]), (e: unknown) => e instanceof ChatTemplateError && e.code === 'badInput');
  }
  assert.throws(() => applyChatTemplate(t, [{ role: 'user', content: 'x' }], { variables: [] as unknown as Record<string, unknown> }), (e: unknown) => e instanceof ChatTemplateError && e.code === 'badInput');
});

test('loop controls, tojson and strftime_now work as in transformers ("a;c;" is what Jinja2 renders)', () => {
  const template =
    '{% for m in messages %}{% if m.role == "skip" %}{% continue %}{% endif %}{% if loop.index > 3 %}{% break %}{% endif %}{{ m.content }};{% endfor %}' +
    '{{ tools | tojson }}|{{ strftime_now("%Y") }}';
  const messages = [
    { role: 'user', content: 'a' },
    { role: 'skip', content: 'b' },
    { role: 'user', content: 'c' },
    { role: 'user', content: 'd' },
  ];
  const out = applyChatTemplate(template, messages, { variables: { tools: [{ name: '날씨', n: 1, ok: true, none: null }] } });
  assert.equal(out, `a;c;[{"name": "날씨", "n": 1, "ok": true, "none": null}]|${new Date().getFullYear()}`);
});

test('chatTemplateFromConfig reads string and named templates and AddedToken objects', () => {
  assert.deepEqual(chatTemplateFromConfig({ chat_template: 'x', bos_token: { content: '<s>' }, eos_token: '</s>' }), { template: 'x', bosToken: '<s>', eosToken: '</s>' });
  assert.equal(chatTemplateFromConfig({ chat_template: [{ name: 'tool_use', template: 't' }, { name: 'default', template: 'd' }] })?.template, 'd');
  assert.equal(chatTemplateFromConfig({ chat_template: [{ name: 'tool_use', template: 't' }] }, 'tool_use')?.template, 't');
  assert.equal(chatTemplateFromConfig({}), undefined);
  assert.equal(chatTemplateFromConfig(null), undefined);
});

test('chatTokens: templates tokenized with special tokens as single ids; OpenAI encodings through gpt-tokenizer encodeChat', async () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: '토큰이 뭐예요?' },
  ];
  const qwen = await chatTokens('qwen3', messages, { addGenerationPrompt: true });
  assert.equal(qwen.format, 'chatTemplate');
  assert.ok(qwen.rendered);
  // <|im_start|> three times (two messages + the prompt), each one token.
  assert.equal(qwen.rendered.spans.filter((s) => s.id === 151644).length, 3);
  assert.equal(qwen.count, await countTokens('qwen3', qwen.rendered.text, { specialTokens: true }));
  assert.ok(qwen.count > (await contentTokens('qwen3', messages)), 'the template adds its own tokens');

  const gpt = await chatTokens('o200k_base', messages);
  assert.equal(gpt.format, 'openaiChatml');
  assert.equal(gpt.rendered, undefined);
  // ChatML: per message <|im_start|> role <|im_sep|> content <|im_end|> (3 specials), then <|im_start|> assistant <|im_sep|> (2).
  const contents = await contentTokens('o200k_base', messages);
  const roles = (await countTokens('o200k_base', 'system')) + (await countTokens('o200k_base', 'user')) + (await countTokens('o200k_base', 'assistant'));
  assert.equal(gpt.count, contents + roles + 3 * 2 + 2);

  await assert.rejects(chatTokens('embedded', messages), /no chat template/);
});
