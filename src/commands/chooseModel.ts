import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { findCachedModels, hfCacheRoot } from '../core/model/discovery';
import { embeddedModelDir } from '../core/paths';
import type { AttentionModelInfo } from '../shared/protocol';

/** Where the Attention panel's model comes from. */
export interface ModelSource {
  source: AttentionModelInfo['source'];
  dir: string;
  label: string;
}

const stateKey = 'llmLens.attention.model';

/** The model chosen with "Choose Model", else the llmLens.modelPath setting, else the embedded model. */
export function currentModelSource(context: vscode.ExtensionContext): ModelSource {
  const stored = context.globalState.get<unknown>(stateKey);
  // Stored state could be from an older version or edited by hand: use it only if well-formed.
  if (typeof stored === 'object' && stored !== null) {
    const s = stored as Record<string, unknown>;
    if ((s.source === 'cache' || s.source === 'folder') && typeof s.dir === 'string' && typeof s.label === 'string') {
      return { source: s.source, dir: s.dir, label: s.label };
    }
    if (s.source === 'embedded') return embeddedSource();
  }
  const setting = vscode.workspace.getConfiguration('llmLens').get<string>('modelPath', '').trim();
  if (setting) return { source: 'setting', dir: setting, label: basename(setting) || setting };
  return embeddedSource();
}

function embeddedSource(): ModelSource {
  return { source: 'embedded', dir: embeddedModelDir(), label: vscode.l10n.t('LLM Lens embedded model') };
}

interface ModelPick extends vscode.QuickPickItem {
  choice?: ModelSource | 'browse';
}

/**
 * "LLM Lens: Choose Model": the embedded model, the llmLens.modelPath folder, supported models in the
 * local Hugging Face cache, or a folder picked with Browse…. Returns the choice (undefined if dismissed).
 */
export async function chooseModel(context: vscode.ExtensionContext): Promise<ModelSource | undefined> {
  const current = currentModelSource(context);
  const items: ModelPick[] = [];
  const embedded = embeddedSource();
  items.push({
    label: embedded.label,
    description: vscode.l10n.t('ships with LLM Lens'),
    detail: existsSync(join(embedded.dir, 'model.safetensors')) ? undefined : vscode.l10n.t('Not available in this build'),
    choice: embedded,
  });
  const setting = vscode.workspace.getConfiguration('llmLens').get<string>('modelPath', '').trim();
  if (setting) items.push({ label: basename(setting) || setting, description: vscode.l10n.t('from the llmLens.modelPath setting'), detail: setting, choice: { source: 'setting', dir: setting, label: basename(setting) || setting } });
  const root = hfCacheRoot(process.env, homedir());
  const cached = findCachedModels(root);
  const supported = cached.filter((m) => m.supported);
  if (supported.length > 0) items.push({ label: vscode.l10n.t('Hugging Face cache'), kind: vscode.QuickPickItemKind.Separator });
  for (const m of supported) items.push({ label: m.id, description: m.summary, detail: m.dir, choice: { source: 'cache', dir: m.dir, label: m.id } });
  const unsupported = cached.length - supported.length;
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({
    label: vscode.l10n.t('Browse for a model folder…'),
    description: unsupported > 0 ? vscode.l10n.t('{0} other cached models are not supported (Llama family and GPT-2 are)', unsupported) : undefined,
    choice: 'browse',
  });
  for (const item of items) if (item.choice && item.choice !== 'browse' && item.choice.dir === current.dir) item.picked = true;
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('LLM Lens: Choose Model'),
    placeHolder: vscode.l10n.t('Current: {0}', current.label),
    matchOnDescription: true,
  });
  if (!picked?.choice) return undefined;
  let choice: ModelSource;
  if (picked.choice === 'browse') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Use This Model') });
    if (!folder?.[0]) return undefined;
    choice = { source: 'folder', dir: folder[0].fsPath, label: basename(folder[0].fsPath) };
  } else choice = picked.choice;
  // Remember the choice (extension state, not the user's settings file).
  await context.globalState.update(stateKey, choice.source === 'setting' ? undefined : choice);
  return choice;
}
