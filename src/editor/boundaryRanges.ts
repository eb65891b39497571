// Where the editor's token-boundary decorations go (pure: no 'vscode', unit-tested in plain Node). Tokens
// are given as UTF-16 ranges relative to a slice of the document that starts at (line, character); each
// becomes a line/character range, alternately "even" and "odd" so neighbours get different backgrounds.

/** A range in line/character coordinates, as vscode.Range takes them. */
export interface LineRange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

/** The decorations of one slice: alternating token ranges, in order, and the index of each range's token. */
export interface BoundaryRanges {
  /** Ranges of tokens 0, 2, 4, … (non-empty ones). */
  even: LineRange[];
  /** Ranges of tokens 1, 3, 5, … (non-empty ones). */
  odd: LineRange[];
}

/**
 * Line/character ranges of tokens in `text` (a slice of a document starting at `line`, `character`), walking
 * the slice once. `starts`/`ends` are the tokens' UTF-16 ranges in the slice, in order. Tokens that share a
 * character (a split UTF-8 character) keep their shared range; empty ranges are left out.
 */
export function boundaryRanges(text: string, line: number, character: number, starts: ArrayLike<number>, ends: ArrayLike<number>): BoundaryRanges {
  const out: BoundaryRanges = { even: [], odd: [] };
  let at = 0; // UTF-16 offset in the slice reached by the walk
  let curLine = line;
  let curChar = character;
  // Moves the walk to `offset` (never backwards past a shared character: callers go in order).
  const moveTo = (offset: number): void => {
    for (; at < offset; at++) {
      if (text.charCodeAt(at) === 10) {
        curLine++;
        curChar = 0;
      } else curChar++;
    }
  };
  // Where the previous token started: a token sharing a character with its predecessor starts before the
  // walk, never before that point, so the walk restarts from there.
  let prevAt = 0;
  let prevLine = line;
  let prevChar = character;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const e = ends[i];
    if (e <= s || s < prevAt) continue; // empty, or out of order (spans that tile the text are neither)
    if (s < at) {
      at = prevAt;
      curLine = prevLine;
      curChar = prevChar;
    }
    moveTo(s);
    const sl = curLine;
    const sc = curChar;
    prevAt = s;
    prevLine = sl;
    prevChar = sc;
    moveTo(e);
    (i % 2 === 0 ? out.even : out.odd).push({ startLine: sl, startCharacter: sc, endLine: curLine, endCharacter: curChar });
  }
  return out;
}

/** The token whose UTF-16 range holds `offset` (binary search over ordered ranges), or -1. */
export function tokenAt(starts: ArrayLike<number>, ends: ArrayLike<number>, offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] <= offset) lo = mid + 1;
    else if (starts[mid] > offset) hi = mid - 1;
    else return mid;
  }
  return -1;
}
