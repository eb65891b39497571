// Tells whether a position of a source file is in a comment, a string or code, for the hover's
// "only in comments, strings and prose" setting. VS Code gives extensions no access to its tokens, so this is
// a small lexer per language family. It is deliberately simple (no nesting, no string interpolation): a
// wrong answer only shows or hides a hover.
//
// Block comments and multi-line strings make a line's region depend on the lines above it, so the state at
// the start of each line is computed once and cached (an edit invalidates the lines from the edited one on);
// a hover then scans one line.

/** What a position of a source file is part of. */
export type TextRegion = 'code' | 'comment' | 'string';

/** A string delimiter; `multiline` strings (""" ''' `) may span lines, others end at the end of the line. */
export interface StringDelimiter {
  readonly open: string;
  readonly close: string;
  readonly multiline: boolean;
}

/** The comment and string syntax of a language family. */
export interface LanguageSyntax {
  readonly lineComments: readonly string[];
  readonly blockComments: readonly (readonly [string, string])[];
  readonly strings: readonly StringDelimiter[];
}

const dq: StringDelimiter = { open: '"', close: '"', multiline: false };
const sq: StringDelimiter = { open: "'", close: "'", multiline: false };
const backtick: StringDelimiter = { open: '`', close: '`', multiline: true };
const tripleDq: StringDelimiter = { open: '"""', close: '"""', multiline: true };
const tripleSq: StringDelimiter = { open: "'''", close: "'''", multiline: true };

const cStyle: LanguageSyntax = { lineComments: ['//'], blockComments: [['/*', '*/']], strings: [dq, sq] };
const jsStyle: LanguageSyntax = { ...cStyle, strings: [dq, sq, backtick] };
const tripleQuoteCStyle: LanguageSyntax = { ...cStyle, strings: [tripleDq, dq, sq] };
const hashStyle: LanguageSyntax = { lineComments: ['#'], blockComments: [], strings: [dq, sq] };

/** Language ids (VS Code's) whose whole text is prose: every position counts. */
const PROSE = new Set([
  'markdown', 'plaintext', 'latex', 'tex', 'restructuredtext', 'asciidoc', 'git-commit', 'mdx', 'quarto', 'html', 'xml', 'rmd',
]);

const SYNTAX: Record<string, LanguageSyntax> = {
  typescript: jsStyle,
  typescriptreact: jsStyle,
  javascript: jsStyle,
  javascriptreact: jsStyle,
  go: jsStyle,
  c: cStyle,
  cpp: cStyle,
  'cuda-cpp': cStyle,
  csharp: cStyle,
  java: cStyle,
  'objective-c': cStyle,
  'objective-cpp': cStyle,
  groovy: cStyle,
  scss: cStyle,
  less: cStyle,
  jsonc: cStyle,
  proto: cStyle,
  // A single quote in Rust may start a lifetime ('a), not a string.
  rust: { ...cStyle, strings: [dq] },
  kotlin: tripleQuoteCStyle,
  swift: tripleQuoteCStyle,
  scala: tripleQuoteCStyle,
  dart: { ...cStyle, strings: [tripleDq, tripleSq, dq, sq] },
  php: { lineComments: ['//', '#'], blockComments: [['/*', '*/']], strings: [dq, sq] },
  css: { lineComments: [], blockComments: [['/*', '*/']], strings: [dq, sq] },
  json: { lineComments: [], blockComments: [], strings: [dq] },
  python: { lineComments: ['#'], blockComments: [], strings: [tripleDq, tripleSq, dq, sq] },
  julia: { lineComments: ['#'], blockComments: [['#=', '=#']], strings: [tripleDq, dq] },
  shellscript: hashStyle,
  yaml: hashStyle,
  toml: { ...hashStyle, strings: [tripleDq, tripleSq, dq, sq] },
  perl: hashStyle,
  r: hashStyle,
  ruby: hashStyle,
  makefile: hashStyle,
  dockerfile: hashStyle,
  elixir: { ...hashStyle, strings: [tripleDq, dq, sq] },
  coffeescript: hashStyle,
  powershell: { lineComments: ['#'], blockComments: [['<#', '#>']], strings: [dq, sq] },
  ini: { lineComments: [';', '#'], blockComments: [], strings: [dq] },
  properties: { lineComments: ['#', '!'], blockComments: [], strings: [] },
  sql: { lineComments: ['--'], blockComments: [['/*', '*/']], strings: [sq, dq] },
  lua: { lineComments: ['--'], blockComments: [['--[[', ']]']], strings: [dq, sq] },
  haskell: { lineComments: ['--'], blockComments: [['{-', '-}']], strings: [dq] },
};

/**
 * The comment and string syntax of a VS Code language id; null when the whole text is prose (Markdown, plain
 * text, HTML…) or the language is unknown (then the hover cannot tell code from comments and allows all).
 */
export function languageSyntax(languageId: string): LanguageSyntax | null {
  if (PROSE.has(languageId)) return null;
  return SYNTAX[languageId] ?? null;
}

/** Whether every position of a language's text is prose (no code to keep the hover out of). */
export function isProseLanguage(languageId: string): boolean {
  return languageSyntax(languageId) === null;
}

// A lexer state is one number: 0 = code, 1 + i = inside block comment i, 1 + blocks + j = inside string j.
const CODE = 0;
// findOpener's marker for "not searched yet on this line".
const UNKNOWN = -2;

/** The regions of one document version; line-start states are computed on demand and cached. */
export class DocumentRegions {
  /** Distinct first characters of the openers (comment and string starts), and the openers of each, longest first. */
  private readonly firstChars: string[] = [];
  private readonly openersByFirst: string[][] = [];
  /** Per first character: where it next occurs in the line being scanned (-1: nowhere after `searchedFrom`). */
  private readonly nextAt: Int32Array;
  private readonly openerKind = new Map<string, number>();
  /** The opener found by findOpener(). */
  private opener = '';
  private readonly lineComments: Set<string>;
  /** lineStart[i] = lexer state at the start of line i, known for i < known. */
  private lineStart = new Int32Array(64);
  private known = 1;
  /** Set by scan(): the region of the character at `stop`. A field, not a result object: scan runs per line. */
  private stopRegion: TextRegion = 'code';

  /** `lineAt(i)` returns the text of line i (without its line break). */
  constructor(
    private readonly syntax: LanguageSyntax,
    private readonly lineAt: (line: number) => string,
  ) {
    this.lineComments = new Set(syntax.lineComments);
    const tokens: string[] = [...syntax.lineComments];
    syntax.blockComments.forEach(([open], i) => {
      this.openerKind.set(open, 1 + i);
      tokens.push(open);
    });
    syntax.strings.forEach((s, j) => {
      if (!this.openerKind.has(s.open)) this.openerKind.set(s.open, 1 + syntax.blockComments.length + j);
      tokens.push(s.open);
    });
    // Longest first, so """ wins over " and --[[ over --.
    tokens.sort((a, b) => b.length - a.length);
    for (const token of tokens) {
      let f = this.firstChars.indexOf(token[0]);
      if (f < 0) {
        f = this.firstChars.push(token[0]) - 1;
        this.openersByFirst.push([]);
      }
      if (!this.openersByFirst[f].includes(token)) this.openersByFirst[f].push(token);
    }
    this.nextAt = new Int32Array(this.firstChars.length);
    this.lineStart[0] = CODE;
  }

  /**
   * The index of the first comment or string opener at or after `from` in `text` (its text goes to
   * this.opener), or -1. One native indexOf per distinct first character, remembered across calls on the same
   * line (`from` only grows within a line, so "absent" stays true): much faster than a regular expression.
   */
  private findOpener(text: string, from: number, freshLine: boolean): number {
    const chars = this.firstChars;
    const nextAt = this.nextAt;
    if (freshLine) nextAt.fill(UNKNOWN);
    for (;;) {
      let best = -1;
      let bestF = -1;
      for (let f = 0; f < chars.length; f++) {
        let at = nextAt[f];
        if (at === UNKNOWN || (at >= 0 && at < from)) {
          at = text.indexOf(chars[f], from);
          nextAt[f] = at;
        }
        if (at >= 0 && (best < 0 || at < best)) {
          best = at;
          bestF = f;
        }
      }
      if (best < 0) return -1;
      for (const token of this.openersByFirst[bestF]) {
        if (text.startsWith(token, best)) {
          this.opener = token;
          return best;
        }
      }
      // This character starts no opener here (a lone '/' in code): look again after it.
      from = best + 1;
    }
  }

  /**
   * Forgets what is known from `line` on, after an edit that changed that line (and maybe later ones). The
   * state at the start of `line` only depends on the lines above it, so it stays.
   */
  invalidateFrom(line: number): void {
    this.known = Math.max(1, Math.min(this.known, line + 1));
  }

  /** The region of the character at (line, character). */
  regionAt(line: number, character: number): TextRegion {
    this.scan(this.lineAt(line), this.stateAtLineStart(line), character);
    return this.stopRegion;
  }

  private stateAtLineStart(line: number): number {
    while (this.known <= line) {
      const prev = this.known - 1;
      const end = this.scan(this.lineAt(prev), this.lineStart[prev], -1);
      if (this.known >= this.lineStart.length) {
        const grown = new Int32Array(this.lineStart.length * 2);
        grown.set(this.lineStart);
        this.lineStart = grown;
      }
      this.lineStart[this.known++] = end;
    }
    return this.lineStart[line];
  }

  private stopAt(region: TextRegion, state: number): number {
    this.stopRegion = region;
    return state;
  }

  private regionOf(state: number): TextRegion {
    if (state === CODE) return 'code';
    return state <= this.syntax.blockComments.length ? 'comment' : 'string';
  }

  /**
   * Scans `text` from `state` and returns the state at the end of the line. When `stop` ≥ 0 the scan ends at
   * that character and stopRegion holds its region.
   */
  private scan(text: string, state: number, stop: number): number {
    const blocks = this.syntax.blockComments.length;
    let pos = 0;
    let fresh = true;
    for (;;) {
      if (state === CODE) {
        const at = this.findOpener(text, pos, fresh);
        fresh = false;
        if (at < 0 || (stop >= 0 && stop < at)) return this.stopAt('code', CODE);
        if (this.lineComments.has(this.opener)) return this.stopAt('comment', CODE);
        state = this.openerKind.get(this.opener) ?? CODE;
        pos = at + this.opener.length;
        continue;
      }
      let closeAt: number;
      let closeLength: number;
      let endsAtLineEnd = false;
      if (state <= blocks) {
        const close = this.syntax.blockComments[state - 1][1];
        closeAt = text.indexOf(close, pos);
        closeLength = close.length;
      } else {
        const delimiter = this.syntax.strings[state - 1 - blocks];
        closeAt = closingQuote(text, pos, delimiter.close);
        closeLength = delimiter.close.length;
        endsAtLineEnd = !delimiter.multiline;
      }
      if (closeAt < 0) {
        // The comment or string runs to the end of the line (and on, unless it cannot span lines).
        return this.stopAt(this.regionOf(state), endsAtLineEnd ? CODE : state);
      }
      const next = closeAt + closeLength;
      if (stop >= 0 && stop < next) return this.stopAt(this.regionOf(state), state);
      state = CODE;
      pos = next;
    }
  }
}

/** The index of the next unescaped `close` at or after `from`, or -1. */
function closingQuote(text: string, from: number, close: string): number {
  let at = text.indexOf(close, from);
  while (at >= 0) {
    let backslashes = 0;
    for (let k = at - 1; k >= from && text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf(close, at + 1);
  }
  return -1;
}
