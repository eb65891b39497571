// Merge replay: for one pre-tokenized word, the merges a real tokenizer applies, from single bytes to its
// final tokens. BPE encoding repeatedly merges the adjacent pair with the best (lowest) merge rank,
// leftmost first on ties — tiktoken ranks a pair by its concatenated bytes' rank, Hugging Face by the
// pair's line in the merges list. Some tokenizers look the whole word up first (tiktoken always, Llama 3
// through ignore_merges); the replay says so, and its final tokens are always the tokenizer's own.

import type { MergeModel } from '../tokenizers/backend';
import { loadBackend } from '../tokenizers/registry';
import { TokenizerError } from '../tokenizers/types';

/** One token at some point of a replay. */
export interface ReplayPiece {
  /** Token id in the tokenizer's vocabulary. */
  id: number;
  /** The token's UTF-8 bytes. */
  bytes: number[];
}

/** One merge: pieces at `position` and `position + 1` became `merged`. */
export interface MergeStep {
  /** Index of the left piece in the sequence before this step. */
  position: number;
  /** The merge's rank (lower merges earlier): tiktoken token rank, or Hugging Face merges-list line. */
  rank: number;
  /** The left piece. */
  left: ReplayPiece;
  /** The right piece. */
  right: ReplayPiece;
  /** The new token. */
  merged: ReplayPiece;
}

/** How the tokenizer arrived at its final tokens for the word. */
export type ReplayFinish =
  /** By the merges alone. */
  | 'merges'
  /** By looking the whole word up in the vocabulary (no merging needed; the steps show how BPE would build it). */
  | 'wholeWord'
  /** The word is an added token, matched whole before BPE. */
  | 'addedToken';

/** The full replay of BPE on one word. */
export interface MergeReplay {
  /** Tokenizer that was replayed. */
  tokenizerId: string;
  /** The word, after the tokenizer's normalizer. */
  word: string;
  /** The single-byte tokens BPE starts from. */
  start: ReplayPiece[];
  /** The merges in the order they apply. */
  steps: MergeStep[];
  /** How the final tokens were reached. */
  finish: ReplayFinish;
  /** Whether the merges alone end at `tokens` (false only when a whole-word lookup overrides them). */
  mergesReachTokens: boolean;
  /** The tokenizer's own tokens for the word. */
  tokens: ReplayPiece[];
}

/** Words longer than this (in UTF-8 bytes) are refused: the replay would be too long to show anyway. */
export const MAX_REPLAY_BYTES = 4096;

const utf8 = new TextEncoder();

/** Replays BPE on `word` with an already loaded merge model; `bytesOf` gives a token's bytes. */
export function replayWithModel(
  tokenizerId: string,
  model: MergeModel,
  bytesOf: (id: number) => Uint8Array | undefined,
  rawWord: string,
): MergeReplay {
  if (typeof rawWord !== 'string' || rawWord.length === 0) {
    throw new TokenizerError('badInput', 'merge replay needs a non-empty word');
  }
  const word = model.normalize(rawWord);
  const piece = (id: number): ReplayPiece => {
    const bytes = bytesOf(id);
    if (!bytes) throw new TokenizerError('unknownToken', `${tokenizerId} has no token ${id}`);
    return { id, bytes: Array.from(bytes) };
  };
  const added = model.addedToken(word);
  if (added !== undefined) {
    const only = [piece(added)];
    return { tokenizerId, word, start: only, steps: [], finish: 'addedToken', mergesReachTokens: true, tokens: only };
  }
  const bytes = utf8.encode(word);
  if (bytes.length > MAX_REPLAY_BYTES) {
    throw new TokenizerError('badInput', `the word is ${bytes.length} bytes long; merge replay stops at ${MAX_REPLAY_BYTES}`);
  }
  const ids: number[] = Array.from(bytes, (b) => model.byteToken(b));
  const start = ids.map(piece);
  // pairs[i]: the merge of ids[i] and ids[i + 1], if any (recomputed only around each merge).
  const pairs = ids.slice(0, -1).map((id, i) => model.merge(id, ids[i + 1]));
  const steps: MergeStep[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i];
      if (p !== undefined && (best < 0 || p.rank < (pairs[best]?.rank ?? Infinity))) best = i;
    }
    if (best < 0) break;
    const chosen = pairs[best];
    if (!chosen) break;
    steps.push({ position: best, rank: chosen.rank, left: piece(ids[best]), right: piece(ids[best + 1]), merged: piece(chosen.id) });
    ids.splice(best, 2, chosen.id);
    pairs.splice(best, 1);
    if (best < pairs.length) pairs[best] = model.merge(ids[best], ids[best + 1]);
    if (best > 0) pairs[best - 1] = model.merge(ids[best - 1], ids[best]);
  }
  const whole = model.wholeWord(bytes);
  const mergedTokens = ids.map(piece);
  if (whole !== undefined) {
    const reach = ids.length === 1 && ids[0] === whole;
    return { tokenizerId, word, start, steps, finish: 'wholeWord', mergesReachTokens: reach, tokens: [piece(whole)] };
  }
  return { tokenizerId, word, start, steps, finish: 'merges', mergesReachTokens: true, tokens: mergedTokens };
}

/**
 * The merges tokenizer `tokenizerId` applies to one pre-tokenized `word` (take words from wordSpans()),
 * from single bytes to the tokenizer's own tokens for it.
 */
export async function replayMerges(tokenizerId: string, word: string): Promise<MergeReplay> {
  const backend = await loadBackend(tokenizerId);
  return replayWithModel(tokenizerId, backend.mergeModel(), (id) => backend.tokenBytes(id), word);
}

/** The sequence of pieces after the first `stepCount` merges of a replay (0 = single bytes). */
export function piecesAfter(replay: MergeReplay, stepCount: number): ReplayPiece[] {
  const n = Math.max(0, Math.min(replay.steps.length, Math.floor(stepCount)));
  const pieces = replay.start.slice();
  for (let i = 0; i < n; i++) {
    const s = replay.steps[i];
    pieces.splice(s.position, 2, s.merged);
  }
  return pieces;
}
