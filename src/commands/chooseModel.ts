import * as vscode from 'vscode';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isGgufFile } from '../core/model/formats/gguf';
import { estimateRunActivationBytes, findLocalModels, type LocalModel } from '../core/model/localModels';
import { formatBinaryBytes } from '../core/kvcache/format';
import { embeddedModelDir } from '../core/paths';
import type { AttentionModelInfo } from '../shared/protocol';

/** Where the Attention panel's model comes from. */
export interface ModelSource {
  source: AttentionModelInfo['source'];
  /** A model directory (Hugging Face layout) or a GGUF file. */
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

/** One row of the quick pick as a test can read it. */
export interface ModelPickRow {
  label: string;
  description?: string;
  detail?: string;
}

interface ModelPick extends vscode.QuickPickItem {
  choice?: ModelSource | 'browseFolder' | 'browseFile' | { unsupported: string; name: string };
}

/** The rows of the last Choose Model quick pick (for integration tests, through the extension's API). */
let lastRows: ModelPickRow[] | undefined;

/** The rows the last "Choose Model" showed, or undefined before the first. */
export function lastChooseModelRows(): readonly ModelPickRow[] | undefined {
  return lastRows;
}

function sourceName(source: LocalModel['source']): string {
  switch (source) {
    case 'huggingface': return vscode.l10n.t('Hugging Face cache');
    case 'ollama': return 'Ollama';
    case 'lmstudio': return 'LM Studio';
    case 'folder': return vscode.l10n.t('llmLens.modelRoots folder');
  }
}

/** 1_240_000_000 → "1.24B"; 135_000_000 → "135M"; language-neutral SI abbreviations. */
function shortCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 2).replace(/\.?0+$/, '')}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1).replace(/\.?0+$/, '')}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

/** The quick pick row of a model found on this machine. */
function localModelPick(m: LocalModel, tokens: number): ModelPick {
  const facts = [sourceName(m.source), m.architecture];
  if (m.parameters !== undefined) facts.push(vscode.l10n.t('{0} parameters', shortCount(m.parameters)));
  if (m.quantization) facts.push(m.quantization);
  if (m.fileBytes > 0) facts.push(formatBinaryBytes(m.fileBytes, 1));
  if (!m.supported) {
    return {
      label: `$(circle-slash) ${m.name}`,
      description: facts.join(' · '),
      detail: vscode.l10n.t('Not supported: {0}', m.reason ?? vscode.l10n.t('unknown reason')),
      choice: { unsupported: m.reason ?? '', name: m.name },
    };
  }
  let detail: string | undefined;
  if (m.residentBytes !== undefined && m.dims) {
    const activations = estimateRunActivationBytes(m.dims, tokens);
    detail = vscode.l10n.t(
      'Estimated memory of a run: {0} ({1} of weights + {2} of activations for {3} tokens; an estimate)',
      formatBinaryBytes(m.residentBytes + activations, 1), formatBinaryBytes(m.residentBytes, 1), formatBinaryBytes(activations, 1), tokens,
    );
  }
  return { label: m.name, description: facts.join(' · '), detail: detail ? `${detail} — ${m.path}` : m.path, choice: { source: 'cache', dir: m.path, label: m.name } };
}

/** The extra roots of llmLens.modelRoots (VS Code drops a workspace's value in untrusted folders: a restricted setting). */
function modelRoots(): string[] {
  const roots = vscode.workspace.getConfiguration('llmLens').get<unknown>('modelRoots', []);
  return Array.isArray(roots) ? roots.filter((r): r is string => typeof r === 'string' && r.trim() !== '').map((r) => r.trim()) : [];
}

async function buildItems(current: ModelSource): Promise<ModelPick[]> {
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
  const maxTokens = vscode.workspace.getConfiguration('llmLens').get<number>('attention.maxTokens', 256);
  const tokens = Math.max(2, Math.min(1024, Math.floor(maxTokens)));
  const found = await findLocalModels({ extra: modelRoots() });
  if (found.length > 0) items.push({ label: vscode.l10n.t('Models on this machine (Hugging Face cache, Ollama, LM Studio)'), kind: vscode.QuickPickItemKind.Separator });
  for (const m of found) items.push(localModelPick(m, tokens));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: vscode.l10n.t('Browse for a model folder…'), description: vscode.l10n.t('a Hugging Face model folder'), choice: 'browseFolder' });
  items.push({ label: vscode.l10n.t('Browse for a GGUF file…'), description: vscode.l10n.t('llama.cpp, Ollama or LM Studio weights'), choice: 'browseFile' });
  for (const item of items) if (item.choice && typeof item.choice === 'object' && 'dir' in item.choice && item.choice.dir === current.dir) item.picked = true;
  lastRows = items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator).map((i) => ({ label: i.label, description: i.description, detail: i.detail }));
  return items;
}

/**
 * "LLM Lens: Choose Model": the embedded model, the llmLens.modelPath folder, the models on this machine
 * (findLocalModels: Hugging Face cache, Ollama, LM Studio, llmLens.modelRoots) with their estimated memory,
 * or a folder or GGUF file picked with Browse…. Returns the choice (undefined if dismissed).
 */
export async function chooseModel(context: vscode.ExtensionContext): Promise<ModelSource | undefined> {
  const current = currentModelSource(context);
  // The quick pick opens at once with a busy bar while the folders are searched.
  const picked = await vscode.window.showQuickPick(buildItems(current), {
    title: vscode.l10n.t('LLM Lens: Choose Model'),
    placeHolder: vscode.l10n.t('Current: {0}', current.label),
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked?.choice) return undefined;
  let choice: ModelSource;
  if (picked.choice === 'browseFolder') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Use This Model') });
    if (!folder?.[0]) return undefined;
    choice = { source: 'folder', dir: folder[0].fsPath, label: basename(folder[0].fsPath) };
  } else if (picked.choice === 'browseFile') {
    // Ollama's blobs have no extension, so any file may be picked; the GGUF magic decides.
    const file = await vscode.window.showOpenDialog({
      canSelectFolders: false, canSelectFiles: true, canSelectMany: false, openLabel: vscode.l10n.t('Use This Model'),
      filters: { [vscode.l10n.t('GGUF models')]: ['gguf'], [vscode.l10n.t('All files')]: ['*'] },
    });
    if (!file?.[0]) return undefined;
    const path = file[0].fsPath;
    if (!statSync(path, { throwIfNoEntry: false })?.isFile() || !(await isGgufFile(path))) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is not a GGUF file (it does not start with the GGUF signature).', basename(path)));
      return undefined;
    }
    choice = { source: 'folder', dir: path, label: basename(path) };
  } else if ('unsupported' in picked.choice) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} cannot be used: {1}', picked.choice.name, picked.choice.unsupported));
    return undefined;
  } else choice = picked.choice;
  // Remember the choice (extension state, not the user's settings file).
  await context.globalState.update(stateKey, choice.source === 'setting' ? undefined : choice);
  return choice;
}
