// OpenAI's o200k_base and cl100k_base through gpt-tokenizer. scripts/build.mjs bundles each encoding into
// its own CommonJS file under dist/data/tokenizers; it is required at run time by a computed path so the
// 1-3 MB rank tables never enter the extension bundle and only the encoding in use is loaded.

import { join } from 'node:path';
import { dataDir } from '../paths';
import type { BackendWord, MergeModel, TokenizerBackend } from './backend';
import { TokenizerError } from './types';

/** The parts of gpt-tokenizer's GptEncoding used here (checked at load time). */
interface GptEncodingLike {
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
  encodeGenerator(text: string, options: { disallowedSpecial: Set<string> }): Iterable<number[]>;
  specialTokensEncoder: Map<string, number>;
  // Not in gpt-tokenizer's typings (a private field), but it is the only place holding each rank's bytes:
  // a string when the bytes are valid UTF-8, else the byte values.
  bytePairEncodingCoreProcessor: { bytePairRankDecoder: readonly (string | readonly number[])[] };
}

function isGptEncoding(value: unknown): value is GptEncodingLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof GptEncodingLike, unknown>>;
  const core = v.bytePairEncodingCoreProcessor as { bytePairRankDecoder?: unknown } | undefined;
  return (
    typeof v.encode === 'function' &&
    typeof v.encodeGenerator === 'function' &&
    v.specialTokensEncoder instanceof Map &&
    typeof core === 'object' &&
    Array.isArray(core.bytePairRankDecoder)
  );
}

// Empty disallowed set: special-token strings like "<|endoftext|>" are encoded as the text they are.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
const utf8 = new TextEncoder();

/** Latin-1 string of bytes: a cheap exact Map key for a byte sequence. */
function byteKey(bytes: Uint8Array | readonly number[]): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Loads one gpt-tokenizer encoding ('o200k_base' or 'cl100k_base') from dist/data/tokenizers. */
export function loadTiktokenBackend(name: 'o200k_base' | 'cl100k_base'): TokenizerBackend {
  const file = join(dataDir(), 'tokenizers', `${name}.js`);
  let mod: { default?: unknown };
  try {
    // A computed path: esbuild leaves this require alone, so the vocabulary stays a separate file.
    mod = require(file) as { default?: unknown };
  } catch (e) {
    throw new TokenizerError('loadFailed', `cannot load the ${name} vocabulary from ${file}: ${(e as Error).message}`);
  }
  const encoding = mod.default;
  if (!isGptEncoding(encoding)) {
    throw new TokenizerError('loadFailed', `${file} is not a gpt-tokenizer encoding module`);
  }
  return new TiktokenBackend(encoding);
}

class TiktokenBackend implements TokenizerBackend {
  readonly vocabSize: number;
  private readonly ranks: readonly (string | readonly number[])[];
  private readonly bytesCache: (Uint8Array | undefined)[];
  private readonly special = new Map<number, string>();
  private model: MergeModel | undefined;

  constructor(private readonly encoding: GptEncodingLike) {
    this.ranks = encoding.bytePairEncodingCoreProcessor.bytePairRankDecoder;
    let size = this.ranks.length;
    for (const [text, id] of encoding.specialTokensEncoder) {
      this.special.set(id, text);
      size = Math.max(size, id + 1);
    }
    this.vocabSize = size;
    // Preallocated: a JS array written at scattered indices falls back to slow dictionary storage.
    this.bytesCache = new Array<Uint8Array | undefined>(size).fill(undefined);
  }

  encode(text: string): number[] {
    return this.encoding.encode(text, PLAIN_TEXT);
  }

  tokenBytes(id: number): Uint8Array | undefined {
    const cached = this.bytesCache[id];
    if (cached !== undefined) return cached;
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return undefined;
    const value = this.ranks[id];
    let bytes: Uint8Array;
    if (typeof value === 'string') bytes = utf8.encode(value);
    else if (value !== undefined) bytes = Uint8Array.from(value);
    else {
      const special = this.special.get(id);
      if (special === undefined) return undefined;
      bytes = utf8.encode(special);
    }
    this.bytesCache[id] = bytes;
    return bytes;
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }

  words(text: string): BackendWord[] {
    // gpt-tokenizer yields the tokens of one regex match (one word) at a time.
    const words: BackendWord[] = [];
    let u = 0;
    for (const group of this.encoding.encodeGenerator(text, PLAIN_TEXT)) {
      let byteLength = 0;
      for (const id of group) byteLength += this.tokenBytes(id)?.length ?? 0;
      // Words are whole regex matches, so they end on code point boundaries of the text.
      const start = u;
      let bytes = 0;
      while (bytes < byteLength && u < text.length) {
        const c = text.charCodeAt(u);
        if (c < 0x80) bytes += 1;
        else if (c < 0x800) bytes += 2;
        else if ((c & 0xfc00) === 0xd800 && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
          bytes += 4;
          u++;
        } else bytes += 3;
        u++;
      }
      words.push({ text: text.slice(start, u), byteLength, addedToken: false });
    }
    return words;
  }

  normalization(): undefined {
    return undefined; // tiktoken encodings do not normalize
  }

  mergeModel(): MergeModel {
    if (this.model) return this.model;
    // tiktoken merges the adjacent pair whose concatenated bytes have the lowest rank; rank = token id.
    const rankOf = new Map<string, number>();
    this.ranks.forEach((value, rank) => {
      rankOf.set(typeof value === 'string' ? byteKey(utf8.encode(value)) : byteKey(value), rank);
    });
    const keyOf: string[] = [];
    const key = (id: number): string => (keyOf[id] ??= byteKey(this.tokenBytes(id) ?? new Uint8Array(0)));
    const byteIds: number[] = [];
    for (let b = 0; b < 256; b++) {
      const id = rankOf.get(String.fromCharCode(b));
      if (id === undefined) throw new TokenizerError('inconsistent', `byte ${b} has no token`);
      byteIds.push(id);
    }
    this.model = {
      byteToken: (b) => byteIds[b],
      merge: (left, right) => {
        const id = rankOf.get(key(left) + key(right));
        return id === undefined ? undefined : { rank: id, id };
      },
      // tiktoken first looks the whole piece up and skips merging when it is a token.
      wholeWord: (bytes) => rankOf.get(byteKey(bytes)),
      addedToken: () => undefined,
      normalize: (word) => word,
    };
    return this.model;
  }
}
