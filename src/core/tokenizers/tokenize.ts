// The public tokenization calls: spans over the user's text, token bytes and pieces, pre-tokenized
// words, and a chunked variant that reports progress and can be cancelled for very large inputs.

import type { TokenizerBackend } from './backend';
import { loadBackend } from './registry';
import { tableOf, type TokenTable } from './tokenTable';
import { TokenizerError, type TokenSpan, type WordSpan } from './types';
import { chunkBoundaries } from './spans';
import { decodeWholeUtf8, tokenSpans, utf8Bytes, utf8Length, walkRanges } from './utf8';

export { chunkBoundaries, spansFromTokenBytes } from './spans';

function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new TokenizerError('badInput', `text must be a string, got ${typeof text}`);
}

/**
 * The fast path: when the tokens' bytes spell the text's own UTF-8 (checked byte for byte), each span
 * follows from the previous one and the token's table entry. Returns undefined on the first difference
 * (the tokenizer normalized the text).
 */
function directSpans(table: TokenTable, ids: readonly number[], text: string): TokenSpan[] | undefined {
  const expected = utf8Bytes(text);
  const n = ids.length;
  // First pass: check the bytes and pack each token's UTF-16 range; the TokenSpan objects are built in one
  // pass at the end (allocating them inside this loop costs more: GC pressure while the loop runs).
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let at = 0; // byte offset
  let units = 0; // UTF-16 units of every character whose lead byte is before `at`
  let lastUnits = 0; // units of the last character opened so far
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    const bytes = table.bytes[id] ?? table.fill(id);
    const len = bytes.length;
    if (at + len > expected.length) return undefined;
    for (let k = 0; k < len; k++) if (bytes[k] !== expected[at + k]) return undefined;
    // A token starting inside a character shares that character (opened by an earlier token).
    starts[i] = table.continues[id] === 1 ? units - lastUnits : units;
    units += table.leadUnits[id];
    if (table.lastLeadUnits[id] !== 0) lastUnits = table.lastLeadUnits[id];
    ends[i] = units;
    at += len;
  }
  if (at !== expected.length) return undefined;
  const spans = new Array<TokenSpan>(n);
  const byteLength = table.byteLength;
  at = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    const len = byteLength[id];
    spans[i] = { id, byteStart: at, byteEnd: at + len, start: starts[i], end: ends[i] };
    at += len;
  }
  return spans;
}

/** Fills `lengths` with each token's byte length if the tokens' bytes spell `expected` exactly. */
function tokenBytesSpell(table: TokenTable, ids: readonly number[], expected: Uint8Array, lengths: Int32Array): boolean {
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    const bytes = table.bytes[ids[i]] ?? table.fill(ids[i]);
    const len = bytes.length;
    if (at + len > expected.length) return false;
    for (let k = 0; k < len; k++) if (bytes[k] !== expected[at + k]) return false;
    lengths[i] = len;
    at += len;
  }
  return at === expected.length;
}

/** Spans of `text` under a loaded tokenizer (synchronous; the async wrappers only add loading). */
export function spansWith(backend: TokenizerBackend, text: string): TokenSpan[] {
  const table = tableOf(backend);
  // Engines that know each piece's place while encoding build the spans in that same pass.
  const built = backend.spans?.(text, table);
  if (built) return built;
  const ids = backend.encode(text);
  const direct = directSpans(table, ids, text);
  if (direct) return direct;
  // The tokenizer normalized the text (Qwen3: NFC); its tokens then spell the normalized text, and
  // offsets are mapped back to the user's characters through the alignment.
  const norm = backend.normalization(text);
  const lengths = new Int32Array(ids.length);
  if (!norm || !tokenBytesSpell(table, ids, utf8Bytes(norm.normalized), lengths)) {
    throw new TokenizerError('inconsistent', 'the tokens do not spell the text (or its normalized form) byte for byte');
  }
  const spans = tokenSpans(text, ids, lengths, norm.alignment);
  return spans;
}

/** Options of {@link tokenize} and {@link countTokens}. */
export interface TokenizeOptions {
  /**
   * Read the tokenizer's special-token strings (<|im_start|>, <|eot_id|>, <|begin_of_text|>, …) as their
   * single special ids, as a model sees a rendered chat template. Default false: they are plain text.
   */
  specialTokens?: boolean;
}

const specialMatchers = new WeakMap<TokenizerBackend, RegExp | null>();

/** Leftmost-longest matcher of a tokenizer's special-token strings (null when it has none). */
function specialMatcher(backend: TokenizerBackend): RegExp | null {
  let matcher = specialMatchers.get(backend);
  if (matcher === undefined) {
    const strings = [...backend.specialTokens().keys()].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
    matcher = strings.length === 0 ? null : new RegExp(strings.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    specialMatchers.set(backend, matcher);
  }
  return matcher;
}

/**
 * The text cut at its special-token strings, as tiktoken (allowed_special) and Hugging Face tokenizers
 * (added tokens split before normalization and pre-tokenization) both do: the stretches between them are
 * encoded on their own, each special string is its one id.
 */
function specialSegments(backend: TokenizerBackend, text: string): { start: number; end: number; id: number | undefined }[] {
  const matcher = specialMatcher(backend);
  const out: { start: number; end: number; id: number | undefined }[] = [];
  let last = 0;
  if (matcher) {
    const ids = backend.specialTokens();
    matcher.lastIndex = 0;
    for (let m = matcher.exec(text); m !== null; m = matcher.exec(text)) {
      if (m.index > last) out.push({ start: last, end: m.index, id: undefined });
      out.push({ start: m.index, end: m.index + m[0].length, id: ids.get(m[0]) });
      last = m.index + m[0].length;
    }
  }
  if (last < text.length) out.push({ start: last, end: text.length, id: undefined });
  return out;
}

/** Spans of `text` with special-token strings read as their ids (see {@link TokenizeOptions}). */
export function spansWithSpecialTokens(backend: TokenizerBackend, text: string): TokenSpan[] {
  const out: TokenSpan[] = [];
  let byteOffset = 0;
  for (const seg of specialSegments(backend, text)) {
    const piece = text.slice(seg.start, seg.end);
    const bytes = utf8Length(piece);
    if (seg.id !== undefined) out.push({ id: seg.id, byteStart: byteOffset, byteEnd: byteOffset + bytes, start: seg.start, end: seg.end });
    else {
      for (const s of spansWith(backend, piece)) {
        out.push({ id: s.id, byteStart: s.byteStart + byteOffset, byteEnd: s.byteEnd + byteOffset, start: s.start + seg.start, end: s.end + seg.start });
      }
    }
    byteOffset += bytes;
  }
  return out;
}

/** Token ids of `text`, special-token strings read as their ids (the ids of spansWithSpecialTokens). */
function encodeWithSpecialTokens(backend: TokenizerBackend, text: string): number[] {
  const ids: number[] = [];
  for (const seg of specialSegments(backend, text)) {
    if (seg.id !== undefined) ids.push(seg.id);
    else for (const id of backend.encode(text.slice(seg.start, seg.end))) ids.push(id);
  }
  return ids;
}

/**
 * Tokenizes `text` with the tokenizer `tokenizerId` (see listTokenizers): the tokenizer's own ids, no
 * BOS/EOS, with byte and UTF-16 ranges for each token. Special-token strings are plain text unless
 * `options.specialTokens` is set.
 */
export async function tokenize(tokenizerId: string, text: string, options: TokenizeOptions = {}): Promise<TokenSpan[]> {
  checkText(text);
  const backend = await loadBackend(tokenizerId);
  return options.specialTokens === true ? spansWithSpecialTokens(backend, text) : spansWith(backend, text);
}

/** Number of tokens of `text` (same ids as tokenize, without building spans). */
export async function countTokens(tokenizerId: string, text: string, options: TokenizeOptions = {}): Promise<number> {
  checkText(text);
  const backend = await loadBackend(tokenizerId);
  return (options.specialTokens === true ? encodeWithSpecialTokens(backend, text) : backend.encode(text)).length;
}

/** The UTF-8 bytes token `id` stands for (a copy); throws 'unknownToken' for an id outside the vocabulary. */
export async function tokenBytes(tokenizerId: string, id: number): Promise<Uint8Array> {
  const bytes = (await loadBackend(tokenizerId)).tokenBytes(id);
  if (bytes === undefined) throw new TokenizerError('unknownToken', `${tokenizerId} has no token ${String(id)}`);
  return bytes.slice();
}

/** One vocabulary entry as a person reads it. */
export interface TokenPiece {
  /** The token id. */
  id: number;
  /** Its UTF-8 bytes. */
  bytes: number[];
  /** The bytes decoded, or undefined when they are only part of a character (a byte fragment). */
  text: string | undefined;
  /** True for special tokens (BOS, EOS, chat markers), which plain text never produces. */
  special: boolean;
}

/** Bytes, decoded text (when whole characters) and special flag of token `id`. */
export async function tokenPiece(tokenizerId: string, id: number): Promise<TokenPiece> {
  const backend = await loadBackend(tokenizerId);
  const bytes = backend.tokenBytes(id);
  if (bytes === undefined) throw new TokenizerError('unknownToken', `${tokenizerId} has no token ${String(id)}`);
  return { id, bytes: Array.from(bytes), text: decodeWholeUtf8(bytes), special: backend.isSpecial(id) };
}

/** Number of token ids of a tokenizer (largest id + 1, special tokens included). */
export async function vocabularySize(tokenizerId: string): Promise<number> {
  return (await loadBackend(tokenizerId)).vocabSize;
}

/** Pre-tokenized words of `text` under a loaded tokenizer (synchronous). */
export function wordSpansWith(backend: TokenizerBackend, text: string): WordSpan[] {
  const words = backend.words(text);
  const lengths = words.map((w) => w.byteLength);
  const alignment = backend.normalization(text)?.alignment;
  const out = new Array<WordSpan>(words.length);
  walkRanges(
    text,
    lengths,
    (i, byteStart, byteEnd, start, end) => {
      out[i] = { byteStart, byteEnd, start, end, text: words[i].text, addedToken: words[i].addedToken };
    },
    alignment,
  );
  return out;
}

/**
 * The words the tokenizer's pre-tokenizer cuts `text` into (BPE merges happen inside a word only). They
 * tile the text like the spans do, and each word's tokens are a consecutive run of tokenize()'s spans.
 */
export async function wordSpans(tokenizerId: string, text: string): Promise<WordSpan[]> {
  checkText(text);
  return wordSpansWith(await loadBackend(tokenizerId), text);
}

/** Options for {@link tokenizeInChunks}. */
export interface ChunkedTokenizeOptions {
  /** Approximate UTF-16 length of one chunk (default 65,536). */
  chunkChars?: number;
  /** Called after each chunk with the characters done so far and the total. */
  onProgress?: (doneChars: number, totalChars: number) => void;
  /** Polled between chunks; returning true stops the job with a 'cancelled' TokenizerError. */
  isCancelled?: () => boolean;
}

/**
 * tokenize() for large texts: cuts the text at points that cannot change the result, tokenizes chunk by
 * chunk and yields to the event loop between chunks so progress can be reported and a cancel can arrive.
 */
export async function tokenizeInChunks(
  tokenizerId: string,
  text: string,
  options: ChunkedTokenizeOptions = {},
): Promise<TokenSpan[]> {
  checkText(text);
  const chunkChars = Math.max(1024, Math.floor(options.chunkChars ?? 65_536));
  const backend = await loadBackend(tokenizerId);
  // SentencePiece would put a dummy prefix at the start of every chunk: such a text is tokenized whole.
  const cuts = backend.wholeText === true ? [text.length] : [...chunkBoundaries(text, chunkChars), text.length];
  const out: TokenSpan[] = [];
  let start = 0;
  let byteOffset = 0;
  for (const cut of cuts) {
    if (options.isCancelled?.()) throw new TokenizerError('cancelled', 'tokenization was cancelled');
    const chunk = text.slice(start, cut);
    for (const s of spansWith(backend, chunk)) {
      out.push({
        id: s.id,
        byteStart: s.byteStart + byteOffset,
        byteEnd: s.byteEnd + byteOffset,
        start: s.start + start,
        end: s.end + start,
      });
    }
    byteOffset += utf8Length(chunk);
    start = cut;
    options.onProgress?.(cut, text.length);
    if (cut < text.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

