// The Tokenization panel's worker jobs (issue 3). Vocabularies are loaded in the worker (once each, kept
// by the core's registry), so the extension host never blocks on a multi-megabyte vocabulary.
import { replayMerges, type MergeReplay } from '../core/bpe/replay';
import { mergeStepTokenCounts } from '../core/bpe/stepper';
import { trainBpe } from '../core/bpe/trainer';
import { decomposedHangulSyllables } from '../core/tokenizers/korean';
import { countTokens, tokenBytes, tokenizeInChunks, wordSpans } from '../core/tokenizers/tokenize';
import { TokenizerError } from '../core/tokenizers/types';
import type { PackedTokens } from '../shared/protocol';
import type { ReportProgress } from './workerHost';

/** Input of `tokenizeText`. */
export interface TokenizeJobInput {
  tokenizerId: string;
  text: string;
}

/** Output of `tokenizeText`: spans as typed arrays plus the bytes of every distinct id. */
export interface TokenizeJobOutput extends PackedTokens {
  /** UTF-8 range of each token (the host keeps these; the webview derives them from the pieces). */
  byteStarts: Int32Array;
  byteEnds: Int32Array;
  /** Token count of the text composed to NFC, when it holds decomposed Korean. */
  nfcTokens?: number;
  decomposedSyllables: number;
}

/** Tokenizes the text chunk by chunk (progress between chunks) and packs the result for the panel. */
export async function tokenizeTextJob(input: TokenizeJobInput, progress: ReportProgress): Promise<TokenizeJobOutput> {
  // Load the vocabulary first (once per worker), so the time reported is the tokenization alone.
  await countTokens(input.tokenizerId, '');
  const started = Date.now();
  const spans = await tokenizeInChunks(input.tokenizerId, input.text, {
    chunkChars: 32_768,
    onProgress: (done, total) => progress(total === 0 ? 1 : done / total),
  });
  const n = spans.length;
  const ids = new Int32Array(n);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const byteStarts = new Int32Array(n);
  const byteEnds = new Int32Array(n);
  spans.forEach((s, i) => {
    ids[i] = s.id;
    starts[i] = s.start;
    ends[i] = s.end;
    byteStarts[i] = s.byteStart;
    byteEnds[i] = s.byteEnd;
  });
  const distinct = [...new Set(ids)].sort((a, b) => a - b);
  const pieces = await Promise.all(distinct.map((id) => tokenBytes(input.tokenizerId, id)));
  const pieceOffsets = new Int32Array(distinct.length + 1);
  pieces.forEach((p, k) => (pieceOffsets[k + 1] = pieceOffsets[k] + p.length));
  const pieceBytes = new Uint8Array(pieceOffsets[distinct.length]);
  pieces.forEach((p, k) => pieceBytes.set(p, pieceOffsets[k]));
  const decomposedSyllables = decomposedHangulSyllables(input.text);
  const nfcTokens = decomposedSyllables > 0 ? await countTokens(input.tokenizerId, input.text.normalize('NFC')) : undefined;
  return {
    tokenizerId: input.tokenizerId,
    ids, starts, ends, byteStarts, byteEnds,
    pieceIds: Int32Array.from(distinct), pieceOffsets, pieceBytes,
    nfcTokens, decomposedSyllables,
    elapsedMs: Date.now() - started,
  };
}

/** One tokenizer's count for the comparison table, or why it has none. */
export interface ComparisonCount {
  id: string;
  tokens: number | null;
  errorCode?: string;
  errorMessage?: string;
}

/** Counts the text with every tokenizer in `tokenizerIds` (loading each on first use). */
export async function compareTokenizersJob(input: { text: string; tokenizerIds: string[] }, progress: ReportProgress): Promise<ComparisonCount[]> {
  const out: ComparisonCount[] = [];
  for (const [k, id] of input.tokenizerIds.entries()) {
    try {
      out.push({ id, tokens: await countTokens(id, input.text) });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      out.push({ id, tokens: null, errorCode: e instanceof TokenizerError ? e.code : 'failed', errorMessage: e.message });
    }
    progress((k + 1) / input.tokenizerIds.length);
  }
  return out;
}

/** Token count of several texts (the selections of an editor) together: the status bar's number. */
export async function countTokensJob(input: { tokenizerId: string; texts: string[] }): Promise<number> {
  let total = 0;
  for (const text of input.texts) total += await countTokens(input.tokenizerId, text);
  return total;
}

/** Input of `replayToken`: a chunk of the text that tokenizes on its own, and a byte offset in it. */
export interface ReplayJobInput {
  tokenizerId: string;
  text: string;
  /** UTF-8 offset, in `text`, of the focused token's first byte. */
  byteOffset: number;
}

/** Output of `replayToken`: the word holding the token (UTF-16 range in the chunk) and its merge replay. */
export interface ReplayJobOutput {
  wordStart: number;
  wordEnd: number;
  replay: MergeReplay;
}

/** Finds the pre-tokenized word holding the byte and replays the tokenizer's merges on it. */
export async function replayTokenJob(input: ReplayJobInput): Promise<ReplayJobOutput> {
  const words = await wordSpans(input.tokenizerId, input.text);
  const word = words.find((w) => w.byteStart <= input.byteOffset && input.byteOffset < w.byteEnd);
  if (!word) throw new TokenizerError('badInput', `no word at byte ${input.byteOffset}`);
  return { wordStart: word.start, wordEnd: word.end, replay: await replayMerges(input.tokenizerId, word.text) };
}

/** Output of `trainBpe`: the merges, every token's bytes and the token count after each merge. */
export interface TrainJobOutput {
  merges: { left: number; right: number; count: number; newId: number }[];
  /** tokenBytes[id] for ids 0..255 (bytes) and the merges. */
  tokenBytes: Uint8Array[];
  tokenCounts: number[];
}

/** Trains a byte-level BPE with `merges` merges on the text (the stepper's data). */
export function trainBpeJob(input: { text: string; merges: number }): TrainJobOutput {
  const result = trainBpe(input.text, { vocabSize: 256 + input.merges });
  return {
    merges: result.merges.map((m) => ({ left: m.left, right: m.right, count: m.count, newId: m.newId })),
    tokenBytes: result.tokenBytes,
    tokenCounts: mergeStepTokenCounts(input.text, result.merges),
  };
}
