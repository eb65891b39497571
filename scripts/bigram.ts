// The baseline the embedded model must beat: a bigram model with add-k smoothing, trained on the same tokens.

/** Held-out cross-entropy (nats/token) of the best add-k bigram, plus the unigram for reference. */
export interface BigramResult {
  loss: number;
  k: number;
  unigramLoss: number;
  byK: { k: number; loss: number }[];
}

/**
 * Counts bigrams on the training stream, then scores exactly the (input, target) pairs the model is scored on:
 * evalTokens[s+i] -> evalTokens[s+i+1] for each window start s and i < ctx. k is picked on the held-out set
 * itself, which can only flatter the baseline (a conservative comparison).
 */
export function bigramBaseline(train: Int32Array, evalTokens: Int32Array, starts: number[], ctx: number, vocab: number): BigramResult {
  const counts = new Float64Array(vocab * vocab);
  const rowTotals = new Float64Array(vocab);
  const uni = new Float64Array(vocab);
  for (let i = 0; i + 1 < train.length; i++) {
    counts[train[i] * vocab + train[i + 1]]++;
    rowTotals[train[i]]++;
  }
  for (let i = 0; i < train.length; i++) uni[train[i]]++;
  const byK: { k: number; loss: number }[] = [];
  for (const k of [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1]) {
    let sum = 0;
    let n = 0;
    for (const s of starts) {
      for (let i = 0; i < ctx; i++) {
        const a = evalTokens[s + i];
        const b = evalTokens[s + i + 1];
        sum -= Math.log((counts[a * vocab + b] + k) / (rowTotals[a] + k * vocab));
        n++;
      }
    }
    byK.push({ k, loss: sum / n });
  }
  let uniSum = 0;
  let uniN = 0;
  for (const s of starts) {
    for (let i = 0; i < ctx; i++) {
      uniSum -= Math.log((uni[evalTokens[s + i + 1]] + 1) / (train.length + vocab));
      uniN++;
    }
  }
  const best = byK.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { loss: best.loss, k: best.k, unigramLoss: uniSum / uniN, byK };
}
