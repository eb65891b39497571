// Which jobs run where, kept apart from ./jobs so the extension's bundle can route jobs without bundling them.
import type { Jobs } from './jobs';

/**
 * The jobs that run in the tokenizer processes (dist/tokenizerHost.js, the table of ./tokenizerJobTable):
 * tokenizers only (vocabularies of a few hundred MB at most, no model). Every other job, and every new one unless
 * it is added here, runs in the model process.
 */
export const tokenizerJobNames: ReadonlySet<string> = new Set<keyof Jobs>([
  'tokenizeText', 'compareTokenizers', 'chatCompare', 'countTokens', 'replayToken', 'trainBpe', 'tokenBoundaries',
]);
