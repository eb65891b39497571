import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AttentionJobOutput } from '../compute/attentionJob';
import { JobCancelledError, JobFailedError } from '../compute/pool';
import { attentionCsv } from '../core/analysis/export';
import { attentionStep } from '../core/analysis/step';
import { currentModelSource, type ModelSource } from '../commands/chooseModel';
import type { AttentionHeadChoice, AttentionRequest, AttentionSnapshot, AttentionStepView } from '../shared/protocol';
import { Panel, type PanelDefinition, type Services } from './panel';

/** Longest selection the panel keeps (characters): far above any token cap, small enough for webview state. */
export const maxAttentionTextLength = 200_000;

/** What the webview saves so the host can re-run after a window reload. */
function restoreText(restore: unknown): string | undefined {
  const text = (restore as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && text.length > 0 && text.length <= maxAttentionTextLength ? text : undefined;
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
  private selection: { layer: number; head: AttentionHeadChoice; query: number } = { layer: 0, head: 0, query: 0 };
  private stepOptions = { scaled: true, temperature: 1 };

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('attention', webviewPanel, services);
  }

  /** How Attention panels are made and restored (a restored panel re-runs its saved text). */
  static readonly definition: PanelDefinition<'attention'> = {
    kind: 'attention',
    title: () => vscode.l10n.t('LLM Lens: Attention'),
    create: (webviewPanel, services, restore) => {
      const panel = new AttentionPanel(webviewPanel, services);
      const text = restoreText(restore);
      if (text) void panel.analyze(text);
      return panel;
    },
  };

  /** Runs the current model on `text` (tokenized by the model's tokenizer, capped) and shows the result. */
  async analyze(text: string): Promise<void> {
    this.text = text.slice(0, maxAttentionTextLength);
    const source = currentModelSource(this.context);
    const maxTokens = vscode.workspace.getConfiguration('llmLens').get<number>('attention.maxTokens', 256);
    const output = await this.runJob(vscode.l10n.t('Running {0}…', source.label), async (token, report) => {
      try {
        return await this.services.pool.run(
          'attentionRun',
          { dir: source.dir, text: this.text, maxTokens: Math.max(2, Math.min(1024, Math.floor(maxTokens))), topK: 10 },
          { cancel: token, onProgress: report, affinity: 'attention' },
        );
      } catch (error) {
        if (error instanceof JobCancelledError) throw error;
        if (error instanceof JobFailedError && error.code === 'ggufTokenizer') {
          throw new Error(vscode.l10n.t('{0} is a GGUF file whose metadata has no tokenizer LLM Lens can read, so its text cannot be turned into token ids. Use a GGUF converted by a recent llama.cpp, or the model\'s Hugging Face folder. Details: {1}', source.label, error.message));
        }
        const reason = error instanceof Error ? error.message : String(error);
        if (source.source === 'embedded' && !existsSync(join(source.dir, 'model.safetensors'))) {
          throw new Error(vscode.l10n.t('The embedded model is not available in this build. Choose another model with "LLM Lens: Choose Model".'));
        }
        throw new Error(vscode.l10n.t('Could not run {0}: {1}', source.label, reason));
      }
    });
    if (!output) return;
    const { run } = output;
    const T = run.seqLen;
    // The worker already flattened and combined the matrices: the host only keeps references.
    this.state = { source, output, probs: output.layerProbs, meanProbs: output.meanProbs, maxProbs: output.maxProbs };
    this.selection = { layer: 0, head: 0, query: T - 1 };
    this.publish();
  }

  /** Runs again on the same text (after the model changed). */
  async rerun(): Promise<void> {
    if (this.text) await this.analyze(this.text);
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
      },
      text: this.text,
      tokens: output.tokens,
      cap: output.total > output.tokens.length ? { total: output.total, limit: output.limit } : undefined,
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
      case 'openModelDoc': {
        if (!s || s.source.source !== 'embedded') return;
        const uri = vscode.Uri.file(join(s.source.dir, request.doc === 'card' ? 'MODEL_CARD.md' : 'loss.svg'));
        if (request.doc === 'card') await vscode.commands.executeCommand('markdown.showPreview', uri);
        else await vscode.commands.executeCommand('vscode.open', uri, vscode.ViewColumn.Beside);
        break;
      }
    }
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
