// The public core library (dist/core/index.js, what tests, benchmarks, scripts and outside checks load)
// keeps every name it exported before the round-2 restructure, and exports the runtime's new ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths';

/** Every runtime export of dist/core/index.js on main before the restructure (from its build, sorted). */
const BEFORE_RESTRUCTURE = [
  'AttentionCancelledError', 'AttentionInputError', 'BpeEncoder', 'BpeError', 'DocumentRegions', 'KV_INPUT_LIMITS',
  'KvCacheError', 'MAX_HEADER_BYTES', 'MAX_REPLAY_BYTES', 'ModelLoadError', 'PRE_TOKENIZE_PATTERN',
  'SUPPORTED_ARCHITECTURES', 'TokenizerError', 'applyBpe', 'architectureFamilyOf', 'attentionCsv', 'attentionKind',
  'attentionStep', 'attentionVariants', 'bpeToTokenizerJson', 'byteLevelString', 'bytesToUnicode', 'chartTokenAxis',
  'chunkBoundaries', 'combineHeads', 'countTokens', 'createTermMatcher', 'customModelText', 'dataDir',
  'decomposedHangulSyllables', 'defaultGqaKvHeads', 'elementTypes', 'embeddedModelDir', 'embeddedTokenizerFile',
  'encodeSafetensors', 'findCachedModels', 'findTermAt', 'findTerms', 'formatBinaryBytes', 'formatLayerList',
  'formsOf', 'glossaryChapters', 'glossaryEntries', 'glossaryEntry', 'gpuSizes', 'gqaKvHeadChoices', 'hfCacheRoot',
  'initParams', 'isCaseSensitiveForm', 'isProseLanguage', 'isTokenizerLoaded', 'kvBytesPerToken', 'kvCacheBreakdown',
  'kvCacheBytes', 'kvCacheReport', 'kvHeadMap', 'kvHeadOf', 'languageSyntax', 'listTokenizers', 'loadModel',
  'lookupTerm', 'markdownTable', 'matmulABt', 'maxContextForBudget', 'mergeStepTokenCounts', 'modelPresets',
  'openSafetensorsFile', 'packageRoot', 'paramLayout', 'parameterCount', 'parseCount', 'parseCustomModel',
  'parseLayerList', 'parseModelConfig', 'parseSafetensors', 'piecesAfter', 'preTokenize', 'replayMerges',
  'runAttention', 'sequenceForwardBackward', 'shapeFromHfConfig', 'spansFromTokenBytes', 'tokenBytes', 'tokenPiece',
  'tokenize', 'tokenizeInChunks', 'topPredictions', 'trainBpe', 'useWasmMatmul', 'vocabularySize', 'weightBytes',
  'wordSpans', 'writeSafetensorsFile',
];

/** What the restructure added: the runtime's forward pass, KV cache, hooks' entry points, architectures, weights. */
const ADDED = ['forward', 'nextTokenLogits', 'unembed', 'createKvCache', 'KvCache', 'shapeOf', 'ARCHITECTURES', 'architectureOf', 'linear', 'f32Weight'];

test('dist/core/index.js still exports every name it exported before the restructure, plus the new runtime API', () => {
  const core = createRequire(__filename)(join(packageRoot(), 'dist', 'core', 'index.js')) as Record<string, unknown>;
  const missing = BEFORE_RESTRUCTURE.filter((name) => !(name in core) || core[name] === undefined);
  assert.deepEqual(missing, [], `no longer exported: ${missing.join(', ')}`);
  for (const name of ADDED) assert.notEqual(core[name], undefined, `${name} is exported`);
  assert.equal(BEFORE_RESTRUCTURE.length, 93);
});

test('dist/core/index.js exports streamReadStats (issue 14/15: bytes streamed weights read, experts apart)', () => {
  const core = createRequire(__filename)(join(packageRoot(), 'dist', 'core', 'index.js')) as Record<string, unknown>;
  assert.equal(typeof core.streamReadStats, 'function');
  assert.deepEqual(Object.keys((core.streamReadStats as () => object)()).sort(), ['bytes', 'expertBytes', 'reads']);
});
