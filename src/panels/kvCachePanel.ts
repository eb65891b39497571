import * as vscode from 'vscode';
import { basename, dirname } from 'node:path';
// Direct module imports, not the core index: the extension bundle must not pull in the whole core.
import { elementTypes, gpuSizes } from '../core/kvcache/budget';
import { formatBinaryBytes, markdownTable } from '../core/kvcache/format';
import { shapeFromHfConfig } from '../core/kvcache/hfConfig';
import { KV_INPUT_LIMITS, customModelText, parseCount, parseCustomModel, type KvFieldError } from '../core/kvcache/inputs';
import { modelPresets, type ModelPreset } from '../core/kvcache/presets';
import { kvCacheReport, type KvCacheReport } from '../core/kvcache/report';
import { KvCacheError, type AttentionShape } from '../core/kvcache/shape';
import type { KvCacheInputs, KvCacheRequest, KvCacheSnapshot, KvInputField, KvVariant } from '../shared/protocol';
import { parseKvCacheInputs } from '../shared/protocol';
import { Panel, type PanelDefinition, type Services } from './panel';

const DEFAULT_PRESET = 'llama-3.1-8b';
// config.json files are a few KiB; anything far larger is not one.
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const CHART_POINTS = 160;

/** An opened config.json: where it is, and its shape or why it could not be read. */
interface OpenedConfig {
  uri: vscode.Uri;
  label: string;
  shape?: AttentionShape;
  error?: string;
  /** The parameter count of a preset whose published config this file matches, if any. */
  matchedParameters?: number;
  /** max_position_embeddings (n_positions for GPT-2), when the file gives one. */
  contextLength?: number;
}

/** The trained context a config.json states, if it states one as a positive integer. */
function configContextLength(config: Record<string, unknown>): number | undefined {
  const value = config.max_position_embeddings ?? config.n_positions;
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** The model and numbers of the last inputs that were all valid (shown while a field is being fixed). */
interface Computed {
  model: KvCacheSnapshot['model'];
  used: KvCacheSnapshot['used'];
  report: KvCacheReport;
}

/** The default inputs: Llama-3.1-8B, 32K tokens, batch 1, bf16 cache and weights, a 24 GiB GPU. */
export function defaultKvCacheInputs(): KvCacheInputs {
  const preset = modelPresets().find((p) => p.id === DEFAULT_PRESET) as ModelPreset;
  return {
    source: 'preset',
    presetId: preset.id,
    custom: customModelText(preset.shape, preset.parameters),
    configParameters: '',
    seqLen: '32768',
    batch: '1',
    kvDtype: 'bf16',
    weightsDtype: 'bf16',
    gqaKvHeads: null,
    gpuId: 'gpu24',
  };
}

/** Localized text of a field error from the core. */
function fieldMessage(error: KvFieldError): string {
  const n = (v: number) => v.toLocaleString(vscode.env.language);
  switch (error.code) {
    case 'empty':
      return vscode.l10n.t('Enter a number.');
    case 'integer':
      return vscode.l10n.t('Enter a whole number of at least {0}.', n(error.min));
    case 'tooLarge':
      return vscode.l10n.t('Enter at most {0}.', n(error.max));
    case 'divides':
      return vscode.l10n.t('Must divide the {0} query heads evenly: {1}.', n(error.queryHeads), error.choices.join(', '));
    case 'overflow':
      return vscode.l10n.t('Too large: the result would pass 2^53 bytes, beyond exact arithmetic.');
    case 'layerList':
      return vscode.l10n.t('List layer indices from 0 to {0}, such as 0, 2, 20-27.', n(error.layers - 1));
  }
}

/** True when every field of `preset.config` has the same value in `config` (an unmodified published config). */
function matchesPreset(config: Record<string, unknown>, preset: ModelPreset): boolean {
  return Object.entries(preset.config).every(([key, value]) => (value === null ? config[key] === null || config[key] === undefined : config[key] === value));
}

/** Reads a config.json read-only: the open editor's text if it is open (unsaved edits included), else the file. */
export async function readConfig(uri: vscode.Uri): Promise<OpenedConfig> {
  const label = `${basename(dirname(uri.fsPath)) || '.'}/${basename(uri.fsPath)}`;
  try {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    let text: string;
    if (open) text = open.getText();
    else {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_CONFIG_BYTES) return { uri, label, error: vscode.l10n.t('{0} is {1}: too large to be a config.json.', label, formatBinaryBytes(stat.size)) };
      text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
    }
    if (text.length > MAX_CONFIG_BYTES) return { uri, label, error: vscode.l10n.t('{0} is too large to be a config.json.', label) };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { uri, label, error: vscode.l10n.t('{0} is not valid JSON: {1}', label, error instanceof Error ? error.message : String(error)) };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return { uri, label, error: vscode.l10n.t('{0} must hold a JSON object.', label) };
    }
    const config = json as Record<string, unknown>;
    const shape = shapeFromHfConfig(config);
    const match = modelPresets().find((p) => matchesPreset(config, p));
    return { uri, label, shape, matchedParameters: match?.parameters, contextLength: configContextLength(config) };
  } catch (error) {
    // KvCacheError messages name the config.json field at fault.
    const detail = error instanceof KvCacheError || error instanceof Error ? error.message : String(error);
    return { uri, label, error: vscode.l10n.t('Cannot read {0}: {1}', label, detail) };
  }
}

/** The KV-cache memory panel: presets, custom shapes or an opened config.json, under every attention variant. */
export class KvCachePanel extends Panel<'kvcache'> {
  private inputs: KvCacheInputs;
  private config: OpenedConfig | undefined;
  private last: Computed;
  private readonly presets = modelPresets();

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services, restore: unknown) {
    super('kvcache', webviewPanel, services);
    const defaults = defaultKvCacheInputs();
    // Always have a valid computation to fall back on, so the chart is never empty.
    this.inputs = defaults;
    this.last = this.compute().computed as Computed;
    const restored = asRestore(restore);
    if (restored) {
      this.inputs = restored.inputs;
      const configUri = restored.configUri ? parseUri(restored.configUri) : undefined;
      if (configUri) {
        void this.openConfig(configUri, false);
        return;
      }
    }
    this.refresh();
  }

  /** How KV-cache panels are made and restored. */
  static readonly definition: PanelDefinition<'kvcache'> = {
    kind: 'kvcache',
    title: () => vscode.l10n.t('KV Cache Memory'),
    create: (webviewPanel, services, restore) => new KvCachePanel(webviewPanel, services, restore),
  };

  /** Reads `uri` (a config.json) and shows its model. */
  async openConfig(uri: vscode.Uri, switchSource = true): Promise<void> {
    this.config = await readConfig(uri);
    if (switchSource) {
      this.inputs = {
        ...this.inputs,
        source: 'config',
        gqaKvHeads: null,
        configParameters: this.config.matchedParameters ? String(this.config.matchedParameters) : '',
      };
    }
    this.refresh();
  }

  /** The inputs currently set (for tests and the serializer). */
  get currentInputs(): KvCacheInputs {
    return this.inputs;
  }

  protected async handleRequest(request: KvCacheRequest): Promise<void> {
    switch (request.type) {
      case 'setInputs': {
        const previous = this.inputs;
        const changedModel = request.inputs.source !== previous.source || request.inputs.presetId !== previous.presetId;
        this.inputs = request.inputs;
        if (changedModel) {
          // A new model has other valid GQA group counts; the custom form starts from the model shown.
          this.inputs = { ...this.inputs, gqaKvHeads: null };
          if (request.inputs.source === 'custom') {
            this.inputs.custom = customModelText(this.last.model.shape as AttentionShape, this.last.model.parameters);
          }
        }
        this.refresh();
        break;
      }
      case 'pickConfig': {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          openLabel: vscode.l10n.t('Use this config.json'),
          filters: { JSON: ['json'] },
        });
        if (picked?.[0]) await this.openConfig(picked[0]);
        break;
      }
      case 'copyMarkdown':
        await vscode.env.clipboard.writeText(this.markdown());
        vscode.window.setStatusBarMessage(vscode.l10n.t('LLM Lens: copied the KV-cache comparison as a Markdown table.'), 4000);
        break;
    }
  }

  /** Recomputes from the inputs and posts the complete snapshot. */
  private refresh(): void {
    const { computed, errors } = this.compute();
    if (computed) this.last = computed;
    const snapshot: KvCacheSnapshot = {
      inputs: this.inputs,
      presets: this.presets.map((p) => ({ id: p.id, label: p.label })),
      dtypes: elementTypes(),
      gpus: gpuSizes(),
      config: this.config ? { label: this.config.label, uri: this.config.uri.toString(), error: this.config.error, shape: this.config.shape } : null,
      fieldErrors: errors,
      model: this.last.model,
      used: this.last.used,
      weightsBytes: this.last.report.weightsBytes,
      gqaChoices: this.last.report.gqaChoices,
      chartTokens: this.last.report.chartTokens,
      variants: this.last.report.variants as KvVariant[],
    };
    this.setSnapshot(snapshot);
  }

  /** Validates every field; computes the report when all are good. */
  private compute(): { computed?: Computed; errors: Partial<Record<KvInputField, string>> } {
    const errors: Partial<Record<KvInputField, string>> = {};
    const inputs = this.inputs;
    let model: KvCacheSnapshot['model'] | undefined;
    if (inputs.source === 'preset') {
      const preset = this.presets.find((p) => p.id === inputs.presetId) ?? (this.presets.find((p) => p.id === DEFAULT_PRESET) as ModelPreset);
      model = { label: preset.label, source: preset.source, parameters: preset.parameters, contextLength: preset.contextLength, shape: preset.shape };
    } else if (inputs.source === 'custom') {
      const custom = parseCustomModel(inputs.custom);
      for (const [field, error] of Object.entries(custom.errors)) errors[field as KvInputField] = fieldMessage(error as KvFieldError);
      if (custom.shape) model = { label: vscode.l10n.t('Custom model'), source: '', parameters: custom.parameters, contextLength: null, shape: custom.shape };
    } else if (this.config?.shape) {
      const typed = inputs.configParameters.trim() === '' ? 0 : parseCount(inputs.configParameters, 1, KV_INPUT_LIMITS.parameters);
      if (typeof typed === 'number') {
        model = { label: this.config.label, source: this.config.uri.fsPath, parameters: typed, contextLength: this.config.contextLength ?? null, shape: this.config.shape };
      } else errors.configParameters = fieldMessage(typed);
    } else {
      errors.config = this.config?.error ?? vscode.l10n.t('No config.json opened yet.');
    }
    const seqLen = parseCount(inputs.seqLen, 1, KV_INPUT_LIMITS.seqLen);
    if (typeof seqLen !== 'number') errors.seqLen = fieldMessage(seqLen);
    const batch = parseCount(inputs.batch, 1, KV_INPUT_LIMITS.batch);
    if (typeof batch !== 'number') errors.batch = fieldMessage(batch);
    const types = elementTypes();
    const kvType = types.find((t) => t.id === inputs.kvDtype) ?? types[1];
    const weightsType = types.find((t) => t.id === inputs.weightsDtype) ?? types[1];
    const gpus = gpuSizes();
    if (!model || typeof seqLen !== 'number' || typeof batch !== 'number') return { errors };

    const gqaKvHeads = inputs.gqaKvHeads !== null && model.shape.queryHeads % inputs.gqaKvHeads === 0 && inputs.gqaKvHeads > 1 && inputs.gqaKvHeads < model.shape.queryHeads ? inputs.gqaKvHeads : undefined;
    // The chart runs to 1M tokens, or further when the context asked for is longer.
    let chartMaxTokens = 1 << 20;
    while (chartMaxTokens < seqLen && chartMaxTokens < KV_INPUT_LIMITS.seqLen) chartMaxTokens *= 2;
    try {
      const report = kvCacheReport({
        shape: model.shape,
        parameters: model.parameters,
        seqLen,
        batch,
        kvBytesPerElement: kvType.bytesPerElement,
        weightsBytesPerElement: weightsType.bytesPerElement,
        gqaKvHeads,
        budgets: gpus.map((g) => g.bytes),
        chartMaxTokens,
        chartPoints: CHART_POINTS,
      });
      return {
        errors,
        computed: {
          model,
          used: { seqLen, batch, kvDtype: kvType.id, weightsDtype: weightsType.id, gqaKvHeads: gqaKvHeads ?? null },
          report,
        },
      };
    } catch (error) {
      if (error instanceof KvCacheError && error.field === 'result') {
        // Context × batch is what overflows: say so on both fields when the batch takes part.
        errors.seqLen = fieldMessage({ code: 'overflow' });
        if (batch > 1) errors.batch = errors.seqLen;
        return { errors };
      }
      throw error;
    }
  }

  /** The comparison as a Markdown table, with a line saying what it is for. */
  markdown(): string {
    const { model, used, report } = this.last;
    const locale = vscode.env.language;
    const n = (v: number) => v.toLocaleString(locale);
    const gpus = gpuSizes();
    const gpuIndex = Math.max(0, gpus.findIndex((g) => g.id === this.inputs.gpuId));
    const gpu = gpus[gpuIndex];
    const typeLabel = (id: string) => elementTypes().find((t) => t.id === id)?.label ?? id;
    const caption = vscode.l10n.t(
      '{0}: {1} tokens × batch {2}, KV cache {3}, weights {4} ({5}).',
      model.label,
      n(used.seqLen),
      n(used.batch),
      typeLabel(used.kvDtype),
      typeLabel(used.weightsDtype),
      formatBinaryBytes(report.weightsBytes),
    );
    const headers = [
      vscode.l10n.t('Variant'),
      vscode.l10n.t('KV heads'),
      vscode.l10n.t('KV per token'),
      vscode.l10n.t('KV cache'),
      vscode.l10n.t('KV cache + weights'),
      vscode.l10n.t('Longest context on {0}', gpu.label),
    ];
    const rows = report.variants.map((v) => {
      const fit = v.fits[gpuIndex];
      const fits =
        fit.kind === 'bounded' ? vscode.l10n.t('{0} tokens', n(fit.maxTokens)) : fit.kind === 'unbounded' ? vscode.l10n.t('any length (the window caps the cache)') : vscode.l10n.t('weights alone do not fit');
      const heads = v.kind === 'MLA' ? vscode.l10n.t('latent {0} + RoPE {1}', n(v.shape.mla?.kvLoraRank ?? 0), n(v.shape.mla?.ropeHeadDim ?? 0)) : n(v.shape.kvHeads);
      return [
        v.isModel ? `**${v.kind}** (${vscode.l10n.t('this model')})` : v.kind,
        heads,
        `${formatBinaryBytes(v.bytesPerToken)} (${n(v.bytesPerToken)} B)`,
        `${formatBinaryBytes(v.kvBytes)} (${n(v.kvBytes)} B)`,
        `${formatBinaryBytes(v.totalBytes)} (${n(v.totalBytes)} B)`,
        fits,
      ];
    });
    return `${caption}\n\n${markdownTable(headers, rows, [false, true, true, true, true, true])}\n`;
  }
}

/** A URI from saved state, or undefined when it does not parse. */
function parseUri(text: string): vscode.Uri | undefined {
  try {
    return vscode.Uri.parse(text, true);
  } catch {
    return undefined;
  }
}

/** What the webview saves for a window reload: the inputs, and the opened config's URI. */
function asRestore(restore: unknown): { inputs: KvCacheInputs; configUri?: string } | undefined {
  if (typeof restore !== 'object' || restore === null) return undefined;
  const record = restore as Record<string, unknown>;
  const inputs = parseKvCacheInputs(record.inputs);
  if (!inputs) return undefined;
  const configUri = typeof record.configUri === 'string' && record.configUri.length < 4096 && /config\.json$/i.test(record.configUri) ? record.configUri : undefined;
  return { inputs, configUri };
}
