import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { currentModelSource, type ModelSource } from '../commands/chooseModel';
import type { ConceptProbeOutput, ConceptTrainOutput, ConceptTrainProgress } from '../compute/conceptJob';
import { embeddedModelDir } from '../core/paths';
import { isConceptPage, type ConceptLabRequest, type ConceptLabSnapshot, type ConceptPage, type ConceptTrainView } from '../shared/conceptLabProtocol';
import { Panel, type PanelDefinition, type Services } from './panel';

/** Longest text the lab keeps (characters): far more tokens than any page reads, small enough for webview state. */
export const maxConceptTextChars = 20_000;

/** The text the lab reads when nothing is selected: code and prose, so every page has something to show. */
export const conceptSampleText = 'function add(a: number, b: number): number {\n  return a + b;\n}\n// The model reads this line, one token at a time.\nconst total = add(1, 2);\n';

/** What the webview saves so the host can recompute after a window reload. */
function restoreOf(restore: unknown): { page: ConceptPage; text?: string; label?: string } | undefined {
  const r = restore as { page?: unknown; text?: unknown; label?: unknown } | undefined;
  if (!r || !isConceptPage(r.page)) return undefined;
  const text = typeof r.text === 'string' && r.text.trim().length > 0 && r.text.length <= maxConceptTextChars ? r.text : undefined;
  const label = typeof r.label === 'string' && r.label.length <= 300 ? r.label : undefined;
  return { page: r.page, text, label: text !== undefined ? label : undefined };
}

/**
 * The Concept Lab (issue 20): a page per idea — RoPE, RMSNorm and SwiGLU, attention masks, live training — each
 * computed by the core in a compute worker on a real model (the current one; training uses the embedded model).
 */
export class ConceptLabPanel extends Panel<'conceptLab'> {
  private page: ConceptPage = 'rope';
  private text = conceptSampleText;
  private textLabel: string | undefined;
  private probe = { layer: 0, head: 0, token: 0 };
  private factor = 4;
  private train: ConceptTrainView = { state: 'idle', steps: 60, losses: [] };
  private last: { source: ModelSource; output: Extract<ConceptProbeOutput, { kind: 'done' }> } | undefined;
  /** Counts probe runs: a run superseded by a newer one is not shown. */
  private generation = 0;
  private lastPublish = 0;

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('conceptLab', webviewPanel, services);
  }

  /** How Concept Lab panels are made and restored (a restored panel recomputes its saved page and text). */
  static readonly definition: PanelDefinition<'conceptLab'> = {
    kind: 'conceptLab',
    title: () => vscode.l10n.t('LLM Lens: Concept Lab'),
    create: (webviewPanel, services, restore) => {
      const panel = new ConceptLabPanel(webviewPanel, services);
      const saved = restoreOf(restore);
      void panel.open(saved?.page, saved?.text, saved?.label);
      return panel;
    },
  };

  /** Shows `page` (or keeps the current one) on `text` (or the sample), and computes it. */
  async open(page: ConceptPage | undefined, text: string | undefined, label: string | undefined): Promise<void> {
    if (page) this.page = page;
    const newText = text !== undefined ? text.slice(0, maxConceptTextChars) : undefined;
    if (newText !== undefined && newText !== this.text) {
      this.text = newText;
      this.textLabel = label;
      this.train = { state: 'idle', steps: this.train.steps, losses: [] };
    } else if (newText === undefined && this.last !== undefined && page) {
      // Opened from a link with no selection: keep the text the lab already reads, just switch page.
      this.publish();
      return;
    }
    await this.compute();
  }

  /** The latest probe output (integration tests compare it with the core). */
  get lastProbe(): Extract<ConceptProbeOutput, { kind: 'done' }> | undefined {
    return this.last?.output;
  }

  /** The text the lab reads now. */
  get currentText(): string {
    return this.text;
  }

  private async compute(): Promise<void> {
    const source = currentModelSource(this.context);
    const generation = ++this.generation;
    const maxTokens = Math.max(2, Math.min(1024, Math.floor(Number(vscode.workspace.getConfiguration('llmLens').get<number>('attention.maxTokens', 256)) || 256)));
    const output = await this.runJob(vscode.l10n.t('Running {0} on the text…', source.label), async (token, report) => {
      try {
        return await this.services.pool.run('conceptProbe', {
          dir: source.dir, text: this.text, layer: this.probe.layer, head: this.probe.head, token: this.probe.token, factor: this.factor, maxTokens,
        }, { cancel: token, onProgress: (fraction) => report(fraction), affinity: 'conceptLab' });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (source.source === 'embedded' && !existsSync(join(source.dir, 'model.safetensors'))) {
          throw new Error(vscode.l10n.t('The embedded model is not available in this build. Choose another model with "LLM Lens: Choose Model".'));
        }
        throw new Error(vscode.l10n.t('Could not run {0}: {1}', source.label, reason));
      }
    });
    if (!output || generation !== this.generation) return;
    if (output.kind === 'refused') {
      this.showError(output.reason === 'noTokenizer'
        ? vscode.l10n.t('{0} has no tokenizer.json, so the text cannot be turned into its token ids. Choose a model with a tokenizer.', source.label)
        : vscode.l10n.t('The text gives no tokens: select some text, or open the lab with nothing selected to use the sample.'));
      return;
    }
    this.last = { source, output };
    this.probe = output.probe;
    this.publish();
  }

  private publish(): void {
    const last = this.last;
    if (!last) return;
    const o = last.output;
    const snapshot: ConceptLabSnapshot = {
      page: this.page,
      model: { label: last.source.label, embedded: last.source.source === 'embedded', ...o.model },
      textLabel: this.textLabel ?? (this.text === conceptSampleText ? vscode.l10n.t('The built-in sample (select text in an editor to use yours)') : vscode.l10n.t('Text from an earlier session')),
      restore: this.text === conceptSampleText ? undefined : { text: this.text, label: this.textLabel },
      tokens: o.tokens,
      tokenCount: o.tokenCount,
      probe: o.probe,
      rope: o.rope,
      norm: o.norm,
      masks: o.masks,
      train: this.train,
    };
    this.lastPublish = Date.now();
    this.setSnapshot(snapshot);
  }

  /** Trains a copy of the embedded model on the text, streaming the loss; the shipped files are only read. */
  private async runTraining(steps: number): Promise<void> {
    const dir = embeddedModelDir();
    this.train = { state: 'running', steps, losses: [] };
    this.publish();
    let output: ConceptTrainOutput | undefined;
    await this.runJob(vscode.l10n.t('Training the embedded model on the text…'), async (token, report) => {
      // Cooperative cancel: the worker checks this flag before each step and returns what it trained so far.
      const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
      const subscription = token.onCancellationRequested(() => Atomics.store(cancelFlag, 0, 1));
      try {
        output = await this.services.pool.run('conceptTrain', { dir, text: this.text, steps, cancelFlag }, {
          affinity: 'conceptTrain',
          onProgress: (fraction, message) => {
            const p = parseProgress(message);
            if (!p) return report(fraction);
            this.train.losses.push(p.loss);
            report(fraction, vscode.l10n.t('Step {0} of {1} · loss {2}', p.step, steps, p.loss.toFixed(3)));
            // The curve streams: a snapshot at most every 200 ms keeps the webview responsive.
            if (Date.now() - this.lastPublish > 200) this.publish();
          },
        });
        return output;
      } finally {
        subscription.dispose();
      }
    });
    const out = output as ConceptTrainOutput | undefined;
    if (!out) {
      this.train = { state: 'idle', steps, losses: [] };
      this.publish();
      return;
    }
    if (out.kind === 'refused') {
      this.train = { state: 'idle', steps, losses: [] };
      this.publish();
      this.showError(out.reason === 'tooShort'
        ? vscode.l10n.t('The text is too short to train on: it needs at least three tokens.')
        : vscode.l10n.t('The embedded model has no tokenizer in this build.'));
      return;
    }
    this.train = {
      state: out.cancelled ? 'cancelled' : 'done', steps, losses: out.losses, lossBefore: out.lossBefore, lossAfter: out.lossAfter,
      bigram: out.bigram, tokens: out.tokens, predictions: out.predictions,
    };
    this.publish();
  }

  /** The latest training view (integration tests read it). */
  get trainView(): ConceptTrainView {
    return this.train;
  }

  protected async handleRequest(request: ConceptLabRequest): Promise<void> {
    switch (request.type) {
      case 'setPage':
        this.page = request.page;
        this.publish();
        break;
      case 'setProbe': {
        const m = this.last?.output.model;
        // Out-of-range indices (a stale webview, a forged message) are ignored rather than clamped silently.
        if (m && (request.layer >= m.layers || request.head >= m.heads || request.token >= (this.last?.output.readTokens ?? 0))) return;
        this.probe = { layer: request.layer, head: request.head, token: request.token };
        await this.compute();
        break;
      }
      case 'setExtension':
        this.factor = request.factor;
        await this.compute();
        break;
      case 'train':
        await this.runTraining(request.steps);
        break;
      case 'chooseModel': {
        const before = currentModelSource(this.context).dir;
        await vscode.commands.executeCommand('llmLens.chooseModel');
        if (currentModelSource(this.context).dir !== before) {
          this.probe = { layer: 0, head: 0, token: 0 };
          await this.compute();
        }
        break;
      }
    }
  }
}

function parseProgress(message: string | undefined): ConceptTrainProgress | undefined {
  if (!message?.startsWith('{')) return undefined;
  try {
    const p = JSON.parse(message) as ConceptTrainProgress;
    return typeof p.step === 'number' && typeof p.loss === 'number' ? p : undefined;
  } catch {
    return undefined;
  }
}
