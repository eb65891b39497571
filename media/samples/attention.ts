// Scaled dot-product attention for one head, written out the way the Transformer paper describes it.
// Select this function and run "LLM Lens: Show Attention for Selection" or "LLM Lens: Tokenize Selection".

/** softmax(Q·Kᵀ / √d_k + mask) · V for one query row. */
export function attend(query: number[], keys: number[][], values: number[][]): number[] {
  const dK = query.length;
  const scores = keys.map((key) => key.reduce((sum, k, i) => sum + k * query[i], 0) / Math.sqrt(dK));
  const max = Math.max(...scores);
  const weights = scores.map((score) => Math.exp(score - max));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  // `.reduce((sum, …) => sum + …, 0)` comes back three times: on each later copy, an induction head
  // attends to the token that followed the earlier one.
  return values[0].map((_, i) => values.reduce((sum, value, j) => sum + value[i] * weights[j], 0) / total);
}
