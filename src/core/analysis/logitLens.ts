// The logit lens (nostalgebraist 2020; TransformerLens's `accumulated_resid` + `apply_ln_to_stack` +
// `unembed`, transformer_lens/ActivationCache.py; tuned-lens's LogitLens, whose Unembed.forward is
// `unembedding(final_norm(h))`, tuned_lens/nn/unembed.py): the model's own final norm and unembedding applied to
// the residual stream after every layer, so each layer's "current guess" for the next token can be read. The
// last layer's entry is exactly the model's output (the same final norm and LM head, from the same residual).
// Cost: the unembedding is layers × positions × vocab × hidden multiply-adds. Every layer's rows go through ONE
// product, a block of vocabulary rows at a time (each block of the LM head is read and fed to the SIMD kernel once,
// not once per layer), and each row keeps only its running top-k, softmax normaliser and entropy sums.
import { AttentionInputError } from '../model/errors';
import type { Model } from '../model/load';
import { finalNorm, forward, softcapInPlace } from '../model/runtime';
import { linear, weightRows } from '../tensor/weights';
import { unembedInt16 } from './lensInt16';

/** Options of `logitLens`: how many candidates per row, and which positions to unembed (default: all). */
export interface LogitLensOptions {
  topK?: number;
  positions?: number[];
  /** Vocabulary rows per product (memory against speed; the results do not depend on it). Default: ~16 MiB of logits. */
  vocabBlock?: number;
  /**
   * 'f32': every logit in float32. 'int16': the unembedding in 16-bit integers (lensInt16.ts: exact top-k ids and
   * logits; Z and the entropy within the reported bounds), falling back to 'f32' where it cannot run or its logit
   * bound would exceed 0.01 nats. 'auto' (default): 'int16' for products of at least 2^26 multiply-adds without
   * a final soft-cap, else 'f32'.
   */
  precision?: 'auto' | 'f32' | 'int16';
}

/**
 * Per layer (index = layer): rows = the requested positions in the order given, × topK, row-major, best
 * first; `entropy[layer][row]` is the entropy of that row's full softmax over the vocabulary (nats).
 */
export interface LogitLens {
  ids: Int32Array[];
  probs: Float32Array[];
  entropy: Float32Array[];
  /** Bound on the error of any logit that entered a softmax normaliser or entropy (nats); 0 when all were float32. */
  maxLogitError?: number;
  /** Bound on the absolute error of any returned probability (0 when exact). */
  maxProbError?: number;
  /** Bound on the absolute error of any returned entropy (nats; 0 when exact). */
  maxEntropyError?: number;
}

/** Largest logit error bound the int16 unembedding may have (beyond it the lens runs in float32). */
export const LOGIT_LENS_MAX_LOGIT_ERROR = 0.01;
/** Products (rows × vocab × hidden) from which 'auto' unembeds in int16. */
const INT16_MIN_PRODUCT = 2 ** 26;

/** The candidates kept per row when `topK` is not given. */
export const LOGIT_LENS_DEFAULT_TOP_K = 10;

/** The final norm + unembedding of the residual stream after each layer, at the requested positions (architecture.md). */
export async function logitLens(model: Model, tokenIds: number[], opts: LogitLensOptions = {}): Promise<LogitLens> {
  const c = model.config;
  const T = tokenIds.length;
  const topK = opts.topK ?? LOGIT_LENS_DEFAULT_TOP_K;
  if (!Number.isInteger(topK) || topK < 1 || topK > c.vocab) throw new AttentionInputError(`logit lens: topK must be a whole number from 1 to ${c.vocab} (the vocabulary), not ${topK}`);
  const positions = opts.positions ?? Array.from({ length: T }, (_, i) => i);
  for (const p of positions) {
    if (!Number.isInteger(p) || p < 0 || p >= T) throw new AttentionInputError(`logit lens: position ${p} is outside the ${T} tokens (0 to ${T - 1})`);
  }
  const H = c.hidden;
  const R = positions.length;
  const L = c.layers;
  // Every layer's asked-for rows, layer-major: row l·R + r is position positions[r] after layer l.
  const gathered = new Float32Array(L * R * H);
  await forward(model, tokenIds, {
    logits: 'none',
    hooks: {
      residual: (layer, x) => {
        for (let r = 0; r < R; r++) gathered.set(x.subarray(positions[r] * H, (positions[r] + 1) * H), (layer * R + r) * H);
      },
    },
  });
  const rows = L * R;
  const precision = opts.precision ?? 'auto';
  const int16 = rows > 0 && c.block.finalSoftcap === undefined && opts.vocabBlock === undefined
    && (precision === 'int16' || (precision === 'auto' && rows * c.vocab * H >= INT16_MIN_PRODUCT))
    ? unembedInt16(model, finalNorm(model, gathered, rows), rows, topK, LOGIT_LENS_MAX_LOGIT_ERROR) : undefined;
  if (int16) {
    const out: LogitLens = { ids: [], probs: [], entropy: [], maxLogitError: int16.logitError, maxProbError: int16.probError, maxEntropyError: int16.entropyError };
    for (let l = 0; l < L; l++) {
      out.ids[l] = int16.ids.slice(l * R * topK, (l + 1) * R * topK);
      out.probs[l] = int16.probs.slice(l * R * topK, (l + 1) * R * topK);
      out.entropy[l] = int16.entropy.slice(l * R, (l + 1) * R);
    }
    return out;
  }
  const best = new TopKRows(rows, topK);
  if (rows > 0) {
    const normed = finalNorm(model, gathered, rows);
    const block = Math.max(1, Math.min(c.vocab, opts.vocabBlock ?? Math.floor((4 << 20) / rows)));
    for (let start = 0; start < c.vocab; start += block) {
      const count = Math.min(block, c.vocab - start);
      const logits = linear(normed, rows, weightRows(model.weights.lmHead, start, count));
      if (c.block.finalSoftcap !== undefined) softcapInPlace(logits, c.block.finalSoftcap);
      best.add(logits, start, count);
    }
  }
  const out: LogitLens = { ids: [], probs: [], entropy: [], maxLogitError: 0, maxProbError: 0, maxEntropyError: 0 };
  for (let l = 0; l < L; l++) {
    const ids = new Int32Array(R * topK);
    const probs = new Float32Array(R * topK);
    const entropy = new Float32Array(R);
    for (let r = 0; r < R; r++) entropy[r] = best.finish(l * R + r, ids.subarray(r * topK, (r + 1) * topK), probs.subarray(r * topK, (r + 1) * topK));
    out.ids[l] = ids;
    out.probs[l] = probs;
    out.entropy[l] = entropy;
  }
  return out;
}

/**
 * Per row, over the vocabulary fed a block of ids at a time (in id order): the k best logits (best first, lower
 * id first on ties), the running max m, Z = Σ exp(x − m) and W = Σ exp(x − m)·(x − m), so the softmax
 * probabilities and the entropy H = log Z − W/Z come out without any row's full logits being kept.
 */
class TopKRows {
  private readonly ids: Int32Array;
  private readonly vals: Float32Array;
  private readonly filled: Int32Array;
  private readonly max: Float64Array;
  private readonly z: Float64Array;
  private readonly w: Float64Array;

  constructor(rows: number, private readonly k: number) {
    this.ids = new Int32Array(rows * k);
    this.vals = new Float32Array(rows * k);
    this.filled = new Int32Array(rows);
    this.max = new Float64Array(rows).fill(-Infinity);
    this.z = new Float64Array(rows);
    this.w = new Float64Array(rows);
  }

  /** Folds in `logits` (rows × count, row-major) for vocabulary ids start … start + count − 1. */
  add(logits: Float32Array, start: number, count: number): void {
    const k = this.k;
    for (let r = 0; r < this.filled.length; r++) {
      const row = r * count;
      let m = this.max[r];
      let blockMax = -Infinity;
      for (let i = 0; i < count; i++) if (logits[row + i] > blockMax) blockMax = logits[row + i];
      let z = this.z[r];
      let w = this.w[r];
      if (blockMax > m) {
        // Rescale the sums to the new max: Σ e^(x−m')(x−m') = e^(m−m')·(W + (m − m')·Z).
        const f = m === -Infinity ? 0 : Math.exp(m - blockMax);
        w = m === -Infinity ? 0 : f * (w + (m - blockMax) * z);
        z *= f;
        m = blockMax;
      }
      for (let i = 0; i < count; i++) {
        const s = logits[row + i] - m;
        const e = Math.exp(s);
        z += e;
        w += e * s;
      }
      this.max[r] = m;
      this.z[r] = z;
      this.w[r] = w;
      // Partial selection into the row's small sorted list (O(count · k) at worst, no sort of the vocabulary).
      const ids = this.ids;
      const vals = this.vals;
      const base = r * k;
      let n = this.filled[r];
      for (let i = 0; i < count; i++) {
        const v = logits[row + i];
        if (n === k && v <= vals[base + k - 1]) continue;
        let at = n < k ? n : k - 1;
        while (at > 0 && v > vals[base + at - 1]) {
          ids[base + at] = ids[base + at - 1];
          vals[base + at] = vals[base + at - 1];
          at--;
        }
        ids[base + at] = start + i;
        vals[base + at] = v;
        if (n < k) n++;
      }
      this.filled[r] = n;
    }
  }

  /** Row `r`'s best ids and their softmax probabilities into the given arrays; returns its entropy in nats. */
  finish(r: number, ids: Int32Array, probs: Float32Array): number {
    const k = this.k;
    const z = this.z[r];
    for (let j = 0; j < k; j++) {
      ids[j] = this.ids[r * k + j];
      probs[j] = Math.exp(this.vals[r * k + j] - this.max[r]) / z;
    }
    return Math.log(z) - this.w[r] / z;
  }
}

/**
 * Per row of a lens: the first layer whose top-1 is the final layer's top-1 (the model's answer), or, with
 * `stays`, the first layer from which it remains top-1 in every later layer. The last layer always qualifies.
 */
export function answerFirstLayer(lens: LogitLens, opts: { stays?: boolean } = {}): Int32Array {
  const L = lens.ids.length;
  if (L === 0) return new Int32Array(0);
  const rows = lens.entropy[L - 1].length;
  const k = rows === 0 ? 1 : lens.ids[L - 1].length / rows;
  const first = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const answer = lens.ids[L - 1][r * k];
    let layer = L - 1;
    if (opts.stays) {
      while (layer > 0 && lens.ids[layer - 1][r * k] === answer) layer--;
    } else {
      for (let l = 0; l < L; l++) {
        if (lens.ids[l][r * k] === answer) { layer = l; break; }
      }
    }
    first[r] = layer;
  }
  return first;
}
