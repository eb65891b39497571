// The chat templates that come with the tokenizers: tokenizer_config.json of the packaged Hugging Face
// tokenizers (copied to dist/data/tokenizers/<id>.config.json by scripts/build.mjs), or the one next to a
// user's tokenizer.json. OpenAI's encodings have no Jinja template (see chatTokenIds for their chat format).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataDir } from '../paths';
import { readGgufHeader } from '../model/formats/gguf';
import { fileTokenizerPath } from '../tokenizers/catalog';
import { modelTokenizerFile, modelTokenizerPath } from '../tokenizers/modelTokenizers';
import { chatTemplateFromConfig, type ChatTemplateConfig } from './template';

const PACKAGED = new Set(['llama3', 'qwen3', 'deepseek_v3']);

/** Where the tokenizer_config.json of a tokenizer id lives, if it has one. */
function configFileOf(tokenizerId: string): string | undefined {
  if (PACKAGED.has(tokenizerId)) return join(dataDir(), 'tokenizers', `${tokenizerId}.config.json`);
  const file = fileTokenizerPath(tokenizerId);
  if (file !== undefined) return join(dirname(file), 'tokenizer_config.json');
  const model = modelTokenizerPath(tokenizerId);
  const modelFile = model === undefined ? undefined : modelTokenizerFile(model);
  if (modelFile !== undefined && modelFile !== model) return join(dirname(modelFile), 'tokenizer_config.json');
  return undefined;
}

/** A GGUF model's template: metadata tokenizer.chat_template, BOS/EOS spelled by the ids its metadata names. */
async function ggufChatTemplate(path: string): Promise<ChatTemplateConfig | undefined> {
  const meta = (await readGgufHeader(path)).metadata;
  const tokens = meta.get('tokenizer.ggml.tokens');
  const spell = (key: string): string | undefined => {
    const id = meta.get(key);
    return typeof id === 'number' && Array.isArray(tokens) && typeof tokens[id] === 'string' ? (tokens[id] as string) : undefined;
  };
  return chatTemplateFromConfig({ chat_template: meta.get('tokenizer.chat_template'), bos_token: spell('tokenizer.ggml.bos_token_id'), eos_token: spell('tokenizer.ggml.eos_token_id') });
}

/**
 * The chat template (and BOS/EOS strings) of a tokenizer: the packaged Llama 3, Qwen3 and DeepSeek-V3 ones,
 * a `file:` tokenizer's or a `model:` folder's neighbouring tokenizer_config.json, or a GGUF model's
 * tokenizer.chat_template metadata. Undefined when the tokenizer has none
 * (o200k_base, cl100k_base, the embedded model).
 */
export async function chatTemplateOf(tokenizerId: string): Promise<ChatTemplateConfig | undefined> {
  const model = modelTokenizerPath(tokenizerId);
  if (model !== undefined && modelTokenizerFile(model) === model) {
    try {
      return await ggufChatTemplate(model);
    } catch {
      return undefined; // an unreadable GGUF header is a tokenizer without a template
    }
  }
  const file = configFileOf(tokenizerId);
  if (file === undefined || !existsSync(file)) return undefined;
  try {
    return chatTemplateFromConfig(JSON.parse(await readFile(file, 'utf8')) as unknown);
  } catch {
    return undefined; // an unreadable config is a tokenizer without a template
  }
}
