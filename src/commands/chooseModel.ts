import * as vscode from 'vscode';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { findCachedModels, hfCacheRoot } from '../core/model/discovery';
import { embeddedModelDir } from '../core/paths';
import type { AttentionModelInfo, AttentionModelProblem } from '../shared/protocol';

/** Where the Attention panel's model comes from. */
export interface ModelSource {
  source: AttentionModelInfo['source'];
  dir: string;
  label: string;
  /** A workspace llmLens.modelPath left unused because the folder is not trusted (Restricted Mode). */
  ignoredWorkspacePath?: string;
}

const stateKey = 'llmLens.attention.model';

/**
 * The llmLens.modelPath to use. In an untrusted folder only the user's own (global) value counts: a cloned
 * repository must not choose which files the model parser opens. VS Code already hides restricted workspace
 * values (package.json capabilities.untrustedWorkspaces.restrictedConfigurations); reading inspect() here
 * keeps that true even where it does not, and tells the user what was left out.
 */
export function modelPathSetting(): { path: string; ignoredWorkspacePath?: string } {
  const config = vscode.workspace.getConfiguration('llmLens');
  const clean = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  if (vscode.workspace.isTrusted) return { path: clean(config.get<string>('modelPath', '')) };
  const inspected = config.inspect<string>('modelPath');
  // VS Code itself leaves restricted workspace values out of inspect() in Restricted Mode: the settings files
  // say whether there was one to tell the user about (read only to name it; nothing is opened from it).
  const workspace = clean(inspected?.workspaceFolderValue) || clean(inspected?.workspaceValue) || workspaceSettingsModelPath();
  return { path: clean(inspected?.globalValue), ignoredWorkspacePath: workspace || undefined };
}

/** The llmLens.modelPath written in the workspace's settings files (.vscode/settings.json, a .code-workspace), if any. */
function workspaceSettingsModelPath(): string | undefined {
  const files = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  if (vscode.workspace.workspaceFile) files.push(vscode.workspace.workspaceFile);
  for (const uri of files) {
    if (uri.scheme !== 'file') continue;
    let text: string;
    try {
      text = readFileSync(uri.fsPath, 'utf8');
    } catch {
      continue;
    }
    // Settings files are JSON with comments: the key's string value is enough here.
    const match = /"llmLens\.modelPath"\s*:\s*("(?:[^"\\\n]|\\.)*")/.exec(text);
    if (!match) continue;
    try {
      const value = JSON.parse(match[1]) as unknown;
      if (typeof value === 'string' && value.trim()) return value.trim();
    } catch {
      // Not a valid string literal: nothing to report.
    }
  }
  return undefined;
}

/** The model chosen with "Choose Model", else the llmLens.modelPath setting, else the embedded model. */
export function currentModelSource(context: vscode.ExtensionContext): ModelSource {
  const { path: setting, ignoredWorkspacePath } = modelPathSetting();
  const stored = context.globalState.get<unknown>(stateKey);
  // Stored state could be from an older version or edited by hand: use it only if well-formed.
  if (typeof stored === 'object' && stored !== null) {
    const s = stored as Record<string, unknown>;
    if ((s.source === 'cache' || s.source === 'folder') && typeof s.dir === 'string' && typeof s.label === 'string') {
      return { source: s.source, dir: s.dir, label: s.label };
    }
    if (s.source === 'embedded') return embeddedSource();
  }
  if (setting) return { source: 'setting', dir: setting, label: basename(setting) || setting, ignoredWorkspacePath };
  return { ...embeddedSource(), ignoredWorkspacePath };
}

/** Makes the embedded model the current one (extension state: the user's settings are not touched). */
export async function useEmbeddedModel(context: vscode.ExtensionContext): Promise<void> {
  await context.globalState.update(stateKey, { source: 'embedded' });
}

function embeddedSource(): ModelSource {
  return { source: 'embedded', dir: embeddedModelDir(), label: vscode.l10n.t('LLM Lens embedded model') };
}

/**
 * What keeps `source` from being a model folder LLM Lens can open, checked on disk before any worker starts
 * (a missing folder, a file, no config.json, no safetensors weights), or undefined when it looks like one.
 */
export function modelFolderProblem(source: ModelSource): AttentionModelProblem | undefined {
  const dir = source.dir;
  if (source.source === 'embedded') {
    return existsSync(join(dir, 'model.safetensors'))
      ? undefined
      : { kind: 'embeddedMissing', message: vscode.l10n.t('The embedded model is not part of this build (no model.safetensors in {0}).', dir) };
  }
  const from = source.source === 'setting' ? vscode.l10n.t('the llmLens.modelPath setting') : vscode.l10n.t('your last Choose Model');
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    return { kind: 'notFound', message: vscode.l10n.t('The model folder {0} (from {1}) does not exist.', dir, from) };
  }
  if (!isDirectory) return { kind: 'notFolder', message: vscode.l10n.t('{0} (from {1}) is a file, not a model folder: choose the folder that holds config.json and the *.safetensors weights.', dir, from) };
  if (!existsSync(join(dir, 'config.json'))) return { kind: 'noConfig', message: vscode.l10n.t('{0} (from {1}) is not a model folder: it has no config.json.', dir, from) };
  if (!existsSync(join(dir, 'model.safetensors')) && !existsSync(join(dir, 'model.safetensors.index.json'))) {
    return { kind: 'noWeights', message: vscode.l10n.t('{0} (from {1}) has a config.json but no weights: LLM Lens reads model.safetensors or a sharded model.safetensors.index.json.', dir, from) };
  }
  return undefined;
}

/** A short description of a folder problem for Choose Model's list. */
function problemLabel(problem: AttentionModelProblem): string {
  switch (problem.kind) {
    case 'notFound':
      return vscode.l10n.t('folder not found');
    case 'notFolder':
      return vscode.l10n.t('a file, not a folder');
    case 'noConfig':
      return vscode.l10n.t('no config.json');
    case 'noWeights':
      return vscode.l10n.t('no safetensors weights');
    default:
      return problem.message;
  }
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
  const { path: setting, ignoredWorkspacePath } = modelPathSetting();
  if (setting) {
    const choice: ModelSource = { source: 'setting', dir: setting, label: basename(setting) || setting };
    const problem = modelFolderProblem(choice);
    items.push({
      label: problem ? `$(warning) ${choice.label}` : choice.label,
      description: problem ? `${vscode.l10n.t('from the llmLens.modelPath setting')} — ${problemLabel(problem)}` : vscode.l10n.t('from the llmLens.modelPath setting'),
      detail: setting,
      choice,
    });
  }
  if (ignoredWorkspacePath) {
    // Shown, not choosable: Restricted Mode keeps the workspace's own model path out until the folder is trusted.
    items.push({
      label: `$(shield) ${basename(ignoredWorkspacePath) || ignoredWorkspacePath}`,
      description: vscode.l10n.t('from this workspace’s settings — not used until you trust this folder'),
      detail: ignoredWorkspacePath,
    });
  }
  if (current.source === 'folder' || current.source === 'cache') {
    const problem = modelFolderProblem(current);
    if (problem) items.push({ label: `$(warning) ${current.label}`, description: `${vscode.l10n.t('chosen before')} — ${problemLabel(problem)}`, detail: current.dir, choice: current });
  }
  const root = hfCacheRoot(process.env, homedir());
  const cached = findCachedModels(root);
  const supported = cached.filter((m) => m.supported);
  if (supported.length > 0) items.push({ label: vscode.l10n.t('Hugging Face cache'), kind: vscode.QuickPickItemKind.Separator });
  for (const m of supported) items.push({ label: m.id, description: m.summary, detail: m.dir, choice: { source: 'cache', dir: m.dir, label: m.id } });
  const unsupported = cached.length - supported.length;
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({
    label: vscode.l10n.t('Browse for a model folder…'),
    description: unsupported > 0 ? vscode.l10n.t('{0} other cached models are not supported (Llama family, Qwen3, Qwen3-MoE, Gemma 2/3, Phi-3, Mixtral and GPT-2 are)', unsupported) : undefined,
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
