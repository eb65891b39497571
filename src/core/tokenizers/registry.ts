// Which tokenizers exist and how each is loaded. Nothing is loaded at import: the first call for a
// tokenizer reads its vocabulary once and keeps it for the life of the process.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, embeddedModelDir } from '../paths';
import type { TokenizerBackend } from './backend';
import { loadHfBackend } from './hfBackend';
import { loadTiktokenBackend } from './tiktokenBackend';
import { TOKENIZER_CATALOG } from './catalog';
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

export { listTokenizers } from './catalog';

const loaded = new Map<string, Promise<TokenizerBackend>>();
const ready = new Set<string>();
let embeddedVersion = -1;

/** The loaded tokenizer for `tokenizerId`, loading it on first use (concurrent callers share the load). */
export function loadBackend(tokenizerId: string): Promise<TokenizerBackend> {
  const entry = ENTRIES.find((e) => e.info.id === tokenizerId);
  if (!entry) {
    const known = ENTRIES.map((e) => e.info.id).join(', ');
    return Promise.reject(new TokenizerError('unknownTokenizer', `unknown tokenizer "${String(tokenizerId)}" (known: ${known})`));
  }
  if (tokenizerId === 'embedded') {
    // The embedded model can be retrained while LLM Lens runs: reload when its tokenizer.json changes.
    const file = embeddedTokenizerFile();
    const version = existsSync(file) ? statSync(file).mtimeMs : -1;
    if (version !== embeddedVersion) {
      loaded.delete(tokenizerId);
      ready.delete(tokenizerId);
      embeddedVersion = version;
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
