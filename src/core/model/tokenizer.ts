// A model directory's own tokenizer.json, run by @huggingface/tokenizers (the same engine the tokenization
// core uses for Hugging Face tokenizers), so the forward pass sees the ids the model was trained on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from './errors';

/** Encodes text to a model's token ids and names each id for display. */
export interface ModelTokenizer {
  /** Token ids of `text`; `addSpecialTokens` adds what the model's post-processor adds (e.g. BOS). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** A readable label for one token id (its decoded text; U+FFFD where it is part of a character). */
  label(id: number): string;
}

/** Loads `tokenizer.json` (and `tokenizer_config.json` if present) from a model directory, or undefined when absent. */
export async function loadModelTokenizer(dir: string): Promise<ModelTokenizer | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'tokenizer.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadError('tokenizer', `${dir}: cannot read tokenizer.json (${(e as Error).message})`);
  }
  let config: object = {};
  try {
    config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as object;
  } catch {
    // tokenizer_config.json is optional; its absence only loses special-token flags.
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(JSON.parse(text) as object, config);
  } catch (e) {
    throw new ModelLoadError('tokenizer', `${dir}: tokenizer.json cannot be used (${(e as Error).message})`);
  }
  return {
    encode: (s, options) => tokenizer.encode(s, { add_special_tokens: options?.addSpecialTokens ?? false }).ids,
    label: (id) => tokenizer.decode([id], { skip_special_tokens: false }) || (tokenizer.id_to_token(id) ?? `#${id}`),
  };
}
