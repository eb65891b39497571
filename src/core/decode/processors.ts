// Logit processors, applied in Hugging Face's order: repetition penalty, temperature, top-k, top-p, min-p.
// Semantics follow transformers, src/transformers/generation/logits_process.py:
//   RepetitionPenaltyLogitsProcessor: a token already in the sequence has its logit divided by the penalty when
//     positive and multiplied by it when negative (so a penalty > 1 always makes it less likely);
//   TemperatureLogitsWarper: logits / T;
//   TopKLogitsWarper: removes scores below the k-th largest (ties with it are kept);
//   TopPLogitsWarper: sorts ascending, removes the tokens whose cumulative probability is ≤ 1 − p, i.e. keeps
//     the smallest set of best tokens whose probability reaches p, never fewer than one token;
//   MinPLogitsWarper: removes tokens whose probability is below min_p × the top token's probability.
// A removed token is what transformers sets to −inf: later warpers see the survivors only.

/** The processor settings (undefined or neutral values switch a processor off). */
export interface ProcessorSettings {
  repetitionPenalty?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
}

/** One distribution after the processors, for the whole vocabulary. */
export interface ProcessedLogits {
  /** Logits after the repetition penalty and the temperature (before the cuts). */
  scores: Float32Array;
  /** Softmax of `scores` (before the cuts). */
  probBefore: Float64Array;
  /** 1 for the tokens that survived top-k, top-p and min-p. */
  kept: Uint8Array;
  /** Renormalised probabilities over the kept tokens (0 elsewhere). */
  prob: Float64Array;
}

/** Throws a RangeError unless the settings are in range (temperature > 0, top-k ≥ 0, 0 < top-p ≤ 1, 0 ≤ min-p ≤ 1, penalty > 0). */
export function validateSettings(s: ProcessorSettings): void {
  const bad = (what: string): never => {
    throw new RangeError(what);
  };
  if (s.repetitionPenalty !== undefined && !(s.repetitionPenalty > 0 && Number.isFinite(s.repetitionPenalty))) bad(`repetition penalty must be a positive number, got ${s.repetitionPenalty}`);
  if (s.temperature !== undefined && !(s.temperature > 0 && Number.isFinite(s.temperature))) bad(`temperature must be a positive number (use greedy for T → 0), got ${s.temperature}`);
  if (s.topK !== undefined && !(Number.isInteger(s.topK) && s.topK >= 0)) bad(`top-k must be a whole number ≥ 0 (0 = off), got ${s.topK}`);
  if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) bad(`top-p must be in (0, 1], got ${s.topP}`);
  if (s.minP !== undefined && !(s.minP >= 0 && s.minP <= 1)) bad(`min-p must be in [0, 1], got ${s.minP}`);
}

/** A copy of `logits` with the repetition penalty applied to every token id in `seen` (transformers' rule). */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): Float32Array {
  const out = logits.slice();
  if (penalty === 1) return out;
  for (const id of new Set(seen)) {
    if (id < 0 || id >= out.length) continue;
    const v = logits[id];
    out[id] = v < 0 ? v * penalty : v / penalty;
  }
  return out;
}

/** A copy of `logits` divided by the temperature. */
export function applyTemperature(logits: Float32Array, temperature: number): Float32Array {
  const out = logits.slice();
  if (temperature === 1) return out;
  for (let i = 0; i < out.length; i++) out[i] = logits[i] / temperature;
  return out;
}

/** Softmax over the tokens with keep[i] = 1 (all when `keep` is undefined), in float64; 0 for the others. */
export function softmax(scores: ArrayLike<number>, keep?: Uint8Array): Float64Array {
  const n = scores.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if ((keep === undefined || keep[i]) && scores[i] > max) max = scores[i];
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (keep !== undefined && !keep[i]) continue;
    out[i] = Math.exp(scores[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** Ids of the kept tokens, best score first (ties: lower id first). */
function keptByScore(scores: ArrayLike<number>, keep: Uint8Array): number[] {
  const ids: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i]) ids.push(i);
  return ids.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Top-k in place on `keep`: removes kept tokens scoring below the k-th best kept score (ties with it stay). k = 0 is off. */
export function topKFilter(scores: ArrayLike<number>, keep: Uint8Array, k: number): void {
  if (k <= 0) return;
  const ranked = keptByScore(scores, keep);
  if (k >= ranked.length) return;
  const threshold = scores[ranked[k - 1]];
  for (const id of ranked) if (scores[id] < threshold) keep[id] = 0;
}

/** Top-p (nucleus) in place on `keep`: keeps the smallest set of best tokens whose probability reaches p (at least one). */
export function topPFilter(scores: ArrayLike<number>, keep: Uint8Array, p: number): void {
  if (p >= 1) return;
  const probs = softmax(scores, keep);
  const ascending = keptByScore(scores, keep).reverse();
  let cumulative = 0;
  // As transformers: walking from the worst token, remove while the cumulative mass is ≤ 1 − p; the best stays.
  for (let i = 0; i < ascending.length - 1; i++) {
    cumulative += probs[ascending[i]];
    if (cumulative <= 1 - p) keep[ascending[i]] = 0;
    else break;
  }
}

/** Min-p in place on `keep`: removes kept tokens whose probability is below minP × the best kept probability. */
export function minPFilter(scores: ArrayLike<number>, keep: Uint8Array, minP: number): void {
  if (minP <= 0) return;
  const probs = softmax(scores, keep);
  let top = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > top) top = probs[i];
  for (let i = 0; i < probs.length; i++) if (keep[i] && probs[i] < minP * top) keep[i] = 0;
}

/**
 * Runs the processors in Hugging Face's order on one row of logits. `history` = the prompt and the tokens made
 * so far (what the repetition penalty looks at). With `cuts: false` only the penalty and the temperature apply.
 */
export function processLogits(logits: Float32Array, history: readonly number[], s: ProcessorSettings, cuts = true): ProcessedLogits {
  let scores = applyRepetitionPenalty(logits, history, s.repetitionPenalty ?? 1);
  scores = applyTemperature(scores, s.temperature ?? 1);
  const probBefore = softmax(scores);
  const kept = new Uint8Array(scores.length).fill(1);
  if (cuts) {
    topKFilter(scores, kept, s.topK ?? 0);
    topPFilter(scores, kept, s.topP ?? 1);
    minPFilter(scores, kept, s.minP ?? 0);
  }
  return { scores, probBefore, kept, prob: softmax(scores, kept) };
}

/** Draws one token id from `probs` (summing to 1) with a uniform number u in [0, 1): inverse CDF in id order. */
export function drawFrom(probs: ArrayLike<number>, u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the total a hair under 1: the last token with mass takes the rest.
  return last;
}

/** Shannon entropy in nats of a probability vector. */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0) h -= probs[i] * Math.log(probs[i]);
  return h;
}
