import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AttentionJobOutput } from '../compute/attentionJob';
import { JobCancelledError, JobFailedError } from '../compute/pool';
import { attentionCsv } from '../core/analysis/export';
import { attentionStep } from '../core/analysis/step';
import { currentModelSource, modelFolderProblem, useEmbeddedModel, type ModelSource } from '../commands/chooseModel';
import { maxInputChars } from '../shared/limits';
import type { AttentionHeadChoice, AttentionInput, AttentionModelProblem, AttentionRequest, AttentionSnapshot, AttentionStepView } from '../shared/protocol';
import { modelFailureMessage } from './modelFailure';
import { Panel, type PanelDefinition, type Services } from './panel';
import { AttentionAnalysis, type AnalysisHost } from './attention/analysis';

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

/** The latest run and what the panel derived from it once (flattened and combined matrices). */
interface RunState {
  source: ModelSource;
  output: AttentionJobOutput;
  probs: Float32Array[];
  meanProbs: Float32Array[];
  maxProbs: Float32Array[];
}

/**
 * The Attention panel: runs the forward pass in a compute worker, keeps the run (with q/k/v), and answers
 * the webview's selections and step-view options by recomputing in the host (microseconds, no second pass).
 */
export class AttentionPanel extends Panel<'attention'> {
  private state: RunState | undefined;
  private text = '';
  private input: AttentionInput = plainInput('');
  private selection: { layer: number; head: AttentionHeadChoice; query: number } = { layer: 0, head: 0, query: 0 };
  private stepOptions = { scaled: true, temperature: 1 };

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
   * cut at the token cap) and shows the result, or what is wrong with the model folder.
   */
  async analyze(text: string, input: AttentionInput = plainInput(text)): Promise<void> {
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
    const output = await this.runJob(vscode.l10n.t('Running {0}…', source.label), async (token, report) => {
      try {
        return await this.services.pool.run(
          'attentionRun',
          { dir: source.dir, text: this.text, maxTokens: Math.max(2, Math.min(1024, Math.floor(Number(maxTokens) || 256))), allowBeyondTrainedContext, topK: 10 },
          { cancel: token, onProgress: report, affinity: 'attention' },
        );
      } catch (error) {
        if (error instanceof JobCancelledError) throw error;
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
      }
    });
    if (failure) {
      this.showProblem(source, failure);
      return;
    }
    if (!output) return;
    const { run } = output;
    const T = run.seqLen;
    // The worker already flattened and combined the matrices: the host only keeps references.
    this.state = { source, output, probs: output.layerProbs, meanProbs: output.meanProbs, maxProbs: output.maxProbs };
    this.selection = { layer: 0, head: 0, query: T - 1 };
    this.analysis = new AttentionAnalysis(this.analysisHost(), {
      dir: source.dir, modelLabel: source.label, ids: output.tokens.map((t) => t.id), tokens: output.tokens.map((t) => t.text),
      layers: run.layers, heads: run.heads, parameters: output.model.parameters, elapsedMs: output.elapsedMs,
    });
    this.publish();
  }

  /** Shows why the model cannot run, with Choose Model and the embedded model as ways out; the last run is dropped. */
  private showProblem(source: ModelSource, problem: AttentionModelProblem): void {
    // A run still on its way (an earlier model) must not replace the problem when it ends.
    this.cancelJob();
    this.state = undefined;
    this.analysis = undefined;
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

  private publish(): void {
    const s = this.state;
    if (!s) return;
    const { output, source } = s;
    const { run } = output;
    const { layer, head, query } = this.selection;
    let step: AttentionStepView | undefined;
    if (typeof head === 'number') {
      const st = attentionStep(run, layer, head, query, this.stepOptions);
      const T = run.seqLen;
      step = {
        layer, head, query, kvHead: st.kvHead, headDim: st.headDim, scaled: this.stepOptions.scaled, scale: st.scale, temperature: st.temperature,
        q: st.q, rawScores: st.rawScores, scaledScores: st.softcap === undefined ? st.scaledScores : st.cappedScores, mask: st.mask, probs: st.probs,
        defaultScale: st.defaultScale, qkNorm: st.qkNorm, softcap: st.softcap, slidingWindow: st.slidingWindow,
        modelProbs: run.probs[layer][head].slice(query * T, (query + 1) * T), output: st.output, values: st.values,
      };
    }
    const embedded = source.source === 'embedded';
    const snapshot: AttentionSnapshot = {
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
      beyondTrainedContext: run.seqLen > output.trainedContext,
      layers: run.layers,
      heads: run.heads,
      seqLen: run.seqLen,
      kvHeadOf: run.kvHeadOf,
      probs: s.probs,
      meanProbs: s.meanProbs,
      maxProbs: s.maxProbs,
      predictions: run.predictions.map((p) => ({ id: p.id, text: p.label ?? `#${p.id}`, probability: p.probability })),
      selection: { ...this.selection },
      step,
      elapsedMs: output.elapsedMs,
      analysis: this.analysis?.view(),
    };
    this.setSnapshot(snapshot);
  }

  /** The matrix the heatmap shows for the current selection. */
  private selectedMatrix(): Float32Array | undefined {
    const s = this.state;
    if (!s) return undefined;
    const { layer, head } = this.selection;
    if (head === 'mean') return s.meanProbs[layer];
    if (head === 'max') return s.maxProbs[layer];
    return s.output.run.probs[layer][head];
  }

  protected async handleRequest(request: AttentionRequest): Promise<void> {
    const s = this.state;
    switch (request.type) {
      case 'select': {
        if (!s) return;
        const { run } = s.output;
        // Ranges depend on the run: out-of-range selections from the webview are ignored.
        if (request.layer >= run.layers || request.query >= run.seqLen) return;
        if (typeof request.head === 'number' && request.head >= run.heads) return;
        this.selection = { layer: request.layer, head: request.head, query: request.query };
        this.publish();
        break;
      }
      case 'stepOptions':
        this.stepOptions = { scaled: request.scaled, temperature: request.temperature };
        this.publish();
        break;
      case 'exportCsv': {
        const matrix = this.selectedMatrix();
        if (!s || !matrix) return;
        const csv = attentionCsv(s.output.tokens.map((t) => t.text), matrix);
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
        const matrix = this.selectedMatrix();
        if (!matrix) return undefined;
        const { layer, head } = this.selection;
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
