// Shared shapes of the tokenization core (the public ones are listed in ../shared/docs/architecture.md).

/** One token of a text: its id and where it sits in the UTF-8 bytes and in the UTF-16 string. */
export interface TokenSpan {
  /** The tokenizer's own token id (no BOS/EOS added). */
  id: number;
  /** Start of the token in the UTF-8 encoding of the text; spans tile the bytes in order. */
  byteStart: number;
  /** End (exclusive) of the token in the UTF-8 encoding of the text. */
  byteEnd: number;
  /** Start of the smallest whole-character UTF-16 range containing the token's bytes. */
  start: number;
  /** End (exclusive) of that range; tokens that split a character share it. */
  end: number;
}

/** A tokenizer LLM Lens can run: its id for {@link TokenSpan}-returning calls and a label for people. */
export interface TokenizerInfo {
  /** Stable id: 'o200k_base', 'cl100k_base', 'llama3', 'qwen3', 'deepseek_v3' or 'embedded'. */
  id: string;
  /** Human-readable name with the models that use it. */
  label: string;
}

/** One pre-tokenized word: the unit BPE merges inside; words tile the text and never split a token. */
export interface WordSpan {
  /** Start in the UTF-8 encoding of the original text. */
  byteStart: number;
  /** End (exclusive) in the UTF-8 encoding of the original text. */
  byteEnd: number;
  /** Start of the smallest whole-character UTF-16 range containing the word's bytes. */
  start: number;
  /** End (exclusive) of that range. */
  end: number;
  /** The word as the tokenizer's BPE sees it (after the tokenizer's normalizer, e.g. NFC for Qwen3). */
  text: string;
  /** True when the word is one of the tokenizer's added tokens, matched whole before any BPE. */
  addedToken: boolean;
}

/** What went wrong in the tokenization core; `code` lets callers show a specific message. */
export type TokenizerErrorCode =
  | 'unknownTokenizer'
  | 'embeddedNotBuilt'
  | 'loadFailed'
  | 'unknownToken'
  | 'badInput'
  | 'cancelled'
  | 'inconsistent'
  /** The merge replay was asked of a tokenizer that does not merge byte pairs by rank (SentencePiece). */
  | 'noMergeReplay';

/** A typed error from the tokenization core (bad id, missing data, cancelled job, …). */
export class TokenizerError extends Error {
  /** Machine-readable reason. */
  readonly code: TokenizerErrorCode;

  constructor(code: TokenizerErrorCode, message: string) {
    super(message);
    this.name = 'TokenizerError';
    this.code = code;
  }
}
