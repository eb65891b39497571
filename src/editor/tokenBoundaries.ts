// "LLM Lens: Toggle Token Boundaries" (issue 19): token boundaries drawn in the editor itself, as alternating
// subtle backgrounds (outlines in high contrast themes), for the default tokenizer, over the visible lines
// only. Tokenizing runs in the compute worker; the host slices the visible text, places the ranges
// (boundaryRanges.ts, one walk) and sets two decoration types. Kept up to date on scroll and edit (debounced).
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import type { Jobs } from '../compute/jobs';
import type { JobRunner } from '../compute/pool';
import type { TokenBoundaryJobOutput } from '../compute/tokenBoundaryJob';
import { listTokenizers } from '../core/tokenizers/catalog';
import { boundaryRanges, tokenAt, type LineRange } from './boundaryRanges';

/** Lines tokenized above and below the visible ones, so a small scroll shows boundaries at once. */
const MARGIN_LINES = 30;
/** Wait after the last scroll or keystroke before tokenizing again. */
const DEBOUNCE_MS = 120;

/** What the decorations show now (for the hover and for tests). */
interface Shown {
  document: vscode.TextDocument;
  version: number;
  tokenizerId: string;
  /** Document offset of the slice's first character. */
  offset: number;
  tokens: TokenBoundaryJobOutput;
  /** Line/character ranges, even and odd tokens, as decorated. */
  even: LineRange[];
  odd: LineRange[];
}

/** Host-side cost of one update (what runs on the extension host's event loop), in milliseconds. */
export interface BoundaryTiming {
  /** Reading the visible slice before the worker runs. */
  sliceMs: number;
  /** Placing the ranges and setting the decorations after it answers. */
  decorateMs: number;
  /** Tokens decorated. */
  tokens: number;
}

function tokenizerId(): string {
  const id = vscode.workspace.getConfiguration('llmLens').get<string>('defaultTokenizer', 'o200k_base');
  return listTokenizers().some((t) => t.id === id) ? id : 'o200k_base';
}

const toRange = (r: LineRange): vscode.Range => new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);

/** The toggle, its decorations, listeners and hover. */
export class TokenBoundaries implements vscode.Disposable {
  private on = false;
  private readonly even: vscode.TextEditorDecorationType;
  private readonly odd: vscode.TextEditorDecorationType;
  private listeners: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private shown: Shown | undefined;
  /** The last updates' host timings (newest last, at most 50). */
  readonly timings: BoundaryTiming[] = [];
  private running = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly pool: JobRunner<Jobs>) {
    // Theme colours registered in package.json (contributes.colors): light/dark backgrounds, and in high
    // contrast themes a transparent background with an outline instead.
    const style = (kind: 'even' | 'odd'): vscode.DecorationRenderOptions => ({
      backgroundColor: new vscode.ThemeColor(`llmLens.tokenBoundary.${kind}Background`),
      borderColor: new vscode.ThemeColor(`llmLens.tokenBoundary.${kind}Border`),
      borderStyle: 'solid',
      borderWidth: '1px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.even = vscode.window.createTextEditorDecorationType(style('even'));
    this.odd = vscode.window.createTextEditorDecorationType(style('odd'));
  }

  /** Whether boundaries are being drawn. */
  get enabled(): boolean {
    return this.on;
  }

  /** Decorated ranges of the active editor now (tests). */
  get decorated(): { uri: string; even: LineRange[]; odd: LineRange[]; tokenizerId: string } | undefined {
    const s = this.shown;
    return s && { uri: s.document.uri.toString(), even: s.even, odd: s.odd, tokenizerId: s.tokenizerId };
  }

  /** Resolves when no update is scheduled or running any more (tests, benchmarks). */
  whenSettled(): Promise<void> {
    if (!this.timer && !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private flushWaiters(): void {
    if (this.timer || this.running) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Turns the boundaries on or off. */
  async toggle(): Promise<void> {
    this.on = !this.on;
    if (!this.on) {
      this.stop();
      return;
    }
    this.listeners = [
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.schedule();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.schedule();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('llmLens.defaultTokenizer')) this.schedule(0);
      }),
      vscode.languages.registerHoverProvider({ pattern: '**' }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
    ];
    this.schedule(0);
    await this.whenSettled();
  }

  /** Tokenizes the visible lines again after `delay` ms (coalescing bursts of scrolls and keystrokes). */
  schedule(delay = DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      void this.update().finally(() => {
        this.running = false;
        this.flushWaiters();
      });
    }, delay);
  }

  private async update(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!this.on || !editor) return;
    const generation = ++this.generation;
    const t0 = performance.now();
    const document = editor.document;
    const visible = editor.visibleRanges;
    if (visible.length === 0) return;
    const first = Math.max(0, visible[0].start.line - MARGIN_LINES);
    const last = Math.min(document.lineCount - 1, visible[visible.length - 1].end.line + MARGIN_LINES);
    // Whole lines from the start of a line: the slice's tokens are the document's wherever a line start is a
    // token boundary (always, except inside a run of blank lines or spaces that crosses it).
    const range = new vscode.Range(first, 0, last, document.lineAt(last).range.end.character);
    const text = document.getText(range);
    const version = document.version;
    const id = tokenizerId();
    const sliceMs = performance.now() - t0;
    let tokens: TokenBoundaryJobOutput;
    try {
      tokens = await this.pool.run('tokenBoundaries', { tokenizerId: id, text }, { affinity: id });
    } catch (e) {
      if (generation === this.generation) {
        this.clear();
        void vscode.window.showWarningMessage(vscode.l10n.t('LLM Lens could not tokenize for the token boundaries: {0}', e instanceof Error ? e.message : String(e)));
      }
      return;
    }
    // A newer update, an edit since, or a switch of editor: this answer is stale.
    if (!this.on || generation !== this.generation || vscode.window.activeTextEditor !== editor || document.version !== version) return;
    const t1 = performance.now();
    const placed = boundaryRanges(text, first, 0, tokens.starts, tokens.ends);
    editor.setDecorations(this.even, placed.even.map(toRange));
    editor.setDecorations(this.odd, placed.odd.map(toRange));
    this.shown = { document, version, tokenizerId: id, offset: document.offsetAt(range.start), tokens, even: placed.even, odd: placed.odd };
    this.timings.push({ sliceMs, decorateMs: performance.now() - t1, tokens: tokens.ids.length });
    if (this.timings.length > 50) this.timings.shift();
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const s = this.shown;
    if (!this.on || !s || s.document !== document || s.version !== document.version) return undefined;
    const i = tokenAt(s.tokens.starts, s.tokens.ends, document.offsetAt(position) - s.offset);
    if (i < 0) return undefined;
    const id = s.tokens.ids[i];
    const k = s.tokens.distinctIds.indexOf(id);
    const bytes = k < 0 ? new Uint8Array(0) : s.tokens.pieceBytes.subarray(s.tokens.pieceOffsets[k], s.tokens.pieceOffsets[k + 1]);
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const label = listTokenizers().find((t) => t.id === s.tokenizerId)?.label ?? s.tokenizerId;
    const md = new vscode.MarkdownString();
    md.appendText(vscode.l10n.t('Token {0} of {1}', String(id), label));
    md.appendMarkdown('\n\n');
    md.appendText(vscode.l10n.t('{0} bytes: {1}', String(bytes.length), hex));
    const start = document.positionAt(s.offset + s.tokens.starts[i]);
    const end = document.positionAt(s.offset + s.tokens.ends[i]);
    return new vscode.Hover(md, new vscode.Range(start, end));
  }

  private clear(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      editor.setDecorations(this.even, []);
      editor.setDecorations(this.odd, []);
    }
    this.shown = undefined;
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.generation++;
    for (const l of this.listeners) l.dispose();
    this.listeners = [];
    this.clear();
    this.flushWaiters();
  }

  dispose(): void {
    this.on = false;
    this.stop();
    this.even.dispose();
    this.odd.dispose();
  }
}
