import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodeJobOutput, DecodeProgress } from '../compute/decodeJob';
import { currentModelSource, type ModelSource } from '../commands/chooseModel';
import { defaultDecodingSettings, parseDecodingSettings, type DecodingRequest, type DecodingResult, type DecodingSettings, type DecodingSnapshot } from '../shared/decodingProtocol';
import { formatBinaryBytes } from '../core/kvcache/format';
import { applyChatTemplate, chatTemplateFromConfig, type ChatTemplateConfig } from '../core/chat/template';
import { AttentionPanel } from './attentionPanel';
import { maxInputChars } from '../shared/limits';
import { Panel, type PanelDefinition, type Services } from './panel';
import { modelFailureMessage } from './modelFailure';

/** Longest prompt (characters) the panel takes: far above any model's context, small enough for webview state. */
export const maxPromptLength = 100_000;

/** What the webview saves so the host can generate again after a window reload. */
function restoreOf(restore: unknown): { text: string; settings: DecodingSettings; chat: boolean } | undefined {
  const r = restore as { text?: unknown; settings?: unknown; chat?: unknown } | undefined;
  const settings = parseDecodingSettings(r?.settings);
  return typeof r?.text === 'string' && r.text.trim().length > 0 && r.text.length <= maxPromptLength && settings ? { text: r.text, settings, chat: r.chat === true } : undefined;
}

/**
 * The chat template of a model folder: tokenizer_config.json's chat_template beside its tokenizer.json (where
 * transformers' AutoTokenizer reads it). Undefined when there is none or the file is unreadable.
 */
export function chatTemplateOfModel(dir: string): ChatTemplateConfig | undefined {
  const file = join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) return undefined;
  try {
    return chatTemplateFromConfig(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  } catch {
    return undefined;
  }
}

/**
 * The Decoding panel (issue 17): the selection is the prompt; the current model continues it in a compute
 * worker with the KV cache, under the chosen strategy and processors. The webview steps through the result.
 */
export class DecodingPanel extends Panel<'decoding'> {
  private prompt = '';
  private settings: DecodingSettings = { ...defaultDecodingSettings };
  /** The comparison column's settings, when comparing. */
  private compareSettings: DecodingSettings | undefined;
  private compareResult: DecodingResult | undefined;
  private source: ModelSource | undefined;
  private output: Extract<DecodeJobOutput, { kind: 'done' }> | undefined;
  private origin: vscode.Uri | undefined;
  /** The user asked to wrap the selection in the model's chat template. */
  private chat = false;
  /** The prompt the last run's model read (the template's rendering when the toggle was on). */
  private rendered: string | undefined;
  /** Counts generations: a run superseded by a newer one (which cancelled it) is not shown. */
  private generation = 0;

  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('decoding', webviewPanel, services);
  }

  /** How Decoding panels are made and restored (a restored panel generates its saved prompt again). */
  static readonly definition: PanelDefinition<'decoding'> = {
    kind: 'decoding',
    title: () => vscode.l10n.t('LLM Lens: Decoding'),
    create: (webviewPanel, services, restore) => {
      const panel = new DecodingPanel(webviewPanel, services);
      const saved = restoreOf(restore);
      if (saved) {
        panel.settings = saved.settings;
        panel.chat = saved.chat;
        void panel.start(saved.text);
      }
      return panel;
    },
  };

  /** Generates from `prompt` with the current settings; `origin` is the document to insert into. */
  async start(prompt: string, origin?: vscode.Uri): Promise<void> {
    this.prompt = prompt;
    if (origin) this.origin = origin;
    await this.generate();
  }

  /** The latest generation (integration tests read it). */
  get lastOutput(): Extract<DecodeJobOutput, { kind: 'done' }> | undefined {
    return this.output;
  }

  private async generate(): Promise<void> {
    const source = currentModelSource(this.context);
    const generation = ++this.generation;
    const settings = this.settings;
    // Same prompt, seed and length: only the decoding settings differ between the two columns.
    const compare = this.compareSettings && { ...this.compareSettings, seed: settings.seed, maxNewTokens: settings.maxNewTokens };
    const template = chatTemplateOfModel(source.dir);
    let text = this.prompt;
    const chatOn = this.chat && template !== undefined;
    if (chatOn) {
      try {
        text = applyChatTemplate(template.template, [{ role: 'user', content: this.prompt }], { addGenerationPrompt: true, bosToken: template.bosToken, eosToken: template.eosToken });
      } catch (error) {
        this.showError(vscode.l10n.t('The chat template of {0} failed: {1}', source.label, error instanceof Error ? error.message : String(error)));
        return;
      }
    }
    const maxPromptTokens = Math.max(2, Math.min(1024, Math.floor(vscode.workspace.getConfiguration('llmLens').get<number>('attention.maxTokens', 256))));
    let output: DecodeJobOutput | undefined;
    let compareOutput: DecodeJobOutput | undefined;
    await this.runJob(vscode.l10n.t('Generating with {0}…', source.label), async (token, report) => {
      // Cooperative cancel: the job checks its signal between steps and returns what it made so far (ending the
      // model process would lose those tokens and the loaded model).
      try {
        const run = (runSettings: DecodingSettings, half: number): Promise<DecodeJobOutput> => this.services.pool.run('decode', {
          // The rendering carries its own special tokens: transformers' apply_chat_template tokenizes it with
          // add_special_tokens=False (src/transformers/tokenization_utils_base.py).
          dir: source.dir, text, addSpecialTokens: !chatOn, settings: runSettings, maxPromptTokens,
        }, {
          affinity: 'decoding',
          cancel: token,
          returnOnCancel: true,
          onProgress: (fraction, message) => report(compare ? (half + fraction) / 2 : fraction, progressLine(message)),
        });
        output = await run(settings, 0);
        // The second column runs in the same process after the first (the model stays loaded there).
        if (compare && output.kind === 'done' && !token.isCancellationRequested) compareOutput = await run(compare, 1);
        return output;
      } catch (error) {
        // The model process died, or the memory budget refused the run: say what happened and what to change.
        const modelFailure = modelFailureMessage(error, source.label);
        if (modelFailure) throw new Error(modelFailure);
        const reason = error instanceof Error ? error.message : String(error);
        if (source.source === 'embedded' && !existsSync(join(source.dir, 'model.safetensors'))) {
          throw new Error(vscode.l10n.t('The embedded model is not available in this build. Choose another model with "LLM Lens: Choose Model".'));
        }
        throw new Error(vscode.l10n.t('Could not run {0}: {1}', source.label, reason));
      }
    });
    // runJob drops a cancelled job's value; a cancelled generation still carries the tokens made so far.
    const out = output as DecodeJobOutput | undefined;
    if (!out || generation !== this.generation) return;
    this.source = source;
    if (out.kind === 'refused') {
      this.showError(refusal(out, source.label));
      return;
    }
    this.output = out;
    this.rendered = chatOn ? text : undefined;
    const second = compareOutput as DecodeJobOutput | undefined;
    this.compareResult = compare && second?.kind === 'done' ? second.result : undefined;
    this.publish();
  }

  private publish(): void {
    const out = this.output;
    const source = this.source;
    if (!out || !source) return;
    const notices: string[] = [];
    if (out.model.eos.length === 0) notices.push(vscode.l10n.t('This model declares no end-of-sequence token: generation always runs to the maximum number of new tokens.'));
    if (out.cappedNewTokens !== undefined) notices.push(vscode.l10n.t('The model\'s context is {0} tokens and the prompt has {1}: at most {2} new tokens fit.', out.model.contextLength, out.promptTokens, out.cappedNewTokens));
    const snapshot: DecodingSnapshot = {
      model: { label: source.label, source: source.source, ...out.model },
      prompt: this.prompt,
      promptTokens: out.promptTokens,
      settings: this.settings,
      notices,
      result: out.result,
      compare: this.compareResult ? { settings: this.compareResult.settings, result: this.compareResult } : undefined,
      canInsert: this.origin !== undefined,
      chat: this.chatState(source),
    };
    this.setSnapshot(snapshot);
  }

  /** The toggle as drawn: available only with a template, and why not otherwise. */
  private chatState(source: ModelSource): DecodingSnapshot['chat'] {
    if (chatTemplateOfModel(source.dir)) return { available: true, on: this.rendered !== undefined, rendered: this.rendered };
    const reason = source.source === 'embedded'
      ? vscode.l10n.t('The embedded model is a base model with no chat template: the selection is continued as plain text.')
      : vscode.l10n.t('{0} has no chat template (no chat_template in a tokenizer_config.json beside its tokenizer.json): the selection is continued as plain text.', source.label);
    return { available: false, on: false, reason };
  }

  /** Opens the Attention panel on what the model read (the prompt, or its chat rendering) plus the generated text. */
  private async openAttention(): Promise<void> {
    const out = this.output;
    if (!out) return;
    const text = (this.rendered ?? this.prompt) + out.result.text;
    const panel = this.services.panels.show(AttentionPanel.definition);
    if (panel instanceof AttentionPanel) {
      await panel.analyze(text.slice(0, maxInputChars), { scope: 'selection', label: vscode.l10n.t('prompt + generated text'), totalChars: text.length, readChars: Math.min(text.length, maxInputChars) });
    }
  }

  protected async handleRequest(request: DecodingRequest): Promise<void> {
    switch (request.type) {
      case 'generate':
        this.settings = request.settings;
        this.chat = request.chat;
        this.compareSettings = request.compare;
        if (this.prompt) await this.generate();
        break;
      case 'copy': {
        const text = this.output?.result.text;
        if (text === undefined) return;
        await vscode.env.clipboard.writeText(text);
        void vscode.window.showInformationMessage(vscode.l10n.t('Copied the generated text.'));
        break;
      }
      case 'insert':
        await this.insert();
        break;
      case 'openAttention':
        await this.openAttention();
        break;
      case 'chooseModel':
      {
        const before = currentModelSource(this.context).dir;
        await vscode.commands.executeCommand('llmLens.chooseModel');
        if (currentModelSource(this.context).dir !== before && this.prompt) await this.generate();
      }
        break;
    }
  }

  /** Inserts the generated text at the cursor of the prompt's editor: an edit the user asked for, undoable. */
  private async insert(): Promise<void> {
    const text = this.output?.result.text;
    const uri = this.origin;
    if (text === undefined || !uri) return;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())
      ?? (await vscode.window.showTextDocument(uri, { preserveFocus: false }));
    const at = editor.selection.active;
    const done = await editor.edit((edit) => edit.insert(at, text));
    if (!done) void vscode.window.showWarningMessage(vscode.l10n.t('The editor did not accept the insertion (is it read-only?).'));
  }
}

/** The worker's progress detail as a localized line: tokens made and the cache's bytes now. */
function progressLine(message: string | undefined): string | undefined {
  if (!message?.startsWith('{')) return message;
  try {
    const p = JSON.parse(message) as DecodeProgress;
    return vscode.l10n.t('Token {0} of {1} · KV cache {2}', p.step, p.total, formatBinaryBytes(p.cacheBytes));
  } catch {
    return undefined;
  }
}

/** Why the worker refused, in the user's words. */
function refusal(out: Extract<DecodeJobOutput, { kind: 'refused' }>, label: string): string {
  switch (out.reason) {
    case 'noTokenizer':
      return vscode.l10n.t('{0} has no tokenizer.json, so the selection cannot be turned into its token ids. Choose a model with a tokenizer.', label);
    case 'emptyPrompt':
      return vscode.l10n.t('The selection gives no tokens: select the text the model should continue.');
    case 'tokenCap':
      return vscode.l10n.t('The prompt has {0} tokens; the cap is {1} (setting llmLens.attention.maxTokens). Select less text.', out.tokens, out.limit);
    case 'promptTooLong':
      return vscode.l10n.t('The prompt has {0} tokens but {1} reads at most {2}: no room is left for new tokens. Select less text.', out.tokens, label, out.limit);
  }
}
