// The logit lens (nostalgebraist 2020; TransformerLens's `accumulated_resid` + `apply_ln_to_stack` +
// `unembed`, transformer_lens/ActivationCache.py): the model's own final norm and unembedding applied to the
// residual stream after every layer, so each layer's "current guess" for the next token can be read. The
// last layer's entry is exactly the model's output (the same final norm and LM head, from the same residual).
import { AttentionInputError } from '../model/errors';
import type { Model } from '../model/load';
import { forward, unembed } from '../model/runtime';

/** Options of `logitLens`: how many candidates per row, and which positions to unembed (default: all). */
export interface LogitLensOptions {
  topK?: number;
  positions?: number[];
}

/**
 * Per layer (index = layer): rows = the requested positions in the order given, × topK, row-major, best
 * first; `entropy[layer][row]` is the entropy of that row's full softmax over the vocabulary (nats).
 */
export interface LogitLens {
  ids: Int32Array[];
  probs: Float32Array[];
  entropy: Float32Array[];
}

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
  const gathered = new Float32Array(R * H);
  const out: LogitLens = { ids: [], probs: [], entropy: [] };
  await forward(model, tokenIds, {
    logits: 'none',
    hooks: {
      residual: (layer, x) => {
        // Only the asked-for rows are unembedded: one row costs vocab × hidden multiply-adds.
        for (let r = 0; r < R; r++) gathered.set(x.subarray(positions[r] * H, (positions[r] + 1) * H), r * H);
        const logits = unembed(model, gathered, R);
        const ids = new Int32Array(R * topK);
        const probs = new Float32Array(R * topK);
        const entropy = new Float32Array(R);
        for (let r = 0; r < R; r++) entropy[r] = topKRow(logits.subarray(r * c.vocab, (r + 1) * c.vocab), topK, ids.subarray(r * topK, (r + 1) * topK), probs.subarray(r * topK, (r + 1) * topK));
        out.ids[layer] = ids;
        out.probs[layer] = probs;
        out.entropy[layer] = entropy;
      },
    },
  });
  return out;
}

/** Fills the k best ids and their softmax probabilities (best first, lower id first on ties); returns the row's entropy in nats. */
function topKRow(logits: Float32Array, k: number, ids: Int32Array, probs: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  // H = log Z − Σ p·(x − max), with Z = Σ exp(x − max): one pass, no probability vector kept.
  let z = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const s = logits[i] - max;
    const e = Math.exp(s);
    z += e;
    weighted += e * s;
  }
  const entropy = Math.log(z) - weighted / z;
  // Partial selection into a small sorted list (O(vocab · k), no sort of the vocabulary).
  let n = 0;
  for (let id = 0; id < logits.length; id++) {
    const v = logits[id];
    if (n === k && v <= logits[ids[k - 1]]) continue;
    let at = n < k ? n : k - 1;
    while (at > 0 && v > logits[ids[at - 1]]) {
      ids[at] = ids[at - 1];
      at--;
    }
    ids[at] = id;
    if (n < k) n++;
  }
  for (let j = 0; j < k; j++) probs[j] = Math.exp(logits[ids[j]] - max) / z;
  return entropy;
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
