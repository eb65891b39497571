import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import type { Jobs } from '../compute/jobs';
import type { JobRunner } from '../compute/pool';
import { tokenizerProcessFailureMessage } from '../panels/modelFailure';
import { listTokenizers } from '../core/tokenizers/catalog';
import { formatContextShare, formatContextWindow } from '../core/tokenizers/contextBudget';
import { defaultTokenizerSetting, maxTokenizeChars } from '../panels/tokenizerPanel';
import { discoverModelTokenizers } from '../panels/tokenizerModels';
import { CommandId } from '../shared/protocol';

/** Waits after a selection change before counting, so typing and cursor moves never wait on it. */
const selectionDebounceMs = 150;
/** Edits of a whole document (nothing selected) are counted less eagerly. */
const editDebounceMs = 400;

/** One status bar update, for tests and the benchmark. */
export interface TokenCountUpdate {
  /** Characters counted. */
  chars: number;
  /** Time spent on the extension host's thread (reading the text, posting the job). */
  hostMs: number;
  /** From the start of the update to the new text in the status bar (the tokenizer process included). */
  latencyMs: number;
}

/**
 * The status bar item with the token count of the selection (or of the whole document when nothing is
 * selected) under `llmLens.defaultTokenizer`. Counting runs in the tokenizer process that holds the
 * vocabularies; clicking the item opens the Tokenization panel.
 */
export class TokenCountStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** The count the tokenizer process is working on, if any. */
  private inFlight: Promise<void> | undefined;
  /** The last updates (newest last), for tests and the benchmark. */
  readonly updates: TokenCountUpdate[] = [];

  constructor(private readonly pool: JobRunner<Jobs>) {
    this.item = vscode.window.createStatusBarItem('llmLens.tokenCount', vscode.StatusBarAlignment.Right, 100);
    this.item.name = vscode.l10n.t('LLM Lens: token count');
    this.item.command = CommandId.tokenizeSelection;
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.schedule(selectionDebounceMs);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const editor = vscode.window.activeTextEditor;
        if (editor && e.document === editor.document && editor.selections.every((s) => s.isEmpty)) this.schedule(editDebounceMs);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('llmLens.modelRoots')) void discoverModelTokenizers(true).then(() => this.schedule(0));
        else if (e.affectsConfiguration('llmLens.defaultTokenizer') || e.affectsConfiguration('llmLens.statusBar')) this.schedule(0);
      }),
    );
    this.schedule(0);
  }

  /** The item's current text (tests read it). */
  get text(): string | undefined {
    return this.item.text || undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), delayMs);
  }

  /** Recounts now (also used by tests and the benchmark). */
  async update(): Promise<void> {
    const started = performance.now();
    const seq = ++this.seq;
    const editor = vscode.window.activeTextEditor;
    if (!editor || !vscode.workspace.getConfiguration('llmLens').get<boolean>('statusBar.tokenCount', true)) {
      this.item.hide();
      return;
    }
    const selected = editor.selections.filter((s) => !s.isEmpty);
    const texts = selected.length > 0 ? selected.map((s) => editor.document.getText(s)) : [editor.document.getText()];
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const setting = defaultTokenizerSetting();
    const tokenizerId = setting.id;
    // A local model's tokenizer is named by its model (found by discovery; until then by its file name).
    if (tokenizerId.startsWith('model:')) await discoverModelTokenizers();
    if (seq !== this.seq) return;
    const label = listTokenizers().find((t) => t.id === tokenizerId)?.label ?? tokenizerId;
    const inSelection = selected.length > 0;
    if (chars > maxTokenizeChars) {
      this.item.text = `$(symbol-string) ${vscode.l10n.t('too long to count')}`;
      const limit = maxTokenizeChars.toLocaleString();
      this.item.tooltip = inSelection
        ? vscode.l10n.t('The selection has more than {0} characters: LLM Lens does not count it. Click to tokenize its start.', limit)
        : vscode.l10n.t('The document has more than {0} characters: LLM Lens does not count it. Click to tokenize its start.', limit);
      this.item.show();
      return;
    }
    // The tokenizer panel's process when it is idle (the vocabulary loaded for the status bar at startup
    // is then warm for the panel's first run), else the least busy one, so a long panel job never holds
    // up the status bar (each tokenizer process loads the default tokenizer's vocabulary at most once).
    // At most one count in flight: a newer update waits for the running one and then counts only if it
    // is still the newest. Two counts at once would send the second to the other process, which then
    // starts and loads a second copy of the vocabulary (~35 MB, given back only when that process ends).
    while (this.inFlight) {
      await this.inFlight;
      if (seq !== this.seq) return;
    }
    const pending = this.pool.run('countTokens', { tokenizerId, texts }, { prefer: 'tokenizer' });
    // Settles (never rejects) when the count ends either way; the error itself is handled below.
    const flight: Promise<void> = pending.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      if (this.inFlight === flight) this.inFlight = undefined;
    });
    this.inFlight = flight;
    const hostMs = performance.now() - started;
    let count: number;
    try {
      count = await pending;
    } catch (error) {
      if (seq !== this.seq) return;
      const message = error instanceof Error ? error.message : String(error);
      this.item.text = `$(warning) ${vscode.l10n.t('tokens unavailable')}`;
      // By code (TokenizerError's, kept across the process boundary by JobFailedError), never by message text.
      this.item.tooltip = (error as { code?: unknown } | undefined)?.code === 'embeddedNotBuilt'
        ? vscode.l10n.t('The embedded model is not built yet: choose another llmLens.defaultTokenizer.')
        : tokenizerProcessFailureMessage(error) ?? message;
      this.item.show();
      return;
    }
    if (seq !== this.seq) return;
    const budget = contextWindow();
    const share = budget > 0 ? vscode.l10n.t('{0} of {1}', formatContextShare(count, budget), formatContextWindow(budget)) : '';
    this.item.text = `$(symbol-string) ${tokenCountText(count)}${share ? ` · ${share}` : ''}`;
    const notes = [tokenCountTooltip(count, label, inSelection)];
    if (budget > 0) {
      notes.push(
        count > budget
          ? vscode.l10n.t('That is more than a {0}-token context window holds (setting llmLens.statusBar.contextWindow).', budget.toLocaleString())
          : vscode.l10n.t('That is {0} of a {1}-token context window (setting llmLens.statusBar.contextWindow).', formatContextShare(count, budget), budget.toLocaleString()),
      );
    }
    if (setting.requested !== tokenizerId) {
      notes.push(
        vscode.l10n.t(
          'llmLens.defaultTokenizer is “{0}”, which names no tokenizer LLM Lens knows (a built-in id, file: and the absolute path of an existing tokenizer.json, or model: and the path of a model folder or GGUF file): counted with {1} instead.',
          setting.requested,
          tokenizerId,
        ),
      );
    }
    this.item.tooltip = notes.join('\n\n');
    this.item.show();
    this.updates.push({ chars, hostMs, latencyMs: performance.now() - started });
    if (this.updates.length > 100) this.updates.splice(0, this.updates.length - 100);
  }

  /** The item's current tooltip (tests read it). */
  get tooltip(): string | undefined {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : undefined;
  }

  /** Removes the item and its listeners. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The `llmLens.statusBar.contextWindow` setting: a context window in tokens, 0 (or anything invalid) for none. */
function contextWindow(): number {
  const value = vscode.workspace.getConfiguration('llmLens').get<number>('statusBar.contextWindow', 0);
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** "1 token" / "2 tokens" (Korean has one form for both). */
export function tokenCountText(count: number): string {
  return count === 1 ? vscode.l10n.t('{0} token', count.toLocaleString()) : vscode.l10n.t('{0} tokens', count.toLocaleString());
}

/**
 * The tooltip: the count, where it was taken and which tokenizer counted it. The status bar always counts
 * with llmLens.defaultTokenizer, while the Tokenization panel may show another one: the setting is named.
 */
function tokenCountTooltip(count: number, tokenizer: string, inSelection: boolean): string {
  const n = count.toLocaleString();
  if (inSelection) {
    return count === 1
      ? vscode.l10n.t('{0} token in the selection, counted with {1} (setting llmLens.defaultTokenizer). Click to open the Tokenization panel.', n, tokenizer)
      : vscode.l10n.t('{0} tokens in the selection, counted with {1} (setting llmLens.defaultTokenizer). Click to open the Tokenization panel.', n, tokenizer);
  }
  return count === 1
    ? vscode.l10n.t('{0} token in the document, counted with {1} (setting llmLens.defaultTokenizer). Click to open the Tokenization panel.', n, tokenizer)
    : vscode.l10n.t('{0} tokens in the document, counted with {1} (setting llmLens.defaultTokenizer). Click to open the Tokenization panel.', n, tokenizer);
}
