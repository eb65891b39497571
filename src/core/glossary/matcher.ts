// Finds glossary terms in a line of text. Built once into a character trie so that a hover, which calls
// it for one line, costs microseconds however many terms and aliases there are.
//
// Rules (each tested in test/unit/glossaryMatcher.test.ts):
// - Whole words only: a term that starts or ends with a Latin letter or digit never starts or ends next to
//   another identifier character ([A-Za-z0-9_$]), so `property` holds no 'rope' and `kv_cache` no 'KV cache'.
// - Abbreviations are case-sensitive (GQA, MoE, RoPE, RMSNorm, T5); phrases and plain words are not.
// - Spaces and hyphens between Latin words are interchangeable separators ("grouped-query attention" =
//   "Grouped Query Attention"); spaces next to Hangul are optional (KV 캐시 = KV캐시), as Korean spacing varies.
// - Korean words take particles: a term ending in Hangul may be followed by any Hangul (어텐션을, 토큰화가), and a
//   term ending in a Latin letter may be followed by Hangul (GQA는). A Korean term must not start mid-word.
// - English plurals: a term ending in a letter may take "s" (and, when case-insensitive, "es").
// - Longest match wins; the scan is left to right and matches never overlap.
import type { GlossaryEntry } from './types';

/** One term found in a line: UTF-16 offsets [start, end) and its entry. */
export interface GlossaryMatch {
  readonly start: number;
  readonly end: number;
  readonly entry: GlossaryEntry;
}

/** A compiled matcher over a fixed set of entries. */
export interface TermMatcher {
  /** Every term in `line`, left to right, non-overlapping, longest match first. */
  findTerms(line: string): GlossaryMatch[];
  /** The entry whose name or alias is exactly `text` (separators and case normalized as in findTerms). */
  lookup(text: string): GlossaryEntry | undefined;
}

interface CompiledForm {
  readonly entry: GlossaryEntry;
  readonly caseSensitive: boolean;
  /** The form without separators, compared exactly when caseSensitive. */
  readonly exact: string;
  /** The form ends with a Latin letter or digit (then the identifier rule applies after it). */
  readonly latinEnd: boolean;
  /** The form ends with a letter, so an English plural suffix is allowed. */
  readonly letterEnd: boolean;
}

interface TrieNode {
  readonly next: Map<number, TrieNode>;
  /** Child reached by a run of one or more separators. */
  sep: TrieNode | undefined;
  readonly forms: CompiledForm[];
}

const SPACE = 0x20;

function newNode(): TrieNode {
  return { next: new Map(), sep: undefined, forms: [] };
}

/** Separators between the words of a term: space, tab, hyphen-minus, no-break space, Unicode hyphens. */
function isSeparator(c: number): boolean {
  return c === SPACE || c === 0x09 || c === 0x2d || c === 0xa0 || c === 0x2010 || c === 0x2011;
}

function isHangul(c: number): boolean {
  return (c >= 0xac00 && c <= 0xd7a3) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f);
}

function isLatinAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/** Characters that continue an identifier in most programming languages. */
function isIdentifierChar(c: number): boolean {
  return isLatinAlnum(c) || c === 0x5f /* _ */ || c === 0x24 /* $ */;
}

/** Lower-cases one UTF-16 code unit, keeping its length (so offsets stay valid). */
function lowerUnit(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c < 0x80) return c;
  const lowered = String.fromCharCode(c).toLowerCase();
  return lowered.length === 1 ? lowered.charCodeAt(0) : c;
}

/**
 * Whether a form is an abbreviation-like word matched case-sensitively: a single word (no whitespace)
 * with a hyphen- or slash-separated part that has a capital after its first letter (GQA, MoE, RoPE,
 * RMSNorm) or is capitals followed by digits (T5).
 */
export function isCaseSensitiveForm(form: string): boolean {
  if (/\s/.test(form)) return false;
  return form.split(/[-/]/).some((part) => /[A-Z]/.test(part.slice(1)) || /^[A-Z]+[0-9]+$/.test(part));
}

/** A form as a list of units: a code unit, or 'sep' (required) / 'opt' (optional, next to Hangul). */
type Unit = number | 'sep' | 'opt';

function unitsOf(form: string): Unit[] {
  const units: Unit[] = [];
  let i = 0;
  while (i < form.length) {
    const c = form.charCodeAt(i);
    if (!isSeparator(c)) {
      units.push(c);
      i++;
      continue;
    }
    let k = i;
    while (k < form.length && isSeparator(form.charCodeAt(k))) k++;
    const before = i > 0 ? form.charCodeAt(i - 1) : -1;
    const after = k < form.length ? form.charCodeAt(k) : -1;
    if (before >= 0 && after >= 0) units.push(isHangul(before) || isHangul(after) ? 'opt' : 'sep');
    i = k;
  }
  return units;
}

/** Inserts every spelling of `units` (each optional separator present or absent) below `node`. */
function insert(node: TrieNode, units: readonly Unit[], at: number, form: CompiledForm): void {
  if (at === units.length) {
    if (!node.forms.includes(form)) node.forms.push(form);
    return;
  }
  const u = units[at];
  if (u === 'sep' || u === 'opt') {
    if (!node.sep) node.sep = newNode();
    insert(node.sep, units, at + 1, form);
    if (u === 'opt') insert(node, units, at + 1, form);
    return;
  }
  const key = lowerUnit(u);
  let child = node.next.get(key);
  if (!child) {
    child = newNode();
    node.next.set(key, child);
  }
  insert(child, units, at + 1, form);
}

function compileForm(entry: GlossaryEntry, form: string): CompiledForm {
  const trimmed = form.trim();
  const last = trimmed.charCodeAt(trimmed.length - 1);
  return {
    entry,
    caseSensitive: isCaseSensitiveForm(trimmed),
    exact: stripSeparators(trimmed, 0, trimmed.length),
    latinEnd: isLatinAlnum(last),
    letterEnd: isLatinAlnum(last) && !(last >= 0x30 && last <= 0x39),
  };
}

function stripSeparators(text: string, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isSeparator(c)) out += text[i];
  }
  return out;
}

/** Every name and alias of an entry, in both languages. */
export function formsOf(entry: GlossaryEntry): string[] {
  return [entry.name.en, entry.name.ko, ...entry.aliases.en, ...entry.aliases.ko];
}

/** Builds a matcher for `entries` (the trie is built here, once). */
export function createTermMatcher(entries: readonly GlossaryEntry[]): TermMatcher {
  const root = newNode();
  for (const entry of entries) {
    for (const form of formsOf(entry)) {
      if (form.trim() === '') continue;
      insert(root, unitsOf(form.trim()), 0, compileForm(entry, form));
    }
  }

  /** Calls `visit` for every form spelled by the text from `start`, with the offset where it ends. */
  function walk(text: string, start: number, visit: (form: CompiledForm, end: number) => void): void {
    const n = text.length;
    let node = root;
    let j = start;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (isSeparator(c)) {
        if (!node.sep) return;
        let k = j + 1;
        while (k < n && isSeparator(text.charCodeAt(k))) k++;
        node = node.sep;
        j = k;
        continue;
      }
      const child = node.next.get(lowerUnit(c));
      if (!child) return;
      node = child;
      j++;
      for (const form of node.forms) visit(form, j);
    }
  }

  function caseMatches(form: CompiledForm, text: string, start: number, end: number): boolean {
    return !form.caseSensitive || stripSeparators(text, start, end) === form.exact;
  }

  /** Where a match of `form` ending at `end` really ends (plural suffix included), or -1 if not a whole word. */
  function wordEnd(form: CompiledForm, text: string, end: number): number {
    if (!form.latinEnd) return end;
    const next = end < text.length ? text.charCodeAt(end) : -1;
    if (!isIdentifierChar(next)) return end;
    if (!form.letterEnd) return -1;
    const after1 = end + 1 < text.length ? text.charCodeAt(end + 1) : -1;
    if (next === 0x73 /* s */ || (next === 0x53 /* S */ && !form.caseSensitive)) {
      if (!isIdentifierChar(after1)) return end + 1;
    }
    if (!form.caseSensitive && lowerUnit(next) === 0x65 /* e */ && lowerUnit(after1) === 0x73 /* s */) {
      const after2 = end + 2 < text.length ? text.charCodeAt(end + 2) : -1;
      if (!isIdentifierChar(after2)) return end + 2;
    }
    return -1;
  }

  function startsWord(text: string, i: number): boolean {
    const c = text.charCodeAt(i);
    const prev = i > 0 ? text.charCodeAt(i - 1) : -1;
    if (isLatinAlnum(c)) return !isIdentifierChar(prev);
    if (isHangul(c)) return !isHangul(prev) && !isIdentifierChar(prev);
    return true;
  }

  function findTerms(line: string): GlossaryMatch[] {
    const matches: GlossaryMatch[] = [];
    const n = line.length;
    let i = 0;
    while (i < n) {
      if (!root.next.has(lowerUnit(line.charCodeAt(i))) || !startsWord(line, i)) {
        i++;
        continue;
      }
      let best: GlossaryMatch | undefined;
      walk(line, i, (form, end) => {
        const wordEndAt = wordEnd(form, line, end);
        if (wordEndAt < 0 || !caseMatches(form, line, i, end)) return;
        if (!best || wordEndAt > best.end) best = { start: i, end: wordEndAt, entry: form.entry };
      });
      if (best) {
        matches.push(best);
        i = best.end;
      } else {
        i++;
      }
    }
    return matches;
  }

  function lookup(text: string): GlossaryEntry | undefined {
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    let found: GlossaryEntry | undefined;
    walk(trimmed, 0, (form, end) => {
      if (!found && end === trimmed.length && caseMatches(form, trimmed, 0, end)) found = form.entry;
    });
    return found;
  }

  return { findTerms, lookup };
}
