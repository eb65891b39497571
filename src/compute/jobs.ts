// The jobs the compute worker runs: heavy core work (tokenizing large texts, forward passes).
// Each feature adds its entries here; the pool calls them by name (see FOUNDATION.md).
import type { JobTable } from './workerHost';
import { attentionJob } from './attentionJob';
import { tokenBoundaryJob } from './tokenBoundaryJob';
import { decodeJob } from './decodeJob';
import { conceptProbeJob, conceptTrainJob } from './conceptJob';
import { chatCompareJob, compareTokenizersJob, countTokensJob, replayTokenJob, tokenizeTextJob, trainBpeJob } from './tokenizerJobs';

/** Every job the compute worker serves, by name. */
export const jobs = {
  /** The Attention panel's forward pass (issue 5). */
  attentionRun: attentionJob,
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
  /** Decoding panel (issue 17): generation with the KV cache, cooperative cancel, speed with and without the cache. */
  decode: decodeJob,
  /** Concept Lab (issue 20): every page's numbers from one forward pass with the runtime's hooks. */
  conceptProbe: conceptProbeJob,
  /** Concept Lab: live training of a copy of the embedded model on the text, loss per step as progress. */
  conceptTrain: conceptTrainJob,
} satisfies JobTable;

/** The job table's type: the pool's `run` is typed by it (import it with `import type` only). */
export type Jobs = typeof jobs;
