import * as vscode from 'vscode';
import { basename } from 'node:path';
import { countParameters } from '../core/kvcache/parameters';
import { modelPresets } from '../core/kvcache/presets';
import { embeddedModelDir } from '../core/paths';
import { CommandId, type MoeRequest, type MoeSnapshot } from '../shared/protocol';
import { maxInputChars } from '../shared/limits';
import { currentModelSource, modelFolderProblem } from '../commands/chooseModel';
import { Panel, type PanelDefinition, type Services } from './panel';

/** The text a restored panel re-runs (untrusted: validated here). */
function parseRestore(restore: unknown): string | undefined {
  const text = (restore as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && text.length > 0 && text.length <= maxInputChars ? text : undefined;
}

/** Mixtral-8x7B's counts from its config.json (countParameters): the study note's 47B total / 13B active. */
function referenceCounts(): MoeSnapshot['reference'] {
  const preset = modelPresets().find((p) => p.id === 'mixtral-8x7b-v0.1');
  const config = (preset?.config ?? {}) as Record<string, unknown>;
  const { total, active } = countParameters(config);
  return { label: preset?.label ?? 'Mixtral-8x7B', total, active, experts: Number(config.num_local_experts), topK: Number(config.num_experts_per_tok) };
}

/**
 * The MoE routing view (issue 15): runs a mixture-of-experts model on the selection in a compute worker — the
 * chosen model when it has experts, else the embedded MoE model — and shows which experts each token went to.
 * The snapshot holds every MoE layer's routing (tokens × top-k ids and weights: small), so the layer picker,
 * hover and keyboard focus are drawn by the webview without a round trip.
 */
export class MoePanel extends Panel<'moe'> {
  private text = '';

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('moe', webviewPanel, services);
  }

  /** How MoE panels are made and restored (a restored panel re-runs its saved text). */
  static readonly definition: PanelDefinition<'moe'> = {
    kind: 'moe',
    title: () => vscode.l10n.t('LLM Lens: MoE Routing'),
    create: (webviewPanel, services, restore) => {
      const panel = new MoePanel(webviewPanel, services);
      const text = parseRestore(restore);
      if (text) void panel.analyze(text);
      return panel;
    },
  };

  /** Runs the current model (or the embedded MoE model) on `text` and shows its routing. */
  async analyze(text: string): Promise<void> {
    this.text = text.slice(0, maxInputChars);
    const chosen = currentModelSource(this.context);
    // A chosen model that cannot be opened is no reason to show nothing: the embedded MoE model always can.
    const dir = modelFolderProblem(chosen) ? embeddedModelDir('moe') : chosen.dir;
    const maxTokens = vscode.workspace.getConfiguration('llmLens').get<number>('attention.maxTokens', 256);
    const output = await this.runJob(vscode.l10n.t('Running {0}…', chosen.label), (token, report) =>
      this.services.pool.run(
        'moeRouting',
        { dir, fallbackDir: embeddedModelDir('moe'), text: this.text, maxTokens: Math.max(2, Math.min(1024, Math.floor(Number(maxTokens) || 256))) },
        { cancel: token, onProgress: report, affinity: 'moe' },
      ),
    );
    if (!output) return;
    const embeddedMoe = output.dir === embeddedModelDir('moe');
    const label = embeddedMoe ? vscode.l10n.t('LLM Lens embedded MoE model') : dir === chosen.dir ? chosen.label : basename(output.dir);
    this.setSnapshot({
      text: this.text,
      model: { ...output.model, label, denseChosen: output.usedFallback ? chosen.label : undefined },
      tokens: output.tokens.map((t) => t.text),
      totalTokens: output.total,
      routing: output.routing,
      reference: referenceCounts(),
    });
  }

  protected async handleRequest(request: MoeRequest): Promise<void> {
    switch (request.type) {
      case 'chooseModel':
        await vscode.commands.executeCommand(CommandId.chooseModel);
        if (this.text) await this.analyze(this.text);
        break;
    }
  }
}
