// The tokenizers of the models the user has (findLocalModels): a Hugging Face model folder's tokenizer.json,
// or the tokenizer a GGUF file carries in its metadata. Their ids are `model:<absolute path>` (the folder or
// the GGUF file, what loadModel takes). A GGUF byte-level BPE tokenizer is rebuilt as the tokenizer.json that
// llama.cpp's converter read it from (convert_hf_to_gguf.py writes tokens, token types and merges from it), so
// spans, words and merge replays run through the same engine as every other Hugging Face tokenizer. A GGUF
// SentencePiece tokenizer ("llama": Llama 2, Mistral v0.1, Gemma) runs on spmBackend's llama.cpp engine.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { readGgufHeader, type GgufValue } from '../model/formats/gguf';
import { GGUF_PRE_TOKENIZERS } from '../model/ggufTokenizer';
import type { LocalModel } from '../model/localModels';
import type { TokenizerBackend } from './backend';
import { hfBackendFromJson, loadHfBackend } from './hfBackend';
import { spmBackendFromGguf } from './spmBackend';
import { TokenizerError, type TokenizerInfo } from './types';

/** The prefix of a local model's tokenizer id. */
export const MODEL_TOKENIZER_PREFIX = 'model:';

/** The id of the tokenizer of the model at `path` (a model folder or a .gguf file, made absolute). */
export function modelTokenizerId(path: string): string {
  return MODEL_TOKENIZER_PREFIX + resolve(path);
}

/** The absolute model path of a `model:` id, or undefined for any other id. */
export function modelTokenizerPath(tokenizerId: string): string | undefined {
  if (typeof tokenizerId !== 'string' || !tokenizerId.startsWith(MODEL_TOKENIZER_PREFIX)) return undefined;
  const path = tokenizerId.slice(MODEL_TOKENIZER_PREFIX.length);
  return isAbsolute(path) ? path : undefined;
}

/** Whether the file starts with GGUF's magic (Ollama's blobs have no extension). */
function isGgufPath(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === 'GGUF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The file a model tokenizer is read from (the folder's tokenizer.json or the .gguf file), or undefined when
 * the path holds neither (a `model:` id from a setting is checked with this before it is offered).
 */
export function modelTokenizerFile(path: string): string | undefined {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      const file = join(path, 'tokenizer.json');
      return existsSync(file) ? file : undefined;
    }
    return stat.isFile() && isGgufPath(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A label for a model tokenizer known only by its path (discovery replaces it with the model's name). */
export function modelTokenizerLabel(path: string): string {
  return basename(path) || path;
}

// llama.cpp's token types (llama_token_type): which ids are added tokens, and which of those are special.
const CONTROL = 3;
const UNKNOWN = 2;
const USER_DEFINED = 4;

function strings(v: GgufValue | undefined): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

/**
 * The tokenizer.json of a GGUF byte-level BPE tokenizer (`tokenizer.ggml.model` "gpt2"), as ggufTokenizer runs
 * it: tokenizer.ggml.pre's regexes as Split pre-tokenizers followed by ByteLevel without its own regex, NFC first
 * where that pre-tokenizer normalizes, ignore_merges for Llama 3; CONTROL and UNKNOWN tokens are special added
 * tokens, USER_DEFINED ones non-special added tokens (the reverse of convert_hf_to_gguf.py's mapping). Throws a
 * 'loadFailed' TokenizerError naming the reason for anything else (SentencePiece "llama" vocabularies, unknown
 * pre-tokenizers).
 */
export function ggufTokenizerJson(meta: ReadonlyMap<string, GgufValue>, what: string): Record<string, unknown> {
  const model = meta.get('tokenizer.ggml.model');
  if (model === undefined) throw new TokenizerError('loadFailed', `${what} has no tokenizer in its metadata`);
  if (model !== 'gpt2') {
    throw new TokenizerError('loadFailed', `${what}: its tokenizer is "${String(model)}"; LLM Lens lists byte-level BPE (gpt2) GGUF tokenizers only`);
  }
  const tokens = strings(meta.get('tokenizer.ggml.tokens'));
  const merges = strings(meta.get('tokenizer.ggml.merges'));
  if (!tokens || !merges) throw new TokenizerError('loadFailed', `${what}: tokenizer.ggml.tokens or tokenizer.ggml.merges is missing`);
  const preName = meta.get('tokenizer.ggml.pre');
  const pre = GGUF_PRE_TOKENIZERS[typeof preName === 'string' ? preName : 'gpt-2'];
  if (!pre) throw new TokenizerError('loadFailed', `${what}: pre-tokenizer "${String(preName)}" is not one LLM Lens knows`);
  const typeArray = meta.get('tokenizer.ggml.token_type');
  const types = Array.isArray(typeArray) ? typeArray : [];
  // The first id wins for a duplicated string, as llama.cpp's token_to_id map keeps the first insert.
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  const added: { id: number; content: string; special: boolean; normalized: boolean; single_word: boolean; lstrip: boolean; rstrip: boolean }[] = [];
  tokens.forEach((t, id) => {
    const type = types[id];
    if (type === CONTROL || type === UNKNOWN || type === USER_DEFINED) {
      if (t.length > 0) added.push({ id, content: t, special: type !== USER_DEFINED, normalized: false, single_word: false, lstrip: false, rstrip: false });
      return;
    }
    if (!(t in vocab)) vocab[t] = id;
  });
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: pre.nfc ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...pre.regexes.map((r) => ({ type: 'Split', pattern: { Regex: r }, behavior: 'Isolated', invert: false })),
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: pre.ignoreMerges === true, vocab, merges },
  };
}

/** Loads the tokenizer of the model at `path` (a model folder with tokenizer.json, or a .gguf file: "gpt2" or "llama"). */
export async function loadModelTokenizerBackend(path: string): Promise<TokenizerBackend> {
  const file = modelTokenizerFile(path);
  if (file === undefined) throw new TokenizerError('loadFailed', `${path}: not a model folder with a tokenizer.json nor a .gguf file`);
  if (file !== path) return loadHfBackend(file, file);
  let metadata: ReadonlyMap<string, GgufValue>;
  try {
    metadata = (await readGgufHeader(file)).metadata;
  } catch (e) {
    throw new TokenizerError('loadFailed', `cannot read ${file}: ${(e as Error).message}`);
  }
  if (metadata.get('tokenizer.ggml.model') === 'llama') return spmBackendFromGguf(metadata, file);
  return hfBackendFromJson(ggufTokenizerJson(metadata, file), file);
}

/**
 * The tokenizers of the models found by findLocalModels: Hugging Face folders with a tokenizer.json, GGUF files
 * whose metadata holds a byte-level BPE tokenizer LLM Lens runs or a SentencePiece ("llama") one (only headers
 * are read, long arrays skipped).
 * Labelled with the model's name.
 */
export async function localModelTokenizers(models: readonly LocalModel[]): Promise<TokenizerInfo[]> {
  const out: TokenizerInfo[] = [];
  for (const m of models) {
    if (m.format === 'safetensors') {
      if (modelTokenizerFile(m.path) !== undefined) out.push({ id: modelTokenizerId(m.path), label: m.name });
      continue;
    }
    try {
      const meta = (await readGgufHeader(m.path, { skipArraysLongerThan: 256 })).metadata;
      const pre = meta.get('tokenizer.ggml.pre');
      const knownPre = pre === undefined || (typeof pre === 'string' && pre in GGUF_PRE_TOKENIZERS);
      const model = meta.get('tokenizer.ggml.model');
      if ((model === 'gpt2' && knownPre) || model === 'llama') out.push({ id: modelTokenizerId(m.path), label: m.name });
    } catch {
      // An unreadable file has no tokenizer to offer; Choose Model says why it cannot be used.
    }
  }
  return out;
}
