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

/**
 * TransformerLens's detect_head with error_measure "mul" for its three named patterns, over every head.
 * On [BOS] r r a perfect induction head scores about 0.5 here (the first copy has nothing to copy); the
 * standard induction test (inductionTestScores) is the number to quote for "how good an induction head".
 */
export function headScores(result: AttentionPatterns, tokenIds: readonly number[], opts: HeadScoreOptions = {}): HeadScores {
  const n = result.seqLen;
  if (tokenIds.length !== n) throw new Error(`headScores: ${tokenIds.length} token ids for a ${n}-token result`);
  const out: HeadScores = {
    previousToken: new Float32Array(result.layers * result.heads),
    duplicateToken: new Float32Array(result.layers * result.heads),
    induction: new Float32Array(result.layers * result.heads),
  };
  for (let l = 0; l < result.layers; l++) {
    for (let h = 0; h < result.heads; h++) {
      const a = headMatrix(result, l, h);
      let total = 0, prev = 0, dup = 0, ind = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          if ((opts.excludeBos && j === 0) || (opts.excludeCurrentToken && j === i)) continue;
          const v = a[i * n + j];
          total += v;
          if (j === i - 1) prev += v;
          if (j < i && tokenIds[j] === tokenIds[i]) dup += v;
          // The duplicate pattern rolled one column right, first column zeroed, then tril: key j ≥ 1 whose
          // previous token j − 1 (≠ i) equals the query's token.
          if (j >= 1 && j - 1 !== i && tokenIds[j - 1] === tokenIds[i]) ind += v;
        }
      }
      // Like the reference, a head whose (masked) attention sums to 0 gets NaN: there is nothing to score.
      out.previousToken[l * result.heads + h] = prev / total;
      out.duplicateToken[l * result.heads + h] = dup / total;
      out.induction[l * result.heads + h] = ind / total;
    }
  }
  return out;
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
