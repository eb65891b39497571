import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import type { AttentionJobOutput } from '../compute/attentionJob';
import { JobCancelledError, JobFailedError } from '../compute/pool';
import { currentModelSource, modelFolderProblem, useEmbeddedModel, type ModelSource } from '../commands/chooseModel';
import { maxInputChars } from '../shared/limits';
import type { AttentionHeadChoice, AttentionInput, AttentionModelProblem, AttentionReply, AttentionRequest, AttentionSnapshot, AttentionThumbnails, AttentionView } from '../shared/protocol';
import { modelFailureMessage } from './modelFailure';
import { errorMessage, Panel, type PanelDefinition, type Services } from './panel';
import { AttentionAnalysis, type AnalysisHost } from './attention/analysis';
import { MoePanel } from './moePanel';

/** What the webview saves so the host can re-run after a window reload (untrusted: validated here). */
function parseRestore(restore: unknown): { text: string; input: AttentionInput } | undefined {
  const r = (restore ?? {}) as { text?: unknown; input?: unknown };
  const text = r.text;
  if (typeof text !== 'string' || text.length === 0 || text.length > maxInputChars) return undefined;
  const i = (r.input ?? {}) as Record<string, unknown>;
  const scope = i.scope === 'document' ? 'document' : 'selection';
  const label = typeof i.label === 'string' ? i.label.slice(0, 260) : '';
  const totalChars = typeof i.totalChars === 'number' && Number.isSafeInteger(i.totalChars) && i.totalChars >= text.length ? i.totalChars : text.length;
  return { text, input: { scope, label, totalChars, readChars: text.length } };
}

/** The input description of `text` run on its own (tests, restores without one). */
function plainInput(text: string): AttentionInput {
  return { scope: 'selection', label: '', totalChars: text.length, readChars: Math.min(text.length, maxInputChars) };
}

/** The latest run: what the worker sent back (no matrices; the worker keeps the run for view requests). */
interface RunState {
  source: ModelSource;
  output: AttentionJobOutput;
}

/** One message posted to the webview and its size as structured-cloned (recorded when the extension runs its tests). */
export interface PostedMessage {
  type: 'snapshot' | 'thumbnails' | 'view' | 'requested';
  bytes: number;
}

/**
 * The Attention panel: runs the forward pass in a compute worker, which keeps the run; the panel posts a small
 * snapshot per run, the run's thumbnails once, and per selection or step option only what the views draw
 * (the open head at the panel's resolution, the query's row, the step view), computed in the worker on demand.
 */
export class AttentionPanel extends Panel<'attention'> {
  private state: RunState | undefined;
  private text = '';
  private input: AttentionInput = plainInput('');
  private selection: { layer: number; head: AttentionHeadChoice; query: number } = { layer: 0, head: 0, query: 0 };
  private stepOptions = { scaled: true, temperature: 1 };
  /** Counts runs asked for: only the newest one's result is shown (fast typing ends with the last text). */
  private runSeq = 0;
  /** Cancels the worker job only when the user presses Cancel (superseding is cooperative, in the worker). */
  private userCancel: vscode.CancellationTokenSource | undefined;
  /** The latest view with its matrix, re-posted when the webview reloads. */
  private lastView: AttentionView | undefined;
  /** The matrix the webview holds: a view of the same (run, layer, head) leaves it out. */
  private sentMatrixKey: string | undefined;
  private viewBusy = false;
  /** The newest run while its job is out (0 when none): a view of the shown run may then find it replaced. */
  private inFlight = 0;
  private viewWanted = false;
  /** Sizes of what was posted (only while the extension's tests run), newest last. */
  readonly posted: PostedMessage[] = [];

  private rerunTimer: NodeJS.Timeout | undefined;
  /** The analysis views of the current run (issue 18). */
  private analysis: AttentionAnalysis | undefined;

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('attention', webviewPanel, services);
    // The panel follows its settings and the folder's trust: a fixed model path, a new token cap, or trust
    // granted (which lets a workspace model path in) re-runs the same text. Both events can fire together.
    const soon = (): void => {
      clearTimeout(this.rerunTimer);
      this.rerunTimer = setTimeout(() => void this.rerun(), 150);
    };
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('llmLens.modelPath') || e.affectsConfiguration('llmLens.attention')) soon();
      }),
    );
    this.track(vscode.workspace.onDidGrantWorkspaceTrust(soon));
    this.track({ dispose: () => clearTimeout(this.rerunTimer) });
    this.track({ dispose: () => this.userCancel?.cancel() });
  }

  /** How Attention panels are made and restored (a restored panel re-runs its saved text). */
  static readonly definition: PanelDefinition<'attention'> = {
    kind: 'attention',
    title: () => vscode.l10n.t('LLM Lens: Attention'),
    create: (webviewPanel, services, restore) => {
      const panel = new AttentionPanel(webviewPanel, services);
      const saved = parseRestore(restore);
      if (saved) void panel.analyze(saved.text, saved.input);
      return panel;
    },
  };

  /**
   * Runs the current model on `text` (cut at the shared character cap; tokenized by the model's tokenizer and
   * cut at the token cap) and shows the result, or what is wrong with the model folder. A newer call supersedes
   * this one: its result (or problem) is then never shown.
   */
  async analyze(text: string, input: AttentionInput = plainInput(text)): Promise<void> {
    const runId = ++this.runSeq;
    this.text = text.slice(0, maxInputChars);
    this.input = { ...input, readChars: this.text.length, totalChars: Math.max(input.totalChars, this.text.length) };
    const source = currentModelSource(this.context);
    const problem = modelFolderProblem(source);
    if (problem) {
      this.showProblem(source, problem);
      return;
    }
    const config = vscode.workspace.getConfiguration('llmLens');
    const maxTokens = config.get<number>('attention.maxTokens', 256);
    const allowBeyondTrainedContext = config.get<boolean>('attention.allowBeyondTrainedContext', false) === true;
    let failure: AttentionModelProblem | undefined;
    this.inFlight = runId;
    // The page records the run asked for now (not when its result comes): a reload meanwhile runs this text again.
    this.postRequested();
    const output = await this.runJob(vscode.l10n.t('Running {0}…', source.label), async (token, report) => {
      // Superseding cancels `token` (the older run ends in the worker at its next layer, keeping the model
      // loaded); only the user's Cancel stops the worker itself.
      const cancel = new vscode.CancellationTokenSource();
      this.userCancel = cancel;
      try {
        return await this.services.pool.run(
          'attentionRun',
          { dir: source.dir, text: this.text, maxTokens: Math.max(2, Math.min(1024, Math.floor(Number(maxTokens) || 256))), allowBeyondTrainedContext, topK: 10, runId },
          { cancel: cancel.token, onProgress: report, affinity: 'attention' },
        );
      } catch (error) {
        if (error instanceof JobCancelledError || token.isCancellationRequested) throw error;
        // The model process died, or the memory budget refused the run: say what happened and what to change.
        const modelFailure = modelFailureMessage(error, source.label);
        if (modelFailure) throw new Error(modelFailure);
        if (error instanceof JobFailedError && error.code === 'ggufTokenizer') {
          throw new Error(vscode.l10n.t('{0} is a GGUF file whose metadata has no tokenizer LLM Lens can read, so its text cannot be turned into token ids. Use a GGUF converted by a recent llama.cpp, or the model\'s Hugging Face folder. Details: {1}', source.label, error.message));
        }
        const reason = error instanceof Error ? error.message : String(error);
        // A model that cannot be loaded gets the problem view (with ways out), not an error over an empty panel.
        if (error instanceof Error && error.name === 'ModelLoadError') {
          failure = { kind: 'unusable', message: vscode.l10n.t('{0} cannot be used: {1}', source.label, reason) };
          return undefined;
        }
        throw new Error(vscode.l10n.t('Could not run {0}: {1}', source.label, reason));
      } finally {
        if (this.userCancel === cancel) this.userCancel = undefined;
        cancel.dispose();
      }
    });
    // A newer run was asked for meanwhile: it shows its own result.
    if (runId !== this.runSeq) return;
    this.inFlight = 0;
    if (failure) {
      this.showProblem(source, failure);
      return;
    }
    if (!output) return;
    this.state = { source, output };
    this.selection = { layer: 0, head: 0, query: output.seqLen - 1 };
    // A new run's page builds its step controls at the defaults.
    this.stepOptions = { scaled: true, temperature: 1 };
    this.lastView = undefined;
    this.sentMatrixKey = undefined;
    this.analysis = new AttentionAnalysis(this.analysisHost(), {
      dir: source.dir, modelLabel: source.label, ids: output.tokens.map((t) => t.id), tokens: output.tokens.map((t) => t.text),
      layers: output.layers, heads: output.heads, parameters: output.model.parameters, elapsedMs: output.elapsedMs,
    });
    this.publish();
    this.reply({ type: 'thumbnails', thumbnails: output.thumbnails });
    await this.refreshView();
  }

  /** Cancel pressed (or a newer job): also stops the worker job when the user asked. */
  override cancelJob(): void {
    this.userCancel?.cancel();
    super.cancelJob();
  }

  /** Shows why the model cannot run, with Choose Model and the embedded model as ways out; the last run is dropped. */
  private showProblem(source: ModelSource, problem: AttentionModelProblem): void {
    // A run still on its way (an earlier model) must not replace the problem when it ends.
    this.cancelJob();
    this.inFlight = 0;
    this.state = undefined;
    this.analysis = undefined;
    this.lastView = undefined;
    this.setSnapshot({
      problem,
      model: { label: source.label, source: source.source, dir: source.dir, ignoredWorkspacePath: source.ignoredWorkspacePath },
      text: this.text,
      input: this.input,
    });
  }

  /** Runs again on the same text (after the model changed). */
  async rerun(): Promise<void> {
    if (this.text) await this.analyze(this.text, this.input);
  }

  /** The latest run's output (integration tests and the command read it). */
  get lastRun(): AttentionJobOutput | undefined {
    return this.state?.output;
  }

  /** The latest view posted (with its matrix) and the run's thumbnails (integration tests read them). */
  get views(): { view: AttentionView | undefined; thumbnails: AttentionThumbnails | undefined } {
    return { view: this.lastView, thumbnails: this.state?.output.thumbnails };
  }

  /** Tells the page which run is on its way (when one is), for it to save as its restore data. */
  private postRequested(): void {
    if (this.inFlight !== 0) this.reply({ type: 'requested', runId: this.inFlight, text: this.text, input: this.input });
  }

  /** The page (re)loaded: it holds no thumbnails and no matrix, so both go again, and the run on its way, if any. */
  protected override onWebviewReady(): void {
    this.postRequested();
    const s = this.state;
    if (!s) return;
    this.reply({ type: 'thumbnails', thumbnails: s.output.thumbnails });
    if (this.lastView) {
      this.reply({ type: 'view', view: this.lastView });
      this.sentMatrixKey = this.lastView.matrixKey;
    } else this.sentMatrixKey = undefined;
  }

  private reply(reply: AttentionReply): void {
    this.record(reply.type, reply);
    this.postReply(reply);
  }

  private record(type: PostedMessage['type'], payload: unknown): void {
    if (this.context.extensionMode !== vscode.ExtensionMode.Test) return;
    this.posted.push({ type, bytes: serialize(payload).length });
    if (this.posted.length > 500) this.posted.splice(0, this.posted.length - 500);
  }

  private publish(): void {
    const s = this.state;
    if (!s) return;
    const { output, source } = s;
    const embedded = source.source === 'embedded';
    const snapshot: AttentionSnapshot = {
      runId: output.runId,
      model: {
        label: source.label, source: source.source, dir: source.dir, ...output.model,
        hasModelCard: embedded && existsSync(join(source.dir, 'MODEL_CARD.md')),
        trainedContext: output.trainedContext,
        ignoredWorkspacePath: source.ignoredWorkspacePath,
      },
      text: this.text,
      input: this.input,
      tokens: output.tokens,
      cap: output.total > output.tokens.length ? { total: output.total, limit: output.limit, reason: output.limitReason } : undefined,
      beyondTrainedContext: output.seqLen > output.trainedContext,
      layers: output.layers,
      heads: output.heads,
      seqLen: output.seqLen,
      kvHeadOf: output.kvHeadOf,
      predictions: output.predictions,
      elapsedMs: output.elapsedMs,
      analysis: this.analysis?.view(),
    };
    this.record('snapshot', snapshot);
    this.setSnapshot(snapshot);
  }

  /**
   * Asks the worker for the current selection's view and posts it. Requests that arrive while one is out
   * (slider frames, held-down arrow keys) collapse into one for the newest selection.
   */
  private async refreshView(): Promise<void> {
    this.viewWanted = true;
    if (this.viewBusy) return;
    this.viewBusy = true;
    try {
      while (this.viewWanted) {
        this.viewWanted = false;
        const s = this.state;
        if (!s) return;
        const { layer, head, query } = this.selection;
        const runId = s.output.runId;
        const withMatrix = this.sentMatrixKey !== `${runId}:${layer}:${head}`;
        const view = await this.services.pool.run('attentionView', { runId, layer, head, query, ...this.stepOptions, withMatrix }, { affinity: 'attention' });
        // A newer run replaced this one while the view was computed.
        if (this.state !== s) continue;
        const held = view.matrix ? view.matrix : this.lastView?.matrixKey === view.matrixKey ? this.lastView.matrix : undefined;
        this.lastView = { ...view, matrix: held };
        this.sentMatrixKey = view.matrixKey;
        this.reply({ type: 'view', view });
      }
    } catch (error) {
      // The worker restarted (Cancel, a crash) and lost the run: run the text again rather than show nothing.
      if (error instanceof JobFailedError && error.code === 'runGone') {
        // A superseded run may have finished in the worker just before the newest started: that one is coming.
        if (this.inFlight === 0) void this.rerun();
      }
      else this.showError(errorMessage(error));
    } finally {
      this.viewBusy = false;
    }
  }

  protected async handleRequest(request: AttentionRequest): Promise<void> {
    const s = this.state;
    switch (request.type) {
      case 'select': {
        if (!s) return;
        const run = s.output;
        // Ranges depend on the run: out-of-range selections from the webview are ignored.
        if (request.layer >= run.layers || request.query >= run.seqLen) return;
        if (typeof request.head === 'number' && request.head >= run.heads) return;
        this.selection = { layer: request.layer, head: request.head, query: request.query };
        await this.refreshView();
        break;
      }
      case 'stepOptions':
        this.stepOptions = { scaled: request.scaled, temperature: request.temperature };
        await this.refreshView();
        break;
      case 'exportCsv': {
        if (!s) return;
        const { layer, head } = this.selection;
        const csv = await this.services.pool.run('attentionCsv', { runId: s.output.runId, layer, head }, { affinity: 'attention' });
        await this.saveFile(`${this.exportName()}.csv`, Buffer.from(csv, 'utf8'), { [vscode.l10n.t('CSV')]: ['csv'] });
        break;
      }
      case 'exportPng': {
        const bytes = Buffer.from(request.dataUrl.slice('data:image/png;base64,'.length), 'base64');
        // Only a real PNG (its 8-byte signature) is written.
        if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47 || bytes.readUInt32BE(4) !== 0x0d0a1a0a) return;
        await this.saveFile(`${this.exportName()}.png`, bytes, { [vscode.l10n.t('PNG image')]: ['png'] });
        break;
      }
      case 'chooseModel':
        await vscode.commands.executeCommand('llmLens.chooseModel');
        break;
      case 'useEmbeddedModel':
        await useEmbeddedModel(this.context);
        await this.rerun();
        break;
      case 'showMoeRouting': {
        // The MoE view runs the current model (the one this run used) on the same text; only offered for MoE models.
        if (!s?.output.model.moe || !this.text) return;
        const moe = this.services.panels.show(MoePanel.definition);
        if (moe instanceof MoePanel) await moe.analyze(this.text);
        break;
      }
      case 'openModelDoc': {
        if (!s || s.source.source !== 'embedded') return;
        const uri = vscode.Uri.file(join(s.source.dir, request.doc === 'card' ? 'MODEL_CARD.md' : 'loss.svg'));
        if (request.doc === 'card') await vscode.commands.executeCommand('markdown.showPreview', uri);
        else await vscode.commands.executeCommand('vscode.open', uri, vscode.ViewColumn.Beside);
        break;
      }
      default:
        await this.analysis?.handle(request);
    }
  }

  /** What the analysis views use of this panel: the pool, its job strip, publishing and the shown heatmap. */
  private analysisHost(): AnalysisHost {
    return {
      pool: this.services.pool,
      runJob: (message, job) => this.runJob(message, job),
      publish: () => this.publish(),
      isCurrent: (analysis) => this.analysis === analysis,
      heatmap: async () => {
        const s = this.state;
        if (!s) return undefined;
        const { layer, head } = this.selection;
        const matrix = await this.services.pool.run('attentionMatrix', { runId: s.output.runId, layer, head }, { affinity: 'attention' });
        const which = typeof head === 'number' ? vscode.l10n.t('head {0}', head) : head === 'mean' ? vscode.l10n.t('mean over heads') : vscode.l10n.t('max over heads');
        return { matrix, title: vscode.l10n.t('Attention, layer {0}, {1}', layer, which), name: this.exportName() };
      },
    };
  }

  private exportName(): string {
    const { layer, head } = this.selection;
    return `attention-layer${layer}-${typeof head === 'number' ? `head${head}` : head}`;
  }

  /** Asks where to save (a new file the user names) and writes it. */
  private async saveFile(name: string, bytes: Uint8Array, filters: Record<string, string[]>): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}', target.fsPath));
  }
}
