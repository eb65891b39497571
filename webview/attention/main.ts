import './style.css';
// The Attention panel: every layer × head as thumbnails, one head as a large heatmap (hover, keyboard,
// table), token lines, the step-by-step arithmetic and the next-token predictions. It only draws: every
// number comes from the host's snapshot (the forward pass and the step view are computed there).
import type { AttentionHeadChoice, AttentionSnapshot, AttentionStepView } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { announce, gridKeyMove, type GridPosition } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { categoricalColour, cssVar, onThemeChange, sequentialRgb } from '../common/theme';
import { button, checkbox, dropdown, link, tabs } from '../common/ui';

type ViewId = 'grid' | 'heatmap' | 'lines' | 'step' | 'predictions';

/** UI state kept across hide/show and reloads (plus the host's restore data). */
interface UiState {
  view: ViewId;
  table: boolean;
}

const init = initData();
const strings = init.strings as StringsOf<'attention'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = { view: saved?.view ?? 'grid', table: saved?.table ?? false };

let snapshot: AttentionSnapshot | undefined;
/** The run the persistent controls were built for (see runKey). */
let builtKey: string | undefined;
let heatmapFocus: GridPosition = { row: 0, col: 0 };

/** Fills {0}, {1}… in a localized template. */
function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

/** A token as a short, visible label: whitespace shown as ␣ ↵ ⇥. */
function tokenLabel(text: string, max = 14): string {
  const shown = text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\r/g, '␍').replace(/\t/g, '⇥');
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown || '∅';
}

function percent(p: number): string {
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}

function headName(head: AttentionHeadChoice, s: AttentionSnapshot): string {
  if (head === 'mean') return strings.meanOfHeads;
  if (head === 'max') return strings.maxOfHeads;
  return `${fmt(strings.headN, head)} (${fmt(strings.kvHeadN, s.kvHeadOf[head])})`;
}

/** The matrix shown for (layer, head): one head's slice, or the mean/max over heads. */
function matrixOf(s: AttentionSnapshot, layer: number, head: AttentionHeadChoice): Float32Array {
  const T = s.seqLen;
  if (head === 'mean') return s.meanProbs[layer];
  if (head === 'max') return s.maxProbs[layer];
  return s.probs[layer].subarray(head * T * T, (head + 1) * T * T);
}

function persist(): void {
  saveState({ ...ui, restore: snapshot ? { text: snapshot.text } : undefined });
}

function select(layer: number, head: AttentionHeadChoice, query: number): void {
  send({ type: 'select', layer, head, query });
}

// ------------------------------------------------------------------------------------------
// Drawing helpers.

/** Colour of a weight: viridis on √p (attention is heavy-tailed; the square root keeps small weights visible). */
function weightRgb(p: number): [number, number, number] {
  return sequentialRgb(Math.sqrt(Math.max(0, p)));
}

/** Paints a T × T matrix into an ImageData-backed canvas of T × T pixels (thumbnails scale it with CSS). */
function paintThumbnail(canvas: HTMLCanvasElement, m: Float32Array, T: number): void {
  canvas.width = T;
  canvas.height = T;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(T, T);
  const masked = parseCss(cssVar('--vscode-editorWidget-background', '#252526'));
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      const o = (i * T + j) * 4;
      const [r, g, b] = j > i ? masked : weightRgb(m[i * T + j]);
      image.data[o] = r;
      image.data[o + 1] = g;
      image.data[o + 2] = b;
      image.data[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** Parses #rgb/#rrggbb/rgb() theme colours into [r, g, b] (for ImageData). */
function parseCss(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(colour.trim());
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].replace(/./g, (c) => c + c) : hex[1];
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }
  const rgb = /rgba?\(([^)]+)\)/.exec(colour);
  if (rgb) {
    const [r, g, b] = rgb[1].split(',').map((v) => parseFloat(v));
    return [r, g, b];
  }
  return [128, 128, 128];
}

/** A canvas sized in CSS pixels with a device-pixel-ratio backing store; returns its 2D context. */
function hiDpiCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | undefined {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx ?? undefined;
}

// ------------------------------------------------------------------------------------------
// Persistent controls (built once per run so a dragged slider or an open dropdown survives updates).

interface Controls {
  layer: HTMLElement & { value: string };
  head: HTMLElement & { value: string };
  query: HTMLElement & { value: string };
  tabs: HTMLElement;
  grid: HTMLElement;
  heatmap: HTMLElement;
  lines: HTMLElement;
  step: HTMLElement;
  stepBody: HTMLElement;
  predictions: HTMLElement;
}

let controls: Controls | undefined;
let stepScaled = true;
let stepTemperature = 1;

/** Slider position (−1.3…1.3) ↔ temperature 10^x, so 1 sits in the middle and 0.05…20 are reachable. */
const sliderToTemperature = (x: number): number => Math.round(10 ** x * 100) / 100;
const temperatureToSlider = (t: number): number => Math.log10(t);

function buildControls(s: AttentionSnapshot): Controls {
  const layers = Array.from({ length: s.layers }, (_, l) => ({ value: String(l), label: fmt(strings.layerN, l) }));
  const heads = [
    ...Array.from({ length: s.heads }, (_, h) => ({ value: String(h), label: headName(h, s) })),
    { value: 'mean', label: strings.meanOfHeads },
    { value: 'max', label: strings.maxOfHeads },
  ];
  const queries = s.tokens.map((t, i) => ({ value: String(i), label: `${i}: ${tokenLabel(t.text, 24)}` }));
  const current = (): { layer: number; head: AttentionHeadChoice; query: number } => snapshot?.selection ?? s.selection;
  const parseHead = (v: string): AttentionHeadChoice => (v === 'mean' || v === 'max' ? v : Number(v));
  const layer = dropdown(layers, String(s.selection.layer), (v) => select(Number(v), current().head, current().query), strings.layer) as Controls['layer'];
  const head = dropdown(heads, String(s.selection.head), (v) => select(current().layer, parseHead(v), current().query), strings.head) as Controls['head'];
  const query = dropdown(queries, String(s.selection.query), (v) => select(current().layer, current().head, Number(v)), strings.query) as Controls['query'];

  const grid = el('div', { className: 'view grid-view' });
  const heatmap = el('div', { className: 'view heatmap-view' });
  const lines = el('div', { className: 'view lines-view' });
  const stepBody = el('div', { className: 'step-body' });
  const predictions = el('div', { className: 'view predictions-view' });

  // Step view controls: the √d_k toggle and the temperature slider, recomputed by the host.
  stepScaled = s.step?.scaled ?? true;
  stepTemperature = s.step?.temperature ?? 1;
  const slider = el('input', {
    attrs: { type: 'range', min: '-1.3', max: '1.3', step: '0.01', value: String(temperatureToSlider(stepTemperature)), id: 'temperature', 'aria-describedby': 'temperature-help' },
  });
  const sliderValue = el('output', { className: 'mono', text: stepTemperature.toFixed(2), attrs: { for: 'temperature' } });
  let pending = false;
  slider.addEventListener('input', () => {
    stepTemperature = sliderToTemperature(Number(slider.value));
    sliderValue.textContent = stepTemperature.toFixed(2);
    slider.setAttribute('aria-valuetext', stepTemperature.toFixed(2));
    // One request per animation frame while dragging.
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      send({ type: 'stepOptions', scaled: stepScaled, temperature: stepTemperature });
    });
  });
  const scaleBox = checkbox(strings.scaleToggle, stepScaled, (checked) => {
    stepScaled = checked;
    send({ type: 'stepOptions', scaled: stepScaled, temperature: stepTemperature });
  });
  const reset = button('T = 1', () => {
    stepTemperature = 1;
    slider.value = '0';
    sliderValue.textContent = '1.00';
    send({ type: 'stepOptions', scaled: stepScaled, temperature: 1 });
  }, 'secondary');
  const step = el('div', {
    className: 'view step-view',
    children: [
      el('p', { className: 'muted', text: strings.stepHelp }),
      el('div', {
        className: 'step-controls',
        children: [
          scaleBox,
          el('label', { attrs: { for: 'temperature' }, text: strings.temperature }),
          slider,
          sliderValue,
          reset,
        ],
      }),
      el('p', { className: 'muted', attrs: { id: 'temperature-help' }, text: strings.temperatureHelp }),
      stepBody,
    ],
  });

  const tabsElement = tabs(
    [
      { id: 'grid', label: strings.tabGrid, content: grid },
      { id: 'heatmap', label: strings.tabHeatmap, content: heatmap },
      { id: 'lines', label: strings.tabLines, content: lines },
      { id: 'step', label: strings.tabStep, content: step },
      { id: 'predictions', label: strings.tabPredictions, content: predictions },
    ],
    ui.view,
    (id) => {
      ui.view = id as ViewId;
      persist();
      if (snapshot) drawViews(snapshot);
    },
  );
  return { layer, head, query, tabs: tabsElement, grid, heatmap, lines, step, stepBody, predictions };
}

function showView(view: ViewId): void {
  ui.view = view;
  persist();
  controls?.tabs.setAttribute('activeid', `tab-${view}`);
}

// ------------------------------------------------------------------------------------------
// Views.

function renderGrid(s: AttentionSnapshot, container: HTMLElement): void {
  const T = s.seqLen;
  const header = [el('div', { className: 'grid-corner' })];
  for (let h = 0; h < s.heads; h++) {
    const chip = el('span', { className: 'kv-chip' });
    chip.style.background = categoricalColour(s.kvHeadOf[h]);
    header.push(el('div', { className: 'grid-head', children: [chip, fmt(strings.headN, h)], attrs: { title: fmt(strings.kvHeadN, s.kvHeadOf[h]) } }));
  }
  header.push(el('div', { className: 'grid-head', text: strings.mean }), el('div', { className: 'grid-head', text: strings.max }));
  const cells: HTMLElement[] = [...header];
  for (let l = 0; l < s.layers; l++) {
    cells.push(el('div', { className: 'grid-layer', text: fmt(strings.layerN, l) }));
    const choices: AttentionHeadChoice[] = [...Array.from({ length: s.heads }, (_, h) => h), 'mean', 'max'];
    for (const head of choices) {
      const canvas = el('canvas', { className: 'thumb-canvas' });
      paintThumbnail(canvas, matrixOf(s, l, head), T);
      const thumb = el('button', {
        className: 'thumb',
        attrs: { 'aria-label': `${fmt(strings.layerN, l)}, ${headName(head, s)}`, title: `${fmt(strings.layerN, l)}, ${headName(head, s)}`, 'data-layer': String(l), 'data-head': String(head) },
        children: [canvas],
      });
      if (typeof head === 'number') thumb.style.borderColor = categoricalColour(s.kvHeadOf[head]);
      else thumb.classList.add('combined');
      if (s.selection.layer === l && s.selection.head === head) thumb.classList.add('selected');
      thumb.addEventListener('click', () => {
        select(l, head, s.selection.query);
        showView('heatmap');
      });
      cells.push(thumb);
    }
  }
  const grid = el('div', { className: 'thumb-grid', children: cells });
  grid.style.gridTemplateColumns = `max-content repeat(${s.heads + 2}, max-content)`;
  replaceChildren(container, el('p', { className: 'muted', text: strings.gridHelp }), grid);
}

/** The large heatmap canvas, with hover readout, keyboard navigation and export; or the table. */
function renderHeatmap(s: AttentionSnapshot, container: HTMLElement): void {
  const { layer, head } = s.selection;
  const T = s.seqLen;
  const m = matrixOf(s, layer, head);
  const tableToggle = button(ui.table ? strings.showHeatmap : strings.showTable, () => {
    ui.table = !ui.table;
    persist();
    renderHeatmap(s, container);
  }, 'secondary');
  const exportCsv = button(strings.exportCsv, () => send({ type: 'exportCsv' }), 'secondary');
  const toolbar = el('div', { className: 'toolbar', children: [tableToggle, exportCsv] });
  if (ui.table) {
    replaceChildren(container, toolbar, heatmapTable(s, m));
    return;
  }
  const available = Math.max(240, Math.min(window.innerWidth - 60, 1100));
  // Up to ~96 tokens the cells stay big enough for token labels (the canvas scrolls in a narrow panel).
  const cell = Math.max(T <= 96 ? 11 : 3, Math.min(28, Math.floor((available - 100) / T)));
  const labels = cell >= 9;
  const margin = labels ? 100 : 8;
  const size = margin + cell * T + 4;
  const canvas = el('canvas', { className: 'heatmap', attrs: { tabindex: '0', role: 'img', 'aria-label': fmt(strings.heatmapLabel, layer, headName(head, s)) } });
  const tooltip = el('div', { className: 'tooltip', attrs: { role: 'presentation' } });
  const readout = (i: number, j: number): string =>
    fmt(strings.cellReadout, i, tokenLabel(s.tokens[i].text, 30), j, tokenLabel(s.tokens[j].text, 30), j > i ? strings.masked : percent(m[i * T + j]));

  const draw = (): void => {
    const ctx = hiDpiCanvas(canvas, size, size);
    if (!ctx) return;
    const fg = cssVar('--vscode-foreground', '#ccc');
    ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    ctx.fillRect(0, 0, size, size);
    const masked = cssVar('--vscode-editorWidget-background', '#252526');
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const [r, g, b] = weightRgb(m[i * T + j]);
        ctx.fillStyle = j > i ? masked : `rgb(${r}, ${g}, ${b})`;
        ctx.fillRect(margin + j * cell, margin + i * cell, cell, cell);
      }
    }
    if (labels) {
      ctx.fillStyle = fg;
      ctx.font = `${Math.min(12, cell)}px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
      ctx.textBaseline = 'middle';
      for (let i = 0; i < T; i++) {
        ctx.textAlign = 'right';
        ctx.fillText(tokenLabel(s.tokens[i].text, 12), margin - 4, margin + i * cell + cell / 2);
        ctx.save();
        ctx.translate(margin + i * cell + cell / 2, margin - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = 'left';
        ctx.fillText(tokenLabel(s.tokens[i].text, 12), 0, 0);
        ctx.restore();
      }
    }
    // The query row of the step view, and the keyboard focus cell.
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1;
    ctx.strokeRect(margin - 0.5, margin + s.selection.query * cell - 0.5, T * cell + 1, cell + 1);
    if (document.activeElement === canvas) {
      ctx.strokeStyle = cssVar('--vscode-focusBorder', '#007fd4');
      ctx.lineWidth = 2;
      ctx.strokeRect(margin + heatmapFocus.col * cell, margin + heatmapFocus.row * cell, cell, cell);
    }
  };
  heatmapFocus = { row: Math.min(heatmapFocus.row, T - 1), col: Math.min(heatmapFocus.col, T - 1) };
  const cellAt = (event: MouseEvent): GridPosition | undefined => {
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor((event.clientX - rect.left - margin) / cell);
    const row = Math.floor((event.clientY - rect.top - margin) / cell);
    return row >= 0 && col >= 0 && row < T && col < T ? { row, col } : undefined;
  };
  canvas.addEventListener('mousemove', (event) => {
    const at = cellAt(event);
    if (!at) {
      tooltip.classList.remove('visible');
      return;
    }
    tooltip.textContent = readout(at.row, at.col);
    tooltip.style.left = `${event.offsetX + 14}px`;
    tooltip.style.top = `${event.offsetY + 14}px`;
    tooltip.classList.add('visible');
  });
  canvas.addEventListener('mouseleave', () => tooltip.classList.remove('visible'));
  canvas.addEventListener('click', (event) => {
    const at = cellAt(event);
    if (!at) return;
    heatmapFocus = at;
    select(layer, head, at.row);
  });
  canvas.addEventListener('focus', () => {
    draw();
    announce(readout(heatmapFocus.row, heatmapFocus.col));
  });
  canvas.addEventListener('blur', draw);
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      select(layer, head, heatmapFocus.row);
      showView('step');
      return;
    }
    const next = gridKeyMove(event.key, heatmapFocus, T, T, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    heatmapFocus = next;
    draw();
    announce(readout(next.row, next.col));
  });
  draw();
  const exportPng = button(strings.exportPng, () => send({ type: 'exportPng', dataUrl: canvas.toDataURL('image/png') }), 'secondary');
  toolbar.appendChild(exportPng);
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.heatmapHelp }),
    toolbar,
    el('div', { className: 'heatmap-scroll', children: [el('div', { className: 'heatmap-wrap', children: [canvas, tooltip] })] }),
    legend(),
  );
}

function legend(): HTMLElement {
  const bar = el('canvas', { className: 'legend-bar' });
  const ctx = hiDpiCanvas(bar, 160, 10);
  if (ctx) {
    for (let x = 0; x < 160; x++) {
      const [r, g, b] = sequentialRgb(x / 159);
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fillRect(x, 0, 1, 10);
    }
  }
  return el('div', { className: 'legend', children: [el('span', { text: '0' }), bar, el('span', { text: '1' }), el('span', { className: 'muted', text: strings.colourScale })] });
}

/** The accessible alternative: the same matrix as a table of percentages. */
function heatmapTable(s: AttentionSnapshot, m: Float32Array): HTMLElement {
  const T = s.seqLen;
  const { layer, head } = s.selection;
  const headRow = el('tr', { children: [el('th', { text: `${strings.query} \\ ${strings.key}`, attrs: { scope: 'col' } }), ...s.tokens.map((t, j) => el('th', { text: `${j}: ${tokenLabel(t.text)}`, attrs: { scope: 'col' } }))] });
  const rows = s.tokens.map((t, i) => {
    const cells: HTMLElement[] = [el('th', { text: `${i}: ${tokenLabel(t.text)}`, attrs: { scope: 'row' } })];
    for (let j = 0; j < T; j++) cells.push(el('td', { text: j > i ? '—' : percent(m[i * T + j]) }));
    return el('tr', { children: cells });
  });
  return el('div', {
    className: 'table-wrap',
    children: [el('table', { className: 'data attention-table', children: [el('caption', { text: fmt(strings.tableCaption, layer, headName(head, s)) }), el('thead', { children: [headRow] }), el('tbody', { children: rows })] })],
  });
}

/** Queries on the left, keys on the right, lines as opaque as the weight (for the selected query). */
function renderLines(s: AttentionSnapshot, container: HTMLElement): void {
  const { layer, head, query } = s.selection;
  const T = s.seqLen;
  const m = matrixOf(s, layer, head);
  const rowH = 20;
  const width = Math.max(360, Math.min(640, window.innerWidth - 48));
  const height = T * rowH + 10;
  const leftX = 150;
  const rightX = width - 190;
  const canvas = el('canvas', { className: 'lines', attrs: { tabindex: '0', role: 'img', 'aria-label': fmt(strings.linesLabel, query, tokenLabel(s.tokens[query].text, 30)) } });
  const ctx = hiDpiCanvas(canvas, width, height);
  if (ctx) {
    const fg = cssVar('--vscode-foreground', '#ccc');
    const accent = cssVar('--vscode-charts-blue', cssVar('--vscode-focusBorder', '#3794ff'));
    const y = (i: number): number => 5 + i * rowH + rowH / 2;
    ctx.font = `12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
    ctx.textBaseline = 'middle';
    for (let j = 0; j <= query; j++) {
      const w = m[query * T + j];
      ctx.globalAlpha = Math.min(1, w);
      ctx.strokeStyle = accent;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(leftX + 6, y(query));
      ctx.lineTo(rightX - 6, y(j));
      ctx.stroke();
      ctx.fillStyle = accent;
      ctx.fillRect(rightX, y(j) - rowH / 2 + 2, 186, rowH - 4);
    }
    ctx.globalAlpha = 1;
    for (let i = 0; i < T; i++) {
      ctx.fillStyle = fg;
      ctx.textAlign = 'right';
      ctx.font = `${i === query ? 'bold ' : ''}12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
      ctx.fillText(tokenLabel(s.tokens[i].text, 18), leftX, y(i));
      ctx.textAlign = 'left';
      ctx.font = `12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
      ctx.fillStyle = i > query ? cssVar('--vscode-disabledForeground', '#888') : fg;
      ctx.fillText(tokenLabel(s.tokens[i].text, 14), rightX + 4, y(i));
      // The weight itself next to each visible key: faint lines still have a number.
      if (i <= query) {
        ctx.textAlign = 'right';
        ctx.fillText(percent(m[query * T + i]), width - 4, y(i));
      }
    }
  }
  canvas.addEventListener('click', (event) => {
    const rect = canvas.getBoundingClientRect();
    const i = Math.floor((event.clientY - rect.top - 5) / rowH);
    if (i >= 0 && i < T && event.clientX - rect.left < width / 2) select(layer, head, i);
  });
  canvas.addEventListener('keydown', (event) => {
    const next = event.key === 'ArrowUp' ? query - 1 : event.key === 'ArrowDown' ? query + 1 : undefined;
    if (next === undefined || next < 0 || next >= T) return;
    event.preventDefault();
    select(layer, head, next);
    announce(fmt(strings.linesLabel, next, tokenLabel(s.tokens[next].text, 30)));
  });
  const top = [...Array.from({ length: query + 1 }, (_, j) => j)].sort((a, b) => m[query * T + b] - m[query * T + a]).slice(0, 3);
  const summary = top.map((j) => `${tokenLabel(s.tokens[j].text, 20)} ${percent(m[query * T + j])}`).join(' · ');
  replaceChildren(container, el('p', { className: 'muted', text: strings.linesHelp }), el('p', { className: 'mono', text: `${headName(head, s)} — ${summary}` }), canvas);
  // Keep the query's row (where its lines start) in the middle of the window.
  if (ui.view === 'lines') {
    const rowTop = canvas.getBoundingClientRect().top + window.scrollY + 5 + query * rowH;
    window.scrollTo({ top: Math.max(0, rowTop - window.innerHeight / 2) });
  }
}

function entropy(p: Float32Array): number {
  let h = 0;
  for (const v of p) if (v > 0) h -= v * Math.log(v);
  return h;
}

function vectorLine(values: Float32Array, shown: number): string {
  return Array.from(values.slice(0, shown), (v) => v.toFixed(3)).join('  ') + (values.length > shown ? '  …' : '');
}

/** One line per way this layer's attention differs from Q·Kᵀ/√d_k + causal mask (query scale, q/k norm, soft-cap, window). */
function architectureNotes(step: AttentionStepView): string[] {
  const notes: string[] = [];
  if (step.scaled && step.defaultScale !== undefined && Math.abs(step.scale - step.defaultScale) > 1e-9) notes.push(fmt(strings.scaleUsed, step.scale.toFixed(4)));
  if (step.qkNorm) notes.push(strings.qkNormLine);
  if (step.softcap !== undefined) notes.push(fmt(strings.softcapLine, step.softcap));
  if (step.slidingWindow !== undefined) notes.push(fmt(strings.windowLine, step.slidingWindow));
  return notes;
}

function renderStep(s: AttentionSnapshot, container: HTMLElement): void {
  const step: AttentionStepView | undefined = s.step;
  if (!step) {
    replaceChildren(container, el('p', { className: 'notice', text: strings.stepPickHead }));
    return;
  }
  const T = s.seqLen;
  const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : v < 0 ? '−∞' : '∞');
  // A few leading values of each v_j: the vectors the weights average into the output.
  const valueDims = Math.min(3, step.headDim);
  const header = el('tr', {
    children: [strings.colKey, strings.colRaw, strings.colScaled, strings.colMask, strings.colSoftmax, strings.colModel, fmt(strings.colValue, valueDims)].map((t) => el('th', { text: t, attrs: { scope: 'col' } })),
  });
  const rows: HTMLElement[] = [];
  for (let j = 0; j < T; j++) {
    const visible = step.mask[j] === 0;
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${Math.round(step.probs[j] * 100)}%`;
    rows.push(
      el('tr', {
        className: visible ? '' : 'masked-row',
        children: [
          el('th', { text: `${j}: ${tokenLabel(s.tokens[j].text, 20)}`, attrs: { scope: 'row' } }),
          el('td', { className: 'mono', text: num(step.rawScores[j]) }),
          el('td', { className: 'mono', text: num(step.scaledScores[j]) }),
          el('td', { className: 'mono', text: visible ? '0' : '−∞' }),
          el('td', { className: 'mono prob', children: [el('span', { className: 'bar-track', children: [bar] }), percent(step.probs[j])] }),
          el('td', { className: 'mono muted', text: percent(step.modelProbs[j]) }),
          el('td', { className: 'mono', text: vectorLine(step.values.subarray(j * step.headDim, (j + 1) * step.headDim), valueDims).replace(/ {2}…$/, ' …') }),
        ],
      }),
    );
  }
  const shown = Math.min(8, step.headDim);
  replaceChildren(
    container,
    el('h3', { text: `${fmt(strings.layerN, step.layer)} · ${headName(step.head, s)} · ${strings.query} ${step.query} “${tokenLabel(s.tokens[step.query].text, 30)}”` }),
    el('p', { className: 'formula mono', text: fmt(strings.formula, step.scaled ? step.scale.toFixed(4) : '1', step.temperature.toFixed(2)) }),
    el('p', { className: 'muted', text: fmt(strings.dkLine, step.headDim, (1 / Math.sqrt(step.headDim)).toFixed(4), step.head, step.kvHead) }),
    // The architecture's own arithmetic, where it differs from the textbook block.
    ...architectureNotes(step).map((text) => el('p', { className: 'muted', text })),
    el('p', { className: 'mono', text: `${fmt(strings.qVector, shown, step.headDim)}: ${vectorLine(step.q, shown)}` }),
    el('div', { className: 'table-wrap', children: [el('table', { className: 'data step-table', children: [el('thead', { children: [header] }), el('tbody', { children: rows })] })] }),
    el('p', { className: 'mono', text: fmt(strings.entropy, entropy(step.probs).toFixed(3), entropy(step.modelProbs).toFixed(3)) }),
    el('p', { className: 'mono', text: `${fmt(strings.outputVector, shown, step.headDim)}: ${vectorLine(step.output, shown)}` }),
  );
}

function renderPredictions(s: AttentionSnapshot, container: HTMLElement): void {
  const rows = s.predictions.map((p) => {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${Math.round(p.probability * 100)}%`;
    return el('tr', {
      children: [el('td', { className: 'mono', text: tokenLabel(p.text, 30) }), el('td', { className: 'mono prob', children: [el('span', { className: 'bar-track', children: [bar] }), percent(p.probability)] })],
    });
  });
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.predictionsHelp }),
    el('table', {
      className: 'data predictions',
      children: [el('thead', { children: [el('tr', { children: [el('th', { text: strings.colToken }), el('th', { text: strings.colProbability })] })] }), el('tbody', { children: rows })],
    }),
  );
}

function drawViews(s: AttentionSnapshot): void {
  if (!controls) return;
  controls.layer.value = String(s.selection.layer);
  controls.head.value = String(s.selection.head);
  controls.query.value = String(s.selection.query);
  // A redrawn canvas replaces the old one: keep keyboard focus where it was.
  const focused = document.activeElement instanceof HTMLCanvasElement ? document.activeElement.className : undefined;
  // Only the visible view is redrawn (a hidden canvas has nothing to show); tab changes redraw.
  if (ui.view === 'heatmap') renderHeatmap(s, controls.heatmap);
  if (ui.view === 'lines') renderLines(s, controls.lines);
  if (ui.view === 'step') renderStep(s, controls.stepBody);
  if (focused) root.querySelector<HTMLCanvasElement>(`canvas.${focused.split(' ')[0]}`)?.focus({ preventScroll: true });
  if (ui.view === 'grid') {
    for (const thumb of Array.from(controls.grid.querySelectorAll<HTMLElement>('.thumb'))) {
      thumb.classList.toggle('selected', thumb.dataset.layer === String(s.selection.layer) && thumb.dataset.head === String(s.selection.head));
    }
  }
}

function header(s: AttentionSnapshot): HTMLElement {
  const m = s.model;
  const mib = (m.weightBytes / 2 ** 20).toFixed(m.weightBytes < 2 ** 24 ? 1 : 0);
  const params = m.parameters >= 1e6 ? `${(m.parameters / 1e6).toFixed(1)} M` : `${(m.parameters / 1e3).toFixed(0)} K`;
  const facts = `${m.modelType} · ${m.layers} ${strings.layersLabel} × ${m.heads} ${strings.headsLabel} (${m.kvHeads} ${strings.kvHeadsLabel}) · ${strings.headDimLabel} ${m.headDim} · ${params} ${strings.parametersLabel} · ${mib} MiB ${strings.memoryLabel}`;
  const docs = m.hasModelCard
    ? [link(strings.modelCard, () => send({ type: 'openModelDoc', doc: 'card' })), link(strings.lossCurve, () => send({ type: 'openModelDoc', doc: 'loss' }))]
    : [];
  return el('header', {
    className: 'model-header',
    children: [
      el('div', {
        className: 'model-line',
        children: [el('strong', { text: `${strings.modelHeading}: ${m.label}` }), button(strings.chooseModel, () => send({ type: 'chooseModel' }), 'secondary'), ...docs],
      }),
      el('p', { className: 'muted', text: facts }),
      el('p', { className: 'muted', text: `${s.seqLen} ${strings.tokensLabel} · ${fmt(strings.elapsed, s.elapsedMs)}` }),
      s.cap && el('p', { className: 'notice cap', attrs: { role: 'note' }, text: fmt(strings.capNotice, s.cap.total, s.cap.limit) }),
      el('p', { className: 'note', attrs: { role: 'note' }, text: strings.note }),
    ],
  });
}

/** Identifies one forward pass: a new one rebuilds the controls, the same one only redraws. */
function runKey(s: AttentionSnapshot): string {
  return [s.model.dir, s.elapsedMs, s.seqLen, s.text].join('\u0000');
}

function render(s: AttentionSnapshot): void {
  snapshot = s;
  status.clear();
  persist();
  const key = runKey(s);
  if (controls && key === builtKey) {
    drawViews(s);
    return;
  }
  builtKey = key;
  controls = buildControls(s);
  renderGrid(s, controls.grid);
  renderPredictions(s, controls.predictions);
  replaceChildren(
    root,
    status.element,
    header(s),
    el('div', { className: 'selection-bar', children: [el('label', { text: strings.layer }), controls.layer, el('label', { text: strings.head }), controls.head, el('label', { text: strings.query }), controls.query] }),
    controls.tabs,
  );
  drawViews(s);
}

function renderEmpty(): void {
  replaceChildren(root, status.element, el('p', { className: 'muted', text: strings.emptyHint }), el('p', { className: 'note', text: strings.note }));
}

renderEmpty();
onThemeChange(() => {
  if (!snapshot) return;
  builtKey = undefined;
  render(snapshot);
});

const send = connect<'attention'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
