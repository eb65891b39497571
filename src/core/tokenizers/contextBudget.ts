// The status bar's context budget: what share of a model's context window a token count takes.

/** A context window's size written short: 128000 → "128k", 131072 → "128k" (2^17), 256000 → "256k", 1048576 → "1M", 200000 → "200k". */
export function formatContextWindow(tokens: number): string {
  // Model cards name windows both ways (128,000 and 131,072 are both "128k"), so both bases are accepted.
  for (const [unit, suffix] of [
    [1_000_000, 'M'],
    [1_048_576, 'M'],
    [1_000, 'k'],
    [1_024, 'k'],
  ] as const) {
    if (tokens >= unit && tokens % unit === 0) return `${tokens / unit}${suffix}`;
  }
  return tokens.toLocaleString('en-US');
}

/** The share of a `window`-token context that `count` tokens take, in percent with one decimal ("0.9%", "<0.1%", "150%"). */
export function formatContextShare(count: number, window: number): string {
  if (!(window > 0)) return '';
  const percent = (count / window) * 100;
  if (count > 0 && percent < 0.1) return '<0.1%';
  const rounded = Math.round(percent * 10) / 10;
  return `${rounded >= 100 ? Math.round(rounded) : rounded.toFixed(1)}%`;
}
