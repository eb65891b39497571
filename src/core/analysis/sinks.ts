// Attention sinks (Xiao et al. 2023, "Efficient Streaming Language Models with Attention Sinks"): many heads
// park most of their attention on the first token. `sinkShares` measures it per head; `withoutFirstKeyView`
// is a display transform only — it hides that column and renormalises what is left, so the rest of the
// pattern can be seen. It is not what the model computed.
import type { AttentionResult } from '../model/runtime';

/**
 * Per head (layers × heads, row-major): the mean over query rows 1…seqLen−1 of the attention on key 0.
 * Row 0 is left out (it can only attend to itself). NaN when seqLen < 2.
 */
export function sinkShares(result: AttentionResult): Float32Array {
  const { layers, heads, seqLen: n } = result;
  const out = new Float32Array(layers * heads);
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      const p = result.probs[l][h];
      let sum = 0;
      for (let i = 1; i < n; i++) sum += p[i * n];
      out[l * heads + h] = n < 2 ? NaN : sum / (n - 1);
    }
  }
  return out;
}

/** A renormalised attention matrix with the first key column removed: a view, not the model's weights. */
export interface FirstKeyHiddenView {
  /** Always true: these are display values, renormalised after dropping key 0. */
  readonly isView: true;
  rows: number;
  /** seqLen − 1: column j is key j + 1. */
  cols: number;
  /** The first key position shown (1). */
  keyOffset: 1;
  /** rows × cols, row-major; each row sums to 1, or is all 0 where nothing but key 0 was attended (row 0). */
  values: Float32Array;
  /** Per row, the share that went to key 0 and is hidden here. */
  hiddenShare: Float32Array;
}

/** Drops key 0 of a seqLen × seqLen attention matrix and renormalises each row over the remaining keys (display only). */
export function withoutFirstKeyView(matrix: Float32Array, seqLen: number): FirstKeyHiddenView {
  if (!Number.isInteger(seqLen) || seqLen < 1 || matrix.length !== seqLen * seqLen) throw new Error(`withoutFirstKeyView: ${matrix.length} values are not a ${seqLen} × ${seqLen} matrix`);
  const cols = seqLen - 1;
  const values = new Float32Array(seqLen * cols);
  const hiddenShare = new Float32Array(seqLen);
  for (let i = 0; i < seqLen; i++) {
    hiddenShare[i] = matrix[i * seqLen];
    let rest = 0;
    for (let j = 1; j < seqLen; j++) rest += matrix[i * seqLen + j];
    if (rest <= 0) continue;
    for (let j = 1; j < seqLen; j++) values[i * cols + j - 1] = matrix[i * seqLen + j] / rest;
  }
  return { isView: true, rows: seqLen, cols, keyOffset: 1, values, hiddenShare };
}
