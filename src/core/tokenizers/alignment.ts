// Builds the byte alignment between a text and what a normalizing tokenizer (Qwen3 applies NFC) actually
// tokenizes, so spans still point at the user's own characters when normalization changed them
// (decomposed Korean, combining accents, compatibility characters).

import { ByteAlignment, utf8Length } from './utf8';

/** One stretch of the original text and whether the tokenizer normalizes it (added tokens are not). */
export interface AlignmentPiece {
  /** The original text of this stretch. */
  original: string;
  /** Whether the tokenizer's normalizer runs on it. */
  normalized: boolean;
}

let graphemes: Intl.Segmenter | undefined;

/**
 * The alignment for `pieces` under `normalize`, or undefined when normalization changes nothing (the
 * common case, which then costs one normalize call per piece). Chunks are grapheme clusters: canonical
 * composition happens inside a cluster (a base with its marks, a Hangul L V T sequence), so clusters
 * normalize independently; if a piece disagrees, it becomes one proportional chunk.
 */
export function buildAlignment(
  pieces: readonly AlignmentPiece[],
  normalize: (s: string) => string,
): ByteAlignment | undefined {
  const normalizedPieces = pieces.map((p) => (p.normalized ? normalize(p.original) : p.original));
  if (normalizedPieces.every((s, i) => s === pieces[i].original)) return undefined;
  const normEnds: number[] = [];
  const origEnds: number[] = [];
  let norm = 0;
  let orig = 0;
  let lastIdentity = false; // the previous chunk maps identically, so an identical one can extend it
  const push = (normLen: number, origLen: number, identity: boolean): void => {
    norm += normLen;
    orig += origLen;
    if (identity && lastIdentity) {
      normEnds[normEnds.length - 1] = norm;
      origEnds[origEnds.length - 1] = orig;
    } else {
      normEnds.push(norm);
      origEnds.push(orig);
    }
    lastIdentity = identity;
  };
  const alignStretch = (original: string, normalized: string): void => {
    if (normalized === original) {
      const len = utf8Length(original);
      push(len, len, true);
      return;
    }
    graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const chunks: [string, string][] = [];
    let joined = '';
    for (const { segment } of graphemes.segment(original)) {
      const n = normalize(segment);
      chunks.push([n, segment]);
      joined += n;
    }
    if (joined !== normalized) {
      // Clusters did not normalize independently here: fall back to one proportional chunk.
      push(utf8Length(normalized), utf8Length(original), false);
      return;
    }
    for (const [n, segment] of chunks) push(utf8Length(n), utf8Length(segment), n === segment);
  };
  pieces.forEach((piece, i) => {
    const whole = normalizedPieces[i];
    if (whole === piece.original) {
      alignStretch(piece.original, whole);
      return;
    }
    // Lines normalize independently (nothing composes with a newline), so only changed lines are
    // segmented into clusters; on a large file that keeps the cost near one normalize call.
    const lines = piece.original.split(/(?<=\n)/);
    const normalizedLines = lines.map(normalize);
    if (normalizedLines.join('') !== whole) {
      alignStretch(piece.original, whole);
      return;
    }
    lines.forEach((line, k) => alignStretch(line, normalizedLines[k]));
  });
  return new ByteAlignment(normEnds, origEnds);
}
