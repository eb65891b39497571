// The chat templates that come with the tokenizers: tokenizer_config.json of the packaged Hugging Face
// tokenizers (copied to dist/data/tokenizers/<id>.config.json by scripts/build.mjs), or the one next to a
// user's tokenizer.json. OpenAI's encodings have no Jinja template (see chatTokenIds for their chat format).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataDir } from '../paths';
import { fileTokenizerPath } from '../tokenizers/catalog';
import { chatTemplateFromConfig, type ChatTemplateConfig } from './template';

const PACKAGED = new Set(['llama3', 'qwen3', 'deepseek_v3']);

/** Where the tokenizer_config.json of a tokenizer id lives, if it has one. */
function configFileOf(tokenizerId: string): string | undefined {
  if (PACKAGED.has(tokenizerId)) return join(dataDir(), 'tokenizers', `${tokenizerId}.config.json`);
  const file = fileTokenizerPath(tokenizerId);
  if (file !== undefined) return join(dirname(file), 'tokenizer_config.json');
  return undefined;
}

/**
 * The chat template (and BOS/EOS strings) of a tokenizer: the packaged Llama 3, Qwen3 and DeepSeek-V3 ones,
 * or a `file:` tokenizer's neighbouring tokenizer_config.json. Undefined when the tokenizer has none
 * (o200k_base, cl100k_base, the embedded model).
 */
export async function chatTemplateOf(tokenizerId: string): Promise<ChatTemplateConfig | undefined> {
  const file = configFileOf(tokenizerId);
  if (file === undefined || !existsSync(file)) return undefined;
  try {
    return chatTemplateFromConfig(JSON.parse(await readFile(file, 'utf8')) as unknown);
  } catch {
    return undefined; // an unreadable config is a tokenizer without a template
  }
}
