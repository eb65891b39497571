import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from '../../src/shared/protocol';

test('attention requests: valid ones pass through unchanged', () => {
  assert.deepEqual(parseRequest('attention', { type: 'select', layer: 2, head: 3, query: 10 }), { type: 'select', layer: 2, head: 3, query: 10 });
  assert.deepEqual(parseRequest('attention', { type: 'select', layer: 0, head: 'mean', query: 0 }), { type: 'select', layer: 0, head: 'mean', query: 0 });
  assert.deepEqual(parseRequest('attention', { type: 'stepOptions', scaled: false, temperature: 0.5 }), { type: 'stepOptions', scaled: false, temperature: 0.5 });
  assert.deepEqual(parseRequest('attention', { type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' }), { type: 'exportPng', dataUrl: 'data:image/png;base64,AAAA' });
  assert.deepEqual(parseRequest('attention', { type: 'openModelDoc', doc: 'loss' }), { type: 'openModelDoc', doc: 'loss' });
  assert.deepEqual(parseRequest('attention', { type: 'exportCsv', extra: 1 }), { type: 'exportCsv' });
  // Issue 15: the link to the MoE view carries nothing (the host uses its own text and model); extra fields are dropped.
  assert.deepEqual(parseRequest('attention', { type: 'showMoeRouting', text: 'injected', dir: '/etc' }), { type: 'showMoeRouting' });
});

test('attention requests: malformed or hostile ones are dropped', () => {
  const bad: unknown[] = [
    { type: 'select', layer: -1, head: 0, query: 0 },
    { type: 'select', layer: 0.5, head: 0, query: 0 },
    { type: 'select', layer: 0, head: 'min', query: 0 },
    { type: 'select', layer: 0, head: 0 },
    { type: 'select', layer: '1', head: 0, query: 0 },
    { type: 'stepOptions', scaled: 'yes', temperature: 1 },
    { type: 'stepOptions', scaled: true, temperature: 0 },
    { type: 'stepOptions', scaled: true, temperature: Infinity },
    { type: 'stepOptions', scaled: true, temperature: 1000 },
    { type: 'exportPng', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' },
    { type: 'exportPng', dataUrl: 42 },
    { type: 'openModelDoc', doc: '../../etc/passwd' },
    { type: 'runCommand', command: 'llmLens.showWelcome' },
    { type: 'nope' },
    null,
    'select',
    [],
  ];
  for (const message of bad) assert.equal(parseRequest('attention', message), undefined, JSON.stringify(message));
});
