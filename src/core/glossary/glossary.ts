// The glossary: every entry of the study note's chapters, lookup by name or alias, and the line matcher.
import { glossaryChapterList } from './chapters';
import { architectureEntries } from './entries/architecture';
import { componentEntries } from './entries/components';
import { decodingEntries } from './entries/decoding';
import { efficiencyEntries } from './entries/efficiency';
import { moeEntries } from './entries/moe';
import { positionEntries } from './entries/position';
import { tokenizationEntries } from './entries/tokenization';
import { trainingEntries } from './entries/training';
import { createTermMatcher, type GlossaryMatch, type TermMatcher } from './matcher';
import type { GlossaryChapterInfo, GlossaryEntry } from './types';

const allEntries: readonly GlossaryEntry[] = [
  ...architectureEntries,
  ...efficiencyEntries,
  ...positionEntries,
  ...componentEntries,
  ...moeEntries,
  ...tokenizationEntries,
  ...trainingEntries,
  ...decodingEntries,
];

const byId = new Map(allEntries.map((e) => [e.id, e]));

// Built on first use, then shared: the hover calls findTerms once per hovered line.
let matcher: TermMatcher | undefined;
function defaultMatcher(): TermMatcher {
  matcher ??= createTermMatcher(allEntries);
  return matcher;
}

/** Every glossary entry, in chapter order. */
export function glossaryEntries(): readonly GlossaryEntry[] {
  return allEntries;
}

/** The entry with this id, or undefined. */
export function glossaryEntry(id: string): GlossaryEntry | undefined {
  return byId.get(id);
}

/** The chapters in reading order. */
export function glossaryChapters(): readonly GlossaryChapterInfo[] {
  return glossaryChapterList;
}

/** The entry whose name or alias (English or Korean) is exactly `text`; abbreviations are case-sensitive. */
export function lookupTerm(text: string): GlossaryEntry | undefined {
  return defaultMatcher().lookup(text);
}

/** Every glossary term in one line of text (whole words, Korean particles allowed, longest match wins). */
export function findTerms(line: string): GlossaryMatch[] {
  return defaultMatcher().findTerms(line);
}

// Lines longer than this (minified code) are matched only around the cursor, to keep a hover cheap.
const LONG_LINE = 2048;
// How far before the cursor a windowed scan starts: far more than the longest term, so the left-to-right
// scan has settled into the same matches as a scan of the whole line by the time it reaches the cursor.
const WINDOW_BEFORE = 256;
const WINDOW_AFTER = 128;

/** The term under UTF-16 offset `offset` of `line` (a term ending exactly at the offset counts), or undefined. */
export function findTermAt(line: string, offset: number): GlossaryMatch | undefined {
  let from = 0;
  let text = line;
  if (line.length > LONG_LINE) {
    // Start just after a space, so the window does not begin in the middle of a word.
    from = Math.max(0, offset - WINDOW_BEFORE);
    const space = line.indexOf(' ', from);
    from = space >= 0 && space < offset ? space + 1 : from;
    text = line.slice(from, Math.min(line.length, offset + WINDOW_AFTER));
  }
  const at = offset - from;
  const matches = findTerms(text);
  const hit = matches.find((m) => m.start <= at && at < m.end) ?? matches.find((m) => m.end === at);
  return hit && from > 0 ? { start: hit.start + from, end: hit.end + from, entry: hit.entry } : hit;
}
