import * as vscode from 'vscode';
import type { Jobs } from '../../compute/jobs';
import type { JobRunner } from '../../compute/pool';
import { INDUCTION_TEST } from '../../core/analysis/headScores';
import type { AblationChoice, AblationView, AttentionAnalysisRequest, AttentionAnalysisView, HeadScoresView, LogitLensView } from '../../shared/attentionAnalysisProtocol';
import { visibleWhitespace } from '../../shared/whitespace';
import { askSaveTarget } from './saveTarget';

/** What the analysis views need to know about the run they read. */
export interface AnalysisRun {
  /** The model (directory or GGUF file) the run used. */
  dir: string;
  modelLabel: string;
  /** The run's token ids and texts. */
  ids: number[];
  tokens: string[];
  layers: number;
  heads: number;
  parameters: number;
  /** Wall-clock time of the run's forward pass (for the standard test's estimate). */
  elapsedMs: number;
}

/** What the analysis asks of the Attention panel. */
export interface AnalysisHost {
  pool: JobRunner<Jobs>;
  /** The panel's runJob: progress and Cancel in its status strip, errors shown, undefined when cancelled. */
  runJob<T>(message: string, job: (token: vscode.CancellationToken, report: (fraction: number, message?: string) => void) => Promise<T>): Promise<T | undefined>;
  /** Posts a new complete snapshot (it reads view()). */
  publish(): void;
  /** True while this analysis belongs to the panel's current run (a late result of an older run is dropped). */
  isCurrent(analysis: AttentionAnalysis): boolean;
  /** The matrix the heatmap shows now (seqLen × seqLen), its title and a file-name stem. */
  heatmap(): Promise<{ matrix: Float32Array; title: string; name: string } | undefined>;
}

/** Parameters above which the standard test asks first (its ten passes take a while on the CPU). */
const CONFIRM_ABOVE_PARAMETERS = 1e9;
/** Cells of the SVG / HTML export are elements: beyond this many tokens the file gets too large to open. */
const EXPORT_MAX_TOKENS = 512;
/** Candidates per logit-lens cell and per ablation list. */
const LENS_TOP_K = 5;
const ABLATION_TOP_K = 10;

/**
 * The Attention panel's analysis views for one run (issue 18): head scores with sinks, the standard induction
 * test, the logit lens, head ablation and the SVG / HTML export. Every number comes from a compute job
 * (src/compute/analysisJob.ts); this class only keeps the results and validates requests against the run.
 */
export class AttentionAnalysis {
  private heads: HeadScoresView | undefined;
  private testScores: { scores: Float32Array; elapsedMs: number } | undefined;
  private lens: LogitLensView | undefined;
  private ablation: AblationView | undefined;
  /** The analysis jobs run one after another: the panel's runJob cancels whatever runs, so none may start over another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: AnalysisHost,
    readonly run: AnalysisRun,
  ) {}

  /** The views' part of the snapshot. */
  view(): AttentionAnalysisView {
    const tokens = INDUCTION_TEST.batch * (2 * INDUCTION_TEST.half + 1);
    const perToken = this.run.elapsedMs / Math.max(1, this.run.ids.length);
    return {
      heads: this.heads,
      inductionTest: {
        batch: INDUCTION_TEST.batch,
        tokens,
        estimateMs: Math.round(perToken * tokens),
        needsConfirmation: this.run.parameters > CONFIRM_ABOVE_PARAMETERS,
        scores: this.testScores?.scores,
        elapsedMs: this.testScores?.elapsedMs,
      },
      lens: this.lens,
      ablation: this.ablation,
      exportMaxTokens: EXPORT_MAX_TOKENS,
    };
  }

  /** Handles one validated analysis request (after the ones before it). */
  handle(request: AttentionAnalysisRequest): Promise<void> {
    const next = this.queue.then(() => this.handleNow(request));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async handleNow(request: AttentionAnalysisRequest): Promise<void> {
    switch (request.type) {
      case 'findHeads':
        return this.findHeads(request.excludeBos, request.excludeCurrentToken);
      case 'inductionTest':
        return this.inductionTest(request.confirmed);
      case 'logitLens':
        return this.logitLens(request.end, request.count);
      case 'ablate':
        return this.ablate(request.ablations);
      case 'exportHeatmap':
        return this.exportHeatmap(request.format, request.hideFirstKey);
    }
  }

  private async findHeads(excludeBos: boolean, excludeCurrentToken: boolean): Promise<void> {
    if (this.heads && this.heads.excludeBos === excludeBos && this.heads.excludeCurrentToken === excludeCurrentToken) {
      this.host.publish();
      return;
    }
    const { dir, ids } = this.run;
    const out = await this.host.runJob(vscode.l10n.t('Scoring every head…'), (token, report) =>
      this.host.pool.run('headScan', { dir, ids, excludeBos, excludeCurrentToken }, { cancel: token, onProgress: report, affinity: 'attention' }),
    );
    if (!out || !this.host.isCurrent(this)) return;
    this.heads = { excludeBos, excludeCurrentToken, ...out };
    this.host.publish();
  }

  private async inductionTest(confirmed: boolean): Promise<void> {
    // A large model is only tested after the panel showed the estimate and the user said yes.
    if (this.run.parameters > CONFIRM_ABOVE_PARAMETERS && !confirmed) return;
    const { dir } = this.run;
    const out = await this.host.runJob(vscode.l10n.t('Running the standard induction test…'), (token, report) =>
      this.host.pool.run('inductionTest', { dir }, { cancel: token, onProgress: report, affinity: 'attention' }),
    );
    if (!out || !this.host.isCurrent(this)) return;
    this.testScores = { scores: out.scores, elapsedMs: out.elapsedMs };
    this.host.publish();
  }

  private async logitLens(end: number, count: number): Promise<void> {
    const { dir, ids } = this.run;
    if (end >= ids.length) return;
    const n = Math.min(count, end + 1);
    const positions = Array.from({ length: n }, (_, i) => end - n + 1 + i);
    if (this.lens && this.lens.positions.join() === positions.join()) {
      this.host.publish();
      return;
    }
    const out = await this.host.runJob(vscode.l10n.t('Running the logit lens…'), (token, report) =>
      this.host.pool.run('logitLens', { dir, ids, positions, topK: LENS_TOP_K }, { cancel: token, onProgress: report, affinity: 'attention' }),
    );
    if (!out || !this.host.isCurrent(this)) return;
    this.lens = out;
    this.host.publish();
  }

  private async ablate(requested: AblationChoice[]): Promise<void> {
    const { dir, ids, layers, heads } = this.run;
    // Ranges depend on the model: anything outside it is ignored; a whole layer covers its heads.
    const wholeLayers = new Set(requested.filter((a) => a.head === undefined && a.layer < layers).map((a) => a.layer));
    const seen = new Set<string>();
    const ablations: AblationChoice[] = [];
    for (const a of requested) {
      if (a.layer >= layers || (a.head !== undefined && (a.head >= heads || wholeLayers.has(a.layer)))) continue;
      const key = `${a.layer}:${a.head ?? '*'}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ablations.push(a.head === undefined ? { layer: a.layer } : { layer: a.layer, head: a.head });
    }
    if (ablations.length === 0) return;
    const out = await this.host.runJob(vscode.l10n.t('Running with the heads ablated…'), (token, report) =>
      this.host.pool.run('headAblation', { dir, ids, ablations, topK: ABLATION_TOP_K }, { cancel: token, onProgress: report, affinity: 'attention' }),
    );
    if (!out || !this.host.isCurrent(this)) return;
    const text = (p: { id: number; label?: string }): string => p.label ?? `#${p.id}`;
    this.ablation = {
      ablations,
      before: out.before.map((p) => ({ id: p.id, text: text(p), probability: p.probability })),
      after: out.after.map((p) => ({ id: p.id, text: text(p), probability: p.probability })),
      klDivergence: out.klDivergence,
      afterProbabilityOfBeforeTop: out.afterProbabilityOfBeforeTop,
    };
    this.host.publish();
  }

  private async exportHeatmap(format: 'svg' | 'html', hideFirstKey: boolean): Promise<void> {
    const T = this.run.ids.length;
    if (T > EXPORT_MAX_TOKENS) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The SVG and HTML exports take runs of up to {0} tokens (one element per cell); this run has {1}. Export PNG or CSV instead.', EXPORT_MAX_TOKENS, T));
      return;
    }
    if (hideFirstKey && T < 2) return;
    const shown = await this.host.heatmap();
    if (!shown) return;
    const target = await askSaveTarget(`${shown.name}${hideFirstKey ? '-without-first-token' : ''}.${format}`, format === 'svg' ? { [vscode.l10n.t('SVG image')]: ['svg'] } : { [vscode.l10n.t('HTML page')]: ['html', 'htm'] });
    if (!target) return;
    const labels = this.run.tokens.map((t, i) => `${i}: ${visibleWhitespace(t)}`);
    const description = [
      vscode.l10n.t('Model: {0}. {1} tokens. Rows are queries, columns are keys; colour = attention weight.', this.run.modelLabel, T),
      hideFirstKey ? vscode.l10n.t('A renormalised view, not the model\'s weights: the first token\'s column is hidden and each row rescaled to sum to 1.') : '',
    ].filter(Boolean).join(' ');
    const text = await this.host.runJob(vscode.l10n.t('Writing the heatmap…'), (token, report) =>
      this.host.pool.run(
        'heatmapExport',
        {
          format, hideFirstKey, description, lang: vscode.env.language,
          spec: { title: hideFirstKey ? vscode.l10n.t('{0} (first token hidden, renormalised)', shown.title) : shown.title, rowLabels: labels, colLabels: labels, values: shown.matrix, min: 0, max: 1, legendLabel: vscode.l10n.t('attention weight') },
        },
        { cancel: token, onProgress: report },
      ),
    );
    if (text === undefined) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}', target.fsPath));
  }
}
