// Text exports of attention matrices (CSV), kept pure so they are unit-tested without VS Code.

/** One CSV field: quoted when needed, and defused when a spreadsheet would read it as a formula. */
function csvField(text: string): string {
  // A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell (CSV injection, OWASP).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * A seqLen × seqLen matrix as CSV: a header row of key tokens, then one row per query token.
 * Tokens are prefixed with their position so repeated tokens stay distinguishable.
 */
export function attentionCsv(tokens: readonly string[], matrix: Float32Array): string {
  const n = tokens.length;
  if (matrix.length !== n * n) throw new Error(`attentionCsv: ${matrix.length} values for ${n} tokens`);
  const label = (i: number): string => csvField(`${i}:${tokens[i]}`);
  const lines = [['query \\ key', ...tokens.map((_, j) => label(j))].join(',')];
  for (let i = 0; i < n; i++) {
    const row = [label(i)];
    for (let j = 0; j < n; j++) row.push(String(matrix[i * n + j]));
    lines.push(row.join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
