// The tokenizer jobs: what the tokenizer processes (dist/tokenizerHost.js) serve, a table of its own so that
// bundle holds the tokenizers and not the model runtime. Their names are `tokenizerJobNames` (./jobNames), which
// routes them there (a unit test keeps the two lists equal).
import type { JobTable } from './workerHost';
import { tokenBoundaryJob } from './tokenBoundaryJob';
import { chatCompareJob, compareTokenizersJob, countTokensJob, replayTokenJob, tokenizeTextJob, trainBpeJob } from './tokenizerJobs';

/** The tokenizer jobs by name. */
export const tokenizerJobs = {
  /** Tokenization panel (issue 3): spans of a text, with progress. */
  tokenizeText: tokenizeTextJob,
  /** Tokenization panel: the text's token count under every tokenizer. */
  compareTokenizers: compareTokenizersJob,
  /** Tokenization panel, Chat mode (issue 19): the chat under every tokenizer's chat format. */
  chatCompare: chatCompareJob,
  /** Status bar: token count of the selections. */
  countTokens: countTokensJob,
  /** Tokenization panel: merge replay of the word holding a token. */
  replayToken: replayTokenJob,
  /** Tokenization panel: a BPE trained on the text, for the merge stepper. */
  trainBpe: trainBpeJob,
  /** Editor (issue 19): the visible slice's tokens for the boundary decorations. */
  tokenBoundaries: tokenBoundaryJob,
} satisfies JobTable;
