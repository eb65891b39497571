// The one interface both tokenizer engines (gpt-tokenizer's rank tables, Hugging Face tokenizer.json)
// implement, so spans, words and merge replays are computed the same way for every tokenizer.

import type { TokenTable } from './tokenTable';
import type { TokenSpan } from './types';
import type { ByteAlignment } from './utf8';

/** A pre-tokenized word in the tokenizer's own (normalized) text. */
export interface BackendWord {
  /** The word's text after normalization. */
  text: string;
  /** Its UTF-8 length. */
  byteLength: number;
  /** Whether it is an added token matched whole. */
  addedToken: boolean;
}

/** What BPE replay needs from a tokenizer: its byte tokens, merge priorities and shortcuts. */
export interface MergeModel {
  /** Id of the token for one byte (every byte-level BPE vocabulary has all 256). */
  byteToken(byte: number): number;
  /** Priority (lower merges first) and resulting id when two adjacent tokens can merge, else undefined. */
  merge(left: number, right: number): { rank: number; id: number } | undefined;
  /** The id a whole word gets by direct vocabulary lookup before any merge, if the tokenizer does that. */
  wholeWord(bytes: Uint8Array): number | undefined;
  /** The id of an added token spelled exactly `word`, if any (matched before BPE). */
  addedToken(word: string): number | undefined;
  /** How the tokenizer normalizes text before BPE (identity for most). */
  normalize(word: string): string;
}

/** One loaded tokenizer. Special-token strings in the text are always encoded as plain text. */
export interface TokenizerBackend {
  /** Number of ids (largest id + 1, special tokens included). */
  readonly vocabSize: number;
  /** The library's own encoding of `text`, without BOS/EOS. */
  encode(text: string): number[];
  /** UTF-8 bytes of a token (cached; callers must not modify them). Undefined for an unknown id. */
  tokenBytes(id: number): Uint8Array | undefined;
  /** True for special tokens (BOS, EOS, chat markers), which plain text never produces. */
  isSpecial(id: number): boolean;
  /** Each special token's string and id (what tokenize's `specialTokens` option turns into single ids). */
  specialTokens(): ReadonlyMap<string, number>;
  /** The pre-tokenized words of `text`; their tokens, concatenated, are `encode(text)`. */
  words(text: string): BackendWord[];
  /** When the tokenizer's normalizer changes `text`: the normalized text and the byte alignment back. */
  normalization(text: string): { normalized: string; alignment: ByteAlignment } | undefined;
  /** The merge model used by replays (built on first use). */
  mergeModel(): MergeModel;
  /**
   * Engines that can: the spans of `text` built while encoding, in one pass (same ids as encode), or
   * undefined to let the caller build them from encode()'s ids.
   */
  spans?(text: string, table: TokenTable): TokenSpan[] | undefined;
  /**
   * True when a stretch's tokens depend on where it starts (SentencePiece adds a dummy-prefix space at the
   * start of every text it is given), so a text must not be cut into chunks tokenized on their own.
   */
  readonly wholeText?: boolean;
  /** Encodings whose chat format is not a Jinja template (OpenAI's): the ids of a whole chat. */
  encodeChat?(messages: readonly { role: string; content: string }[]): number[];
}
