// Finds models in a local Hugging Face cache: <root>/models--<org>--<name>/snapshots/<revision>/config.json
// (layout of huggingface_hub's cache; files there are usually symlinks into ../../blobs, which reads follow).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig } from './arch/index';

/** A model folder found in the cache, supported or not (with the reason). */
export interface CachedModel {
  /** Hub id, e.g. "HuggingFaceTB/SmolLM2-135M". */
  id: string;
  /** The snapshot directory to pass to loadModel. */
  dir: string;
  revision: string;
  supported: boolean;
  /** config.json's model_type, when readable. */
  modelType?: string;
  /** Layers × heads summary for display, when supported. */
  summary?: string;
  /** Why the model cannot be used, when unsupported. */
  reason?: string;
}

/**
 * The hub cache folder huggingface_hub uses: $HF_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 */
export function hfCacheRoot(env: Readonly<Record<string, string | undefined>>, home: string): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'huggingface', 'hub');
  return join(home, '.cache', 'huggingface', 'hub');
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The snapshot to use: the one refs/main names, else the most recently modified. */
function pickSnapshot(repoDir: string): string | undefined {
  const snapshots = safeList(join(repoDir, 'snapshots'));
  if (snapshots.length === 0) return undefined;
  try {
    const main = readFileSync(join(repoDir, 'refs', 'main'), 'utf8').trim();
    if (snapshots.includes(main)) return main;
  } catch {
    // No refs/main: fall back to modification time.
  }
  const time = (s: string): number => {
    try {
      return statSync(join(repoDir, 'snapshots', s)).mtimeMs;
    } catch {
      return 0;
    }
  };
  return snapshots.reduce((best, s) => (time(s) > time(best) ? s : best));
}

/** Lists the models under a Hugging Face hub cache folder, supported ones first then by id. Never throws. */
export function findCachedModels(root: string): CachedModel[] {
  const found: CachedModel[] = [];
  for (const entry of safeList(root)) {
    if (!entry.startsWith('models--')) continue;
    const id = entry.slice('models--'.length).split('--').join('/');
    const repoDir = join(root, entry);
    const revision = pickSnapshot(repoDir);
    if (!revision) continue;
    const dir = join(repoDir, 'snapshots', revision);
    const model: CachedModel = { id, dir, revision, supported: false };
    let configText: string;
    try {
      configText = readFileSync(join(dir, 'config.json'), 'utf8');
    } catch {
      continue; // Not a model snapshot (e.g. a dataset or a partial download without config.json).
    }
    try {
      const raw = JSON.parse(configText) as { model_type?: unknown };
      if (typeof raw.model_type === 'string') model.modelType = raw.model_type;
      const config = parseModelConfig(configText);
      if (!existsSync(join(dir, 'model.safetensors')) && !existsSync(join(dir, 'model.safetensors.index.json'))) {
        model.reason = 'no safetensors weights (only model.safetensors or a sharded index are read)';
      } else {
        model.supported = true;
        model.summary = `${config.modelType}, ${config.layers} layers × ${config.heads} heads` + (config.kvHeads !== config.heads ? ` (${config.kvHeads} KV heads)` : '');
      }
    } catch (e) {
      model.reason = (e as Error).message;
    }
    found.push(model);
  }
  return found.sort((a, b) => Number(b.supported) - Number(a.supported) || a.id.localeCompare(b.id));
}
