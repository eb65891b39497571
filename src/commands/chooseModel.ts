import * as vscode from 'vscode';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isGgufFile } from '../core/model/formats/gguf';
import { ASSUMED_FLOPS_PER_SECOND, estimateRunActivationBytes, estimateRunSeconds, findLocalModels, type LocalModel } from '../core/model/localModels';
import { formatBinaryBytes } from '../core/kvcache/format';
import { embeddedModelDir } from '../core/paths';
import type { AttentionModelInfo, AttentionModelProblem } from '../shared/protocol';

/** Where the Attention panel's model comes from. */
export interface ModelSource {
  source: AttentionModelInfo['source'];
  /** A model directory (Hugging Face layout) or a GGUF file. */
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
    if ((s.source === 'cache' || s.source === 'folder' || s.source === 'ollama' || s.source === 'lmstudio') && typeof s.dir === 'string' && typeof s.label === 'string') {
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
  // A GGUF file (LM Studio's *.gguf, Ollama's extensionless blobs) is a whole model in one file.
  if (!isDirectory && startsWithGgufMagic(dir)) return undefined;
  if (!isDirectory) return { kind: 'notFolder', message: vscode.l10n.t('{0} (from {1}) is a file, not a model folder: choose the folder that holds config.json and the *.safetensors weights.', dir, from) };
  if (!existsSync(join(dir, 'config.json'))) return { kind: 'noConfig', message: vscode.l10n.t('{0} (from {1}) is not a model folder: it has no config.json.', dir, from) };
  if (!existsSync(join(dir, 'model.safetensors')) && !existsSync(join(dir, 'model.safetensors.index.json'))) {
    return { kind: 'noWeights', message: vscode.l10n.t('{0} (from {1}) has a config.json but no weights: LLM Lens reads model.safetensors or a sharded model.safetensors.index.json.', dir, from) };
  }
  return undefined;
}

/** Whether the file starts with the GGUF magic (read synchronously: four bytes). */
function startsWithGgufMagic(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === 'GGUF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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

/** Seconds as "0.4 s", "12 s", "3 min", "2.5 h" (an estimate's precision). */
function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
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
  if (m.parameters !== undefined && m.dims) {
    const time = vscode.l10n.t('Estimated time of a {0}-token run: {1} at an assumed {2} GFLOP/s (an estimate)', tokens, formatSeconds(estimateRunSeconds(m.parameters, m.dims, tokens)), (ASSUMED_FLOPS_PER_SECOND / 1e9).toFixed(1));
    detail = detail ? `${detail}; ${time}` : time;
  }
  // The panel names where the model really lives (Ollama, LM Studio), not just "a cache".
  const source: ModelSource['source'] = m.source === 'huggingface' ? 'cache' : m.source;
  return { label: m.name, description: facts.join(' · '), detail: detail ? `${detail} — ${m.path}` : m.path, choice: { source, dir: m.path, label: m.name } };
}


/** The extra roots of llmLens.modelRoots (VS Code drops a workspace's value in untrusted folders: a restricted setting). */
export function modelRoots(): string[] {
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
  if (current.source === 'folder' || current.source === 'cache' || current.source === 'ollama' || current.source === 'lmstudio') {
    const problem = modelFolderProblem(current);
    if (problem) items.push({ label: `$(warning) ${current.label}`, description: `${vscode.l10n.t('chosen before')} — ${problemLabel(problem)}`, detail: current.dir, choice: current });
  }
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
