// The tokens of a whole chat as a model sees it: the tokenizer's chat template rendered (transformers'
// apply_chat_template) and tokenized with its special tokens as single ids. OpenAI's encodings have no
// Jinja template: their count is gpt-tokenizer's encodeChat (ChatML: <|im_start|>role<|im_sep|>content<|im_end|>
// per message, the reply primed with <|im_start|>assistant<|im_sep|>), and the result says so.

import { loadBackend } from '../tokenizers/registry';
import { countTokens, tokenize } from '../tokenizers/tokenize';
import { TokenizerError, type TokenSpan } from '../tokenizers/types';
import { chatTemplateOf } from './packaged';
import { applyChatTemplate, type ChatMessage } from './template';

/** How a chat's tokens were made. */
export type ChatFormat =
  /** The tokenizer's own Jinja chat template, rendered as transformers does, special tokens as ids. */
  | 'chatTemplate'
  /** gpt-tokenizer's encodeChat: OpenAI's ChatML format as that library counts it (not a Jinja template). */
  | 'openaiChatml';

/** The tokens of a chat. */
export interface ChatTokens {
  /** Which format produced them. */
  format: ChatFormat;
  /** Number of tokens. */
  count: number;
  /** 'chatTemplate': the rendered text and its spans (special tokens as single ids). */
  rendered?: { text: string; spans: TokenSpan[] };
}

/** Options of {@link chatTokens}. */
export interface ChatTokensOptions {
  /** Append the start of the assistant's reply (templates only; gpt-tokenizer always primes it). */
  addGenerationPrompt?: boolean;
  /** The template's own switches (Qwen3's enable_thinking, …). */
  variables?: Record<string, unknown>;
}

/**
 * The tokens a model reads for `messages`: through the tokenizer's chat template when it has one, through
 * gpt-tokenizer's encodeChat for o200k_base/cl100k_base. Throws 'badInput' for a tokenizer with neither
 * (the embedded model), ChatTemplateError for a template that fails.
 */
export async function chatTokens(tokenizerId: string, messages: ChatMessage[], opts: ChatTokensOptions = {}): Promise<ChatTokens> {
  const config = await chatTemplateOf(tokenizerId);
  if (config) {
    const text = applyChatTemplate(config.template, messages, {
      addGenerationPrompt: opts.addGenerationPrompt,
      bosToken: config.bosToken,
      eosToken: config.eosToken,
      variables: opts.variables,
    });
    const spans = await tokenize(tokenizerId, text, { specialTokens: true });
    return { format: 'chatTemplate', count: spans.length, rendered: { text, spans } };
  }
  const backend = await loadBackend(tokenizerId);
  if (backend.encodeChat) return { format: 'openaiChatml', count: backend.encodeChat(messages).length };
  throw new TokenizerError('badInput', `${tokenizerId} has no chat template`);
}

/** Tokens of the message contents alone (plain text), to set a chat's count against: the template's overhead. */
export async function contentTokens(tokenizerId: string, messages: readonly ChatMessage[]): Promise<number> {
  let n = 0;
  for (const m of messages) n += await countTokens(tokenizerId, m.content);
  return n;
}
