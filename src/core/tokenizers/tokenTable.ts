// Per-id facts used to place tokens without walking the text, shared by the generic span builder
// (tokenize.ts) and engines that build spans while they encode (tiktokenBackend.ts).

import type { TokenizerBackend } from './backend';
import { TokenizerError } from './types';

/**
 * Per-id facts used to place tokens without walking the text: each token's bytes, and how its bytes
 * advance the UTF-16 position. A UTF-8 lead byte opens a character of 1 UTF-16 unit (2 for a 4-byte
 * character); continuation bytes open none. Lone surrogates arrive as U+FFFD (EF BF BD): 1 unit, as in
 * the text. Filled lazily, one entry per id seen.
 */
export class TokenTable {
  /** Bytes of each id seen so far (preallocated: a JS array written at scattered indices goes slow). */
  readonly bytes: (Uint8Array | undefined)[];
  /** UTF-16 units of the characters whose lead byte lies in the token. */
  readonly leadUnits: Int32Array;
  /** UTF-16 units of the token's last lead byte's character (0 when it has none). */
  readonly lastLeadUnits: Int32Array;
  /** 1 when the token starts with a continuation byte (it continues the previous token's character). */
  readonly continues: Uint8Array;
  /** Byte length of each id seen so far (0 until filled). */
  readonly byteLength: Int32Array;

  constructor(private readonly backend: TokenizerBackend) {
    const n = backend.vocabSize;
    this.bytes = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.leadUnits = new Int32Array(n);
    this.lastLeadUnits = new Int32Array(n);
    this.continues = new Uint8Array(n);
    this.byteLength = new Int32Array(n);
  }

  /** The bytes of `id`, filling its entry on first use; throws for ids outside the vocabulary. */
  fill(id: number): Uint8Array {
    const bytes = this.backend.tokenBytes(id);
    if (bytes === undefined || bytes.length === 0) {
      throw new TokenizerError('unknownToken', `the tokenizer produced id ${String(id)}, which has no bytes`);
    }
    let units = 0;
    let last = 0;
    for (const b of bytes) {
      if ((b & 0xc0) === 0x80) continue; // continuation byte
      last = b >= 0xf0 ? 2 : 1;
      units += last;
    }
    this.leadUnits[id] = units;
    this.lastLeadUnits[id] = last;
    this.continues[id] = (bytes[0] & 0xc0) === 0x80 ? 1 : 0;
    this.byteLength[id] = bytes.length;
    this.bytes[id] = bytes;
    return bytes;
  }
}

const tables = new WeakMap<TokenizerBackend, TokenTable>();

/** The (lazily filled) table of a loaded tokenizer, one per tokenizer for the life of the process. */
export function tableOf(backend: TokenizerBackend): TokenTable {
  let table = tables.get(backend);
  if (!table) tables.set(backend, (table = new TokenTable(backend)));
  return table;
}

