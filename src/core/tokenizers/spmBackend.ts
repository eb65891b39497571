// SentencePiece-kind tokenizers (Llama 2, Mistral v0.1, Gemma, T5-style Unigram): a GGUF file whose
// tokenizer.ggml.model is "llama", run here as llama.cpp runs it (src/llama-vocab.cpp: llm_tokenizer_spm_session
// and llama_vocab::impl::tokenize's LLAMA_VOCAB_TYPE_SPM branch), and a tokenizer.json whose model is BPE with
// byte_fallback / a Metaspace pre-tokenizer / a Prepend("▁") normalizer, or Unigram, run by @huggingface/tokenizers
// (its Metaspace pre-tokenizer: prepend_scheme "always"/"first", no prefix when the text already starts with ▁;
// its BPE model: byte_fallback writes a missing piece as <0xNN> tokens; llama.cpp's tokenizer_st_partition cites
// huggingface/tokenizers' tokenizer/mod.rs for user-defined tokens being split off first).
//
// How a token maps back to the user's bytes (what a span shows):
// - ▁ (U+2581) stands for a space: a token's bytes spell it as the space byte 0x20 of the original text (a ▁
//   typed in the text becomes the same piece; its span then covers those three bytes).
// - <0xNN> byte-fallback tokens are the one byte NN; a character missing from the vocabulary becomes one such
//   token per UTF-8 byte, and each gets its own one-byte range (they share the character's UTF-16 range).
// - The dummy prefix (the space SentencePiece adds before a text, add_dummy_prefix / add_space_prefix /
//   Metaspace prepend_scheme) belongs to no original byte: the token carrying it ("▁Hello") spans only the
//   original bytes it covers ("Hello"), and a token that is nothing but the dummy "▁" gets an empty span at the
//   start of its text. Its bytes (tokenBytes) still include the space, as the model sees it.
// - Normalizers that change more than that (T5's NFKC charsmap, collapsed whitespace, <unk>) are mapped back
//   proportionally over the whole text, so spans still tile it, only less precisely.

import { Tokenizer } from '@huggingface/tokenizers';
import type { GgufValue } from '../model/formats/gguf';
import type { BackendWord, MergeModel, TokenizerBackend } from './backend';
import type { TokenTable } from './tokenTable';
import { TokenizerError, type TokenSpan } from './types';
import { ByteAlignment, tokenSpans, utf8Bytes } from './utf8';

const SPACE_MARK = '\u2581';
const SPACE_MARKS = /\u2581/g;
const SPACES = / /g;
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8 = new TextEncoder();

/** An added token of a SentencePiece vocabulary: matched whole in the text, or a special never produced by text. */
interface SpmAdded {
  content: string;
  special: boolean;
}

/** What differs between the GGUF and the tokenizer.json engines; the spans, bytes and words are shared. */
interface SpmParts {
  /** Each id's vocabulary piece (▁ for spaces, <0xNN> for bytes). */
  pieces: readonly (string | undefined)[];
  /** Whether the id is a byte-fallback token (then its piece is <0xNN>). */
  isByte: (id: number) => boolean;
  /** Added tokens by id (GGUF: control, unknown and user-defined types). */
  added: ReadonlyMap<number, SpmAdded>;
  /** The engine's ids for `text`, no BOS/EOS, special-token strings as plain text. */
  encode: (text: string) => number[];
  /** Whether a dummy prefix is added even when the text already starts with a space (llama.cpp, Prepend). */
  dummyBeforeSpace: boolean;
  /** Whether the engine adds a dummy prefix at all (for words' text only; spans detect it from the tokens). */
  addsPrefix: boolean;
  /** Whether the pre-tokenizer cuts words before each space (Metaspace split: true). */
  splitAtSpaces: boolean;
  /** Names the tokenizer in messages. */
  what: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Leftmost-longest matcher of literal strings (added tokens), or undefined for none. */
function literalMatcher(contents: readonly string[]): RegExp | undefined {
  const list = contents.filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
  return list.length === 0 ? undefined : new RegExp(list.map(escapeRegExp).join('|'), 'g');
}

/** The text cut at the matcher's strings: plain stretches and matched strings (`hit`), in order. */
function cutAt(text: string, matcher: RegExp | undefined): { text: string; hit: boolean }[] {
  const out: { text: string; hit: boolean }[] = [];
  let last = 0;
  if (matcher) {
    matcher.lastIndex = 0;
    for (let m = matcher.exec(text); m !== null; m = matcher.exec(text)) {
      if (m.index > last) out.push({ text: text.slice(last, m.index), hit: false });
      out.push({ text: m[0], hit: true });
      last = m.index + m[0].length;
    }
  }
  if (last < text.length) out.push({ text: text.slice(last), hit: false });
  return out;
}

class SpmBackend implements TokenizerBackend {
  readonly vocabSize: number;
  readonly wholeText = true;
  private readonly bytesCache: (Uint8Array | undefined)[];
  private readonly specials = new Map<string, number>();
  private readonly addedMatcher: RegExp | undefined;

  constructor(private readonly parts: SpmParts) {
    let size = parts.pieces.length;
    for (const id of parts.added.keys()) size = Math.max(size, id + 1);
    this.vocabSize = size;
    this.bytesCache = new Array<Uint8Array | undefined>(size).fill(undefined);
    const matched: string[] = [];
    for (const [id, t] of parts.added) {
      if (t.special) {
        if (t.content.length > 0 && !this.specials.has(t.content)) this.specials.set(t.content, id);
      } else matched.push(t.content);
    }
    this.addedMatcher = literalMatcher(matched);
  }

  encode(text: string): number[] {
    return this.parts.encode(text);
  }

  tokenBytes(id: number): Uint8Array | undefined {
    const cached = this.bytesCache[id];
    if (cached !== undefined) return cached;
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return undefined;
    let bytes: Uint8Array | undefined;
    const added = this.parts.added.get(id);
    const piece = this.parts.pieces[id];
    if (added) bytes = utf8.encode(added.content);
    else if (piece === undefined) return undefined;
    else {
      const m = this.parts.isByte(id) ? BYTE_PIECE.exec(piece) : null;
      bytes = m ? Uint8Array.of(parseInt(m[1], 16)) : utf8.encode(piece.replace(SPACE_MARKS, ' '));
    }
    this.bytesCache[id] = bytes;
    return bytes;
  }

  isSpecial(id: number): boolean {
    return this.parts.added.get(id)?.special === true;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return this.specials;
  }

  private isMatchedAdded(id: number): boolean {
    const t = this.parts.added.get(id);
    return t !== undefined && !t.special;
  }

  /**
   * Each token's length in the original bytes: its own bytes, less the dummy-prefix space when it is the first
   * token of a stretch (the text's start or right after an added token), starts with a space and the text at
   * that point does not (or the engine prefixes regardless). Undefined when the tokens do not spell the text.
   */
  private originalLengths(ids: readonly number[], original: Uint8Array, table: TokenTable): Int32Array | undefined {
    const lengths = new Int32Array(ids.length);
    let at = 0;
    let stretchStart = true;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const bytes = table.bytes[id] ?? table.fill(id);
      let skip = 0;
      if (stretchStart && bytes[0] === 0x20 && !this.isMatchedAdded(id) && (original[at] !== 0x20 || this.parts.dummyBeforeSpace)) skip = 1;
      let o = at;
      for (let k = skip; k < bytes.length; k++) {
        if (bytes[k] === original[o]) o++;
        // A ▁ the user typed is a piece's ▁ too: the token's space byte stands for those three bytes.
        else if (bytes[k] === 0x20 && original[o] === 0xe2 && original[o + 1] === 0x96 && original[o + 2] === 0x81) o += 3;
        else return undefined;
      }
      lengths[i] = o - at;
      at = o;
      stretchStart = this.isMatchedAdded(id);
    }
    return at === original.length ? lengths : undefined;
  }

  spans(text: string, table: TokenTable): TokenSpan[] {
    const ids = this.encode(text);
    const original = utf8Bytes(text);
    let lengths = this.originalLengths(ids, original, table);
    let alignment: ByteAlignment | undefined;
    if (!lengths) {
      // The normalizer changed more than spaces (NFKC, collapsed whitespace, <unk>): spread the tokens' bytes
      // over the original ones proportionally so the spans still tile the text.
      lengths = new Int32Array(ids.length);
      let total = 0;
      ids.forEach((id, i) => {
        lengths![i] = (table.bytes[id] ?? table.fill(id)).length;
        total += lengths![i];
      });
      alignment = new ByteAlignment(total === 0 ? [] : [total], total === 0 ? [] : [original.length]);
      if (total === 0 && original.length > 0) throw new TokenizerError('inconsistent', `${this.parts.what} produced no tokens for a non-empty text`);
    }
    return tokenSpans(text, ids, lengths, alignment);
  }

  words(text: string): BackendWord[] {
    // SentencePiece has no pre-tokenizer: merges run over a whole stretch between added tokens (Metaspace with
    // split: true cuts before each space). byteLength is in the original text's bytes (no alignment needed);
    // `text` is the word as the engine sees it, ▁ for spaces and the dummy prefix included.
    const words: BackendWord[] = [];
    let first = true;
    for (const stretch of cutAt(text, this.addedMatcher)) {
      if (stretch.hit) {
        words.push({ text: stretch.text, byteLength: utf8.encode(stretch.text).length, addedToken: true });
        first = true;
        continue;
      }
      const pieces = this.parts.splitAtSpaces ? stretch.text.split(/(?= )/) : [stretch.text];
      for (const piece of pieces) {
        const prefixed = first && this.parts.addsPrefix && (!piece.startsWith(' ') || this.parts.dummyBeforeSpace);
        words.push({ text: (prefixed ? SPACE_MARK : '') + piece.replace(SPACES, SPACE_MARK), byteLength: utf8.encode(piece).length, addedToken: false });
        first = false;
      }
    }
    return words;
  }

  normalization(): undefined {
    // spans() maps the dummy prefix and ▁ back itself; words are measured in original bytes.
    return undefined;
  }

  mergeModel(): MergeModel {
    throw new TokenizerError('noMergeReplay', `${this.parts.what} is a SentencePiece tokenizer; the merge replay shows byte-level BPE merges only`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// GGUF "llama" vocabularies, run as llama.cpp does.

/** llama.cpp's token types (llama_token_type). */
const TYPE_UNKNOWN = 2;
const TYPE_CONTROL = 3;
const TYPE_USER_DEFINED = 4;
const TYPE_BYTE = 6;

/**
 * SentencePiece BPE over piece scores (llm_tokenizer_spm_session::tokenize): the text split into UTF-8
 * characters, then the adjacent pair whose concatenation is the highest-scoring piece merged, the leftmost on
 * equal scores, until no pair is a piece; a leftover character that is no piece is written as its byte tokens.
 * Symbols are UTF-16 ranges of `text` (a merge joins neighbours, so every symbol is one contiguous range).
 */
function spmMerge(text: string, ids: ReadonlyMap<string, number>, scores: ArrayLike<number>, byteToken: (b: number) => number, out: number[]): void {
  const n = text.length;
  if (n === 0) return;
  const starts: number[] = [];
  for (let u = 0; u < n; u++) {
    starts.push(u);
    const c = text.charCodeAt(u);
    if ((c & 0xfc00) === 0xd800 && u + 1 < n && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) u++;
  }
  const count = starts.length;
  const start = Int32Array.from(starts);
  const end = new Int32Array(count);
  for (let i = 0; i < count; i++) end[i] = i + 1 < count ? start[i + 1] : n;
  const next = new Int32Array(count);
  const prev = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    next[i] = i + 1 < count ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // A binary heap of candidate pairs: higher score first, then smaller left index (llm_bigram_spm::comparator).
  // Parallel typed arrays, grown by doubling: no object or array per entry on a path run millions of times.
  let cap = Math.max(16, count * 2);
  let hLeft = new Int32Array(cap);
  let hSize = new Int32Array(cap);
  let hScore = new Float64Array(cap);
  let len = 0;
  const before = (a: number, b: number): boolean => hScore[a] > hScore[b] || (hScore[a] === hScore[b] && hLeft[a] < hLeft[b]);
  const swap = (a: number, b: number): void => {
    const l = hLeft[a];
    hLeft[a] = hLeft[b];
    hLeft[b] = l;
    const z = hSize[a];
    hSize[a] = hSize[b];
    hSize[b] = z;
    const c = hScore[a];
    hScore[a] = hScore[b];
    hScore[b] = c;
  };
  const tryAdd = (left: number, right: number): void => {
    if (left < 0 || right < 0) return;
    const id = ids.get(text.slice(start[left], end[right]));
    if (id === undefined) return;
    if (len === cap) {
      cap *= 2;
      const l = new Int32Array(cap);
      l.set(hLeft);
      hLeft = l;
      const z = new Int32Array(cap);
      z.set(hSize);
      hSize = z;
      const c = new Float64Array(cap);
      c.set(hScore);
      hScore = c;
    }
    hLeft[len] = left;
    hScore[len] = scores[id] ?? 0;
    hSize[len] = end[right] - start[left];
    for (let i = len++; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);
  const alive = new Uint8Array(count).fill(1);
  while (len > 0) {
    const left = hLeft[0];
    const size = hSize[0];
    len--;
    if (len > 0) {
      hLeft[0] = hLeft[len];
      hSize[0] = hSize[len];
      hScore[0] = hScore[len];
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < len && before(l, m)) m = l;
        if (r < len && before(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    const right = next[left];
    // Stale: a side was merged away or grew since the pair was queued (llama.cpp compares the sizes).
    if (!alive[left] || right < 0 || end[right] - start[left] !== size) continue;
    end[left] = end[right];
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    tryAdd(prev[left], left);
    tryAdd(left, next[left]);
  }
  for (let i = 0; i !== -1; i = next[i]) {
    const piece = text.slice(start[i], end[i]);
    const id = ids.get(piece);
    if (id !== undefined) out.push(id);
    else for (const b of utf8.encode(piece)) out.push(byteToken(b));
  }
}

function stringArray(v: GgufValue | undefined): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

function numberArray(v: GgufValue | undefined): number[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'number') ? (v as number[]) : undefined;
}

/**
 * The tokenizer of a GGUF file whose tokenizer.ggml.model is "llama" (SentencePiece BPE over
 * tokenizer.ggml.scores). As llama_tokenize with parse_special false: control and unknown tokens are plain text,
 * user-defined tokens are matched whole; the space prefix (tokenizer.ggml.add_space_prefix, default true) goes
 * before the text and after each matched token. `what` names the file in error messages.
 */
export function spmBackendFromGguf(meta: ReadonlyMap<string, GgufValue>, what: string): TokenizerBackend {
  if (meta.get('tokenizer.ggml.model') !== 'llama') {
    throw new TokenizerError('loadFailed', `${what}: its tokenizer is not SentencePiece ("llama")`);
  }
  const tokens = stringArray(meta.get('tokenizer.ggml.tokens'));
  if (!tokens || tokens.length === 0) throw new TokenizerError('loadFailed', `${what}: tokenizer.ggml.tokens is missing`);
  const types = numberArray(meta.get('tokenizer.ggml.token_type')) ?? [];
  const scores = numberArray(meta.get('tokenizer.ggml.scores')) ?? [];
  const prefixFlag = meta.get('tokenizer.ggml.add_space_prefix');
  const addSpacePrefix = typeof prefixFlag === 'boolean' ? prefixFlag : true;
  const unk = meta.get('tokenizer.ggml.unknown_token_id');
  const ids = new Map<string, number>();
  // The first id wins for a duplicated string, as llama.cpp's token_to_id map keeps the first insert.
  tokens.forEach((t, i) => {
    if (!ids.has(t)) ids.set(t, i);
  });
  const added = new Map<number, SpmAdded>();
  const userDefined: string[] = [];
  tokens.forEach((t, id) => {
    const type = types[id];
    if (type === TYPE_CONTROL || type === TYPE_UNKNOWN) added.set(id, { content: t, special: true });
    else if (type === TYPE_USER_DEFINED && t.length > 0) {
      added.set(id, { content: t, special: false });
      userDefined.push(t);
    }
  });
  const byteIds = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) {
    // llama_vocab::byte_to_token: the <0xNN> piece, else the byte itself as a one-character piece.
    const id = ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? ids.get(String.fromCharCode(b));
    if (id !== undefined) byteIds[b] = id;
  }
  const fallback = typeof unk === 'number' && unk >= 0 && unk < tokens.length ? unk : 0;
  const byteToken = (b: number): number => (byteIds[b] >= 0 ? byteIds[b] : fallback);
  const matcher = literalMatcher(userDefined);
  const encode = (text: string): number[] => {
    const out: number[] = [];
    let prevSpecial = true; // llama_vocab::impl::tokenize: "prefix with space if first token"
    for (const stretch of cutAt(text, matcher)) {
      if (stretch.hit) {
        out.push(ids.get(stretch.text) as number);
        prevSpecial = true;
        continue;
      }
      const raw = addSpacePrefix && prevSpecial ? ` ${stretch.text}` : stretch.text;
      // llama_escape_whitespace: every space becomes ▁ before the merges.
      spmMerge(raw.replace(SPACES, SPACE_MARK), ids, scores, byteToken, out);
      prevSpecial = false;
    }
    return out;
  };
  return new SpmBackend({
    pieces: tokens,
    isByte: (id) => types[id] === TYPE_BYTE,
    added,
    encode,
    dummyBeforeSpace: true,
    addsPrefix: addSpacePrefix,
    splitAtSpaces: false,
    what,
  });
}

// ---------------------------------------------------------------------------------------------------------
// tokenizer.json files of the SentencePiece kind, run by @huggingface/tokenizers.

/** The parts of a tokenizer.json read to recognise the SentencePiece kind. */
interface SpmJson {
  added_tokens?: { id: number; content: string; special: boolean }[];
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  model?: { type?: string; byte_fallback?: boolean };
}

/** Every component config of a normalizer / pre-tokenizer (Sequence members flattened). */
function components(config: unknown): { type?: unknown; [k: string]: unknown }[] {
  if (typeof config !== 'object' || config === null) return [];
  const c = config as { type?: unknown; normalizers?: unknown; pretokenizers?: unknown; [k: string]: unknown };
  const inner = Array.isArray(c.normalizers) ? c.normalizers : Array.isArray(c.pretokenizers) ? c.pretokenizers : undefined;
  return inner ? inner.flatMap(components) : [c];
}

/** The Metaspace pre-tokenizer config, if any. */
function metaspaceOf(json: SpmJson): Record<string, unknown> | undefined {
  return components(json.pre_tokenizer).find((c) => c.type === 'Metaspace');
}

/** Whether the normalizer prepends ▁ (the "legacy" Llama / Mistral tokenizer.json: Prepend + Replace). */
function prependsMark(json: SpmJson): boolean {
  return components(json.normalizer).some((c) => c.type === 'Prepend' && c.prepend === SPACE_MARK);
}

/**
 * Whether a tokenizer.json is of the SentencePiece kind LLM Lens runs: Unigram, or BPE (not byte-level) with
 * byte_fallback, a Metaspace pre-tokenizer or a Prepend("▁") normalizer.
 */
export function isSentencePieceJson(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const j = json as SpmJson;
  if (j.model?.type === 'Unigram') return true;
  if (j.model?.type !== 'BPE' || components(j.pre_tokenizer).some((c) => c.type === 'ByteLevel')) return false;
  return j.model.byte_fallback === true || metaspaceOf(j) !== undefined || prependsMark(j);
}

/** What the library's BPE and Unigram models expose publicly (its .d.ts types only the abstract base). */
interface SpmModelLike {
  vocab: (string | undefined)[];
}

/**
 * A SentencePiece-kind tokenizer.json (see isSentencePieceJson) run by @huggingface/tokenizers. Special added
 * tokens are plain text (as for byte-level files); `what` names the file in error messages.
 */
export function spmBackendFromJson(json: unknown, what: string): TokenizerBackend {
  if (!isSentencePieceJson(json)) throw new TokenizerError('loadFailed', `${what} is not a SentencePiece-kind tokenizer.json`);
  const j = json as SpmJson & Record<string, unknown>;
  const addedList = Array.isArray(j.added_tokens) ? j.added_tokens : [];
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer({ ...j, added_tokens: addedList.filter((t) => !t.special) }, {});
  } catch (e) {
    throw new TokenizerError('loadFailed', `${what} cannot be used: ${(e as Error).message}`);
  }
  const model = tokenizer.model as unknown as Partial<SpmModelLike> | null;
  if (!model || !Array.isArray(model.vocab)) throw new TokenizerError('loadFailed', `${what} cannot be used: its model has no vocabulary`);
  const pieces = model.vocab;
  const added = new Map<number, SpmAdded>(addedList.map((t) => [t.id, { content: t.content, special: t.special }]));
  const byteFallback = j.model?.byte_fallback === true;
  const metaspace = metaspaceOf(j);
  const legacy = prependsMark(j);
  // Metaspace prepends unless the text already starts with ▁ (prepend_scheme "always"/"first"; older files say
  // add_prefix_space); a Prepend normalizer always does.
  const metaspacePrefix = metaspace !== undefined && (metaspace.prepend_scheme === undefined ? metaspace.add_prefix_space !== false : metaspace.prepend_scheme !== 'never');
  return new SpmBackend({
    pieces,
    isByte: (id) => byteFallback && !added.has(id) && BYTE_PIECE.test(pieces[id] ?? ''),
    added,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    dummyBeforeSpace: legacy,
    addsPrefix: legacy || metaspacePrefix,
    splitAtSpaces: metaspace !== undefined && metaspace.split !== false,
    what,
  });
}
