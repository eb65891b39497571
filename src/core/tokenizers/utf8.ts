// UTF-8 <-> UTF-16 bookkeeping for token spans. No tokenizer library reports character offsets, so spans
// are rebuilt from each token's byte length: bytes tile the UTF-8 encoding, and each token's UTF-16 range
// is the smallest run of whole characters containing its bytes (tokens splitting a character share it).
// Lone surrogates are encoded as U+FFFD (3 bytes), exactly as TextEncoder and the tokenizers do.

import { TokenizerError, type TokenSpan } from './types';

const utf8Encoder = new TextEncoder();

/** The UTF-8 encoding of `text` (lone surrogates become U+FFFD, as every tokenizer here sees them). */
export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Number of UTF-8 bytes of `text` without allocating them. */
export function utf8Length(text: string): number {
  let bytes = 0;
  const n = text.length;
  for (let u = 0; u < n; u++) {
    const c = text.charCodeAt(u);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if ((c & 0xfc00) === 0xd800 && u + 1 < n && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      u++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A monotone map from byte offsets in a tokenizer's normalized text (e.g. NFC for Qwen3) back to byte
 * offsets in the original text. The texts are cut into chunks that normalize independently; chunk
 * boundaries map exactly, offsets inside a chunk proportionally (a token that splits a normalized
 * character gets a share of the original bytes it came from).
 */
export class ByteAlignment {
  private chunk = 0;

  /**
   * @param normEnds cumulative end of each chunk in normalized UTF-8 bytes
   * @param origEnds cumulative end of each chunk in original UTF-8 bytes
   */
  constructor(
    private readonly normEnds: ArrayLike<number>,
    private readonly origEnds: ArrayLike<number>,
  ) {}

  /** Total bytes of the normalized text. */
  get normalizedLength(): number {
    return this.normEnds.length === 0 ? 0 : this.normEnds[this.normEnds.length - 1];
  }

  /** Maps a normalized byte offset to an original one; calls must come in non-decreasing order. */
  map(x: number): number {
    const n = this.normEnds.length;
    while (this.chunk < n && this.normEnds[this.chunk] <= x) this.chunk++;
    if (this.chunk === n) return n === 0 ? 0 : this.origEnds[n - 1];
    const k = this.chunk;
    const normStart = k === 0 ? 0 : this.normEnds[k - 1];
    const origStart = k === 0 ? 0 : this.origEnds[k - 1];
    if (x <= normStart) return origStart;
    const normLen = this.normEnds[k] - normStart;
    const origLen = this.origEnds[k] - origStart;
    return origStart + Math.floor(((x - normStart) * origLen) / normLen);
  }

  /** Starts mapping again from offset 0. */
  reset(): void {
    this.chunk = 0;
  }
}

/** Receives one range: its index, UTF-8 range in the original text and UTF-16 range. */
export type RangeSink = (index: number, byteStart: number, byteEnd: number, start: number, end: number) => void;

/**
 * Walks `text` once and reports, for consecutive pieces of the given byte lengths, their byte ranges and
 * the smallest whole-character UTF-16 ranges containing them. With `alignment`, lengths are in the
 * tokenizer's normalized bytes and are mapped back to the original text first.
 * Throws 'inconsistent' when the lengths do not add up to the text's UTF-8 length.
 */
export function walkRanges(
  text: string,
  lengths: ArrayLike<number>,
  sink: RangeSink,
  alignment?: ByteAlignment,
): void {
  const n = text.length;
  let u = 0; // UTF-16 index of the character containing the next piece's first byte
  let b = 0; // UTF-8 offset where that character starts
  let cu = 0; // UTF-16 units of the character at u (0 = not measured yet)
  let cb = 0; // UTF-8 bytes of the character at u
  let normEnd = 0;
  let byteStart = 0;
  alignment?.reset();
  const measure = (): void => {
    const c = text.charCodeAt(u);
    if (c < 0x80) {
      cu = 1;
      cb = 1;
    } else if (c < 0x800) {
      cu = 1;
      cb = 2;
    } else if ((c & 0xfc00) === 0xd800 && u + 1 < n && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
      cu = 2;
      cb = 4;
    } else {
      cu = 1; // other BMP characters, and lone surrogates encoded as U+FFFD
      cb = 3;
    }
  };
  if (n > 0) measure();
  const count = lengths.length;
  for (let i = 0; i < count; i++) {
    normEnd += lengths[i];
    const byteEnd = alignment ? alignment.map(normEnd) : normEnd;
    const start = u;
    let end: number;
    if (byteEnd === byteStart) {
      // An empty piece (only possible through normalization) sits at, or shares, the current character.
      end = b === byteStart ? u : u + cu;
    } else {
      if (u >= n) throw inconsistent(byteEnd, b);
      while (b + cb < byteEnd) {
        b += cb;
        u += cu;
        if (u >= n) throw inconsistent(byteEnd, b);
        measure();
      }
      end = u + cu;
      if (b + cb === byteEnd) {
        // The piece ends on a character boundary: the next one starts with a fresh character.
        b += cb;
        u += cu;
        if (u < n) measure();
      }
    }
    sink(i, byteStart, byteEnd, start, end);
    byteStart = byteEnd;
  }
  if (u < n) throw inconsistent(byteStart, utf8Length(text));
}

function inconsistent(reached: number, total: number): TokenizerError {
  return new TokenizerError(
    'inconsistent',
    `token byte lengths do not tile the text (${reached} bytes accounted for, ${total} in the text)`,
  );
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as UTF-8, or returns undefined when they are not whole characters (a byte fragment). */
export function decodeWholeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The spans of tokens `ids` whose UTF-8 byte lengths are `lengths`, laid over `text` (through `alignment` when it was normalized). */
export function tokenSpans(text: string, ids: readonly number[], lengths: ArrayLike<number>, alignment?: ByteAlignment): TokenSpan[] {
  const spans = new Array<TokenSpan>(ids.length);
  walkRanges(
    text,
    lengths,
    (i, byteStart, byteEnd, start, end) => {
      spans[i] = { id: ids[i], byteStart, byteEnd, start, end };
    },
    alignment,
  );
  return spans;
}
