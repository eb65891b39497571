// The messages of the Tokenization panel's Chat mode, read from the text it was given.

import type { ChatMessage } from './template';

/** Messages read from a text, and how. */
export interface ChatSelection {
  /** The messages (never empty). */
  messages: ChatMessage[];
  /** 'json': the text was a JSON array of {role, content}; 'text': the text is one user message. */
  from: 'json' | 'text';
}

/**
 * The chat a text stands for: a JSON array of `{ "role": string, "content": string }` objects (as the
 * OpenAI and Hugging Face chat APIs take them) is those messages; anything else is one user message.
 */
export function chatFromText(text: string): ChatSelection {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      parsed = undefined;
    }
    if (
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every((m: unknown) => typeof m === 'object' && m !== null && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string')
    ) {
      return { messages: (parsed as ChatMessage[]).map((m) => ({ role: m.role, content: m.content })), from: 'json' };
    }
  }
  return { messages: [{ role: 'user', content: text }], from: 'text' };
}
