// Hugging Face tokenizer.json files (Llama 3, Qwen3, DeepSeek-V3, the embedded model) run by
// @huggingface/tokenizers. Byte-level BPE is handled here: every vocabulary string then spells bytes
// through GPT-2's byte<->character table, which is how each token's exact bytes are recovered. Files of the
// SentencePiece kind (Metaspace / byte_fallback BPE, Unigram) go to spmBackend.ts.

import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { bytesToUnicode } from '../bpe/trainer';
import { buildAlignment, type AlignmentPiece } from './alignment';
import { isSentencePieceJson, spmBackendFromJson } from './spmBackend';
import type { BackendWord, MergeModel, TokenizerBackend } from './backend';
import { TokenizerError } from './types';
import type { ByteAlignment } from './utf8';

/** The fields of an added token in tokenizer.json that matter here. */
interface AddedTokenJson {
  id: number;
  content: string;
  special: boolean;
  normalized?: boolean;
}

/** The parts of tokenizer.json read here (the library validates the rest). */
interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  pre_tokenizer?: unknown;
  model?: { type?: string; end_of_word_suffix?: string | null; continuing_subword_prefix?: string | null };
}

/** What the library's BPE model exposes publicly (its .d.ts types the model only as the abstract base). */
interface BpeModelLike {
  vocab: string[];
  tokens_to_ids: Map<string, number>;
  merges: [string, string][];
  ignore_merges: boolean;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** True when a pre_tokenizer config is ByteLevel or a Sequence containing ByteLevel. */
function hasByteLevel(config: unknown): boolean {
  if (typeof config !== 'object' || config === null) return false;
  const c = config as { type?: unknown; pretokenizers?: unknown };
  if (c.type === 'ByteLevel') return true;
  return c.type === 'Sequence' && Array.isArray(c.pretokenizers) && c.pretokenizers.some(hasByteLevel);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Leftmost-longest matcher over a set of literal strings (as the library's added-token splitter). */
function literalMatcher(contents: readonly string[]): RegExp | undefined {
  if (contents.length === 0) return undefined;
  const sorted = [...contents].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

/** Splits `text` into stretches, marking those that are exactly one of the matcher's strings. */
function splitLiterals(text: string, matcher: RegExp | undefined): { text: string; literal: boolean }[] {
  if (!matcher || text.length === 0) return text.length === 0 ? [] : [{ text, literal: false }];
  const out: { text: string; literal: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(matcher)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at), literal: false });
    out.push({ text: m[0], literal: true });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), literal: false });
  return out;
}

/** Reads and prepares a byte-level BPE or SentencePiece-kind tokenizer.json; `label` names it in error messages with the file. */
export async function loadHfBackend(file: string, label: string): Promise<TokenizerBackend> {
  // A user's file is named by its path alone; a packaged one by its name and path.
  const what = label === file ? file : `the ${label} tokenizer (${file})`;
  let json: TokenizerJson & Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as TokenizerJson & Record<string, unknown>;
  } catch (e) {
    throw new TokenizerError('loadFailed', `cannot read ${what}: ${(e as Error).message}`);
  }
  return hfBackendFromJson(json, what);
}

/**
 * A byte-level BPE or SentencePiece-kind tokenizer from a parsed tokenizer.json object (a file's, or one built from a GGUF file's
 * metadata); `what` names it in error messages.
 */
export function hfBackendFromJson(json: unknown, what: string): TokenizerBackend {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TokenizerError('loadFailed', `${what} is not a tokenizer.json (not a JSON object)`);
  }
  return fromJsonObject(json as TokenizerJson & Record<string, unknown>, what);
}

function fromJsonObject(json: TokenizerJson & Record<string, unknown>, what: string): TokenizerBackend {
  if (isSentencePieceJson(json)) return spmBackendFromJson(json, what);
  if (json.model?.type !== 'BPE' || !hasByteLevel(json.pre_tokenizer)) {
    const kind = typeof json.model?.type === 'string' ? json.model.type : 'no model type';
    throw new TokenizerError('loadFailed', `${what} is neither a byte-level BPE nor a SentencePiece-kind tokenizer.json (model: ${kind}); LLM Lens reads those two kinds`);
  }
  if (json.model.end_of_word_suffix || json.model.continuing_subword_prefix) {
    throw new TokenizerError('loadFailed', `${what} uses word suffixes/prefixes, which LLM Lens does not support`);
  }
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  let tokenizer: Tokenizer;
  try {
    // Special tokens are left out of the library's added-token matching so their strings stay plain text
    // (what Hugging Face calls split_special_tokens); non-special added tokens still match, as in the model.
    tokenizer = new Tokenizer({ ...json, added_tokens: added.filter((t) => !t.special) }, {});
  } catch (e) {
    throw new TokenizerError('loadFailed', `${what} cannot be used: ${(e as Error).message}`);
  }
  try {
    return new HfBackend(tokenizer, added);
  } catch (e) {
    throw new TokenizerError('loadFailed', `${what} cannot be used: ${(e as Error).message}`);
  }
}

class HfBackend implements TokenizerBackend {
  readonly vocabSize: number;
  private readonly model: BpeModelLike;
  private readonly addedById = new Map<number, AddedTokenJson>();
  private readonly addedByContent = new Map<string, number>();
  private readonly specialByContent = new Map<string, number>();
  private readonly rawMatcher: RegExp | undefined;
  private readonly normalizedMatcher: RegExp | undefined;
  private readonly byteOf: Int16Array; // character code -> byte, -1 when not a byte-level character
  private readonly bytesCache: (Uint8Array | undefined)[];
  private merges: MergeModel | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    added: readonly AddedTokenJson[],
  ) {
    const model = tokenizer.model as unknown as Partial<BpeModelLike> | null;
    if (!model || !Array.isArray(model.vocab) || !(model.tokens_to_ids instanceof Map) || !Array.isArray(model.merges)) {
      throw new TokenizerError('loadFailed', 'the tokenizer model is not BPE');
    }
    this.model = model as BpeModelLike;
    let size = this.model.vocab.length;
    const raw: string[] = [];
    const normalized: string[] = [];
    for (const t of added) {
      this.addedById.set(t.id, t);
      size = Math.max(size, t.id + 1);
      if (t.special) {
        this.specialByContent.set(t.content, t.id);
        continue;
      }
      this.addedByContent.set(t.content, t.id);
      // Same rule as the library: tokens marked normalized are matched after the normalizer runs.
      if ((t.normalized ?? true) && tokenizer.normalizer !== null) normalized.push(t.content);
      else raw.push(t.content);
    }
    this.vocabSize = size;
    // Preallocated: a JS array written at scattered indices falls back to slow dictionary storage.
    this.bytesCache = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.rawMatcher = literalMatcher(raw);
    this.normalizedMatcher = literalMatcher(normalized);
    this.byteOf = new Int16Array(512).fill(-1);
    bytesToUnicode().forEach((ch, b) => {
      this.byteOf[ch.charCodeAt(0)] = b;
    });
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  tokenBytes(id: number): Uint8Array | undefined {
    const cached = this.bytesCache[id];
    if (cached !== undefined) return cached;
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return undefined;
    let bytes: Uint8Array | undefined;
    const addedToken = this.addedById.get(id);
    if (addedToken) bytes = utf8.encode(addedToken.content);
    else {
      const piece = this.model.vocab[id];
      if (piece === undefined) return undefined;
      bytes = new Uint8Array(piece.length);
      for (let i = 0; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        const b = c < 512 ? this.byteOf[c] : -1;
        if (b < 0) return undefined; // not a byte-level spelling
        bytes[i] = b;
      }
    }
    this.bytesCache[id] = bytes;
    return bytes;
  }

  isSpecial(id: number): boolean {
    return this.addedById.get(id)?.special === true;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return this.specialByContent;
  }

  private normalize(text: string): string {
    return this.tokenizer.normalizer ? this.tokenizer.normalizer.normalize(text) : text;
  }

  /** The library's pipeline before BPE: raw added tokens, normalizer, normalized added tokens. */
  private sections(text: string): { original: string; parts: { text: string; added: boolean }[] }[] {
    return splitLiterals(text, this.rawMatcher).map((s) => {
      if (s.literal) return { original: s.text, parts: [{ text: s.text, added: true }] };
      const normalized = this.normalize(s.text);
      const parts = splitLiterals(normalized, this.normalizedMatcher).map((p) => ({ text: p.text, added: p.literal }));
      return { original: s.text, parts };
    });
  }

  words(text: string): BackendWord[] {
    const words: BackendWord[] = [];
    const preTokenizer = this.tokenizer.pre_tokenizer;
    for (const section of this.sections(text)) {
      for (const part of section.parts) {
        if (part.added) {
          words.push({ text: part.text, byteLength: utf8.encode(part.text).length, addedToken: true });
          continue;
        }
        const pieces = preTokenizer ? preTokenizer.pre_tokenize(part.text) : [part.text];
        for (const piece of pieces) {
          if (piece.length === 0) continue;
          // Byte-level pieces spell one byte per character.
          const bytes = new Uint8Array(piece.length);
          for (let i = 0; i < piece.length; i++) bytes[i] = this.byteOf[piece.charCodeAt(i)];
          words.push({ text: utf8Decoder.decode(bytes), byteLength: piece.length, addedToken: false });
        }
      }
    }
    return words;
  }

  normalization(text: string): { normalized: string; alignment: ByteAlignment } | undefined {
    if (!this.tokenizer.normalizer) return undefined;
    const pieces: AlignmentPiece[] = splitLiterals(text, this.rawMatcher).map((s) => ({
      original: s.text,
      normalized: !s.literal,
    }));
    const alignment = buildAlignment(pieces, (s) => this.normalize(s));
    if (!alignment) return undefined;
    const normalized = pieces.map((p) => (p.normalized ? this.normalize(p.original) : p.original)).join('');
    return { normalized, alignment };
  }

  mergeModel(): MergeModel {
    if (this.merges) return this.merges;
    const { vocab, tokens_to_ids: ids, merges, ignore_merges: ignoreMerges } = this.model;
    // Byte-level strings never contain a space (it is spelled Ġ), so "left right" is an exact key.
    const rankOf = new Map<string, number>();
    merges.forEach(([a, b], rank) => {
      const key = `${a} ${b}`;
      if (!rankOf.has(key)) rankOf.set(key, rank);
    });
    const table = bytesToUnicode();
    const byteIds = table.map((ch, b) => {
      const id = ids.get(ch);
      if (id === undefined) throw new TokenizerError('inconsistent', `byte ${b} has no token`);
      return id;
    });
    this.merges = {
      byteToken: (b) => byteIds[b],
      merge: (left, right) => {
        const a = vocab[left];
        const b = vocab[right];
        const rank = rankOf.get(`${a} ${b}`);
        if (rank === undefined) return undefined;
        const id = ids.get(a + b);
        return id === undefined ? undefined : { rank, id };
      },
      // With ignore_merges (Llama 3) a word that is already a vocabulary entry is taken whole.
      wholeWord: (bytes) => {
        if (!ignoreMerges) return undefined;
        let s = '';
        for (const b of bytes) s += table[b];
        return ids.get(s);
      },
      addedToken: (word) => this.addedByContent.get(word),
      normalize: (word) => this.normalize(word),
    };
    return this.merges;
  }
}
