// Byte-level BPE: train merges on text, re-apply the first N of them, and save a Hugging Face tokenizer.json.
// The same functions drive the tokenization panel's merge stepper and the embedded model's tokenizer.

/** One merge step of BPE training: the pair that was merged, how often it occurred, and the token it made. */
export interface BpeMerge {
  /** Id of the left token of the pair. */
  left: number;
  /** Id of the right token of the pair. */
  right: number;
  /** Occurrences of the pair in the training words at the moment it was merged. */
  count: number;
  /** Id of the new token (256 + step index). */
  newId: number;
  /** UTF-8 bytes of the new token. */
  bytes: Uint8Array;
}

/** The outcome of BPE training: the merges in order and the bytes of every token id. */
export interface BpeTrainResult {
  merges: BpeMerge[];
  /** tokenBytes[id]: ids 0..255 are single bytes, 256.. are merges. */
  tokenBytes: Uint8Array[];
}

/** Options for {@link trainBpe}. */
export interface BpeTrainOptions {
  /** Total vocabulary size including the 256 byte tokens (special tokens not counted). */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this (default 2). */
  minPairCount?: number;
}

/** A typed error for bad input to the BPE functions. */
export class BpeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BpeError';
  }
}

// Whitespace spelled out (not \s) so JavaScript and the Oniguruma-derived engine in tokenizer.json agree exactly.
const WS = '\\t\\n\\x0B\\x0C\\r ';

/**
 * The pre-tokenization pattern, in the spirit of GPT-2's: English contractions, letters with an optional
 * leading space, numbers in runs of at most three digits, punctuation runs with an optional leading space,
 * and whitespace (leaving the last space to start the next word). Merges never cross these chunks.
 */
export const PRE_TOKENIZE_PATTERN =
  `'(?:s|t|re|ve|m|ll|d)| ?\\p{L}+| ?\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`;

const preTokenizeRegex = new RegExp(PRE_TOKENIZE_PATTERN, 'gu');

/** Splits text into the chunks BPE works inside (they tile the text in order). */
export function preTokenize(text: string): string[] {
  return text.match(preTokenizeRegex) ?? [];
}

let byteToUnicodeCache: string[] | undefined;

/**
 * GPT-2's byte -> printable character table used by ByteLevel tokenizers: printable Latin-1 bytes map to
 * themselves, the other 68 bytes to U+0100 onwards in byte order (so every token is a visible string).
 */
export function bytesToUnicode(): string[] {
  if (byteToUnicodeCache) return byteToUnicodeCache;
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + next++);
  }
  byteToUnicodeCache = table;
  return table;
}

const encoder = new TextEncoder();
const PAIR_BASE = 65536; // ids stay below 2^16, so a pair packs into one safe integer

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Replaces every non-overlapping (left, right) in `word`, scanning left to right, by `newId`. */
function mergeWord(word: Int32Array, left: number, right: number, newId: number): Int32Array {
  const out = new Int32Array(word.length);
  let n = 0;
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
      out[n++] = newId;
      i++;
    } else {
      out[n++] = word[i];
    }
  }
  return out.subarray(0, n);
}

/**
 * Trains byte-level BPE: counts pre-tokenized words once, then repeatedly merges the most frequent adjacent
 * pair, updating pair counts only for the words that contain it. Ties go to the smallest (left, right) ids,
 * so the result is deterministic.
 */
export function trainBpe(texts: string | readonly string[], options: BpeTrainOptions): BpeTrainResult {
  const vocabSize = options.vocabSize;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 || vocabSize > PAIR_BASE) {
    throw new BpeError(`vocabSize must be an integer between 256 and ${PAIR_BASE}, got ${vocabSize}`);
  }
  const minPairCount = Math.max(1, options.minPairCount ?? 2);

  // Word-frequency table: training cost then depends on distinct words, not on corpus length.
  const wordCounts = new Map<string, number>();
  for (const text of typeof texts === 'string' ? [texts] : texts) {
    for (const w of preTokenize(text)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Int32Array.from(encoder.encode(w)));
    freqs.push(c);
  }

  const pairCounts = new Map<number, number>();
  const pairWhere = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: number): void => {
    const w = words[wi];
    const f = freqs[wi] * sign;
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i] * PAIR_BASE + w[i + 1];
      const c = (pairCounts.get(key) ?? 0) + f;
      if (c === 0) pairCounts.delete(key);
      else pairCounts.set(key, c);
      if (sign > 0) {
        let set = pairWhere.get(key);
        if (!set) pairWhere.set(key, (set = new Set<number>()));
        set.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);

  const tokenBytes: Uint8Array[] = [];
  for (let b = 0; b < 256; b++) tokenBytes.push(Uint8Array.of(b));
  const merges: BpeMerge[] = [];

  while (tokenBytes.length < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, c] of pairCounts) {
      if (c > bestCount || (c === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = c;
      }
    }
    if (bestKey < 0 || bestCount < minPairCount) break;
    const left = Math.floor(bestKey / PAIR_BASE);
    const right = bestKey % PAIR_BASE;
    const newId = tokenBytes.length;
    const bytes = concatBytes(tokenBytes[left], tokenBytes[right]);
    tokenBytes.push(bytes);
    merges.push({ left, right, count: bestCount, newId, bytes });

    // Only words that held the pair change; stale members of the set are harmless (nothing to merge).
    const where = pairWhere.get(bestKey);
    pairWhere.delete(bestKey);
    if (!where) continue;
    for (const wi of [...where].sort((a, b) => a - b)) {
      const merged = mergeWord(words[wi], left, right, newId);
      if (merged.length === words[wi].length) continue;
      addPairs(wi, -1);
      words[wi] = merged;
      addPairs(wi, 1);
    }
  }
  return { merges, tokenBytes };
}

/** Re-tokenizes with a fixed merge list; caches words, so it suits whole corpora as well as the stepper. */
export class BpeEncoder {
  private readonly ranks = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();

  /** Uses the first `upToStep` merges (all when omitted). */
  constructor(
    private readonly merges: readonly BpeMerge[],
    upToStep?: number,
  ) {
    const n = upToStep === undefined ? merges.length : Math.max(0, Math.min(merges.length, Math.floor(upToStep)));
    for (let i = 0; i < n; i++) {
      const m = merges[i];
      this.ranks.set(m.left * PAIR_BASE + m.right, i);
    }
  }

  /** Token ids of `text` (no special tokens). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of preTokenize(text)) {
      let ids = this.cache.get(w);
      if (!ids) {
        ids = this.encodeWord(w);
        if (this.cache.size < 200_000) this.cache.set(w, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  private encodeWord(w: string): number[] {
    let word: Int32Array = Int32Array.from(encoder.encode(w));
    // Lowest-rank pair first, as GPT-2 and Hugging Face apply merges; equals replaying training order.
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(word[i] * PAIR_BASE + word[i + 1]);
        if (r !== undefined && r < bestRank) bestRank = r;
      }
      if (bestRank === Infinity) break;
      const m = this.merges[bestRank];
      word = mergeWord(word, m.left, m.right, m.newId);
    }
    return Array.from(word);
  }
}

/** Token ids of `text` using the first `upToStep` merges (all when omitted): one frame of the merge stepper. */
export function applyBpe(text: string, merges: readonly BpeMerge[], upToStep?: number): number[] {
  return new BpeEncoder(merges, upToStep).encode(text);
}

/** The ByteLevel string of a token's bytes (how tokenizer.json spells it). */
export function byteLevelString(bytes: Uint8Array): string {
  const table = bytesToUnicode();
  let s = '';
  for (const b of bytes) s += table[b];
  return s;
}

/** A Hugging Face tokenizer.json object (the subset this project writes). */
export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[];
  normalizer: null;
  pre_tokenizer: Record<string, unknown>;
  post_processor: null;
  decoder: Record<string, unknown>;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

/**
 * Builds a Hugging Face tokenizer.json for trained merges: our split pattern then ByteLevel (GPT-2 byte map),
 * a BPE model with vocab and merges, special tokens appended after the merges.
 */
export function bpeToTokenizerJson(result: BpeTrainResult, specialTokens: readonly string[] = []): HfTokenizerJson {
  const vocab: Record<string, number> = {};
  result.tokenBytes.forEach((bytes, id) => {
    vocab[byteLevelString(bytes)] = id;
  });
  const added = specialTokens.map((content, i) => {
    const id = result.tokenBytes.length + i;
    vocab[content] = id;
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZE_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: result.merges.map((m) => [byteLevelString(result.tokenBytes[m.left]), byteLevelString(result.tokenBytes[m.right])]),
    },
  };
}
