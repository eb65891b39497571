// The Tokenization panel's jobs (issue 3). Vocabularies are loaded in the tokenizer process (once each, kept
// by the core's registry), so the extension host never blocks on a multi-megabyte vocabulary.
import { replayMerges, type MergeReplay } from '../core/bpe/replay';
import { mergeStepTokenCounts } from '../core/bpe/stepper';
import { trainBpe } from '../core/bpe/trainer';
import { chatTokens, type ChatFormat } from '../core/chat/chatTokens';
import { ChatTemplateError, type ChatMessage } from '../core/chat/template';
import { decomposedHangulSyllables } from '../core/tokenizers/korean';
import { loadBackend } from '../core/tokenizers/registry';
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
  // Load the vocabulary first (once per process), so the time reported is the tokenization alone.
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
  // Where a span is shorter or longer than its token's bytes (SentencePiece's dummy prefix, normalizers).
  const pieceLength = new Map(distinct.map((id, k) => [id, pieces[k].length]));
  const fixes: number[] = [];
  for (let i = 0; i < n; i++) {
    const length = byteEnds[i] - byteStarts[i];
    if (length !== pieceLength.get(ids[i])) fixes.push(i, length);
  }
  const decomposedSyllables = decomposedHangulSyllables(input.text);
  const nfcTokens = decomposedSyllables > 0 ? await countTokens(input.tokenizerId, input.text.normalize('NFC')) : undefined;
  return {
    tokenizerId: input.tokenizerId,
    ids, starts, ends, byteStarts, byteEnds,
    pieceIds: Int32Array.from(distinct), pieceOffsets, pieceBytes,
    byteLengthFixes: fixes.length > 0 ? Int32Array.from(fixes) : undefined,
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

/** One piece of a chat as a model reads it: its text and whether it is a special token (a chat marker). */
export interface ChatPiece {
  text: string;
  special: boolean;
}

/** One tokenizer's view of a chat: total, per message, the template's own tokens, and the first pieces. */
export interface ChatCount {
  id: string;
  format: ChatFormat | null;
  total: number | null;
  /** Tokens of each message's content alone. */
  perMessage: number[];
  /** total − the contents: what the template adds (role markers, separators, the reply's start). */
  overhead: number | null;
  /** The chat's first tokens (at most chatPieceLimit), for drawing. */
  pieces: ChatPiece[];
  errorCode?: string;
  errorMessage?: string;
}

/** Most pieces of one tokenizer's chat sent to the panel (the counts cover the whole chat). */
const chatPieceLimit = 600;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A token's text; a token holding part of a character (not valid UTF-8 alone) is shown as its bytes in hex. */
function pieceText(bytes: Uint8Array | undefined): string {
  if (!bytes) return '';
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // Thin spaces: the panel draws plain spaces as · (visible whitespace).
    return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('\u2009');
  }
}

/**
 * The chat `messages` under every tokenizer in `tokenizerIds`, through each one's chat template (special
 * tokens as single ids) or gpt-tokenizer's chat encoding for o200k_base/cl100k_base (see chatTokens).
 */
export async function chatCompareJob(input: { messages: ChatMessage[]; tokenizerIds: string[] }, progress: ReportProgress): Promise<ChatCount[]> {
  const out: ChatCount[] = [];
  for (const [k, id] of input.tokenizerIds.entries()) {
    try {
      const chat = await chatTokens(id, input.messages, { addGenerationPrompt: true });
      const perMessage: number[] = [];
      for (const m of input.messages) perMessage.push(await countTokens(id, m.content));
      const backend = await loadBackend(id);
      let pieces: ChatPiece[];
      if (chat.rendered) {
        const { text, spans } = chat.rendered;
        pieces = spans
          .slice(0, chatPieceLimit)
          .map((s) => (backend.isSpecial(s.id) ? { text: text.slice(s.start, s.end), special: true } : { text: pieceText(backend.tokenBytes(s.id)), special: false }));
      } else {
        const ids = backend.encodeChat?.(input.messages) ?? [];
        pieces = ids.slice(0, chatPieceLimit).map((t) => ({ text: pieceText(backend.tokenBytes(t)), special: backend.isSpecial(t) }));
      }
      out.push({ id, format: chat.format, total: chat.count, perMessage, overhead: chat.count - perMessage.reduce((a, b) => a + b, 0), pieces });
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const code = e instanceof TokenizerError || e instanceof ChatTemplateError ? e.code : 'failed';
      out.push({ id, format: null, total: null, perMessage: [], overhead: null, pieces: [], errorCode: code, errorMessage: e.message });
    }
    progress((k + 1) / input.tokenizerIds.length);
  }
  return out;
}
