// Which tokenizers exist and how each is loaded. Nothing is loaded at import: the first call for a
// tokenizer reads its vocabulary once and keeps it for the life of the process.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, embeddedModelDir } from '../paths';
import type { TokenizerBackend } from './backend';
import { loadHfBackend } from './hfBackend';
import { loadTiktokenBackend } from './tiktokenBackend';
import { addTokenizerToCatalog, fileTokenizerId, fileTokenizerLabel, fileTokenizerPath, TOKENIZER_CATALOG } from './catalog';
import { loadModelTokenizerBackend, modelTokenizerFile, modelTokenizerLabel, modelTokenizerPath } from './modelTokenizers';
import { TokenizerError, type TokenizerInfo } from './types';

interface Entry {
  info: TokenizerInfo;
  load: () => Promise<TokenizerBackend>;
}

const hfFile = (name: string): string => join(dataDir(), 'tokenizers', `${name}.json`);

/** The file the embedded model's tokenizer is read from. */
export function embeddedTokenizerFile(): string {
  return join(embeddedModelDir(), 'tokenizer.json');
}

/** How each catalog entry is loaded. */
const LOADERS: Record<string, () => Promise<TokenizerBackend>> = {
  o200k_base: async () => loadTiktokenBackend('o200k_base'),
  cl100k_base: async () => loadTiktokenBackend('cl100k_base'),
  llama3: () => loadHfBackend(hfFile('llama3'), 'Llama 3'),
  qwen3: () => loadHfBackend(hfFile('qwen3'), 'Qwen3'),
  deepseek_v3: () => loadHfBackend(hfFile('deepseek_v3'), 'DeepSeek-V3'),
  embedded: async () => {
    const file = embeddedTokenizerFile();
    if (!existsSync(file)) {
      throw new TokenizerError('embeddedNotBuilt', `embedded model not built yet (no ${file}); run npm run train:model`);
    }
    return loadHfBackend(file, 'embedded model');
  },
};

const ENTRIES: readonly Entry[] = TOKENIZER_CATALOG.map((info) => ({ info, load: LOADERS[info.id] }));

export { listTokenizers, fileTokenizerId, fileTokenizerPath } from './catalog';

const loaded = new Map<string, Promise<TokenizerBackend>>();
const ready = new Set<string>();
/** File version (mtime) each file-backed tokenizer was loaded from: a changed file is read again. */
const versions = new Map<string, number>();

/** The entry of a `file:<absolute path>` id: any byte-level BPE tokenizer.json the user has. */
function fileEntry(tokenizerId: string): Entry | undefined {
  const file = fileTokenizerPath(tokenizerId);
  if (file === undefined) return undefined;
  return {
    info: { id: tokenizerId, label: fileTokenizerLabel(file) },
    load: async () => {
      if (!existsSync(file)) throw new TokenizerError('loadFailed', `${file}: no such file`);
      if (!statSync(file).isFile()) throw new TokenizerError('loadFailed', `${file}: not a file`);
      return loadHfBackend(file, file);
    },
  };
}

/** The entry of a `model:<absolute path>` id: a local model's tokenizer.json or GGUF metadata tokenizer. */
function modelEntry(tokenizerId: string): Entry | undefined {
  const path = modelTokenizerPath(tokenizerId);
  if (path === undefined) return undefined;
  return { info: { id: tokenizerId, label: modelTokenizerLabel(path) }, load: () => loadModelTokenizerBackend(path) };
}

/** The file a tokenizer is read from, when it can change while LLM Lens runs (embedded, user files, models). */
function watchedFile(tokenizerId: string): string | undefined {
  if (tokenizerId === 'embedded') return embeddedTokenizerFile();
  const model = modelTokenizerPath(tokenizerId);
  return model !== undefined ? (modelTokenizerFile(model) ?? model) : fileTokenizerPath(tokenizerId);
}

/** The loaded tokenizer for `tokenizerId`, loading it on first use (concurrent callers share the load). */
export function loadBackend(tokenizerId: string): Promise<TokenizerBackend> {
  const entry = ENTRIES.find((e) => e.info.id === tokenizerId) ?? fileEntry(tokenizerId) ?? modelEntry(tokenizerId);
  if (!entry) {
    const known = ENTRIES.map((e) => e.info.id).join(', ');
    return Promise.reject(
      new TokenizerError('unknownTokenizer', `unknown tokenizer "${String(tokenizerId)}" (known: ${known}, file:<absolute path of a tokenizer.json>, or model:<absolute path of a model folder or GGUF file>)`),
    );
  }
  const file = watchedFile(tokenizerId);
  if (file !== undefined) {
    // The embedded model can be retrained and a user's file edited while LLM Lens runs: reload on change.
    const version = existsSync(file) ? statSync(file).mtimeMs : -1;
    if (version !== versions.get(tokenizerId)) {
      loaded.delete(tokenizerId);
      ready.delete(tokenizerId);
      versions.set(tokenizerId, version);
    }
  }
  let pending = loaded.get(tokenizerId);
  if (!pending) {
    pending = entry.load();
    loaded.set(tokenizerId, pending);
    const current = pending;
    // A failed load is not cached, so a later call can succeed (e.g. once the embedded model exists).
    current.then(
      () => {
        if (loaded.get(tokenizerId) === current) ready.add(tokenizerId);
      },
      () => {
        if (loaded.get(tokenizerId) === current) loaded.delete(tokenizerId);
      },
    );
  }
  return pending;
}

/** Whether a tokenizer's vocabulary is already in memory (a call would not have to load it). */
export function isTokenizerLoaded(tokenizerId: string): boolean {
  return ready.has(tokenizerId);
}

/**
 * Loads the tokenizer.json at `path` (a byte-level BPE file, as Hugging Face models ship) and adds it to
 * listTokenizers() as `file:<absolute path>`. Throws a 'loadFailed' TokenizerError naming the file and the
 * reason when it cannot be used.
 */
export async function registerTokenizerFile(path: string): Promise<TokenizerInfo> {
  if (typeof path !== 'string' || path.length === 0) throw new TokenizerError('badInput', 'the tokenizer path must be a non-empty string');
  const id = fileTokenizerId(path);
  const file = fileTokenizerPath(id) as string;
  await loadBackend(id);
  const info = { id, label: fileTokenizerLabel(file) };
  addTokenizerToCatalog(info);
  return info;
}
