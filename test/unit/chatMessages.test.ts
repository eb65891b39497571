import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatFromText } from '../../src/core/chat/messages';

test('a JSON array of {role, content} is a conversation; anything else is one user message', () => {
  const json = '[{"role":"system","content":"Be brief."},{"role":"user","content":"안녕"}]';
  assert.deepEqual(chatFromText(`  ${json}\n`), { from: 'json', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '안녕' }] });
  for (const text of ['hello [1, 2]', '[1, 2]', '[]', '[{"role":"user"}]', '[{"role":"user","content":3}]', '[{"role":"user","content":"x"}', '']) {
    assert.deepEqual(chatFromText(text), { from: 'text', messages: [{ role: 'user', content: text }] }, text);
  }
});
