// The tokenizer a GGUF file carries in its metadata (tokenizer.ggml.*), run as llama.cpp runs it
// (src/llama-vocab.cpp): `gpt2` = byte-level BPE over merges ranks after the pre-tokenizer regexes of
// `tokenizer.ggml.pre`; `llama` = SentencePiece BPE over piece scores with ▁ for spaces and <0xNN> byte
// fallback. Special tokens (control / user-defined / unknown) in the text become their single ids, as the
// added tokens of a tokenizer.json do.
import { bytesToUnicode } from '../bpe/trainer';
import type { ModelTokenizer } from './tokenizer';
import type { GgufValue } from './formats/gguf';

/** llama.cpp's token types (llama_token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

// Pre-tokenizer regexes per tokenizer.ggml.pre, from llama-vocab.cpp llm_tokenizer_bpe (ggml-org/llama.cpp
// 00ad355); several regexes split in sequence, each keeping the text between its matches as pieces too.
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const LLAMA3 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const QWEN2 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
/** STARCODER / SMOLLM / REFACT: single digits first, then GPT-2's pattern. */
const STARCODER = ['\\p{N}', GPT2];
const DEEPSEEK3 = [
  '\\p{N}{1,3}',
  '[一-龥぀-ゟ゠-ヿ]+',
  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
];

/** How a byte-level BPE vocabulary splits text before merging. */
interface PreTokenizer {
  regexes: string[];
  /** A whole pre-token that is in the vocabulary is one token (tokenizer.json "ignore_merges"). */
  ignoreMerges?: boolean;
  /** Unicode NFC normalization before splitting. */
  nfc?: boolean;
}

/** tokenizer.ggml.pre values LLM Lens knows (llama-vocab.cpp's name → pre-type mapping), with their regexes. */
export const GGUF_PRE_TOKENIZERS: Readonly<Record<string, PreTokenizer>> = {
  // llama.cpp sets ignore_merges for LLAMA3, as tokenizer.json's "ignore_merges": true.
  'llama-bpe': { regexes: [LLAMA3], ignoreMerges: true },
  'llama3': { regexes: [LLAMA3], ignoreMerges: true },
  'llama-v3': { regexes: [LLAMA3], ignoreMerges: true },
  'smaug-bpe': { regexes: [LLAMA3] },
  'dbrx': { regexes: [LLAMA3] },
  // Qwen2's tokenizer.json normalizes to NFC first (llama.cpp does not; the model's own ids are the reference).
  'qwen2': { regexes: [QWEN2], nfc: true },
  'deepseek-r1-qwen': { regexes: [QWEN2], nfc: true },
  'stablelm2': { regexes: [QWEN2] },
  'gpt-2': { regexes: [GPT2] },
  'gpt2': { regexes: [GPT2] },
  'olmo': { regexes: [GPT2] },
  'mpt': { regexes: [GPT2] },
  'phi-2': { regexes: [GPT2] },
  'smollm': { regexes: STARCODER },
  'starcoder': { regexes: STARCODER },
  'refact': { regexes: STARCODER },
  'codeshell': { regexes: STARCODER },
  'deepseek-v3': { regexes: DEEPSEEK3 },
};

/** Splits `pieces` further by `re`: its matches and the text between them, in order (unicode_regex_split). */
function isolate(pieces: string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const p of pieces) {
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(p); m !== null; m = re.exec(p)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index > last) out.push(p.slice(last, m.index));
      out.push(m[0]);
      last = m.index + m[0].length;
    }
    if (last < p.length) out.push(p.slice(last));
  }
  return out;
}

interface Vocab {
  tokens: string[];
  types: number[];
  ids: Map<string, number>;
  /** Special-token strings by first character, longest first. */
  specials: Map<string, string[]>;
  bos?: number;
  eos?: number;
  addBos: boolean;
  addEos: boolean;
}

function stringArray(v: GgufValue | undefined): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}
function numberArray(v: GgufValue | undefined): number[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'number') ? (v as number[]) : undefined;
}

function vocabOf(meta: ReadonlyMap<string, GgufValue>, tokens: string[], defaultAddBos: boolean): Vocab {
  const types = numberArray(meta.get('tokenizer.ggml.token_type')) ?? tokens.map(() => TOKEN_TYPE.normal);
  const ids = new Map<string, number>();
  // The first id wins for a duplicated string, as llama.cpp's token_to_id map keeps the first insert.
  tokens.forEach((t, i) => {
    if (!ids.has(t)) ids.set(t, i);
  });
  const specials = new Map<string, string[]>();
  tokens.forEach((t, i) => {
    if (t.length === 0 || (types[i] !== TOKEN_TYPE.control && types[i] !== TOKEN_TYPE.userDefined && types[i] !== TOKEN_TYPE.unknown)) return;
    const list = specials.get(t[0]) ?? [];
    list.push(t);
    specials.set(t[0], list);
  });
  // Longest first, so "<|eot_id|>" is not cut short by a special token that is its prefix.
  for (const list of specials.values()) list.sort((a, b) => b.length - a.length);
  const num = (k: string): number | undefined => {
    const v = meta.get(k);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < tokens.length ? v : undefined;
  };
  const flag = (k: string, d: boolean): boolean => {
    const v = meta.get(k);
    return typeof v === 'boolean' ? v : d;
  };
  return {
    tokens, types, ids, specials,
    bos: num('tokenizer.ggml.bos_token_id'),
    eos: num('tokenizer.ggml.eos_token_id'),
    addBos: flag('tokenizer.ggml.add_bos_token', defaultAddBos),
    addEos: flag('tokenizer.ggml.add_eos_token', false),
  };
}

/** Splits text at special-token strings: [text, isSpecialId] fragments in order. */
function splitSpecials(text: string, v: Vocab): (string | number)[] {
  if (v.specials.size === 0) return text ? [text] : [];
  const out: (string | number)[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const hit = v.specials.get(text[i])?.find((s) => text.startsWith(s, i));
    if (hit) {
      if (i > start) out.push(text.slice(start, i));
      out.push(v.ids.get(hit) as number);
      i += hit.length;
      start = i;
    } else i++;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

const utf8 = new TextEncoder();

/** Byte-level BPE (tokenizer.ggml.model "gpt2"). */
function bpeTokenizer(v: Vocab, merges: string[], pre: PreTokenizer): ModelTokenizer {
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => {
    if (!ranks.has(m)) ranks.set(m, i);
  });
  const byteChars = bytesToUnicode();
  const charToByte = new Map<string, number>(byteChars.map((c, b) => [c, b]));
  const regexes = pre.regexes.map((r) => new RegExp(r, 'gu'));
  const cache = new Map<string, number[]>();

  const encodeWord = (word: string): number[] => {
    const cached = cache.get(word);
    if (cached) return cached;
    const mapped = Array.from(utf8.encode(word), (b) => byteChars[b]).join('');
    let result: number[];
    const whole = v.ids.get(mapped);
    if (pre.ignoreMerges && whole !== undefined) result = [whole];
    else {
      const sym = Array.from(mapped);
      for (;;) {
        // The lowest-ranked adjacent pair, leftmost on ties (llama.cpp's llm_bigram_bpe comparator).
        let best = -1, bestRank = Infinity;
        for (let i = 0; i + 1 < sym.length; i++) {
          const r = ranks.get(`${sym[i]} ${sym[i + 1]}`);
          if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
        }
        if (best < 0) break;
        sym.splice(best, 2, sym[best] + sym[best + 1]);
      }
      result = [];
      for (const s of sym) {
        const id = v.ids.get(s);
        if (id !== undefined) result.push(id);
        else for (const c of s) { const b = v.ids.get(c); if (b !== undefined) result.push(b); }
      }
    }
    if (cache.size < 100_000) cache.set(word, result);
    return result;
  };

  const decodeBytes = (id: number): Uint8Array => {
    const t = v.tokens[id] ?? '';
    if (v.types[id] === TOKEN_TYPE.control || v.types[id] === TOKEN_TYPE.userDefined) return utf8.encode(t);
    return Uint8Array.from(Array.from(t, (c) => charToByte.get(c) ?? 0x3f));
  };

  return {
    encode(text, options) {
      const ids: number[] = [];
      if (options?.addSpecialTokens && v.addBos && v.bos !== undefined) ids.push(v.bos);
      for (const frag of splitSpecials(text, v)) {
        if (typeof frag === 'number') { ids.push(frag); continue; }
        let words = [pre.nfc ? frag.normalize('NFC') : frag];
        for (const re of regexes) words = isolate(words, re);
        for (const w of words) ids.push(...encodeWord(w));
      }
      if (options?.addSpecialTokens && v.addEos && v.eos !== undefined) ids.push(v.eos);
      return ids;
    },
    label: (id) => new TextDecoder().decode(decodeBytes(id)),
  };
}

/** SentencePiece BPE (tokenizer.ggml.model "llama": Llama 2, Mistral v0.1, Gemma): merges by piece score. */
function spmTokenizer(v: Vocab, scores: number[], addSpacePrefix: boolean): ModelTokenizer {
  const byteIds = new Array<number | undefined>(256);
  for (let b = 0; b < 256; b++) byteIds[b] = v.ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);

  const encodeText = (text: string, out: number[]): void => {
    // llm_tokenizer_spm_session: merge the adjacent pair whose union is the highest-scoring piece (leftmost on
    // ties) until none is a piece, with a heap of candidate pairs over a linked list of symbols (n log n).
    const sym = Array.from(text.replace(/ /g, '\u2581'));
    const next = sym.map((_, i) => (i + 1 < sym.length ? i + 1 : -1));
    const prev = sym.map((_, i) => i - 1);
    const heap: { left: number; right: number; score: number; text: string }[] = [];
    const before = (a: (typeof heap)[number], b: (typeof heap)[number]): boolean => a.score > b.score || (a.score === b.score && a.left < b.left);
    const push = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const t = sym[left] + sym[right];
      const id = v.ids.get(t);
      if (id === undefined) return;
      heap.push({ left, right, score: scores[id] ?? 0, text: t });
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!before(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    const pop = (): (typeof heap)[number] => {
      const top = heap[0];
      const last = heap.pop() as (typeof heap)[number];
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l], heap[m])) m = l;
          if (r < heap.length && before(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    };
    for (let i = 1; i < sym.length; i++) push(i - 1, i);
    while (heap.length > 0) {
      const b = pop();
      // Stale: one side was merged away or grew since the pair was queued.
      if (sym[b.left] === '' || sym[b.right] === '' || sym[b.left] + sym[b.right] !== b.text || next[b.left] !== b.right) continue;
      sym[b.left] = b.text;
      sym[b.right] = '';
      next[b.left] = next[b.right];
      if (next[b.right] >= 0) prev[next[b.right]] = b.left;
      push(prev[b.left], b.left);
      push(b.left, next[b.left]);
    }
    for (let i = 0; i >= 0 && i < sym.length; i = next[i]) {
      const s = sym[i];
      const id = v.ids.get(s);
      if (id !== undefined) out.push(id);
      else for (const byte of utf8.encode(s)) { const bid = byteIds[byte]; if (bid !== undefined) out.push(bid); }
    }
  };

  return {
    encode(text, options) {
      const ids: number[] = [];
      if (options?.addSpecialTokens && v.addBos && v.bos !== undefined) ids.push(v.bos);
      let prevSpecial = true;
      for (const frag of splitSpecials(text, v)) {
        if (typeof frag === 'number') { ids.push(frag); prevSpecial = true; continue; }
        // llama_vocab::tokenize: the space prefix goes before text that starts the input or follows a special token.
        encodeText(addSpacePrefix && prevSpecial ? ` ${frag}` : frag, ids);
        prevSpecial = false;
      }
      if (options?.addSpecialTokens && v.addEos && v.eos !== undefined) ids.push(v.eos);
      return ids;
    },
    label(id) {
      const t = v.tokens[id] ?? `#${id}`;
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
      if (m && v.types[id] === TOKEN_TYPE.byte) return new TextDecoder().decode(Uint8Array.of(parseInt(m[1], 16)));
      return t.replace(/\u2581/g, ' ');
    },
  };
}

/**
 * The tokenizer of a GGUF file, or undefined when it has none or one LLM Lens does not run (the model then
 * still runs on token ids).
 */
export function ggufTokenizer(meta: ReadonlyMap<string, GgufValue>): ModelTokenizer | undefined {
  const model = meta.get('tokenizer.ggml.model');
  const tokens = stringArray(meta.get('tokenizer.ggml.tokens'));
  if (typeof model !== 'string' || !tokens) return undefined;
  if (model === 'gpt2') {
    const merges = stringArray(meta.get('tokenizer.ggml.merges'));
    const preName = meta.get('tokenizer.ggml.pre');
    const pre = GGUF_PRE_TOKENIZERS[typeof preName === 'string' ? preName : 'gpt-2'];
    if (!merges || !pre) return undefined;
    return bpeTokenizer(vocabOf(meta, tokens, preName === 'llama-bpe'), merges, pre);
  }
  if (model === 'llama') {
    const scores = numberArray(meta.get('tokenizer.ggml.scores')) ?? tokens.map(() => 0);
    const prefix = meta.get('tokenizer.ggml.add_space_prefix');
    return spmTokenizer(vocabOf(meta, tokens, true), scores, typeof prefix === 'boolean' ? prefix : true);
  }
  return undefined;
}

/** Whether a GGUF's tokenizer is one ggufTokenizer runs (for discovery's "supported" column). */
export function ggufTokenizerSupported(meta: ReadonlyMap<string, GgufValue>): boolean {
  const model = meta.get('tokenizer.ggml.model');
  if (model === 'llama') return true;
  const pre = meta.get('tokenizer.ggml.pre');
  return model === 'gpt2' && (pre === undefined || (typeof pre === 'string' && pre in GGUF_PRE_TOKENIZERS));
}
