import * as vscode from 'vscode';
import { basename, dirname } from 'node:path';
// Direct module imports, not the core index: the extension bundle must not pull in the whole core.
import { elementTypes, gpuSizes } from '../core/kvcache/budget';
import { formatBinaryBytes, markdownTable } from '../core/kvcache/format';
import { shapeFromHfConfig } from '../core/kvcache/hfConfig';
import { KV_INPUT_LIMITS, customModelText, parseCount, parseCustomModel, type KvFieldError } from '../core/kvcache/inputs';
import { countParameters } from '../core/kvcache/parameters';
import { modelPresets, type ModelPreset } from '../core/kvcache/presets';
import { kvCacheReport, type KvCacheReport } from '../core/kvcache/report';
import { gpuSpecs, speedTable, type GpuSpec } from '../core/kvcache/roofline';
import { KvCacheError, type AttentionShape } from '../core/kvcache/shape';
import type { KvCacheInputs, KvCacheRequest, KvCacheSnapshot, KvInputField, KvSpeedRow, KvVariant } from '../shared/protocol';
import { parseKvCacheInputs } from '../shared/protocol';
import { defaultServingFields, servingResult } from './kvServing';
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
  /** countParameters of the file, when its family and fields allow it. */
  counts?: { total: number; active: number };
  /** Why the parameters could not be counted (localized), when they could not. */
  countError?: string;
  /** The file wraps a multimodal model: the numbers are its language model's (text_config). */
  languageModelOnly?: boolean;
  /** max_position_embeddings (n_positions for GPT-2), when the file gives one. */
  contextLength?: number;
}

/** The trained context a config.json states, if it states one as a positive integer (text_config for wrappers). */
function configContextLength(config: Record<string, unknown>): number | undefined {
  const value = config.max_position_embeddings ?? config.n_positions;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const text = config.text_config;
  return typeof text === 'object' && text !== null && !Array.isArray(text) ? configContextLength(text as Record<string, unknown>) : undefined;
}

/** The model and numbers of the last inputs that were all valid (shown while a field is being fixed). */
interface Computed {
  /** Which model the numbers belong to (source and preset id or file), so they never appear under another. */
  modelKey: string;
  model: KvCacheSnapshot['model'];
  used: KvCacheSnapshot['used'];
  report: KvCacheReport;
}

// Saves and outside edits of the followed config.json arrive as bursts of events; read the file once per burst.
const RELOAD_DELAY_MS = 150;

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
    serving: defaultServingFields(),
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
    case 'decimal':
      return vscode.l10n.t('Enter a number greater than 0, such as 80 or 1.5.');
  }
}

/** Reads a config.json read-only: the open editor's text while it has unsaved edits, else the file on disk. */
export async function readConfig(uri: vscode.Uri): Promise<OpenedConfig> {
  const label = `${basename(dirname(uri.fsPath)) || '.'}/${basename(uri.fsPath)}`;
  try {
    // A clean editor's text can lag behind the file right after an outside change: read the disk then.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && d.isDirty);
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
    const opened: OpenedConfig = { uri, label, shape, contextLength: configContextLength(config) };
    opened.languageModelOnly = config.num_hidden_layers === undefined && config.n_layer === undefined && typeof config.text_config === 'object' && config.text_config !== null;
    try {
      opened.counts = countParameters(config);
    } catch (error) {
      opened.countError = error instanceof Error ? error.message : String(error);
    }
    return opened;
  } catch (error) {
    // Followed files can be deleted or moved while the panel shows them.
    if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') {
      return { uri, label, error: vscode.l10n.t('{0} is gone (deleted or moved): open another config.json, or put it back.', label) };
    }
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
  /** The parameter count last filled in from the config file (a count the user typed is left alone). */
  private filledParameters = '';
  /** Watches the opened config.json so a saved fix (or any outside change) shows at once. */
  private follow: vscode.Disposable | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every read of the config: a slow, older read never overwrites a newer one. */
  private readGeneration = 0;
  /** The seq of the last inputs the webview sent and this panel applied. */
  private inputsSeq = 0;

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services, restore: unknown) {
    super('kvcache', webviewPanel, services);
    const defaults = defaultKvCacheInputs();
    // Always have a valid computation to fall back on, so the chart is never empty.
    this.inputs = defaults;
    this.last = this.compute().computed as Computed;
    this.track({ dispose: () => this.stopFollowing() });
    const restored = asRestore(restore);
    if (restored) {
      this.inputs = restored.inputs;
      const configUri = restored.configUri ? parseUri(restored.configUri) : undefined;
      if (configUri) {
        this.filledParameters = restored.inputs.configParameters;
        void this.openConfig(configUri, false);
        return;
      }
    }
    this.refresh();
  }

  /** How KV-cache panels are made and restored. */
  static readonly definition: PanelDefinition<'kvcache'> = {
    kind: 'kvcache',
    title: () => vscode.l10n.t('LLM Lens: KV Cache Memory'),
    create: (webviewPanel, services, restore) => new KvCachePanel(webviewPanel, services, restore),
  };

  /** Reads `uri` (a config.json), shows its model, and follows the file from then on (read-only). */
  async openConfig(uri: vscode.Uri, switchSource = true): Promise<void> {
    if (this.config?.uri.toString() !== uri.toString()) {
      this.startFollowing(uri);
      // A different file: its own count replaces whatever the previous file had.
      if (switchSource) this.filledParameters = this.inputs.configParameters;
    }
    await this.load(uri);
    if (switchSource) this.inputs = { ...this.inputs, source: 'config', gqaKvHeads: null };
    this.refresh();
  }

  /** Reads the config and fills its parameter count in, unless the user typed another one. */
  private async load(uri: vscode.Uri): Promise<void> {
    const generation = ++this.readGeneration;
    const config = await readConfig(uri);
    if (generation !== this.readGeneration) return;
    this.config = config;
    const userTyped = this.inputs.configParameters.trim() !== '' && this.inputs.configParameters !== this.filledParameters;
    if (!userTyped) {
      // Grouped the way the form reads numbers back ("7,615,616,512"), so a count is easy to check.
      const filled = config.counts ? config.counts.total.toLocaleString('en-US') : '';
      this.inputs = { ...this.inputs, configParameters: filled };
      this.filledParameters = filled;
    }
  }

  private startFollowing(uri: vscode.Uri): void {
    this.stopFollowing();
    const reload = () => {
      if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = undefined;
        void this.load(uri).then(() => this.refresh());
      }, RELOAD_DELAY_MS);
    };
    const same = (other: vscode.Uri) => other.toString() === uri.toString();
    // The watcher sees saves from any editor or program; onDidSaveTextDocument covers files a watcher
    // cannot see (outside the workspace on some platforms). Nothing here ever writes the file.
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.path)));
    const subscriptions = [
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(reload),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (same(d.uri)) reload();
      }),
    ];
    this.follow = vscode.Disposable.from(...subscriptions);
  }

  private stopFollowing(): void {
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
    this.follow?.dispose();
    this.follow = undefined;
  }

  /** The inputs currently set (for tests and the serializer). */
  get currentInputs(): KvCacheInputs {
    return this.inputs;
  }

  protected async handleRequest(request: KvCacheRequest): Promise<void> {
    switch (request.type) {
      case 'setInputs': {
        const previous = this.inputs;
        const shownBefore = this.showing();
        const changedModel = request.inputs.source !== previous.source || request.inputs.presetId !== previous.presetId;
        this.inputs = request.inputs;
        if (request.seq !== undefined) this.inputsSeq = request.seq;
        if (changedModel) {
          // A new model has other valid GQA group counts; the custom form starts from the model shown.
          this.inputs = { ...this.inputs, gqaKvHeads: null };
          if (request.inputs.source === 'custom' && shownBefore !== 'none') {
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
        if (this.showing() === 'none') return;
        await vscode.env.clipboard.writeText(this.markdown());
        vscode.window.setStatusBarMessage(vscode.l10n.t('LLM Lens: copied the KV-cache comparison as a Markdown table.'), 4000);
        break;
    }
  }

  /** Which model the inputs select, as a key comparable with Computed.modelKey. */
  private modelKey(): string {
    const inputs = this.inputs;
    if (inputs.source === 'preset') return `preset:${this.presets.some((p) => p.id === inputs.presetId) ? inputs.presetId : DEFAULT_PRESET}`;
    if (inputs.source === 'custom') return 'custom';
    return `config:${this.config?.uri.toString() ?? ''}`;
  }

  /** Whether the numbers on screen are the inputs' own, the same model's last valid ones, or none at all. */
  private showing(errors?: Partial<Record<KvInputField, string>>): KvCacheSnapshot['numbers'] {
    const fieldErrors = errors ?? this.compute().errors;
    // A config.json that does not read is no model at all, even if an earlier version of the file was.
    if (fieldErrors.config !== undefined || this.last.modelKey !== this.modelKey()) return 'none';
    return Object.keys(fieldErrors).length === 0 ? 'current' : 'stale';
  }

  /** Recomputes from the inputs and posts the complete snapshot. */
  private refresh(): void {
    const { computed, errors } = this.compute();
    if (computed) this.last = computed;
    const numbers = this.showing(errors);
    const kvType = elementTypes().find((t) => t.id === this.last.used.kvDtype);
    // The Serving section works on the numbers shown; its own field errors never make those stale.
    const serving = numbers === 'none' || !kvType
      ? undefined
      : servingResult(this.inputs, { shape: this.last.model.shape, seqLen: this.last.used.seqLen, batch: this.last.used.batch, kvBytesPerElement: kvType.bytesPerElement, weightsBytes: this.last.report.weightsBytes }, fieldMessage);
    const snapshot: KvCacheSnapshot = {
      inputs: this.inputs,
      presets: this.presets.map((p) => ({ id: p.id, label: p.label })),
      dtypes: elementTypes(),
      gpus: gpuSizes(),
      config: this.config ? { label: this.config.label, uri: this.config.uri.toString(), error: this.config.error, shape: this.config.shape } : null,
      fieldErrors: { ...errors, ...serving?.errors },
      // Another model's numbers never stand under an error: a model that cannot be read shows none.
      numbers,
      inputsSeq: this.inputsSeq,
      model: this.last.model,
      used: this.last.used,
      weightsBytes: this.last.report.weightsBytes,
      gqaChoices: this.last.report.gqaChoices,
      chartTokens: this.last.report.chartTokens,
      variants: this.last.report.variants as KvVariant[],
      speed: this.speedRows(serving?.customGpu),
      serving: serving?.view ?? null,
    };
    this.setSnapshot(snapshot);
  }

  /** Decode bounds of the model shown, at its context, on each datasheet GPU and the user's own; empty without a parameter count. */
  private speedRows(customGpu: GpuSpec | undefined): KvSpeedRow[] {
    const { model, used } = this.last;
    const own = this.last.report.variants.find((v) => v.isModel);
    const weightsType = elementTypes().find((t) => t.id === used.weightsDtype);
    if (!own || !weightsType || model.activeParameters <= 0) return [];
    // One sequence: the model's own cache at the context (batch 1), from the breakdown's element count.
    const kvBytes = Math.ceil((own.breakdown.elements / own.breakdown.batch) * own.breakdown.bytesPerElement);
    try {
      const gpus = customGpu ? [...gpuSpecs(), customGpu] : gpuSpecs();
      return speedTable(model.shape, model.activeParameters, weightsType.bytesPerElement, used.seqLen, kvBytes, gpus).map((row) => ({
        gpuId: row.gpu.id,
        gpuLabel: row.gpu.label,
        source: row.gpu.source,
        bandwidth: row.gpu.bandwidth,
        flops: row.flops,
        flopsType: row.flopsType,
        weightBytes: row.weightBytes,
        kvBytes: row.kvBytes,
        stateBytes: row.stateBytes,
        bytesPerToken: row.bytesPerToken,
        decodeTokensPerSecond: row.decodeTokensPerSecond,
        computeBoundBatch: row.computeBoundBatch,
      }));
    } catch (error) {
      if (error instanceof KvCacheError) return [];
      throw error;
    }
  }

  /** The parameter note of an opened config: where the count comes from, or why there is none. */
  private configParametersNote(typed: number): string | null {
    const config = this.config;
    if (!config) return null;
    const parts: string[] = [];
    if (config.counts && typed === config.counts.total) parts.push(vscode.l10n.t('counted from the shapes in config.json'));
    else if (typed > 0) parts.push(vscode.l10n.t('the count typed in the form'));
    else if (config.countError) parts.push(vscode.l10n.t('cannot count the parameters: {0}', config.countError));
    if (config.languageModelOnly) parts.push(vscode.l10n.t('the language model of a multimodal config (text_config); its vision encoder is not counted'));
    return parts.length ? parts.join('; ') : null;
  }

  /** Validates every field; computes the report when all are good. */
  private compute(): { computed?: Computed; errors: Partial<Record<KvInputField, string>> } {
    const errors: Partial<Record<KvInputField, string>> = {};
    const inputs = this.inputs;
    let model: KvCacheSnapshot['model'] | undefined;
    if (inputs.source === 'preset') {
      const preset = this.presets.find((p) => p.id === inputs.presetId) ?? (this.presets.find((p) => p.id === DEFAULT_PRESET) as ModelPreset);
      model = {
        label: preset.label,
        source: preset.source,
        parameters: preset.parameters,
        activeParameters: preset.activeParameters,
        parametersNote: null,
        contextLength: preset.contextLength,
        shape: preset.shape,
      };
    } else if (inputs.source === 'custom') {
      const custom = parseCustomModel(inputs.custom);
      for (const [field, error] of Object.entries(custom.errors)) errors[field as KvInputField] = fieldMessage(error as KvFieldError);
      if (custom.shape) {
        model = { label: vscode.l10n.t('Custom model'), source: '', parameters: custom.parameters, activeParameters: custom.parameters, parametersNote: null, contextLength: null, shape: custom.shape };
      }
    } else if (this.config?.shape) {
      const typed = inputs.configParameters.trim() === '' ? 0 : parseCount(inputs.configParameters, 1, KV_INPUT_LIMITS.parameters);
      if (typeof typed === 'number') {
        // The active count belongs to the file's own total; a typed total says nothing about experts.
        const counts = this.config.counts;
        const active = counts && typed === counts.total ? counts.active : typed;
        model = {
          label: this.config.label,
          source: this.config.uri.fsPath,
          parameters: typed,
          activeParameters: active,
          parametersNote: this.configParametersNote(typed),
          contextLength: this.config.contextLength ?? null,
          shape: this.config.shape,
        };
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
          modelKey: this.modelKey(),
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
