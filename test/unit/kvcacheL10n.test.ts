import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webviewStrings } from '../../src/shared/strings';
import { packageRoot } from '../../src/core/paths';

const root = packageRoot();
const korean = JSON.parse(readFileSync(join(root, 'l10n', 'bundle.l10n.ko.json'), 'utf8')) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

function checkKorean(english: string): void {
  const translated = korean[english];
  assert.ok(translated && translated.trim().length > 0, `Korean for "${english}"`);
  assert.deepEqual(placeholders(translated), placeholders(english), `same placeholders in "${english}"`);
  assert.match(translated, /[\uAC00-\uD7A3]|^[^A-Za-z]*$|KV|MLA|GQA|MQA|MHA|config\.json/, `"${translated}" is Korean`);
}

test('every KV-cache webview string ships in Korean with the same placeholders', () => {
  const strings = Object.values(webviewStrings.kvcache);
  assert.ok(strings.length > 80);
  for (const english of strings) checkKorean(english);
});

test('every host-side KV-cache message (vscode.l10n.t) ships in Korean with the same placeholders', () => {
  const sources = ['src/panels/kvCachePanel.ts', 'src/commands/showKvCache.ts'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
  const messages = [...sources.matchAll(/vscode\.l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1].replace(/\\'/g, "'"));
  assert.ok(messages.length > 20);
  for (const english of messages) checkKorean(english);
});
