// Scaled dot-product attention for one head, written out the way the Transformer paper describes it.
// Select this function and run "LLM Lens: Show Attention for Selection" or "LLM Lens: Tokenize Selection".

/** softmax(Q·Kᵀ / √d_k + mask) · V for one query row. */
export function attend(query: number[], keys: number[][], values: number[][]): number[] {
  const dK = query.length;
  const scores = keys.map((key) => key.reduce((sum, k, i) => sum + k * query[i], 0) / Math.sqrt(dK));
  const max = Math.max(...scores);
  const weights = scores.map((s) => Math.exp(s - max));
  const total = weights.reduce((a, b) => a + b, 0);
  const output = new Array<number>(values[0].length).fill(0);
  values.forEach((value, j) => value.forEach((v, i) => (output[i] += (weights[j] / total) * v)));
  return output;
}
