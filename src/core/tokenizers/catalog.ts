// The tokenizers LLM Lens offers, as plain data: the extension host lists them without loading any
// tokenizer code or vocabulary (those live in the compute worker).
import type { TokenizerInfo } from './types';

/** Ids and labels of every tokenizer, in display order. */
export const TOKENIZER_CATALOG: readonly TokenizerInfo[] = [
  { id: 'o200k_base', label: 'o200k_base (GPT-4o, GPT-4.1, o-series)' },
  { id: 'cl100k_base', label: 'cl100k_base (GPT-4, GPT-3.5)' },
  { id: 'llama3', label: 'Llama 3' },
  { id: 'qwen3', label: 'Qwen3' },
  { id: 'deepseek_v3', label: 'DeepSeek-V3' },
  { id: 'embedded', label: 'LLM Lens embedded model' },
];

/** Every tokenizer LLM Lens offers, in display order (listing loads nothing). */
export function listTokenizers(): TokenizerInfo[] {
  return TOKENIZER_CATALOG.map((t) => ({ ...t }));
}
