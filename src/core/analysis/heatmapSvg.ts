// Export builders for a heatmap view: standalone SVG text and a self-contained HTML document around it (no
// scripts, no network: inline SVG and one inline style under a CSP that forbids everything else). Pure string
// builders, so the extension only has to save what they return.

/** What a heatmap shows: `values` is rows × cols, row-major (NaN = no value, drawn empty). */
export interface HeatmapSpec {
  /** Heading of the figure (SVG title text and the HTML document's title). */
  title: string;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  values: Float32Array | readonly number[];
  /** Colour-scale ends (default: the finite values' min and max). */
  min?: number;
  max?: number;
  /** Caption of the colour legend, e.g. "attention weight". */
  legendLabel?: string;
  /** Side of one cell in px (default 14). */
  cellSize?: number;
}

/** Extra text of the HTML export. */
export interface HeatmapHtmlOptions {
  /** The document's language (BCP 47), default "en". */
  lang?: string;
  /** A paragraph under the heading (e.g. the model, layer and head, or that the values are a renormalised view). */
  description?: string;
}

// matplotlib's viridis sampled at 0, 1/8, …, 1 (lib/matplotlib/_cm_listed.py, _viridis_data), interpolated linearly in sRGB.
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54], [0x47, 0x2d, 0x7b], [0x3b, 0x52, 0x8b], [0x2c, 0x72, 0x8e], [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80], [0x5e, 0xc9, 0x62], [0xad, 0xdc, 0x30], [0xfd, 0xe7, 0x25],
];

/** The viridis colour at t ∈ [0, 1] (clamped) as #rrggbb. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const hex = (k: number): string => Math.round(VIRIDIS[i][k] + (VIRIDIS[i + 1][k] - VIRIDIS[i][k]) * f).toString(16).padStart(2, '0');
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

/** Escapes text for XML/HTML content and attribute values, and makes control characters visible (XML 1.0 forbids most of them). */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&#39;';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) out += '\ufffd'; // lone surrogates, non-characters
    else out += ch;
  }
  return out;
}

/** Rough label width: SVG has no text metrics without a renderer; 7 px per character at 11 px, wide scripts twice. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) as number) > 0x2e80 ? 11 : 7;
  return w;
}

/** Shortens a label for an axis (the full text stays in the cell tooltips). */
function clip(text: string, max = 24): string {
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : text;
}

/** Formats a legend or tooltip number. */
function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** The figure's pixel size and where the grid starts (exported so views and tests agree on the layout). */
export interface HeatmapLayout {
  width: number;
  height: number;
  gridX: number;
  gridY: number;
  cell: number;
}

/** The layout `heatmapSvg` uses for a spec. */
export function heatmapLayout(spec: HeatmapSpec): HeatmapLayout {
  const cell = spec.cellSize ?? 14;
  const rowLabelW = Math.max(0, ...spec.rowLabels.map((l) => textWidth(clip(`${l}`)))) + 8;
  const colLabelH = Math.max(0, ...spec.colLabels.map((l) => textWidth(clip(`${l}`)))) + 8;
  const titleH = 28;
  const gridX = 8 + rowLabelW;
  const gridY = titleH + colLabelH;
  const legendW = 90;
  const gridW = spec.colLabels.length * cell;
  const gridH = spec.rowLabels.length * cell;
  const width = Math.max(gridX + gridW + legendW, 8 + textWidth(spec.title) + 8);
  const height = gridY + Math.max(gridH, 120) + 28;
  return { width, height, gridX, gridY, cell };
}

/** A heatmap as standalone SVG text: title, row and column labels, one rect per cell with a tooltip, and a viridis colour legend. */
export function heatmapSvg(spec: HeatmapSpec, idPrefix = 'heatmap'): string {
  const rows = spec.rowLabels.length;
  const cols = spec.colLabels.length;
  if (spec.values.length !== rows * cols) throw new Error(`heatmapSvg: ${spec.values.length} values for ${rows} rows × ${cols} columns`);
  if (!/^[A-Za-z][\w-]*$/.test(idPrefix)) throw new Error(`heatmapSvg: "${idPrefix}" is not a usable id prefix`);
  let lo = spec.min ?? Infinity;
  let hi = spec.max ?? -Infinity;
  if (spec.min === undefined || spec.max === undefined) {
    for (const v of spec.values) {
      if (!Number.isFinite(v)) continue;
      if (spec.min === undefined) lo = Math.min(lo, v);
      if (spec.max === undefined) hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  const span = hi > lo ? hi - lo : 1;
  const { width, height, gridX, gridY, cell } = heatmapLayout(spec);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="${idPrefix}-title">`);
  out.push(`<title id="${idPrefix}-title">${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  for (let i = 0; i < rows; i++) {
    out.push(`<text x="${gridX - 4}" y="${gridY + i * cell + cell / 2}" text-anchor="end" dominant-baseline="middle">${escapeXml(clip(`${spec.rowLabels[i]}`))}</text>`);
  }
  for (let j = 0; j < cols; j++) {
    const x = gridX + j * cell + cell / 2;
    out.push(`<text transform="translate(${x} ${gridY - 4}) rotate(-90)" dominant-baseline="middle">${escapeXml(clip(`${spec.colLabels[j]}`))}</text>`);
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = spec.values[i * cols + j];
      const fill = Number.isFinite(v) ? viridis((v - lo) / span) : 'none';
      const tip = `${spec.rowLabels[i]} → ${spec.colLabels[j]}: ${num(v)}`;
      out.push(`<rect x="${gridX + j * cell}" y="${gridY + i * cell}" width="${cell}" height="${cell}" fill="${fill}"><title>${escapeXml(tip)}</title></rect>`);
    }
  }
  // The legend: a vertical gradient from max (top) to min (bottom) with both ends and the midpoint labelled.
  const lx = gridX + cols * cell + 16;
  const lh = 100;
  out.push(`<defs><linearGradient id="${idPrefix}-scale" x1="0" y1="1" x2="0" y2="0">`);
  for (let s = 0; s < VIRIDIS.length; s++) out.push(`<stop offset="${(s / (VIRIDIS.length - 1)).toFixed(3)}" stop-color="${viridis(s / (VIRIDIS.length - 1))}"/>`);
  out.push('</linearGradient></defs>');
  out.push(`<g class="legend"><rect x="${lx}" y="${gridY}" width="12" height="${lh}" fill="url(#${idPrefix}-scale)" stroke="#888888"/>`);
  out.push(`<text x="${lx + 16}" y="${gridY + 4}" dominant-baseline="middle">${escapeXml(num(hi))}</text>`);
  out.push(`<text x="${lx + 16}" y="${gridY + lh / 2}" dominant-baseline="middle">${escapeXml(num((lo + hi) / 2))}</text>`);
  out.push(`<text x="${lx + 16}" y="${gridY + lh - 4}" dominant-baseline="middle">${escapeXml(num(lo))}</text>`);
  if (spec.legendLabel) out.push(`<text x="${lx}" y="${gridY + lh + 16}">${escapeXml(clip(spec.legendLabel, 14))}</text>`);
  out.push('</g></svg>');
  return out.join('\n');
}

/** A self-contained HTML document (XHTML-compatible, no scripts, no network) holding the heatmap as inline SVG. */
export function heatmapHtml(spec: HeatmapSpec, opts: HeatmapHtmlOptions = {}): string {
  const lang = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(opts.lang ?? '') ? (opts.lang as string) : 'en';
  return [
    '<!DOCTYPE html>',
    `<html xmlns="http://www.w3.org/1999/xhtml" lang="${lang}">`,
    '<head>',
    '<meta charset="utf-8"/>',
    // Nothing may load or run: the file is opened from disk by whoever receives it.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${escapeXml(spec.title)}</title>`,
    '<style>body { font-family: sans-serif; margin: 16px; color: #1f1f1f; background: #ffffff; } figure { margin: 0; overflow-x: auto; } p { max-width: 60em; }</style>',
    '</head>',
    '<body>',
    `<h1>${escapeXml(spec.title)}</h1>`,
    ...(opts.description ? [`<p>${escapeXml(opts.description)}</p>`] : []),
    '<figure>',
    heatmapSvg(spec),
    '</figure>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
