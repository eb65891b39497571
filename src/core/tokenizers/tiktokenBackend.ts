// OpenAI's o200k_base and cl100k_base through gpt-tokenizer. scripts/build.mjs bundles each encoding into
// its own CommonJS file under dist/data/tokenizers; it is required at run time by a computed path so the
// 1-3 MB rank tables never enter the extension bundle and only the encoding in use is loaded.

import { join } from 'node:path';
import { dataDir } from '../paths';
import type { BackendWord, MergeModel, TokenizerBackend } from './backend';
import type { TokenTable } from './tokenTable';
import { TokenizerError, type TokenSpan } from './types';

/** The parts of gpt-tokenizer's GptEncoding used here (checked at load time). */
interface GptEncodingLike {
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
  encodeGenerator(text: string, options: { disallowedSpecial: Set<string> }): Iterable<number[]>;
  specialTokensEncoder: Map<string, number>;
  encodeChat(chat: readonly { role: string; content: string }[], model: string, options: { disallowedSpecial: Set<string> }): number[];
  // Not in gpt-tokenizer's typings (a private field), but it is the only place holding each rank's bytes:
  // a string when the bytes are valid UTF-8, else the byte values.
  bytePairEncodingCoreProcessor: { bytePairRankDecoder: readonly (string | readonly number[])[] } & Partial<EncoderInternals>;
}

/**
 * gpt-tokenizer's own encode loop (BytePairEncodingCore.encodeNative): split the text with `tokenSplitRegex`,
 * look each piece up whole in `bytePairStringRankEncoder`, else `bytePairEncode` it. Private in its typings;
 * when present (checked at load) spans are built in that same loop.
 */
interface EncoderInternals {
  tokenSplitRegex: RegExp;
  bytePairStringRankEncoder: Map<string, number>;
  bytePairEncode(piece: string): number[];
}

function hasEncoderInternals(core: Partial<EncoderInternals>): core is EncoderInternals {
  return core.tokenSplitRegex instanceof RegExp && core.bytePairStringRankEncoder instanceof Map && typeof core.bytePairEncode === 'function';
}

/** Pieces that merge into several tokens, kept once: their ids never change (no LRU bookkeeping per hit). */
const MAX_CACHED_PIECES = 65_536;

function isGptEncoding(value: unknown): value is GptEncodingLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof GptEncodingLike, unknown>>;
  const core = v.bytePairEncodingCoreProcessor as { bytePairRankDecoder?: unknown } | undefined;
  return (
    typeof v.encode === 'function' &&
    typeof v.encodeGenerator === 'function' &&
    typeof v.encodeChat === 'function' &&
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

/** The chat model whose format gpt-tokenizer's encodeChat uses for each encoding (ChatML with <|im_sep|>). */
const CHAT_MODEL = { o200k_base: 'gpt-4o', cl100k_base: 'gpt-4' } as const;

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
  return new TiktokenBackend(encoding, CHAT_MODEL[name]);
}

class TiktokenBackend implements TokenizerBackend {
  readonly vocabSize: number;
  private readonly ranks: readonly (string | readonly number[])[];
  private readonly bytesCache: (Uint8Array | undefined)[];
  private readonly special = new Map<number, string>();
  private model: MergeModel | undefined;
  private readonly internals: EncoderInternals | undefined;
  private readonly splitter: RegExp | undefined;
  private readonly pieceCache = new Map<string, number[]>();
  private packed = { ids: new Int32Array(1024), starts: new Int32Array(1024), ends: new Int32Array(1024), lengths: new Int32Array(1024) };

  constructor(
    private readonly encoding: GptEncodingLike,
    private readonly chatModel: string,
  ) {
    const core = encoding.bytePairEncodingCoreProcessor;
    if (hasEncoderInternals(core) && core.tokenSplitRegex.flags.includes('g')) {
      this.internals = core;
      // Own copy of the pattern: exec() with lastIndex avoids matchAll's iterator and match copies.
      this.splitter = new RegExp(core.tokenSplitRegex.source, core.tokenSplitRegex.flags);
    }
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

  spans(text: string, table: TokenTable): TokenSpan[] | undefined {
    const core = this.internals;
    const re = this.splitter;
    if (core === undefined || re === undefined) return undefined;
    const ranks = core.bytePairStringRankEncoder;
    const cache = this.pieceCache;
    const { byteLength, leadUnits, lastLeadUnits, continues } = table;
    // Packed while encoding (ids, UTF-16 starts/ends, byte lengths); TokenSpan objects are built once at the
    // end: allocating them inside the regex loop made the whole pass ~15% slower (GC pressure).
    const packed = this.packed;
    let cap = packed.ids.length;
    let { ids, starts, ends, lengths } = packed;
    const grow = (): void => {
      cap *= 2;
      const bigger = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      ids = bigger(ids);
      starts = bigger(starts);
      ends = bigger(ends);
      lengths = bigger(lengths);
    };
    let n = 0;
    let next = 0; // UTF-16 offset where the next piece must start
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const piece = m[0];
      const start = m.index;
      // Pieces tile the text (the pattern matches every character); anything else: let the caller check.
      if (start !== next || piece.length === 0) return undefined;
      const end = start + piece.length;
      const whole = ranks.get(piece);
      if (whole !== undefined) {
        // One token: its UTF-16 range is the piece's, its byte length the token's.
        if (n === cap) grow();
        ids[n] = whole;
        starts[n] = start;
        ends[n] = end;
        lengths[n] = byteLength[whole] || table.fill(whole).length;
        n++;
      } else {
        let pieceIds = cache.get(piece);
        if (pieceIds === undefined) {
          pieceIds = core.bytePairEncode(piece);
          if (cache.size >= MAX_CACHED_PIECES) cache.clear();
          cache.set(piece, pieceIds);
        }
        // Pieces start on a character boundary; inside one, tokens may split a character (shared range).
        let units = start;
        let lastUnits = 0;
        for (let i = 0; i < pieceIds.length; i++) {
          const id = pieceIds[i];
          if (n === cap) grow();
          lengths[n] = byteLength[id] || table.fill(id).length;
          ids[n] = id;
          starts[n] = continues[id] === 1 ? units - lastUnits : units;
          units += leadUnits[id];
          if (lastLeadUnits[id] !== 0) lastUnits = lastLeadUnits[id];
          ends[n] = units;
          n++;
        }
        if (units !== end) return undefined;
      }
      next = end;
    }
    if (next !== text.length) return undefined;
    // Keep the grown buffers for the next call (one tokenizer, synchronous calls).
    this.packed = { ids, starts, ends, lengths };
    const out = new Array<TokenSpan>(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const len = lengths[i];
      out[i] = { id: ids[i], byteStart: at, byteEnd: at + len, start: starts[i], end: ends[i] };
      at += len;
    }
    return out;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return this.encoding.specialTokensEncoder;
  }

  encodeChat(messages: readonly { role: string; content: string }[]): number[] {
    // Message contents stay text (a "<|im_end|>" typed by the user is not the marker), as in encode().
    return this.encoding.encodeChat(messages, this.chatModel, PLAIN_TEXT);
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
