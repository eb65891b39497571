// The tokenizers LLM Lens offers, as plain data: the extension host lists them without loading any
// tokenizer code or vocabulary (those live in the compute worker). The user's own tokenizer.json files
// join the list once registered; their ids are `file:<absolute path>`.
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { TokenizerInfo } from './types';

/** Ids and labels of every built-in tokenizer, in display order. */
export const TOKENIZER_CATALOG: readonly TokenizerInfo[] = [
  { id: 'o200k_base', label: 'o200k_base (GPT-4o, GPT-4.1, o-series)' },
  { id: 'cl100k_base', label: 'cl100k_base (GPT-4, GPT-3.5)' },
  { id: 'llama3', label: 'Llama 3' },
  { id: 'qwen3', label: 'Qwen3' },
  { id: 'deepseek_v3', label: 'DeepSeek-V3' },
  { id: 'embedded', label: 'LLM Lens embedded model' },
];

/** The prefix of a user tokenizer.json's id. */
export const FILE_TOKENIZER_PREFIX = 'file:';

const registered = new Map<string, TokenizerInfo>();

/** The id of the tokenizer.json at `path` (made absolute): `file:<absolute path>`. */
export function fileTokenizerId(path: string): string {
  return FILE_TOKENIZER_PREFIX + resolve(path);
}

/** The absolute file of a `file:` id, or undefined for any other id (relative paths are not ids). */
export function fileTokenizerPath(tokenizerId: string): string | undefined {
  if (typeof tokenizerId !== 'string' || !tokenizerId.startsWith(FILE_TOKENIZER_PREFIX)) return undefined;
  const path = tokenizerId.slice(FILE_TOKENIZER_PREFIX.length);
  return isAbsolute(path) ? path : undefined;
}

/** A label for a user tokenizer: its folder's name (model folders name the model) and file name. */
export function fileTokenizerLabel(path: string): string {
  const folder = basename(dirname(path));
  return folder ? `${folder}/${basename(path)}` : basename(path);
}

/**
 * Adds a user tokenizer to the list (no loading: the caller has checked the file, e.g. with
 * registerTokenizerFile in the process that tokenizes). Registering the same id again replaces its label.
 */
export function addTokenizerToCatalog(info: TokenizerInfo): void {
  registered.set(info.id, { id: info.id, label: info.label });
}

/** Every tokenizer LLM Lens offers, in display order: the built-in ones, then registered files (listing loads nothing). */
export function listTokenizers(): TokenizerInfo[] {
  return [...TOKENIZER_CATALOG, ...registered.values()].map((t) => ({ ...t }));
}

/**
 * Sets the local models' tokenizers (`model:` ids) to exactly `infos`: models gone since the last discovery
 * leave the list, new ones join it (other registered tokenizers are kept).
 */
export function setModelTokenizers(infos: readonly TokenizerInfo[]): void {
  for (const id of [...registered.keys()]) if (id.startsWith('model:')) registered.delete(id);
  for (const info of infos) addTokenizerToCatalog(info);
}
