// Head detectors over attention patterns.
// headScores follows TransformerLens's detect_head (transformer_lens/head_detector.py, error_measure "mul"):
// the detection patterns are get_previous_token_head_detection_pattern (ones just below the diagonal),
// get_duplicate_token_head_detection_pattern (key j < query i with the same token) and
// get_induction_head_detection_pattern (the duplicate pattern shifted one key to the right: the token after an
// earlier copy), each lower-triangular; the score is sum(A ⊙ P) / sum(A) over the whole matrix, after zeroing
// column 0 (exclude_bos) and/or the diagonal (exclude_current_token) of A.
// The standard induction test is the one of ARENA's "1.2 Intro to mech interp" (induction_score_hook): on
// [BOS] r r, r = `half` random ids, the mean attention from each position of the second copy to the position
// half − 1 back (the token after the earlier occurrence). ARENA averages the whole diagonal offset 1 − half,
// which also includes the two positions just before the second copy; here only the second copy is averaged,
// so a perfect induction head scores exactly 1.
import { Prng } from '../train/prng';

/** What the detectors read: an AttentionResult, with each head's matrix in probs or from headProbs. */
export interface AttentionPatterns {
  layers: number;
  heads: number;
  seqLen: number;
  /** probs[layer][head]: seqLen × seqLen, row = query (may be empty when headProbs is given). */
  probs: ArrayLike<number>[][];
  /** Computes one head's matrix on demand (runAttention with probs: false). */
  headProbs?: (layer: number, head: number) => ArrayLike<number>;
}

/** Options of headScores, as detect_head's keyword arguments. */
export interface HeadScoreOptions {
  /** Zero the attention paid to position 0 before scoring (exclude_bos). */
  excludeBos?: boolean;
  /** Zero the attention paid to the query's own position before scoring (exclude_current_token). */
  excludeCurrentToken?: boolean;
}

/** Per-head scores, layers × heads, row-major. */
export interface HeadScores {
  previousToken: Float32Array;
  duplicateToken: Float32Array;
  induction: Float32Array;
}

/** One head's seqLen × seqLen matrix, from probs or headProbs. */
export function headMatrix(result: AttentionPatterns, layer: number, head: number): ArrayLike<number> {
  const m = result.probs[layer]?.[head] ?? result.headProbs?.(layer, head);
  if (!m) throw new Error(`no attention pattern for layer ${layer}, head ${head}`);
  if (m.length !== result.seqLen * result.seqLen) throw new Error(`pattern of layer ${layer}, head ${head} has ${m.length} entries, expected ${result.seqLen}²`);
  return m;
}

/** Flags of a pattern entry: which detection patterns mark it, and whether it is key 0 or the query itself. */
const PREVIOUS = 1, DUPLICATE = 2, INDUCTION = 4, FIRST_KEY = 8, CURRENT = 16;

/**
 * The entries of a seqLen × seqLen attention matrix that the "mul" scores read besides the row sums, per query row
 * (CSR, keys ascending): key 0, the query itself, the previous token, the earlier copies of the query's token
 * (duplicate) and the tokens after them (induction). Each pattern has a few entries per row, so scoring a head
 * costs O(entries), not O(seqLen²). Depends on the token ids only.
 */
export interface PatternSupport {
  seqLen: number;
  /** seqLen + 1 offsets into keys/flags: row i's entries are rowStart[i] … rowStart[i + 1] − 1. */
  rowStart: Int32Array;
  keys: Int32Array;
  /** Per entry, PREVIOUS | DUPLICATE | INDUCTION | FIRST_KEY | CURRENT bits. */
  flags: Uint8Array;
}

/** The entries the three detection patterns (and the two exclusions) read, for these token ids. */
export function patternSupport(tokenIds: readonly number[]): PatternSupport {
  const n = tokenIds.length;
  const rowStart = new Int32Array(n + 1);
  const keys: number[] = [];
  const flags: number[] = [];
  const earlier = new Map<number, number[]>();
  const row = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    row.clear();
    const mark = (j: number, f: number): void => { row.set(j, (row.get(j) ?? 0) | f); };
    mark(0, FIRST_KEY);
    mark(i, CURRENT);
    if (i >= 1) mark(i - 1, PREVIOUS);
    const copies = earlier.get(tokenIds[i]);
    if (copies) {
      for (const j of copies) {
        mark(j, DUPLICATE);
        // The duplicate pattern rolled one key right (TransformerLens's induction pattern): key j + 1 ≤ i.
        mark(j + 1, INDUCTION);
      }
      copies.push(i);
    } else earlier.set(tokenIds[i], [i]);
    rowStart[i] = keys.length;
    for (const j of [...row.keys()].sort((a, b) => a - b)) {
      keys.push(j);
      flags.push((row.get(j) ?? 0) | (j === 0 ? FIRST_KEY : 0) | (j === i ? CURRENT : 0));
    }
  }
  rowStart[n] = keys.length;
  return { seqLen: n, rowStart, keys: Int32Array.from(keys), flags: Uint8Array.from(flags) };
}

/** Flag combinations of an entry (5 bits): each head keeps one sum per combination. */
const FLAG_COMBINATIONS = 32;

/**
 * What a forward pass kept for the head scores and sink shares: per head, the sum of its attention over the
 * pattern entries (patternSupport) of each flag combination, gathered while the pass had the probabilities in hand
 * (collectPatternSums). 32 numbers per head whatever the length of the text, and enough for every option:
 * an entry's flags say which numerators it feeds and which exclusion masks it.
 */
export interface PatternSums {
  layers: number;
  heads: number;
  seqLen: number;
  /** (layer · heads + head) · 32 + flags: Σ of the head's probabilities over the entries with exactly those flags. */
  sums: Float64Array;
}

/**
 * A forward hook (ForwardHooks.attention) that sums every head's attention over the pattern entries of `tokenIds`
 * (O(entries) per head), and the store it fills. The pass must run the ids from position 0 (no cache).
 */
export function collectPatternSums(layers: number, heads: number, tokenIds: readonly number[]): {
  kept: PatternSums;
  hook: (layer: number, head: number, probs: Float32Array, shape: { rows: number; keys: number; queryStart: number; keyStart: number }) => void;
} {
  const support = patternSupport(tokenIds);
  const n = support.seqLen;
  const kept: PatternSums = { layers, heads, seqLen: n, sums: new Float64Array(layers * heads * FLAG_COMBINATIONS) };
  const { rowStart, keys, flags } = support;
  // Each entry's index in a head's n × n matrix, once: the hook is then one flat gather (3× faster than per row).
  const at = new Int32Array(keys.length);
  for (let i = 0; i < n; i++) for (let e = rowStart[i]; e < rowStart[i + 1]; e++) at[e] = i * n + keys[e];
  const local = new Float64Array(FLAG_COMBINATIONS);
  const hook = (layer: number, head: number, probs: Float32Array, shape: { rows: number; keys: number; queryStart: number; keyStart: number }): void => {
    if (shape.queryStart !== 0 || shape.keyStart !== 0 || shape.rows !== n || shape.keys !== n) throw new Error('collectPatternSums: the pass must run every token from position 0, without a cache');
    local.fill(0);
    for (let e = 0; e < at.length; e++) local[flags[e]] += probs[at[e]];
    kept.sums.set(local, (layer * heads + head) * FLAG_COMBINATIONS);
  };
  return { kept, hook };
}

/** Running sums of one head's score: the (masked) attention in all, and on each pattern. */
interface Tally {
  total: number;
  prev: number;
  dup: number;
  ind: number;
}

/** Adds attention `v` on an entry with pattern flags `f`; masked entries (exclude_bos / exclude_current_token) leave the denominator and every numerator. */
function tally(acc: Tally, f: number, v: number, opts: HeadScoreOptions): void {
  if ((opts.excludeBos && f & FIRST_KEY) || (opts.excludeCurrentToken && f & CURRENT)) {
    acc.total -= v;
    return;
  }
  if (f & PREVIOUS) acc.prev += v;
  if (f & DUPLICATE) acc.dup += v;
  if (f & INDUCTION) acc.ind += v;
}

/** Previous-token, duplicate-token and induction scores; like the reference, a head whose (masked) attention sums to 0 gets NaN. */
function ratios(acc: Tally): [number, number, number] {
  return [acc.prev / acc.total, acc.dup / acc.total, acc.ind / acc.total];
}

/** One head's three "mul" scores: rowSums(i) gives row i's sum(A), valueAt the pattern entries' values. */
function scoreHead(
  support: PatternSupport, valueAt: (entry: number, row: number, key: number) => number, rowSums: (row: number) => number, opts: HeadScoreOptions,
): [number, number, number] {
  const { rowStart, keys, flags, seqLen: n } = support;
  const acc = { total: 0, prev: 0, dup: 0, ind: 0 };
  for (let i = 0; i < n; i++) {
    acc.total += rowSums(i);
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      tally(acc, flags[e], valueAt(e, i, keys[e]), opts);
    }
  }
  return ratios(acc);
}

/**
 * TransformerLens's detect_head with error_measure "mul" for its three named patterns, over every head.
 * On [BOS] r r a perfect induction head scores about 0.5 here (the first copy has nothing to copy); the
 * standard induction test (inductionTestScores) is the number to quote for "how good an induction head".
 * Reads each matrix's row sums (sum(A) of the reference, over j ≤ i) and only the pattern entries besides.
 */
export function headScores(result: AttentionPatterns, tokenIds: readonly number[], opts: HeadScoreOptions = {}): HeadScores {
  const n = result.seqLen;
  if (tokenIds.length !== n) throw new Error(`headScores: ${tokenIds.length} token ids for a ${n}-token result`);
  const support = patternSupport(tokenIds);
  const out = emptyScores(result.layers, result.heads);
  for (let l = 0; l < result.layers; l++) {
    for (let h = 0; h < result.heads; h++) {
      const a = headMatrix(result, l, h);
      const s = scoreHead(support, (_e, i, j) => a[i * n + j], (i) => {
        let sum = 0;
        for (let j = 0; j <= i; j++) sum += a[i * n + j];
        return sum;
      }, opts);
      setScores(out, l * result.heads + h, s);
    }
  }
  return out;
}

/**
 * headScores from what a pass kept (collectPatternSums): the same numbers from 32 sums per head. Every row of a
 * softmax sums to 1, so the reference's sum(A) is seqLen less the masked entries.
 */
export function headScoresFromSums(kept: PatternSums, opts: HeadScoreOptions = {}): HeadScores {
  const out = emptyScores(kept.layers, kept.heads);
  for (let head = 0; head < kept.layers * kept.heads; head++) {
    const base = head * FLAG_COMBINATIONS;
    const acc = { total: kept.seqLen, prev: 0, dup: 0, ind: 0 };
    for (let f = 1; f < FLAG_COMBINATIONS; f++) tally(acc, f, kept.sums[base + f], opts);
    setScores(out, head, ratios(acc));
  }
  return out;
}

/** Per head (layers × heads): the mean over query rows 1… of the attention on key 0 (core sinkShares), from kept sums. */
export function sinkSharesFromSums(kept: PatternSums): Float32Array {
  const n = kept.seqLen;
  const out = new Float32Array(kept.layers * kept.heads);
  for (let head = 0; head < out.length; head++) {
    let sum = 0;
    // Key 0 of rows 1…: every entry on key 0 but row 0's, the only one that is key 0 and the query at once.
    for (let f = 1; f < FLAG_COMBINATIONS; f++) if (f & FIRST_KEY && !(f & CURRENT)) sum += kept.sums[head * FLAG_COMBINATIONS + f];
    out[head] = n < 2 ? NaN : sum / (n - 1);
  }
  return out;
}

function emptyScores(layers: number, heads: number): HeadScores {
  return { previousToken: new Float32Array(layers * heads), duplicateToken: new Float32Array(layers * heads), induction: new Float32Array(layers * heads) };
}

function setScores(out: HeadScores, at: number, [prev, dup, ind]: [number, number, number]): void {
  out.previousToken[at] = prev;
  out.duplicateToken[at] = dup;
  out.induction[at] = ind;
}

/**
 * The standard induction score of every head over runs on [BOS] r r sequences (see repeatedRandomSequences in
 * src/core/train/data.ts): mean over the runs and over the second copy's positions i = half + 1 … 2·half of
 * the attention from i to i − (half − 1). layers × heads, row-major; 1.0 is a perfect induction head.
 */
export function inductionTestScores(results: readonly AttentionPatterns[], half: number): Float32Array {
  if (results.length === 0) throw new Error('inductionTestScores needs at least one run');
  const { layers, heads } = results[0];
  const sums = new Float64Array(layers * heads);
  let count = 0;
  for (const r of results) {
    const n = r.seqLen;
    if (n !== 2 * half + 1) throw new Error(`induction test runs must be [BOS] + 2 × ${half} tokens long; got ${n}`);
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        const a = headMatrix(r, l, h);
        let s = 0;
        for (let i = half + 1; i <= 2 * half; i++) s += a[i * n + i - (half - 1)];
        sums[l * heads + h] += s;
      }
    }
    count += half;
  }
  return Float32Array.from(sums, (s) => s / count);
}

/** The standard test's settings: 10 sequences of 50 random ordinary ids, each repeated twice, fixed seed. */
export const INDUCTION_TEST = { batch: 10, half: 50, seed: 20221 } as const;

/**
 * The standard test's inputs (ARENA's generate_repeated_tokens): `batch` sequences of [BOS] + `half` uniform
 * random ids from 0 … randomIds − 1 (the ordinary, non-special ids), then the same ids again. Seeded.
 */
export function inductionTestSequences(randomIds: number, bos: number, settings: { batch: number; half: number; seed: number } = INDUCTION_TEST): number[][] {
  const rng = new Prng(settings.seed);
  return Array.from({ length: settings.batch }, () => {
    const r = Array.from({ length: settings.half }, () => rng.int(randomIds));
    return [bos, ...r, ...r];
  });
}

/** Runs the standard induction test through `run` (a forward pass returning attention patterns). */
export async function standardInductionTest(
  run: (ids: number[]) => Promise<AttentionPatterns> | AttentionPatterns, randomIds: number, bos: number,
  settings: { batch: number; half: number; seed: number } = INDUCTION_TEST,
): Promise<Float32Array> {
  const results: AttentionPatterns[] = [];
  for (const ids of inductionTestSequences(randomIds, bos, settings)) results.push(await run(ids));
  return inductionTestScores(results, settings.half);
}
