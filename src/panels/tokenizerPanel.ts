import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { JobCancelledError } from '../compute/pool';
import { tokenizerProcessFailureMessage } from './modelFailure';
import type { ChatCount, ComparisonCount, TokenizeJobOutput, TrainJobOutput } from '../compute/tokenizerJobs';
import { chatFromText } from '../core/chat/messages';
import { applyBpe, type BpeMerge } from '../core/bpe/trainer';
import { existsSync } from 'node:fs';
import { addTokenizerToCatalog, fileTokenizerLabel, fileTokenizerPath, listTokenizers } from '../core/tokenizers/catalog';
import { modelTokenizerFile, modelTokenizerLabel, modelTokenizerPath } from '../core/tokenizers/modelTokenizers';
import { discoverModelTokenizers } from './tokenizerModels';
import { chunkBoundaries, spansFromTokenBytes } from '../core/tokenizers/spans';
import { utf8Length } from '../core/tokenizers/utf8';
import type {
  BpeTrainerView,
  MergeReplayView,
  TokenizerChatView,
  TokenizerComparisonRow,
  TokenizerRequest,
  TokenizerSnapshot,
  TokenizerStats,
} from '../shared/protocol';
import { maxInputChars } from '../shared/limits';
import { Panel, errorMessage, type PanelDefinition, type Services } from './panel';

/** Most characters the panel tokenizes (the shared safety cap); longer texts are cut, and the panel says so. */
export const maxTokenizeChars = maxInputChars;
/** Longest text kept in the webview's state for restoring after a window reload. */
const maxRestoreChars = 100_000;
/**
 * Inputs above this many characters can be cancelled (a tokenizer does not look at the signal: its process is ended
 * after a second and its vocabularies go with it).
 */
const cancellableChars = 100_000;
/** Merges of the train-on-this-text BPE, and the text it trains on. */
const trainerMerges = 300;
const trainerMaxChars = 50_000;
const trainerPreviewChars = 2_000;
/** Chunks sent to the tokenizer process for a merge replay (a chunk tokenizes exactly like the whole text). */
const replayChunkChars = 4_096;
const liveDebounceMs = 300;
/** Starts the comparison this long after the tokens were posted if the webview has not reported drawing them. */
const compareFallbackMs = 1_500;
/** Most local models' tokenizers in the every-tokenizer comparison (each one's vocabulary stays loaded in the tokenizer process). */
const maxComparedModelTokenizers = 8;

/** Where the tokenized text came from: enough to select a token's characters in that editor later. */
export interface TextSource {
  uri: string;
  /** Document version when the text was read. */
  version: number;
  /** Offset of the text's first character in the document. */
  offset: number;
  label: string;
  selection: boolean;
  totalChars: number;
}

/** The tokenizer an unknown `llmLens.defaultTokenizer` falls back to. */
export const fallbackTokenizerId = 'o200k_base';

/**
 * Whether `id` names a tokenizer LLM Lens can offer: a built-in or registered one, a `file:<absolute
 * path>` of an existing file, or a `model:<absolute path>` of a model folder with a tokenizer.json or a GGUF
 * file (added to the list then, so a setting or a restored panel brings it back).
 */
export function knownTokenizerId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  if (listTokenizers().some((t) => t.id === id)) return true;
  const model = modelTokenizerPath(id);
  if (model !== undefined) {
    if (modelTokenizerFile(model) === undefined) return false;
    addTokenizerToCatalog({ id, label: modelTokenizerLabel(model) });
    return true;
  }
  const file = fileTokenizerPath(id);
  if (file === undefined || !existsSync(file)) return false;
  addTokenizerToCatalog({ id, label: fileTokenizerLabel(file) });
  return true;
}

/** The `llmLens.defaultTokenizer` setting as written, and the tokenizer actually used (unknown ids fall back). */
export function defaultTokenizerSetting(): { requested: string; id: string } {
  const requested = vscode.workspace.getConfiguration('llmLens').get<string>('defaultTokenizer', fallbackTokenizerId);
  return { requested: String(requested), id: knownTokenizerId(requested) ? requested : fallbackTokenizerId };
}

/** The tokenizer id of the `llmLens.defaultTokenizer` setting (o200k_base when it names no tokenizer). */
export function defaultTokenizerId(): string {
  return defaultTokenizerSetting().id;
}

/** What the webview saves to bring the panel back after a reload (validated in `create`). */
function parseRestore(restore: unknown): { text?: string; tokenizerId?: string; live?: boolean; chat?: boolean } {
  const r = (typeof restore === 'object' && restore !== null ? restore : {}) as Record<string, unknown>;
  const text = typeof r.text === 'string' && r.text.length > 0 && r.text.length <= maxRestoreChars ? r.text : undefined;
  const tokenizerId = knownTokenizerId(r.tokenizerId) ? r.tokenizerId : undefined;
  return { text, tokenizerId, live: r.live === true, chat: r.chat === true };
}

/** Timings the integration tests and the benchmark read. */
export interface TokenizerPanelTimings {
  /** When the last tokenization was requested (performance.now()). */
  requestedAt: number;
  /** When its tokens came back from the tokenizer process and were posted to the webview. */
  postedAt: number;
  /** Revision of the last tokenization the webview reported drawn, and when its report arrived. */
  paintedRevision: number;
  paintedAt: number;
  /** When the webview drew it, by its own clock (Unix epoch ms; compare with performance.timeOrigin + performance.now()). */
  paintedAtEpochMs: number;
  /** The webview's own time to draw that revision (from receiving the snapshot to the frame). */
  renderMs: number;
}

/**
 * The Tokenization panel: tokenizes in a tokenizer process (vocabularies live there), then answers the
 * webview — tokenizer switches, merge replays, the BPE stepper, live mode, click-to-select — with new
 * complete snapshots.
 */
export class TokenizerPanel extends Panel<'tokenizer'> {
  private tokenizerId: string;
  private text = '';
  private source: TextSource | undefined;
  private result: TokenizeJobOutput | undefined;
  private resultStats: TokenizerStats | null = null;
  private revision = 0;
  private comparison: { rows: TokenizerComparisonRow[]; pending: boolean } | null = null;
  private replay: MergeReplayView | { tokenIndex: number; error: string } | null = null;
  private replaySeq = 0;
  private trainer: { output: TrainJobOutput; merges: BpeMerge[]; text: string; truncated: boolean; step: number } | undefined;
  private compareTimer: NodeJS.Timeout | undefined;
  private comparisonStarted = -1;
  private live = false;
  /** Chat mode on, and its view (null until the tokenizer process answers for the current text). */
  private chatMode = false;
  private chat: TokenizerChatView | null = null;
  private chatRevision = -1;
  private liveSubscription: vscode.Disposable | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  /** The selection this panel set in an editor (live mode must not re-tokenize it). */
  private ownSelection: { uri: string; start: number; end: number } | undefined;
  /** Set when the panel closes (discovery can finish after that). */
  private closed = false;
  /** Timings for tests and benchmarks. */
  readonly timings: TokenizerPanelTimings = { requestedAt: 0, postedAt: 0, paintedRevision: -1, paintedAt: 0, paintedAtEpochMs: 0, renderMs: 0 };

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services, tokenizerId: string) {
    super('tokenizer', webviewPanel, services);
    this.tokenizerId = tokenizerId;
    this.track({
      dispose: () => {
        this.setLive(false);
        if (this.compareTimer) clearTimeout(this.compareTimer);
      },
    });
    this.track(this.onDidDispose(() => (this.closed = true)));
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('llmLens.modelRoots')) void this.findModelTokenizers(true);
      }),
    );
    this.publish();
    void this.findModelTokenizers(false);
  }

  /** Adds the local models' tokenizers to the list (and the comparison) once they are found. */
  private async findModelTokenizers(refresh: boolean): Promise<void> {
    await discoverModelTokenizers(refresh);
    if (this.closed) return;
    this.publish();
    // A comparison already shown is redone so the models' rows join it.
    if (this.comparison && !this.comparison.pending && this.result) void this.compare(this.revision);
  }

  /** How Tokenization panels are made and restored (a restored panel re-tokenizes its saved text). */
  static readonly definition: PanelDefinition<'tokenizer'> = {
    kind: 'tokenizer',
    title: () => vscode.l10n.t('LLM Lens: Tokenization'),
    create: (webviewPanel, services, restore) => {
      const saved = parseRestore(restore);
      const panel = new TokenizerPanel(webviewPanel, services, saved.tokenizerId ?? defaultTokenizerId());
      if (saved.live) panel.setLive(true);
      // Chat mode is set before the text comes back, so the restored text is rendered as a chat once tokenized.
      if (saved.chat) panel.chatMode = true;
      if (saved.text) void panel.tokenize(saved.text, undefined);
      return panel;
    },
  };

  /** Switches to `tokenizerId` (already in the list) and re-tokenizes the text shown, if any. */
  async useTokenizer(tokenizerId: string): Promise<void> {
    this.tokenizerId = tokenizerId;
    if (this.text) await this.run();
    else this.publish();
  }

  /** The text currently shown (tests read it). */
  get currentText(): string {
    return this.text;
  }

  /** Tokenizes `text` (cut to the limit) with the current tokenizer and shows it. */
  async tokenize(text: string, source: TextSource | undefined): Promise<void> {
    this.timings.requestedAt = performance.now();
    this.text = text.slice(0, maxTokenizeChars);
    this.source = source;
    this.trainer = undefined;
    await this.run();
  }

  private async run(): Promise<void> {
    const revision = ++this.revision;
    this.result = undefined;
    this.replay = null;
    this.comparison = null;
    this.publish();
    const tokenizerId = this.tokenizerId;
    const label = listTokenizers().find((t) => t.id === tokenizerId)?.label ?? tokenizerId;
    const large = this.text.length > cancellableChars;
    const output = await this.runJob(vscode.l10n.t('Tokenizing with {0}…', label), (token, report) =>
      // Small jobs are not cancelled (they end sooner than a cancel would; a cancelled job still running a second
      // later ends its process and drops its vocabularies):
      // a newer request simply makes their result stale.
      this.services.pool
        .run('tokenizeText', { tokenizerId, text: this.text }, { cancel: large ? token : undefined, onProgress: report, affinity: 'tokenizer' })
        .catch((error: unknown) => {
          if (error instanceof JobCancelledError) throw error;
          throw new Error(this.tokenizerErrorText(error));
        }),
    );
    if (!output || revision !== this.revision) return;
    this.result = output;
    this.resultStats = this.stats(output);
    if (this.chatMode) void this.renderChat(revision);
    this.comparison = { rows: [], pending: true };
    this.publish();
    this.timings.postedAt = performance.now();
    // The comparison (every tokenizer, CPU-heavy) starts once the webview has drawn the tokens, so it
    // never competes with the first paint; a hidden webview never reports, hence the fallback timer.
    this.compareTimer = setTimeout(() => this.startComparison(revision), compareFallbackMs);
  }

  private startComparison(revision: number): void {
    if (this.compareTimer) clearTimeout(this.compareTimer);
    this.compareTimer = undefined;
    if (revision !== this.revision || this.comparisonStarted === revision) return;
    this.comparisonStarted = revision;
    void this.compare(revision);
  }

  /** Counts the text with every tokenizer (after the main result, so it never delays the first paint). */
  private async compare(revision: number): Promise<void> {
    let models = 0;
    const infos = listTokenizers().filter((t) => !t.id.startsWith('model:') || t.id === this.tokenizerId || ++models <= maxComparedModelTokenizers);
    let counts: ComparisonCount[];
    try {
      counts = await this.services.pool.run('compareTokenizers', { text: this.text, tokenizerIds: infos.map((t) => t.id) }, { affinity: 'tokenizer' });
    } catch (error) {
      if (revision === this.revision) {
        this.comparison = null;
        this.showError(errorMessage(error));
        this.publish();
      }
      return;
    }
    if (revision !== this.revision) return;
    const bytes = utf8Length(this.text);
    const valid = counts.filter((c) => c.tokens !== null && c.tokens > 0).map((c) => c.tokens as number);
    const cheapest = valid.length > 0 ? Math.min(...valid) : 0;
    this.comparison = {
      pending: false,
      rows: counts.map((c) => {
        const label = infos.find((t) => t.id === c.id)?.label ?? c.id;
        if (c.tokens === null) {
          const error = c.errorCode === 'embeddedNotBuilt' ? vscode.l10n.t('The embedded model is not built yet.') : c.errorMessage ?? '';
          return { id: c.id, label, tokens: null, ratioToCheapest: null, bytesPerToken: null, error };
        }
        return {
          id: c.id,
          label,
          tokens: c.tokens,
          ratioToCheapest: cheapest > 0 ? c.tokens / cheapest : null,
          bytesPerToken: c.tokens > 0 ? bytes / c.tokens : null,
        };
      }),
    };
    this.publish();
  }

  /** Chat mode: reads the text as messages and renders them under every tokenizer's chat format (in the tokenizer process). */
  private async renderChat(revision: number): Promise<void> {
    if (this.chatRevision === revision || !this.text) return;
    this.chatRevision = revision;
    const { messages, from } = chatFromText(this.text);
    const infos = listTokenizers();
    this.chat = { from, roles: messages.map((m) => m.role), rows: [], pending: true };
    this.publish();
    let counts: ChatCount[];
    try {
      counts = await this.services.pool.run('chatCompare', { messages, tokenizerIds: infos.map((t) => t.id) }, { affinity: 'tokenizer' });
    } catch (error) {
      if (revision === this.revision && this.chatMode) {
        this.chat = null;
        this.chatRevision = -1;
        this.showError(errorMessage(error));
        this.publish();
      }
      return;
    }
    if (revision !== this.revision || !this.chatMode) return;
    this.chat = {
      from,
      roles: messages.map((m) => m.role),
      pending: false,
      rows: counts.map((c) => ({
        id: c.id,
        label: infos.find((t) => t.id === c.id)?.label ?? c.id,
        format: c.format,
        total: c.total,
        perMessage: c.perMessage,
        overhead: c.overhead,
        pieces: c.pieces,
        error:
          c.total !== null
            ? undefined
            : c.errorCode === 'embeddedNotBuilt'
              ? vscode.l10n.t('The embedded model is not built yet.')
              : c.errorCode === 'badInput' && /has no chat template/.test(c.errorMessage ?? '')
                ? vscode.l10n.t('No chat template: this tokenizer has no tokenizer_config.json with a chat_template next to it.')
                : c.errorMessage ?? '',
      })),
    };
    this.publish();
  }

  /** Turns Chat mode on (rendering the current text as a chat) or off. */
  async setChat(on: boolean): Promise<void> {
    this.chatMode = on;
    this.chat = null;
    this.chatRevision = -1;
    this.publish();
    if (on && this.result) await this.renderChat(this.revision);
  }

  private tokenizerErrorText(error: unknown): string {
    const name = error instanceof Error ? error.name : '';
    const message = errorMessage(error);
    // By code (TokenizerError's, kept across the process boundary by JobFailedError), never by message text.
    if ((error as { code?: unknown } | undefined)?.code === 'embeddedNotBuilt') {
      return vscode.l10n.t('The embedded model is not built yet (run npm run train:model). Pick another tokenizer.');
    }
    return name === 'TokenizerError' ? message : tokenizerProcessFailureMessage(error) ?? vscode.l10n.t('Tokenization failed: {0}', message);
  }

  private stats(result: TokenizeJobOutput): TokenizerStats {
    let characters = 0;
    for (const _ of this.text) characters++;
    const tokens = result.ids.length;
    return { tokens, characters, bytes: utf8Length(this.text), charactersPerToken: tokens > 0 ? characters / tokens : 0 };
  }

  private trainerView(): BpeTrainerView | null {
    const t = this.trainer;
    if (!t) return null;
    const preview = t.text.slice(0, trainerPreviewChars);
    const ids = applyBpe(preview, t.merges, t.step);
    const spans = spansFromTokenBytes(preview, ids, (id) => t.output.tokenBytes[id]);
    const bytes = (id: number) => Array.from(t.output.tokenBytes[id] ?? []);
    return {
      trainedChars: t.text.length,
      truncated: t.truncated,
      merges: t.output.merges.map((m) => ({ left: bytes(m.left), right: bytes(m.right), merged: bytes(m.newId), count: m.count, id: m.newId })),
      tokenCounts: t.output.tokenCounts,
      step: t.step,
      preview: {
        text: preview,
        starts: Int32Array.from(spans, (s) => s.start),
        ends: Int32Array.from(spans, (s) => s.end),
        lengths: Int32Array.from(spans, (s) => s.byteEnd - s.byteStart),
        ids: Int32Array.from(ids),
      },
    };
  }

  private publish(): void {
    const r = this.result;
    const snapshot: TokenizerSnapshot = {
      tokenizers: listTokenizers(),
      tokenizerId: this.tokenizerId,
      source: this.source
        ? { label: this.source.label, selection: this.source.selection, truncated: this.source.totalChars > this.text.length, totalChars: this.source.totalChars }
        : this.text
          ? { label: '', selection: false, truncated: false, totalChars: this.text.length }
          : null,
      limit: maxTokenizeChars,
      text: this.text,
      tokenization: r
        ? {
            revision: this.revision,
            tokenizerId: r.tokenizerId,
            ids: r.ids,
            starts: r.starts,
            ends: r.ends,
            pieceIds: r.pieceIds,
            pieceOffsets: r.pieceOffsets,
            pieceBytes: r.pieceBytes,
            byteLengthFixes: r.byteLengthFixes,
            elapsedMs: r.elapsedMs,
          }
        : null,
      stats: r ? this.resultStats : null,
      comparison: this.comparison,
      nfd: r && r.nfcTokens !== undefined ? { decomposedSyllables: r.decomposedSyllables, tokens: r.ids.length, nfcTokens: r.nfcTokens } : null,
      live: this.live,
      replay: this.replay,
      trainer: this.trainerView(),
      chat: this.chatMode ? (this.chat ?? { from: 'text', roles: [], rows: [], pending: this.text.length > 0 }) : null,
    };
    this.setSnapshot(snapshot);
  }

  /** Turns live mode on or off: on, the panel follows the active editor's selection (debounced). */
  setLive(live: boolean): void {
    this.live = live;
    if (!live) {
      this.liveSubscription?.dispose();
      this.liveSubscription = undefined;
      if (this.liveTimer) clearTimeout(this.liveTimer);
      return;
    }
    this.liveSubscription ??= vscode.window.onDidChangeTextEditorSelection((event) => {
      if (this.liveTimer) clearTimeout(this.liveTimer);
      this.liveTimer = setTimeout(() => void this.followSelection(event.textEditor), liveDebounceMs);
    });
  }

  private async followSelection(editor: vscode.TextEditor): Promise<void> {
    const selection = editor.selection;
    if (selection.isEmpty) return;
    const doc = editor.document;
    const start = doc.offsetAt(selection.start);
    const end = doc.offsetAt(selection.end);
    const own = this.ownSelection;
    if (own && own.uri === doc.uri.toString() && own.start === start && own.end === end) return;
    const text = doc.getText(selection);
    if (text === this.text) return;
    await this.tokenize(text, sourceOf(editor, selection));
  }

  protected async handleRequest(request: TokenizerRequest): Promise<void> {
    switch (request.type) {
      case 'setTokenizer':
        if (!listTokenizers().some((t) => t.id === request.tokenizerId) || request.tokenizerId === this.tokenizerId) return;
        this.tokenizerId = request.tokenizerId;
        if (this.text) await this.run();
        else this.publish();
        break;
      case 'setLive':
        this.setLive(request.live);
        this.publish();
        break;
      case 'setChat':
        await this.setChat(request.chat);
        break;
      case 'selectToken':
        await this.selectToken(request.index);
        break;
      case 'focusToken':
        await this.replayToken(request.index);
        break;
      case 'trainBpe':
        await this.trainBpe();
        break;
      case 'trainStep':
        if (!this.trainer) return;
        this.trainer.step = Math.min(request.step, this.trainer.merges.length);
        this.publish();
        break;
      case 'rendered':
        if (request.revision === this.revision && this.timings.paintedRevision !== request.revision) {
          this.timings.paintedRevision = request.revision;
          this.timings.paintedAt = performance.now();
          this.timings.paintedAtEpochMs = request.paintedAt;
          this.timings.renderMs = request.renderMs;
          this.startComparison(request.revision);
        }
        break;
    }
  }

  /** Selects token `index`'s characters in the editor the text came from (keeping focus in the panel). */
  private async selectToken(index: number): Promise<void> {
    const r = this.result;
    const source = this.source;
    if (!r || index >= r.ids.length) return;
    if (!source) {
      this.showError(vscode.l10n.t('The editor this text came from is not known any more: run “LLM Lens: Tokenize Selection” again.'));
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.uri);
    const range = doc && new vscode.Range(doc.positionAt(source.offset + r.starts[index]), doc.positionAt(source.offset + r.ends[index]));
    // The document may have been edited since: only select when the text there is still the same.
    const unchanged = doc && (doc.version === source.version || doc.getText(new vscode.Range(doc.positionAt(source.offset), doc.positionAt(source.offset + this.text.length))) === this.text);
    if (!doc || !range || !unchanged) {
      this.showError(vscode.l10n.t('The document changed or was closed since it was tokenized: run “LLM Lens: Tokenize Selection” again.'));
      return;
    }
    const editor =
      vscode.window.visibleTextEditors.find((e) => e.document === doc) ??
      (await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: true }));
    this.ownSelection = { uri: source.uri, start: source.offset + r.starts[index], end: source.offset + r.ends[index] };
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** Replays the merges of the word holding token `index` (in the tokenizer process, on the text chunk around it). */
  private async replayToken(index: number): Promise<void> {
    const r = this.result;
    if (!r || index >= r.ids.length) return;
    const seq = ++this.replaySeq;
    const revision = this.revision;
    // The chunk around the token starts on a token boundary, so the token's byte offset in it is exact.
    const cuts = [0, ...chunkBoundaries(this.text, replayChunkChars), this.text.length];
    let c = 0;
    while (c + 2 < cuts.length && cuts[c + 1] <= r.starts[index]) c++;
    const chunkStart = cuts[c];
    const chunkEnd = cuts[c + 1];
    const first = lowerBound(r.starts, chunkStart);
    const chunkByteStart = first < r.ids.length ? r.byteStarts[first] : 0;
    try {
      const out = await this.services.pool.run(
        'replayToken',
        { tokenizerId: r.tokenizerId, text: this.text.slice(chunkStart, chunkEnd), byteOffset: r.byteStarts[index] - chunkByteStart },
        { affinity: 'tokenizer' },
      );
      if (seq !== this.replaySeq || revision !== this.revision) return;
      const rp = out.replay;
      this.replay = {
        tokenIndex: index,
        wordStart: chunkStart + out.wordStart,
        wordEnd: chunkStart + out.wordEnd,
        word: rp.word,
        start: rp.start,
        steps: rp.steps,
        finish: rp.finish,
        mergesReachTokens: rp.mergesReachTokens,
        tokens: rp.tokens,
      };
    } catch (error) {
      if (seq !== this.replaySeq || revision !== this.revision) return;
      // By code, never by message text: SentencePiece merges characters by piece score, not byte pairs by rank.
      const noReplay = (error as { code?: unknown } | undefined)?.code === 'noMergeReplay';
      const text = noReplay
        ? vscode.l10n.t('This is a SentencePiece tokenizer: it merges characters by piece score, not byte pairs by rank, so there is no byte-level merge replay to show.')
        : errorMessage(error);
      this.replay = { tokenIndex: index, error: text };
    }
    this.publish();
  }

  private async trainBpe(): Promise<void> {
    if (!this.text) return;
    const text = this.text.slice(0, trainerMaxChars);
    const revision = this.revision;
    const output = await this.runJob(vscode.l10n.t('Training BPE on the text…'), () =>
      this.services.pool.run('trainBpe', { text, merges: trainerMerges }, { affinity: 'tokenizer' }),
    );
    if (!output || revision !== this.revision) return;
    const merges: BpeMerge[] = output.merges.map((m) => ({ ...m, bytes: output.tokenBytes[m.newId] }));
    this.trainer = { output, merges, text, truncated: this.text.length > text.length, step: Math.min(10, merges.length) };
    this.publish();
  }
}

/** First index i with values[i] >= x (values sorted ascending). */
function lowerBound(values: Int32Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The source record of an editor's selection (or whole document when `range` is undefined). */
export function sourceOf(editor: vscode.TextEditor, range: vscode.Range | undefined): TextSource {
  const doc = editor.document;
  const name = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri, false);
  return {
    uri: doc.uri.toString(),
    version: doc.version,
    offset: range ? doc.offsetAt(range.start) : 0,
    label: name,
    selection: range !== undefined,
    totalChars: range ? doc.offsetAt(range.end) - doc.offsetAt(range.start) : doc.getText().length,
  };
}
