// The editor's token boundaries (issue 19): the visible slice of a document tokenized in the tokenizer process, sent
// back as typed arrays with the bytes of every distinct id (for the hover), so the host only places ranges.
import { tokenize, tokenBytes } from '../core/tokenizers/tokenize';

/** Input of `tokenBoundaries`. */
export interface TokenBoundaryJobInput {
  tokenizerId: string;
  text: string;
}

/** Output of `tokenBoundaries`: each token's id and UTF-16 range in the slice, and the distinct ids' bytes. */
export interface TokenBoundaryJobOutput {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Distinct ids, ascending; the bytes of distinctIds[k] are pieceBytes[pieceOffsets[k] .. pieceOffsets[k+1]). */
  distinctIds: Int32Array;
  pieceOffsets: Int32Array;
  pieceBytes: Uint8Array;
}

/** Tokenizes one slice of a document for the boundary decorations. */
export async function tokenBoundaryJob(input: TokenBoundaryJobInput): Promise<TokenBoundaryJobOutput> {
  const spans = await tokenize(input.tokenizerId, input.text);
  const n = spans.length;
  const ids = new Int32Array(n);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = spans[i].id;
    starts[i] = spans[i].start;
    ends[i] = spans[i].end;
  }
  const distinctIds = Int32Array.from(new Set(ids)).sort();
  const pieces = await Promise.all(Array.from(distinctIds, (id) => tokenBytes(input.tokenizerId, id)));
  const pieceOffsets = new Int32Array(distinctIds.length + 1);
  pieces.forEach((p, k) => (pieceOffsets[k + 1] = pieceOffsets[k] + p.length));
  const pieceBytes = new Uint8Array(pieceOffsets[distinctIds.length]);
  pieces.forEach((p, k) => pieceBytes.set(p, pieceOffsets[k]));
  return { ids, starts, ends, distinctIds, pieceOffsets, pieceBytes };
}
