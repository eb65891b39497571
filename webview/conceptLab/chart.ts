// Small canvas charts for the Concept Lab: lines, points and bars over a linear or log axis, drawn in theme
// colours, with a legend in the DOM (text, not pixels) and an aria-label. They only draw the numbers they get.
import { el } from '../common/dom';
import { categoricalColour, cssVar } from '../common/theme';

/** One series of a chart. */
export interface Series {
  label: string;
  y: ArrayLike<number>;
  /** x values; default 0 … n − 1. */
  x?: ArrayLike<number>;
  kind?: 'line' | 'points' | 'bars';
  /** A palette index (Okabe–Ito). */
  colour: number;
  dashed?: boolean;
}

/** Axis options of a chart. */
export interface ChartOptions {
  aria: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  height?: number;
  /** Horizontal reference lines (a value and its label). */
  hLines?: { y: number; label: string; colour: number }[];
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-2) return v.toExponential(0);
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(2)).toString();
}

/** A chart element (canvas + legend); redraws itself when its width or the theme changes. */
export function chart(series: readonly Series[], options: ChartOptions): HTMLElement {
  const canvas = el('canvas', { className: 'chart', attrs: { role: 'img', 'aria-label': options.aria } });
  const legend = el('div', {
    className: 'legend',
    children: [
      ...series.map((s) => el('span', { className: 'legend-item', children: [swatch(s.colour, s.dashed === true), el('span', { text: s.label })] })),
      ...(options.hLines ?? []).map((h) => el('span', { className: 'legend-item', children: [swatch(h.colour, true), el('span', { text: h.label })] })),
    ],
  });
  const box = el('div', { className: 'chart-box', children: [canvas, legend] });
  const draw = (): void => paint(canvas, series, options);
  new ResizeObserver(draw).observe(box);
  box.addEventListener('llm-lens-redraw', draw);
  return box;
}

function swatch(colour: number, dashed: boolean): HTMLElement {
  const s = el('span', { className: dashed ? 'swatch dashed' : 'swatch' });
  s.style.borderColor = categoricalColour(colour);
  s.style.backgroundColor = dashed ? 'transparent' : categoricalColour(colour);
  return s;
}

function paint(canvas: HTMLCanvasElement, series: readonly Series[], o: ChartOptions): void {
  const width = Math.max(200, canvas.parentElement?.clientWidth ?? 400);
  const height = o.height ?? 200;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const fg = cssVar('--vscode-foreground', '#888');
  const muted = cssVar('--vscode-descriptionForeground', '#888');
  const grid = cssVar('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  const font = cssVar('--vscode-font-family', 'sans-serif');
  ctx.font = `11px ${font}`;
  const left = 48;
  const right = 8;
  const top = 8;
  const bottom = 30;
  const tf = (v: number): number => (o.logY ? Math.log10(Math.max(v, 1e-300)) : v);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i] : i;
      const y = tf(s.y[i]);
      if (!Number.isFinite(y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  }
  for (const h of o.hLines ?? []) {
    yMin = Math.min(yMin, tf(h.y));
    yMax = Math.max(yMax, tf(h.y));
  }
  if (series.some((s) => s.kind === 'bars') && !o.logY) yMin = Math.min(0, yMin);
  if (!(xMax > xMin)) xMax = xMin + 1;
  if (!(yMax > yMin)) yMax = yMin + 1;
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;
  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin)) * (width - left - right);
  const py = (y: number): number => top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom);
  ctx.clearRect(0, 0, width, height);
  // Axes and ticks.
  ctx.strokeStyle = grid;
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let k = 0; k <= 4; k++) {
    const yv = yMin + ((yMax - yMin) * k) / 4;
    const y = py(yv);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(width - right, y);
    ctx.stroke();
    ctx.fillText(fmtTick(o.logY ? 10 ** yv : yv), left - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let k = 0; k <= 4; k++) {
    const xv = xMin + ((xMax - xMin) * k) / 4;
    ctx.fillText(fmtTick(Math.round(xv * 100) / 100), px(xv), height - bottom + 3);
  }
  ctx.fillStyle = fg;
  ctx.fillText(o.xLabel, left + (width - left - right) / 2, height - 13);
  ctx.save();
  ctx.translate(10, top + (height - top - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(o.yLabel, 0, -6);
  ctx.restore();
  for (const h of o.hLines ?? []) {
    ctx.strokeStyle = categoricalColour(h.colour);
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(left, py(tf(h.y)));
    ctx.lineTo(width - right, py(tf(h.y)));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const s of series) {
    const colour = categoricalColour(s.colour);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    const n = s.y.length;
    if (s.kind === 'bars') {
      const w = Math.max(1, (width - left - right) / Math.max(1, n) - 1);
      const zero = py(o.logY ? yMin : Math.max(yMin, Math.min(yMax, 0)));
      for (let i = 0; i < n; i++) {
        const x = px(s.x ? s.x[i] : i) - w / 2;
        const y = py(tf(s.y[i]));
        ctx.fillRect(x, Math.min(y, zero), w, Math.abs(zero - y));
      }
    } else if (s.kind === 'points') {
      for (let i = 0; i < n; i++) {
        ctx.beginPath();
        ctx.arc(px(s.x ? s.x[i] : i), py(tf(s.y[i])), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    } else {
      ctx.beginPath();
      let started = false;
      for (let i = 0; i < n; i++) {
        const y = tf(s.y[i]);
        if (!Number.isFinite(y)) continue;
        if (!started) ctx.moveTo(px(s.x ? s.x[i] : i), py(y));
        else ctx.lineTo(px(s.x ? s.x[i] : i), py(y));
        started = true;
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }
}
