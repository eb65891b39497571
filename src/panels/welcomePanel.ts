import * as vscode from 'vscode';
import { CommandId, type WelcomeFeature, type WelcomeRequest } from '../shared/protocol';
import { runWithEditorOrSample } from '../commands/editorOrSample';
import { Panel, type PanelDefinition, type Services } from './panel';

/** The features the Welcome panel offers, each shown only when its command is registered. */
function allFeatures(): WelcomeFeature[] {
  return [
    {
      command: CommandId.tokenizeSelection,
      title: vscode.l10n.t('Tokenization'),
      description: vscode.l10n.t('See how real tokenizers (GPT-4o, Llama 3, Qwen, DeepSeek…) split the selected code, token by token, and how BPE builds the tokens.'),
      action: vscode.l10n.t('Tokenize Selection'),
    },
    {
      command: CommandId.showAttention,
      title: vscode.l10n.t('Attention'),
      description: vscode.l10n.t('Run a real transformer on the selection and see where each head looks, with Q·Kᵀ/√d_k → mask → softmax → ·V laid open.'),
      action: vscode.l10n.t('Show Attention for Selection'),
    },
    {
      command: CommandId.showKvCache,
      title: vscode.l10n.t('KV cache memory'),
      description: vscode.l10n.t('Compare the KV cache of MHA, GQA, MQA and MLA for real models, and find the longest context that fits your GPU.'),
      action: vscode.l10n.t('Show KV Cache Memory'),
    },
    {
      command: CommandId.openGlossary,
      title: vscode.l10n.t('Glossary'),
      description: vscode.l10n.t('Hover terms such as GQA, RoPE or 그룹 쿼리 어텐션 in any file, or browse the glossary in English and Korean.'),
      action: vscode.l10n.t('Open Glossary'),
    },
  ];
}

/** The Welcome panel: what LLM Lens offers, with buttons that run the other commands. */
export class WelcomePanel extends Panel<'welcome'> {
  private constructor(webviewPanel: vscode.WebviewPanel, services: Services) {
    super('welcome', webviewPanel, services);
    void this.refresh();
  }

  /** How Welcome panels are made and restored. */
  static readonly definition: PanelDefinition<'welcome'> = {
    kind: 'welcome',
    title: () => vscode.l10n.t('Welcome to LLM Lens'),
    create: (webviewPanel, services) => new WelcomePanel(webviewPanel, services),
  };

  private async refresh(): Promise<void> {
    const registered = new Set(await vscode.commands.getCommands(true));
    const version = String((this.context.extension.packageJSON as { version?: unknown }).version ?? '');
    this.setSnapshot({ version, features: allFeatures().filter((f) => registered.has(f.command)) });
  }

  protected async handleRequest(request: WelcomeRequest): Promise<void> {
    switch (request.type) {
      case 'runCommand':
        // With no file open (or only this panel focused) the button still shows the feature: see runWithEditorOrSample.
        await runWithEditorOrSample(this.context, request.command);
        break;
    }
  }
}
