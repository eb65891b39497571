// Draws the training loss curve as a small standalone SVG (shown by the attention panel and the model card).

/** Points the chart needs from the loss log. */
export interface LossPoint {
  step: number;
  trainLoss: number;
  heldOutLoss?: number;
  /** Best head's standard induction score at this step, when measured. */
  induction?: number;
}

/**
 * An SVG line chart: smoothed training loss, held-out samples as dots, and the bigram baseline as a dashed line;
 * below it, on the same step axis, the best head's induction score when the log has one (the phase change).
 */
export function renderLossSvg(rows: readonly LossPoint[], baseline?: number): string {
  const w = 640;
  const h = 360;
  const ind = rows.filter((r) => r.induction !== undefined);
  const strip = ind.length ? 170 : 0;
  const m = { l: 56, r: 16, t: 28, b: 44 };
  const maxStep = Math.max(1, ...rows.map((r) => r.step));
  // Exponential moving average so the curve reads as a trend, not noise.
  const smooth: number[] = [];
  let ema = rows.length ? rows[0].trainLoss : 0;
  for (const r of rows) {
    ema = 0.9 * ema + 0.1 * r.trainLoss;
    smooth.push(ema);
  }
  const values = [...smooth, ...rows.flatMap((r) => (r.heldOutLoss !== undefined ? [r.heldOutLoss] : [])), ...(baseline ? [baseline] : [])];
  const lo = Math.floor(Math.min(...values));
  const hi = Math.ceil(Math.max(...values.slice(Math.min(5, values.length - 1))));
  const x = (s: number): number => m.l + ((w - m.l - m.r) * s) / maxStep;
  const y = (v: number): number => m.t + ((h - m.t - m.b) * (hi - Math.min(hi, v))) / Math.max(1e-9, hi - lo);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h + strip}" width="${w}" height="${h + strip}" font-family="sans-serif" font-size="12">`);
  parts.push(`<title>Embedded model: training loss (cross-entropy, nats/token)${strip ? ' and induction score' : ''}</title>`);
  parts.push(`<rect x="0" y="0" width="${w}" height="${h + strip}" fill="white"/>`);
  for (let v = lo; v <= hi; v++) {
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${v}</text>`);
  }
  const tickStep = Math.max(1, Math.round(maxStep / 5 / 100) * 100);
  for (let s = 0; s <= maxStep; s += tickStep) {
    parts.push(`<text x="${x(s).toFixed(1)}" y="${h - m.b + 18}" text-anchor="middle" fill="#333">${s}</text>`);
  }
  parts.push(`<text x="${(m.l + w - m.r) / 2}" y="${h - 8}" text-anchor="middle" fill="#333">step</text>`);
  parts.push(`<text x="${m.l}" y="16" fill="#333">cross-entropy (nats/token)</text>`);
  if (baseline) {
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${y(baseline).toFixed(1)}" y2="${y(baseline).toFixed(1)}" stroke="#d55e00" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${w - m.r}" y="${(y(baseline) - 6).toFixed(1)}" text-anchor="end" fill="#d55e00">bigram baseline ${baseline.toFixed(3)}</text>`);
  }
  const pts = rows.map((r, i) => `${x(r.step).toFixed(1)},${y(smooth[i]).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${pts}" fill="none" stroke="#0072b2" stroke-width="2"/>`);
  for (const r of rows) {
    if (r.heldOutLoss !== undefined) parts.push(`<circle cx="${x(r.step).toFixed(1)}" cy="${y(r.heldOutLoss).toFixed(1)}" r="3" fill="#009e73"/>`);
  }
  parts.push(`<text x="${w - m.r}" y="16" text-anchor="end" fill="#0072b2">train (smoothed)</text>`);
  parts.push(`<text x="${w - m.r}" y="32" text-anchor="end" fill="#009e73">● held-out sample</text>`);
  if (strip) {
    // Induction strip: 0 … 1 on its own axis, same steps as the loss above.
    const top = h + 10;
    const bottom = h + strip - 24;
    const yi = (v: number): number => bottom - (bottom - top) * Math.max(0, Math.min(1, v));
    for (const v of [0, 0.5, 1]) {
      parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${yi(v).toFixed(1)}" y2="${yi(v).toFixed(1)}" stroke="#ddd"/>`);
      parts.push(`<text x="${m.l - 8}" y="${(yi(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${v}</text>`);
    }
    parts.push(`<line x1="${m.l}" x2="${w - m.r}" y1="${yi(0.4).toFixed(1)}" y2="${yi(0.4).toFixed(1)}" stroke="#cc79a7" stroke-dasharray="6 4"/>`);
    const ipts = ind.map((r) => `${x(r.step).toFixed(1)},${yi(r.induction as number).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${ipts}" fill="none" stroke="#cc79a7" stroke-width="2"/>`);
    parts.push(`<text x="${m.l}" y="${top + 2}" fill="#333">induction score of the best head (standard test: [BOS] r r, 10 × 50 random tokens)</text>`);
    parts.push(`<text x="${(m.l + w - m.r) / 2}" y="${h + strip - 6}" text-anchor="middle" fill="#333">step</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
