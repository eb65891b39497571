// The memory-against-context chart: log-log canvas, weights as a band, one line per attention variant,
// GPU sizes as dashed lines; keyboard-readable (← → Home End) with an aria-live readout.
import type { KvCacheSnapshot } from '../../src/shared/protocol';
import { formatBinaryBytes } from '../../src/core/kvcache/format';
import { announce } from '../common/a11y';
import { cssVar } from '../common/theme';
import { variantStyle } from './variantStyle';
import { placeLabels, spreadAlong, type LabelBox } from './labelLayout';

/** The localized strings the chart needs. */
export interface ChartStrings {
  chartAria: string;
  chartWeights: string;
  chartContextMarker: string;
  chartCurrent: string;
  chartReadout: string;
  tokensValue: string;
}

const PAD = { left: 64, right: 64, top: 12, bottom: 34 };
/** The chart's narrowest drawing width (a 480 px panel leaves about 440 px). */
const MIN_WIDTH = 300;
/** One line of 11 px chart text. */
const LINE_HEIGHT = 13;

/** A label drawn on the chart: its text and box (recorded on the canvas as data-labels). */
interface PlacedLabel extends LabelBox {
  text: string;
}

/** Tokens with binary K/M (128K = 131,072), the way context lengths are quoted. */
export function formatTokensShort(tokens: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ];
  for (const [size, unit] of units) {
    if (tokens >= size && tokens % (size / 16) === 0) return `${tokens / size}${unit}`;
  }
  return String(tokens);
}

/** The chart on a canvas; call `update` with each snapshot. */
export class MemoryChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private snapshot: KvCacheSnapshot | undefined;
  private cursor = -1;

  constructor(
    private readonly strings: ChartStrings,
    private readonly format: (template: string, ...args: string[]) => string,
    private readonly number: (value: number) => string,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'memory-chart';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', strings.chartAria);
    this.element = document.createElement('div');
    this.element.className = 'chart-box';
    this.element.appendChild(this.canvas);
    this.canvas.addEventListener('keydown', (event) => this.onKey(event));
    this.canvas.addEventListener('mousemove', (event) => this.onMouse(event));
    this.canvas.addEventListener('mouseleave', () => {
      this.cursor = -1;
      this.draw();
    });
    new ResizeObserver(() => this.draw()).observe(this.element);
  }

  /** Draws `snapshot`. */
  update(snapshot: KvCacheSnapshot): void {
    this.snapshot = snapshot;
    if (this.cursor >= snapshot.chartTokens.length) this.cursor = snapshot.chartTokens.length - 1;
    this.draw();
  }

  private onKey(event: KeyboardEvent): void {
    const s = this.snapshot;
    if (!s) return;
    const last = s.chartTokens.length - 1;
    const from = this.cursor < 0 ? s.chartTokens.findIndex((t) => t >= s.used.seqLen) : this.cursor;
    let next: number;
    switch (event.key) {
      case 'ArrowLeft':
        next = Math.max(0, from - 1);
        break;
      case 'ArrowRight':
        next = Math.min(last, from + 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      default:
        return;
    }
    event.preventDefault();
    this.cursor = next;
    this.draw();
    announce(this.readout(next));
  }

  private onMouse(event: MouseEvent): void {
    const s = this.snapshot;
    if (!s) return;
    const rect = this.canvas.getBoundingClientRect();
    const plotW = rect.width - PAD.left - PAD.right;
    const f = (event.clientX - rect.left - PAD.left) / plotW;
    if (f < 0 || f > 1) return;
    const target = 2 ** (f * Math.log2(s.chartTokens[s.chartTokens.length - 1]));
    let best = 0;
    for (let i = 1; i < s.chartTokens.length; i++) {
      if (Math.abs(Math.log(s.chartTokens[i] / target)) < Math.abs(Math.log(s.chartTokens[best] / target))) best = i;
    }
    this.cursor = best;
    this.draw();
  }

  /** "65,536 tokens: MHA 32 GiB, GQA 8 GiB, …" for the point at `index` (weights included). */
  private readout(index: number): string {
    const s = this.snapshot as KvCacheSnapshot;
    const parts = s.variants.map((v) => `${v.kind} ${formatBinaryBytes(v.series[index] + s.weightsBytes)}`);
    return this.format(this.strings.chartReadout, this.number(s.chartTokens[index]), parts.join(', '));
  }

  private draw(): void {
    const s = this.snapshot;
    const width = Math.max(MIN_WIDTH, this.element.clientWidth);
    const height = 320;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !s) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const fg = cssVar('--vscode-foreground', '#888');
    const muted = cssVar('--vscode-descriptionForeground', fg);
    const grid = cssVar('--vscode-charts-lines', muted);
    const font = cssVar('--vscode-font-family', 'sans-serif');
    ctx.font = `11px ${font}`;
    // Every label drawn is recorded, so none is placed over another (and tests can check that).
    const placed: PlacedLabel[] = [];
    const taken: LabelBox[] = [];
    const textWidth = (text: string) => Math.ceil(ctx.measureText(text).width);

    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const plot: LabelBox = { x: PAD.left, y: PAD.top, w: plotW, h: plotH };
    const maxTokens = s.chartTokens[s.chartTokens.length - 1];
    const xMax = Math.log2(maxTokens);
    const x = (tokens: number) => PAD.left + (Math.log2(tokens) / xMax) * plotW;

    // Every value is weights + KV (> 0); the range always includes the GPU lines.
    const totals = s.variants.flatMap((v) => [v.series[0] + s.weightsBytes, v.series[v.series.length - 1] + s.weightsBytes]);
    const gpuBytes = s.gpus.map((g) => g.bytes);
    const lo = Math.log2(Math.max(1, Math.min(...totals, ...gpuBytes) / 2));
    const hi = Math.log2(Math.max(...totals, ...gpuBytes) * 2);
    const y = (bytes: number) => PAD.top + plotH - ((Math.log2(Math.max(bytes, 1)) - lo) / (hi - lo)) * plotH;

    // Grid and axes: powers of two, thinned so that labels keep clear of each other at any width.
    ctx.strokeStyle = grid;
    ctx.fillStyle = muted;
    ctx.lineWidth = 1;
    const yStep = [1, 2, 5, 10].find((step) => ((hi - lo) / step) * 2 * LINE_HEIGHT <= plotH && (hi - lo) / step <= 7) ?? 20;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let k = Math.ceil(lo / yStep) * yStep; k <= hi; k += yStep) {
      ctx.globalAlpha = 0.35;
      ctx.beginPath();
      ctx.moveTo(PAD.left, y(2 ** k));
      ctx.lineTo(PAD.left + plotW, y(2 ** k));
      ctx.stroke();
      ctx.globalAlpha = 1;
      const text = formatBinaryBytes(2 ** k);
      ctx.fillText(text, PAD.left - 6, y(2 ** k));
      const box = { x: PAD.left - 6 - textWidth(text), y: y(2 ** k) - LINE_HEIGHT / 2, w: textWidth(text), h: LINE_HEIGHT };
      taken.push(box);
      placed.push({ text, ...box });
    }
    // About 44 px per token label ("256K" plus room) decides how many the width can take.
    const xLabels = Math.max(2, Math.floor(plotW / 44));
    const xStep = [1, 2, 3, 4, 5, 10, 20].find((step) => xMax / step <= Math.min(8, xLabels)) ?? 40;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let k = 0; k <= xMax; k += xStep) {
      ctx.globalAlpha = 0.35;
      ctx.beginPath();
      ctx.moveTo(x(2 ** k), PAD.top);
      ctx.lineTo(x(2 ** k), PAD.top + plotH);
      ctx.stroke();
      ctx.globalAlpha = 1;
      const text = formatTokensShort(2 ** k);
      ctx.fillText(text, x(2 ** k), PAD.top + plotH + 6);
      const box = { x: x(2 ** k) - textWidth(text) / 2, y: PAD.top + plotH + 6, w: textWidth(text), h: LINE_HEIGHT };
      taken.push(box);
      placed.push({ text, ...box });
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, plotW, plotH);
    ctx.clip();

    // The weights: a band from the bottom up to their size (its label is placed with the others below).
    if (s.weightsBytes > 0) {
      ctx.fillStyle = fg;
      ctx.globalAlpha = 0.1;
      ctx.fillRect(PAD.left, y(s.weightsBytes), plotW, PAD.top + plotH - y(s.weightsBytes));
      ctx.globalAlpha = 1;
    }

    // GPU sizes: dashed lines, the chosen one stronger.
    s.gpus.forEach((gpu) => {
      const chosen = gpu.id === s.inputs.gpuId;
      ctx.strokeStyle = chosen ? fg : muted;
      ctx.lineWidth = chosen ? 1.5 : 1;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(PAD.left, y(gpu.bytes));
      ctx.lineTo(PAD.left + plotW, y(gpu.bytes));
      ctx.stroke();
    });
    ctx.setLineDash([]);

    // Markers: the trained context and the current context (labels placed below).
    const markers: { tokens: number; label: string }[] = [];
    const marker = (tokens: number, label: string, dash: number[]) => {
      if (tokens < 1 || tokens > maxTokens) return;
      ctx.strokeStyle = muted;
      ctx.lineWidth = 1;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(x(tokens), PAD.top);
      ctx.lineTo(x(tokens), PAD.top + plotH);
      ctx.stroke();
      ctx.setLineDash([]);
      markers.push({ tokens, label });
    };
    if (s.model.contextLength) marker(s.model.contextLength, this.strings.chartContextMarker, [2, 3]);
    marker(s.used.seqLen, this.strings.chartCurrent, [1, 2]);

    // One line per variant (weights + KV), each with its own colour and dash.
    s.variants.forEach((v) => {
      const style = variantStyle(v.kind);
      ctx.strokeStyle = style.colour;
      ctx.lineWidth = v.isModel ? 3 : 2;
      ctx.setLineDash(style.dash);
      ctx.beginPath();
      s.chartTokens.forEach((tokens, i) => {
        const px = x(tokens);
        const py = y(v.series[i] + s.weightsBytes);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      });
      ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.restore();

    // GPU labels in the right margin, spread apart where their lines run close (48 and 80 GiB).
    const gpuY = spreadAlong(s.gpus.map((g) => y(g.bytes)), LINE_HEIGHT, PAD.top, PAD.top + plotH);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    s.gpus.forEach((gpu, i) => {
      const chosen = gpu.id === s.inputs.gpuId;
      const lineY = y(gpu.bytes);
      const labelX = PAD.left + plotW + (Math.abs(gpuY[i] - lineY) > 1 ? 12 : 4);
      ctx.fillStyle = chosen ? fg : muted;
      ctx.strokeStyle = chosen ? fg : muted;
      if (labelX > PAD.left + plotW + 4) {
        // A short leader joins a moved label to its line.
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(PAD.left + plotW, lineY);
        ctx.lineTo(labelX - 2, gpuY[i]);
        ctx.stroke();
      }
      ctx.fillText(gpu.label, labelX, gpuY[i]);
      const box = { x: labelX, y: gpuY[i] - LINE_HEIGHT / 2, w: textWidth(gpu.label), h: LINE_HEIGHT };
      taken.push(box);
      placed.push({ text: gpu.label, ...box });
    });

    // Marker labels at the top of the plot, each on the first row and side of its line that is free.
    ctx.fillStyle = muted;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    const markerCandidates = markers.map(({ tokens, label }) => {
      const w = textWidth(label);
      const options: LabelBox[] = [];
      for (let row = 0; row < 4; row++) {
        const top = PAD.top + 2 + row * LINE_HEIGHT;
        options.push({ x: x(tokens) + 3, y: top, w, h: LINE_HEIGHT }, { x: x(tokens) - 3 - w, y: top, w, h: LINE_HEIGHT });
      }
      return options;
    });
    placeLabels(markerCandidates, plot, taken).forEach((box, i) => {
      if (!box) return;
      ctx.fillText(markers[i].label, box.x, box.y);
      placed.push({ text: markers[i].label, ...box });
    });

    // The weights label: just inside the band, or above its edge when a marker label sits there.
    if (s.weightsBytes > 0) {
      const text = `${this.strings.chartWeights} ${formatBinaryBytes(s.weightsBytes)}`;
      const w = textWidth(text);
      const edge = y(s.weightsBytes);
      const options: LabelBox[] = [];
      for (const dx of [6, plotW / 3, (2 * plotW) / 3 - w]) {
        options.push({ x: PAD.left + dx, y: edge + 4, w, h: LINE_HEIGHT }, { x: PAD.left + dx, y: edge - 4 - LINE_HEIGHT, w, h: LINE_HEIGHT });
      }
      const [box] = placeLabels([options], plot, taken);
      if (box) {
        ctx.fillStyle = fg;
        ctx.globalAlpha = 0.8;
        ctx.fillText(text, box.x, box.y);
        ctx.globalAlpha = 1;
        placed.push({ text, ...box });
      }
    }
    this.canvas.dataset.labels = JSON.stringify(placed.map((p) => ({ ...p, x: Math.round(p.x), y: Math.round(p.y) })));
    this.canvas.dataset.size = JSON.stringify({ width, height });

    // The cursor (mouse or keyboard) with its values.
    if (this.cursor >= 0) {
      const i = this.cursor;
      const px = x(s.chartTokens[i]);
      ctx.strokeStyle = fg;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(px, PAD.top);
      ctx.lineTo(px, PAD.top + plotH);
      ctx.stroke();
      const lines = [this.format(this.strings.tokensValue, this.number(s.chartTokens[i])), ...s.variants.map((v) => `${v.kind}: ${formatBinaryBytes(v.series[i] + s.weightsBytes)}`)];
      const boxW = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 12;
      const boxH = lines.length * 15 + 8;
      const bx = px + boxW + 8 > PAD.left + plotW ? px - boxW - 8 : px + 8;
      ctx.fillStyle = cssVar('--vscode-editorHoverWidget-background', cssVar('--vscode-editor-background', '#000'));
      ctx.strokeStyle = cssVar('--vscode-editorHoverWidget-border', muted);
      ctx.fillRect(bx, PAD.top + 8, boxW, boxH);
      ctx.strokeRect(bx, PAD.top + 8, boxW, boxH);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      lines.forEach((line, li) => {
        ctx.fillStyle = li === 0 ? fg : variantStyle(s.variants[li - 1].kind).colour;
        ctx.fillText(line, bx + 6, PAD.top + 12 + li * 15);
      });
    }
  }
}
