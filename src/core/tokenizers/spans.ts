// Span helpers that need no vocabulary (safe to import in the extension host): where a text can be cut
// without changing its tokens, and spans for ids whose bytes are known (a freshly trained BPE).

import { TokenizerError, type TokenSpan } from './types';
import { tokenSpans, utf8Bytes } from './utf8';

// A newline followed by an ASCII letter or digit: no pre-tokenizer pattern here lets a word run across
// that point (newline runs end before a letter; letter/number words never start with a newline), and no
// normalizer composes across it, so tokenizing the parts separately gives exactly the same tokens.
const SAFE_CUT = /\n(?=[A-Za-z0-9])/g;

/** Where `text` can be cut into chunks of about `chunkChars` without changing the tokens. */
export function chunkBoundaries(text: string, chunkChars: number): number[] {
  const cuts: number[] = [];
  let from = 0;
  for (;;) {
    if (text.length - from <= chunkChars) break;
    SAFE_CUT.lastIndex = from + chunkChars;
    const m = SAFE_CUT.exec(text);
    if (!m) break;
    from = m.index + 1;
    cuts.push(from);
  }
  return cuts;
}

/**
 * Spans of `text` for token ids whose bytes come from `bytesOf` (e.g. a BPE just trained on the text):
 * the same byte tiling and UTF-16 ranges as tokenize(), checked byte for byte.
 */
export function spansFromTokenBytes(text: string, ids: readonly number[], bytesOf: (id: number) => Uint8Array | undefined): TokenSpan[] {
  if (typeof text !== 'string') throw new TokenizerError('badInput', `text must be a string, got ${typeof text}`);
  const expected = utf8Bytes(text);
  const lengths = new Int32Array(ids.length);
  let at = 0;
  ids.forEach((id, i) => {
    const bytes = bytesOf(id);
    if (!bytes || bytes.length === 0) throw new TokenizerError('unknownToken', `token ${String(id)} has no bytes`);
    for (let k = 0; k < bytes.length; k++) {
      if (bytes[k] !== expected[at + k]) throw new TokenizerError('inconsistent', 'the tokens do not spell the text byte for byte');
    }
    lengths[i] = bytes.length;
    at += bytes.length;
  });
  if (at !== expected.length) throw new TokenizerError('inconsistent', 'the tokens do not cover the text');
  return tokenSpans(text, ids, lengths);
}
