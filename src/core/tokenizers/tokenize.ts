// The public tokenization calls: spans over the user's text, token bytes and pieces, pre-tokenized
// words, and a chunked variant that reports progress and can be cancelled for very large inputs.

import type { TokenizerBackend } from './backend';
import { loadBackend } from './registry';
import { TokenizerError, type TokenSpan, type WordSpan } from './types';
import { chunkBoundaries } from './spans';
import { decodeWholeUtf8, utf8Bytes, utf8Length, walkRanges } from './utf8';

export { chunkBoundaries, spansFromTokenBytes } from './spans';

function checkText(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new TokenizerError('badInput', `text must be a string, got ${typeof text}`);
}

/**
 * Per-id facts used to place tokens without walking the text: each token's bytes, and how its bytes
 * advance the UTF-16 position. A UTF-8 lead byte opens a character of 1 UTF-16 unit (2 for a 4-byte
 * character); continuation bytes open none. Lone surrogates arrive as U+FFFD (EF BF BD): 1 unit, as in
 * the text. Filled lazily, one entry per id seen.
 */
class TokenTable {
  /** Bytes of each id seen so far (preallocated: a JS array written at scattered indices goes slow). */
  readonly bytes: (Uint8Array | undefined)[];
  /** UTF-16 units of the characters whose lead byte lies in the token. */
  readonly leadUnits: Int32Array;
  /** UTF-16 units of the token's last lead byte's character (0 when it has none). */
  readonly lastLeadUnits: Int32Array;
  /** 1 when the token starts with a continuation byte (it continues the previous token's character). */
  readonly continues: Uint8Array;

  constructor(private readonly backend: TokenizerBackend) {
    const n = backend.vocabSize;
    this.bytes = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.leadUnits = new Int32Array(n);
    this.lastLeadUnits = new Int32Array(n);
    this.continues = new Uint8Array(n);
  }

  /** The bytes of `id`, filling its entry on first use; throws for ids outside the vocabulary. */
  fill(id: number): Uint8Array {
    const bytes = this.backend.tokenBytes(id);
    if (bytes === undefined || bytes.length === 0) {
      throw new TokenizerError('unknownToken', `the tokenizer produced id ${String(id)}, which has no bytes`);
    }
    let units = 0;
    let last = 0;
    for (const b of bytes) {
      if ((b & 0xc0) === 0x80) continue; // continuation byte
      last = b >= 0xf0 ? 2 : 1;
      units += last;
    }
    this.leadUnits[id] = units;
    this.lastLeadUnits[id] = last;
    this.continues[id] = (bytes[0] & 0xc0) === 0x80 ? 1 : 0;
    this.bytes[id] = bytes;
    return bytes;
  }
}

const tables = new WeakMap<TokenizerBackend, TokenTable>();

function tableOf(backend: TokenizerBackend): TokenTable {
  let table = tables.get(backend);
  if (!table) tables.set(backend, (table = new TokenTable(backend)));
  return table;
}

/**
 * The fast path: when the tokens' bytes spell the text's own UTF-8 (checked byte for byte), each span
 * follows from the previous one and the token's table entry. Returns undefined on the first difference
 * (the tokenizer normalized the text).
 */
function directSpans(table: TokenTable, ids: readonly number[], text: string): TokenSpan[] | undefined {
  const expected = utf8Bytes(text);
  const spans = new Array<TokenSpan>(ids.length);
  let at = 0; // byte offset
  let units = 0; // UTF-16 units of every character whose lead byte is before `at`
  let lastUnits = 0; // units of the last character opened so far
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const bytes = table.bytes[id] ?? table.fill(id);
    const len = bytes.length;
    if (at + len > expected.length) return undefined;
    for (let k = 0; k < len; k++) if (bytes[k] !== expected[at + k]) return undefined;
    // A token starting inside a character shares that character (opened by an earlier token).
    const start = table.continues[id] === 1 ? units - lastUnits : units;
    units += table.leadUnits[id];
    if (table.lastLeadUnits[id] !== 0) lastUnits = table.lastLeadUnits[id];
    spans[i] = { id, byteStart: at, byteEnd: at + len, start, end: units };
    at += len;
  }
  return at === expected.length ? spans : undefined;
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
  const ids = backend.encode(text);
  const table = tableOf(backend);
  const direct = directSpans(table, ids, text);
  if (direct) return direct;
  // The tokenizer normalized the text (Qwen3: NFC); its tokens then spell the normalized text, and
  // offsets are mapped back to the user's characters through the alignment.
  const norm = backend.normalization(text);
  const lengths = new Int32Array(ids.length);
  if (!norm || !tokenBytesSpell(table, ids, utf8Bytes(norm.normalized), lengths)) {
    throw new TokenizerError('inconsistent', 'the tokens do not spell the text (or its normalized form) byte for byte');
  }
  const spans = new Array<TokenSpan>(ids.length);
  walkRanges(
    text,
    lengths,
    (i, byteStart, byteEnd, start, end) => {
      spans[i] = { id: ids[i], byteStart, byteEnd, start, end };
    },
    norm.alignment,
  );
  return spans;
}

/**
 * Tokenizes `text` with the tokenizer `tokenizerId` (see listTokenizers): the tokenizer's own ids, no
 * BOS/EOS, special-token strings treated as plain text, with byte and UTF-16 ranges for each token.
 */
export async function tokenize(tokenizerId: string, text: string): Promise<TokenSpan[]> {
  checkText(text);
  return spansWith(await loadBackend(tokenizerId), text);
}

/** Number of tokens of `text` (same ids as tokenize, without building spans). */
export async function countTokens(tokenizerId: string, text: string): Promise<number> {
  checkText(text);
  return (await loadBackend(tokenizerId)).encode(text).length;
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
  const cuts = [...chunkBoundaries(text, chunkChars), text.length];
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

