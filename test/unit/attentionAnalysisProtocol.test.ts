// The analysis views' requests (issue 18) are untrusted webview input: well-formed ones pass, the rest are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from '../../src/shared/protocol';
import { maxAblations, maxLensPositions } from '../../src/shared/attentionAnalysisProtocol';

test('analysis requests: well-formed ones pass with their fields only', () => {
  assert.deepEqual(parseRequest('attention', { type: 'findHeads', excludeBos: true, excludeCurrentToken: false, extra: 1 }), { type: 'findHeads', excludeBos: true, excludeCurrentToken: false });
  assert.deepEqual(parseRequest('attention', { type: 'inductionTest', confirmed: false }), { type: 'inductionTest', confirmed: false });
  assert.deepEqual(parseRequest('attention', { type: 'logitLens', end: 12, count: 8 }), { type: 'logitLens', end: 12, count: 8 });
  assert.deepEqual(parseRequest('attention', { type: 'ablate', ablations: [{ layer: 1, head: 2, path: '/etc' }, { layer: 3 }] }), { type: 'ablate', ablations: [{ layer: 1, head: 2 }, { layer: 3 }] });
  assert.deepEqual(parseRequest('attention', { type: 'exportHeatmap', format: 'html', hideFirstKey: true, path: '/tmp/x' }), { type: 'exportHeatmap', format: 'html', hideFirstKey: true }, 'no path ever comes from the webview');
});

test('analysis requests: malformed ones are refused', () => {
  for (const bad of [
    { type: 'findHeads', excludeBos: 'yes', excludeCurrentToken: false },
    { type: 'inductionTest' },
    { type: 'logitLens', end: -1, count: 8 },
    { type: 'logitLens', end: 3, count: maxLensPositions + 1 },
    { type: 'logitLens', end: 3.5, count: 2 },
    { type: 'ablate', ablations: [] },
    { type: 'ablate', ablations: [{ layer: 0, head: -1 }] },
    { type: 'ablate', ablations: [{ layer: '0' }] },
    { type: 'ablate', ablations: [null] },
    { type: 'ablate', ablations: Array.from({ length: maxAblations + 1 }, () => ({ layer: 0 })) },
    { type: 'ablate', ablations: { layer: 0 } },
    { type: 'exportHeatmap', format: 'pdf', hideFirstKey: false },
    { type: 'exportHeatmap', format: 'svg' },
  ]) {
    assert.equal(parseRequest('attention', bad), undefined, JSON.stringify(bad).slice(0, 80));
  }
});
