// Text forms of KV-cache numbers: binary units and Markdown tables.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * Bytes in binary units (1 KiB = 1024 B) with at most `fractionDigits` decimals and no trailing
 * zeros: 131072 -> "128 KiB", 70272 -> "68.63 KiB", 512 -> "512 B".
 */
export function formatBinaryBytes(bytes: number, fractionDigits = 2): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${trimZeros(value.toFixed(value % 1 === 0 ? 0 : fractionDigits))} B`;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  let text = trimZeros(value.toFixed(fractionDigits));
  // 1023.999 KiB rounds to "1024": step up so the number stays below the next unit.
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
    text = trimZeros(value.toFixed(fractionDigits));
  }
  return `${sign}${text} ${UNITS[unit]}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A Markdown (GFM) table; `|` and line breaks in cells are escaped so they cannot break the table. */
export function markdownTable(headers: string[], rows: string[][], rightAligned: boolean[] = []): string {
  const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (rightAligned[i] ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(headers), rule, ...rows.map((row) => line(headers.map((_, i) => row[i] ?? '')))].join('\n');
}
