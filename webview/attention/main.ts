import './style.css';
// The Attention panel: every layer × head as thumbnails, one head as a large heatmap (hover, keyboard,
// table), token lines, the step-by-step arithmetic and the next-token predictions. It only draws: every
// number comes from the host — a small snapshot per run, the run's thumbnails once, and for each selection a
// view (the open head at the resolution drawn, the query's exact row, the step view) computed in the worker.
import type { AttentionSnapshot } from './drawn';
import type { AttentionHeadChoice, AttentionPanelSnapshot, AttentionProblemSnapshot, AttentionReply, AttentionSnapshot as RunSnapshot, AttentionStepView, AttentionThumbnails, AttentionView } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { visibleWhitespace } from '../../src/shared/whitespace';
import { announce, gridKeyMove, type GridPosition } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { categoricalColour, cssVar, onThemeChange, sequentialRgb } from '../common/theme';
import { button, checkbox, dropdown, link, tabs } from '../common/ui';
import { analysisSettings, decorateThumbnails, displayMatrix, heatmapTools, hiddenFirstKeyNote, renderAnalysis, restoreAnalysisSettings, type AnalysisContext, type AnalysisSettings } from './analysis';

type ViewId = 'grid' | 'heatmap' | 'lines' | 'step' | 'predictions' | 'analysis';

/** UI state kept across hide/show and reloads (plus the host's restore data). */
interface UiState {
  view: ViewId;
  table: boolean;
  /** The Analysis tab's settings (threshold, exclusions, first-token toggle, lens positions, ablation picks…). */
  analysis?: AnalysisSettings;
}

const init = initData();
const strings = init.strings as StringsOf<'attention'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = { view: saved?.view ?? 'grid', table: saved?.table ?? false };
restoreAnalysisSettings(saved?.analysis);


let snapshot: AttentionSnapshot | undefined;
/** The run's thumbnails, once they arrived. */
let thumbs: AttentionThumbnails | undefined;
/** The model problem shown instead of a run, if any. */
let problem: AttentionProblemSnapshot | undefined;
/** The run the persistent controls were built for (see runKey). */
let builtKey: string | undefined;
let heatmapFocus: GridPosition = { row: 0, col: 0 };

/** Fills {0}, {1}… in a localized template. */
function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => {
    const value = args[Number(i)];
    return typeof value === 'number' ? num(value) : (value ?? '');
  });
}

/** A number as the user's language writes it (thousands separators). */
const numberFormat = new Intl.NumberFormat(init.language || undefined);
function num(n: number): string {
  return numberFormat.format(n);
}

/** A token as a short, visible label: whitespace shown as in the Tokenization panel and VS Code (· → ↵). */
function tokenLabel(text: string, max = 14): string {
  const shown = visibleWhitespace(text);
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

/** √p of heatmap cell (i, j) on 0…1 (the colour axis): the view's lower triangle; cells above it are masked. */
function cellSqrt(view: AttentionView, i: number, j: number): number {
  return view.matrix && j <= i ? view.matrix[(i * (i + 1)) / 2 + j] / 65535 : 0;
}

/** The view's cells as weights (n × n, zero above the diagonal): what the first-token toggle renormalises. */
function viewMatrix(view: AttentionView): Float32Array {
  const n = view.bins;
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = cellWeight(view, i, j);
  return m;
}

/** The weight of heatmap cell (i, j): the block's largest, exact to ~3·10⁻⁵. */
function cellWeight(view: AttentionView, i: number, j: number): number {
  const r = cellSqrt(view, i, j);
  return r * r;
}

/** The run the host is computing and has not shown yet: a window reload restores it, not the text shown. */
let requested: Extract<AttentionReply, { type: 'requested' }> | undefined;

function persist(): void {
  const shown = requested ?? snapshot ?? problem;
  saveState({ ...ui, analysis: analysisSettings(), restore: shown ? { text: shown.text, input: shown.input } : undefined });
}

/** The selection asked for and not drawn yet: keys pressed before the answer arrives move on from it. */
let wanted: AttentionView['selection'] | undefined;

function select(layer: number, head: AttentionHeadChoice, query: number): void {
  wanted = { layer, head, query };
  send({ type: 'select', layer, head, query });
}

// ------------------------------------------------------------------------------------------
// Drawing helpers.

/** Paints thumbnail `index` (round(255·√p) per pixel, size × size) into a canvas of size × size pixels (CSS scales it). */
function paintThumbnail(canvas: HTMLCanvasElement, t: AttentionThumbnails, index: number): void {
  const n = t.size;
  canvas.width = n;
  canvas.height = n;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(n, n);
  const masked = parseCss(cssVar('--vscode-editorWidget-background', '#252526'));
  const base = index * n * n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const o = (i * n + j) * 4;
      // A block above the diagonal holds only later keys: masked.
      const [r, g, b] = j > i ? masked : sequentialRgb(t.pixels[base + i * n + j] / 255);
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
  analysis: HTMLElement;
}

let controls: Controls | undefined;
let stepScaled = true;
let stepTemperature = 1;
/** Sets the step controls to the options a step view was computed with (set by buildControls). */
let syncStepControls: (step: AttentionStepView) => void = () => undefined;

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
  const analysis = el('div', { className: 'view analysis-view' });

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
  // A page that reloaded builds these at T = 1; the host's options come back with the first step view.
  syncStepControls = (view: AttentionStepView): void => {
    if (document.activeElement === slider || (view.temperature === stepTemperature && view.scaled === stepScaled)) return;
    stepTemperature = view.temperature;
    stepScaled = view.scaled;
    slider.value = String(temperatureToSlider(stepTemperature));
    sliderValue.textContent = stepTemperature.toFixed(2);
    (scaleBox as HTMLElement & { checked: boolean }).checked = stepScaled;
  };
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
      { id: 'analysis', label: strings.tabAnalysis, content: analysis },
    ],
    ui.view,
    (id) => {
      ui.view = id as ViewId;
      persist();
      if (snapshot) drawViews(snapshot);
    },
  );
  return { layer, head, query, tabs: tabsElement, grid, heatmap, lines, step, stepBody, predictions, analysis };
}

function showView(view: ViewId): void {
  ui.view = view;
  persist();
  controls?.tabs.setAttribute('activeid', `tab-${view}`);
}

/** What the Analysis tab (analysis.ts) use of this page. */
const analysisContext: AnalysisContext = {
  strings,
  send: (request) => send(request),
  select,
  showView,
  redrawHeatmap: () => {
    if (snapshot && controls) renderHeatmap(snapshot, controls.heatmap);
  },
  redrawAnalysis: () => {
    if (snapshot && controls) renderAnalysis(snapshot, controls.analysis, analysisContext);
  },
  saveSettings: persist,
};

// ------------------------------------------------------------------------------------------
// Views.

function renderGrid(s: AttentionSnapshot, container: HTMLElement): void {
  const t = thumbs?.runId === s.runId ? thumbs : undefined;
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
    for (const [index, head] of choices.entries()) {
      const canvas = el('canvas', { className: 'thumb-canvas' });
      if (t) paintThumbnail(canvas, t, l * (s.heads + 2) + index);
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
  replaceChildren(container, el('p', { className: 'muted', text: strings.gridHelp }), t ? false : el('p', { className: 'muted thumbs-loading', text: strings.thumbnailsLoading }), grid);
  decorateThumbnails(container, s, strings);
}

/** The large heatmap canvas, with hover readout, keyboard navigation and export; or the table. */
function renderHeatmap(s: AttentionSnapshot, container: HTMLElement): void {
  const view = s.view;
  if (!view) {
    replaceChildren(container);
    return;
  }
  const { layer, head } = s.selection;
  const T = s.seqLen;
  // The view's cells: one per token up to 256 tokens, else blocks of `block` × `block` tokens (max-pooled).
  const n = view.bins;
  const block = view.block;
  const model = viewMatrix(view);
  // With the first-token toggle on, a renormalised view (sinks.ts), labelled as such (on the cells drawn).
  const m = displayMatrix(model, n);
  const tableToggle = button(ui.table ? strings.showHeatmap : strings.showTable, () => {
    ui.table = !ui.table;
    persist();
    renderHeatmap(s, container);
  }, 'secondary');
  const exportCsv = button(strings.exportCsv, () => send({ type: 'exportCsv' }), 'secondary');
  const toolbar = el('div', { className: 'toolbar', children: [tableToggle, exportCsv, ...heatmapTools(s, analysisContext)] });
  const viewNote = hiddenFirstKeyNote(model, n, analysisContext);
  if (ui.table) {
    replaceChildren(container, toolbar, viewNote, heatmapTable(s, view, m));
    return;
  }
  const available = Math.max(240, Math.min(window.innerWidth - 60, 1100));
  // Up to ~96 tokens the cells stay big enough for token labels (the canvas scrolls in a narrow panel).
  const cell = Math.max(n <= 96 ? 11 : 3, Math.min(28, Math.floor((available - 100) / n)));
  const labels = cell >= 9 && block === 1;
  const margin = labels ? 100 : 8;
  const size = margin + cell * n + 4;
  const canvas = el('canvas', { className: 'heatmap', attrs: { tabindex: '0', role: 'img', 'aria-label': fmt(strings.heatmapLabel, layer, headName(head, s)) } });
  const tooltip = el('div', { className: 'tooltip', attrs: { role: 'presentation' } });
  const scroll = el('div', { className: 'heatmap-scroll', children: [el('div', { className: 'heatmap-wrap', children: [canvas, tooltip] })] });
  const shown = (i: number, j: number): string => (j > i ? strings.masked : Number.isNaN(m[i * n + j]) ? strings.hiddenCell : percent(m[i * n + j]));
  const readout = (i: number, j: number): string => {
    if (block === 1) return fmt(strings.cellReadout, i, tokenLabel(s.tokens[i].text, 30), j, tokenLabel(s.tokens[j].text, 30), shown(i, j));
    const last = (k: number): number => Math.min(T, (k + 1) * block) - 1;
    return fmt(strings.blockReadout, i * block, last(i), j * block, last(j), shown(i, j));
  };

  const draw = (): void => {
    const ctx = hiDpiCanvas(canvas, size, size);
    if (!ctx) return;
    const fg = cssVar('--vscode-foreground', '#ccc');
    ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    ctx.fillRect(0, 0, size, size);
    const masked = cssVar('--vscode-editorWidget-background', '#252526');
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const [r, g, b] = sequentialRgb(Math.sqrt(m[i * n + j]));
        ctx.fillStyle = j > i || Number.isNaN(m[i * n + j]) ? masked : `rgb(${r}, ${g}, ${b})`;
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
    ctx.strokeRect(margin - 0.5, margin + Math.floor(s.selection.query / block) * cell - 0.5, n * cell + 1, cell + 1);
    if (document.activeElement === canvas) {
      ctx.strokeStyle = cssVar('--vscode-focusBorder', '#007fd4');
      ctx.lineWidth = 2;
      ctx.strokeRect(margin + heatmapFocus.col * cell, margin + heatmapFocus.row * cell, cell, cell);
    }
  };
  heatmapFocus = { row: Math.min(heatmapFocus.row, n - 1), col: Math.min(heatmapFocus.col, n - 1) };
  const cellAt = (event: MouseEvent): GridPosition | undefined => {
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor((event.clientX - rect.left - margin) / cell);
    const row = Math.floor((event.clientY - rect.top - margin) / cell);
    return row >= 0 && col >= 0 && row < n && col < n ? { row, col } : undefined;
  };
  canvas.addEventListener('mousemove', (event) => {
    const at = cellAt(event);
    if (!at) {
      tooltip.classList.remove('visible');
      return;
    }
    tooltip.textContent = readout(at.row, at.col);
    tooltip.classList.add('visible');
    // Keep the readout inside what the scroll box shows (a narrow panel scrolls the canvas): flip it to the
    // left of the pointer, or above it, when it would run off the visible edge.
    const view = scroll.getBoundingClientRect();
    const width = tooltip.offsetWidth;
    const height = tooltip.offsetHeight;
    let left = event.offsetX + 14;
    if (event.clientX + 14 + width > Math.min(view.right, window.innerWidth) - 4) left = Math.max(scroll.scrollLeft + 2, event.offsetX - 14 - width);
    let top = event.offsetY + 14;
    if (event.clientY + 14 + height > Math.min(view.bottom, window.innerHeight) - 4) top = Math.max(scroll.scrollTop + 2, event.offsetY - 14 - height);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  });
  canvas.addEventListener('mouseleave', () => tooltip.classList.remove('visible'));
  canvas.addEventListener('click', (event) => {
    const at = cellAt(event);
    if (!at) return;
    heatmapFocus = at;
    select(layer, head, Math.min(T - 1, at.row * block));
  });
  canvas.addEventListener('focus', () => {
    draw();
    announce(readout(heatmapFocus.row, heatmapFocus.col));
  });
  canvas.addEventListener('blur', draw);
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      select(layer, head, Math.min(T - 1, heatmapFocus.row * block));
      showView('step');
      return;
    }
    const next = gridKeyMove(event.key, heatmapFocus, n, n, event.ctrlKey || event.metaKey);
    if (!next) return;
    event.preventDefault();
    heatmapFocus = next;
    draw();
    announce(readout(next.row, next.col));
  });
  draw();
  const exportPng = button(strings.exportPng, () => send({ type: 'exportPng', dataUrl: exportImage(s, canvas).toDataURL('image/png') }), 'secondary');
  toolbar.appendChild(exportPng);
  replaceChildren(
    container,
    el('p', { className: 'muted', text: strings.heatmapHelp }),
    block > 1 && el('p', { className: 'muted pooled-note', text: fmt(strings.pooledNote, T, block) }),
    toolbar,
    viewNote,
    scroll,
    legend(),
  );
}

/** Paints the colour scale (viridis on √weight, 0 → 1) into a width × height box of `ctx`. */
function paintScale(ctx: CanvasRenderingContext2D, x: number, y: number, width: number, height: number): void {
  for (let i = 0; i < width; i++) {
    const [r, g, b] = sequentialRgb(i / Math.max(1, width - 1));
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(x + i, y, 1, height);
  }
}

/**
 * The exported PNG: a title (model, layer, head or mean/max, token count) above the heatmap as drawn, and the
 * colour scale below it, so the image explains itself outside the panel.
 */
function exportImage(s: AttentionSnapshot, heatmap: HTMLCanvasElement): HTMLCanvasElement {
  const ratio = heatmap.width / Math.max(1, heatmap.clientWidth || heatmap.width);
  const heatWidth = heatmap.width / ratio;
  const heatHeight = heatmap.height / ratio;
  const pad = 12;
  const titleH = 44;
  const legendH = 40;
  const width = Math.max(heatWidth, 420) + 2 * pad;
  const height = titleH + heatHeight + legendH + 2 * pad;
  const out = document.createElement('canvas');
  out.width = Math.round(width * ratio);
  out.height = Math.round(height * ratio);
  const ctx = out.getContext('2d');
  if (!ctx) return heatmap;
  ctx.scale(ratio, ratio);
  const fg = cssVar('--vscode-foreground', '#ccc');
  const font = cssVar('--vscode-font-family', 'sans-serif');
  ctx.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
  ctx.fillRect(0, 0, width, height);
  const { layer, head } = s.selection;
  ctx.fillStyle = fg;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.font = `600 14px ${font}`;
  ctx.fillText(`${strings.modelHeading}: ${s.model.label}`, pad, pad, width - 2 * pad);
  ctx.font = `13px ${font}`;
  ctx.fillText(`${fmt(strings.layerN, layer)} · ${headName(head, s)} · ${num(s.seqLen)} ${strings.tokensLabel}`, pad, pad + 20, width - 2 * pad);
  ctx.drawImage(heatmap, pad, pad + titleH, heatWidth, heatHeight);
  const scaleY = pad + titleH + heatHeight + 10;
  const scaleW = Math.min(200, width - 2 * pad - 40);
  ctx.font = `12px ${font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText('0', pad, scaleY + 5);
  paintScale(ctx, pad + 14, scaleY, scaleW, 10);
  ctx.fillText('1', pad + 20 + scaleW, scaleY + 5);
  ctx.fillStyle = cssVar('--vscode-descriptionForeground', fg);
  ctx.fillText(strings.colourScale, pad, scaleY + 24, width - 2 * pad);
  return out;
}

function legend(): HTMLElement {
  const bar = el('canvas', { className: 'legend-bar' });
  const ctx = hiDpiCanvas(bar, 160, 10);
  if (ctx) paintScale(ctx, 0, 0, 160, 10);
  return el('div', { className: 'legend', children: [el('span', { text: '0' }), bar, el('span', { text: '1' }), el('span', { className: 'muted', text: strings.colourScale })] });
}

/** The accessible alternative: the same cells as a table of percentages (token ranges when cells are blocks). */
function heatmapTable(s: AttentionSnapshot, view: AttentionView, m: Float32Array): HTMLElement {
  const T = s.seqLen;
  const n = view.bins;
  const block = view.block;
  const { layer, head } = s.selection;
  const label = (k: number): string => (block === 1 ? `${k}: ${tokenLabel(s.tokens[k].text)}` : `${k * block}–${Math.min(T, (k + 1) * block) - 1}`);
  const headRow = el('tr', { children: [el('th', { text: `${strings.query} \\ ${strings.key}`, attrs: { scope: 'col' } }), ...Array.from({ length: n }, (_, j) => el('th', { text: label(j), attrs: { scope: 'col' } }))] });
  const rows = Array.from({ length: n }, (_, i) => {
    const cells: HTMLElement[] = [el('th', { text: label(i), attrs: { scope: 'row' } })];
    for (let j = 0; j < n; j++) cells.push(el('td', { text: j > i ? '—' : Number.isNaN(m[i * n + j]) ? strings.hiddenCell : percent(m[i * n + j]) }));
    return el('tr', { children: cells });
  });
  return el('div', {
    className: 'table-wrap',
    children: [el('table', { className: 'data attention-table', children: [el('caption', { text: fmt(strings.tableCaption, layer, headName(head, s)) }), el('thead', { children: [headRow] }), el('tbody', { children: rows })] })],
  });
}

/** Queries on the left, keys on the right, lines as opaque as the weight (for the selected query). */
function renderLines(s: AttentionSnapshot, container: HTMLElement): void {
  if (!s.view) {
    replaceChildren(container);
    return;
  }
  const { layer, head, query } = s.selection;
  const T = s.seqLen;
  // The selected query's exact weights (a head's, or the mean/max over heads).
  const m = s.view.row;
  const rowH = 20;
  // From 480 px up the canvas fits the panel (body padding 2 × 20 px) without sideways scrolling.
  const width = Math.max(300, Math.min(640, window.innerWidth - 48));
  const height = T * rowH + 10;
  const narrow = width < 520;
  const leftX = narrow ? 120 : 150;
  const keyW = narrow ? 150 : 186;
  const rightX = width - keyW - 4;
  const canvas = el('canvas', { className: 'lines', attrs: { tabindex: '0', role: 'img', 'aria-label': fmt(strings.linesLabel, query, tokenLabel(s.tokens[query].text, 30)) } });
  const ctx = hiDpiCanvas(canvas, width, height);
  if (ctx) {
    const fg = cssVar('--vscode-foreground', '#ccc');
    const accent = cssVar('--vscode-charts-blue', cssVar('--vscode-focusBorder', '#3794ff'));
    const y = (i: number): number => 5 + i * rowH + rowH / 2;
    ctx.font = `12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
    ctx.textBaseline = 'middle';
    for (let j = 0; j <= query; j++) {
      const w = m[j];
      ctx.globalAlpha = Math.min(1, w);
      ctx.strokeStyle = accent;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(leftX + 6, y(query));
      ctx.lineTo(rightX - 6, y(j));
      ctx.stroke();
      ctx.fillStyle = accent;
      ctx.fillRect(rightX, y(j) - rowH / 2 + 2, keyW, rowH - 4);
    }
    ctx.globalAlpha = 1;
    for (let i = 0; i < T; i++) {
      ctx.fillStyle = fg;
      ctx.textAlign = 'right';
      ctx.font = `${i === query ? 'bold ' : ''}12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
      ctx.fillText(tokenLabel(s.tokens[i].text, narrow ? 14 : 18), leftX, y(i));
      ctx.textAlign = 'left';
      ctx.font = `12px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
      ctx.fillStyle = i > query ? cssVar('--vscode-disabledForeground', '#888') : fg;
      ctx.fillText(tokenLabel(s.tokens[i].text, narrow ? 10 : 14), rightX + 4, y(i));
      // The weight itself next to each visible key: faint lines still have a number.
      if (i <= query) {
        ctx.textAlign = 'right';
        ctx.fillText(percent(m[i]), width - 4, y(i));
      }
    }
  }
  canvas.addEventListener('click', (event) => {
    const rect = canvas.getBoundingClientRect();
    const i = Math.floor((event.clientY - rect.top - 5) / rowH);
    if (i >= 0 && i < T && event.clientX - rect.left < width / 2) select(layer, head, i);
  });
  canvas.addEventListener('keydown', (event) => {
    const from = wanted && wanted.layer === layer && wanted.head === head ? wanted.query : query;
    const next = event.key === 'ArrowUp' ? from - 1 : event.key === 'ArrowDown' ? from + 1 : undefined;
    if (next === undefined || next < 0 || next >= T) return;
    event.preventDefault();
    select(layer, head, next);
    announce(fmt(strings.linesLabel, next, tokenLabel(s.tokens[next].text, 30)));
  });
  const top = [...Array.from({ length: query + 1 }, (_, j) => j)].sort((a, b) => m[b] - m[a]).slice(0, 3);
  const summary = top.map((j) => `${tokenLabel(s.tokens[j].text, 20)} ${percent(m[j])}`).join(' · ');
  // The lines scroll in a box of their own, so the pickers above stay reachable however long the text is.
  const box = el('div', { className: 'lines-scroll', children: [canvas] });
  replaceChildren(container, el('p', { className: 'muted', text: strings.linesHelp }), el('p', { className: 'mono lines-summary', text: `${headName(head, s)} — ${summary}` }), box);
  // Keep the query's row (where its lines start) in the middle of the box.
  if (ui.view === 'lines') box.scrollTop = Math.max(0, 5 + query * rowH - box.clientHeight / 2);
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
  if (!s.view) {
    replaceChildren(container);
    return;
  }
  if (!step) {
    replaceChildren(container, el('p', { className: 'notice', text: strings.stepPickHead }));
    return;
  }
  const T = s.seqLen;
  const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : v < 0 ? '−∞' : '∞');
  // A few leading values of each v_j: the vectors the weights average into the output (one in a narrow panel,
  // so every column fits from 480 px up).
  const narrow = window.innerWidth < 560;
  const valueDims = Math.min(narrow ? 1 : 3, step.valueDims);
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
          el('th', { text: `${j}: ${tokenLabel(s.tokens[j].text, narrow ? 10 : 20)}`, attrs: { scope: 'row' } }),
          el('td', { className: 'mono', text: num(step.rawScores[j]) }),
          el('td', { className: 'mono', text: num(step.scaledScores[j]) }),
          el('td', { className: 'mono', text: visible ? '0' : '−∞' }),
          el('td', { className: 'mono prob', children: [el('span', { className: 'bar-track', children: [bar] }), percent(step.probs[j])] }),
          el('td', { className: 'mono muted', text: percent(step.modelProbs[j]) }),
          el('td', { className: 'mono', text: vectorLine(step.values.subarray(j * step.valueDims, j * step.valueDims + valueDims), valueDims).replace(/ {2}…$/, ' …') }),
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
  if (ui.view === 'analysis') renderAnalysis(s, controls.analysis, analysisContext);
  if (focused) root.querySelector<HTMLCanvasElement>(`canvas.${focused.split(' ')[0]}`)?.focus({ preventScroll: true });
  if (ui.view === 'grid') {
    for (const thumb of Array.from(controls.grid.querySelectorAll<HTMLElement>('.thumb'))) {
      thumb.classList.toggle('selected', thumb.dataset.layer === String(s.selection.layer) && thumb.dataset.head === String(s.selection.head));
    }
    decorateThumbnails(controls.grid, s, strings);
  }
}

/** What ran (the selection or the whole document), how much of it was read, and which limits applied. */
function inputNotices(s: AttentionSnapshot | AttentionProblemSnapshot): (HTMLElement | false)[] {
  const input = s.input;
  const cut = input.readChars < input.totalChars;
  const tokens = 'tokens' in s ? (s.cap?.total ?? s.seqLen) : undefined;
  const scope = input.scope === 'document' ? strings.scopeDocument : strings.scopeSelection;
  return [
    tokens !== undefined && el('p', { className: 'scope', text: fmt(scope, input.label, input.totalChars, tokens) }),
    cut && el('p', { className: 'notice char-cap', attrs: { role: 'note' }, text: fmt(strings.charCapNotice, input.readChars, input.totalChars) }),
  ];
}

/** A note when Restricted Mode kept the workspace's own llmLens.modelPath out. */
function trustNotice(path: string | undefined): HTMLElement | false {
  return path !== undefined && el('p', { className: 'notice untrusted', attrs: { role: 'note' }, text: fmt(strings.untrustedModelPath, path) });
}

/** For a mixture-of-experts model: a link to the MoE routing view of the same text and model (issue 15). */
function moeLink(m: AttentionSnapshot['model']): HTMLElement[] {
  if (!m.moe) return [];
  const a = link(fmt(strings.showMoeRouting, m.moe.experts, m.moe.topK), () => send({ type: 'showMoeRouting' }));
  a.classList.add('moe-link');
  return [a];
}

function header(s: AttentionSnapshot): HTMLElement {
  const m = s.model;
  const sourceSuffix = (source: typeof m.source): string =>
    source === 'ollama' ? ` ${strings.fromOllama}` : source === 'lmstudio' ? ` ${strings.fromLmStudio}` : source === 'cache' ? ` ${strings.fromHfCache}` : '';
  const mib = (m.weightBytes / 2 ** 20).toFixed(m.weightBytes < 2 ** 24 ? 1 : 0);
  const params = m.parameters >= 1e6 ? `${(m.parameters / 1e6).toFixed(1)} M` : `${(m.parameters / 1e3).toFixed(0)} K`;
  const facts = `${m.modelType} · ${num(m.layers)} ${strings.layersLabel} × ${num(m.heads)} ${strings.headsLabel} (${num(m.kvHeads)} ${strings.kvHeadsLabel}) · ${strings.headDimLabel} ${num(m.headDim)} · ${params} ${strings.parametersLabel} · ${mib} MiB ${strings.memoryLabel}`;
  const docs = m.hasModelCard
    ? [link(strings.modelCard, () => send({ type: 'openModelDoc', doc: 'card' })), link(strings.lossCurve, () => send({ type: 'openModelDoc', doc: 'loss' }))]
    : [];
  const cap = s.cap;
  return el('header', {
    className: 'model-header',
    children: [
      el('div', {
        className: 'model-line',
        // Where the model lives (issue 13): Ollama and LM Studio models are named as such, not as "a cache".
        children: [el('strong', { text: `${strings.modelHeading}: ${m.label}${sourceSuffix(m.source)}` }), button(strings.chooseModel, () => send({ type: 'chooseModel' }), 'secondary'), ...docs, ...moeLink(m)],
      }),
      el('p', { className: 'muted', text: facts }),
      trustNotice(m.ignoredWorkspacePath),
      ...inputNotices(s),
      el('p', { className: 'muted', text: `${num(s.seqLen)} ${strings.tokensLabel} · ${fmt(strings.elapsed, s.elapsedMs)}` }),
      cap && el('p', { className: 'notice cap', attrs: { role: 'note' }, text: fmt(cap.reason === 'trainedContext' ? strings.capTrainedContext : strings.capMaxTokens, cap.limit, cap.total) }),
      s.beyondTrainedContext && el('p', { className: 'notice warning beyond', attrs: { role: 'alert' }, text: fmt(strings.beyondTrainedContext, s.seqLen, m.trainedContext) }),
      el('p', { className: 'note', attrs: { role: 'note' }, text: strings.note }),
    ],
  });
}

/** Identifies one forward pass: a new one rebuilds the controls, the same one only redraws. */
function runKey(s: AttentionSnapshot): string {
  return [s.runId, s.model.dir, s.elapsedMs, s.seqLen, s.text].join('\u0000');
}

/** A new run (or the same one re-sent after a reload): drawn with the view held for it, if any. */
function renderRun(run: RunSnapshot): void {
  const same = snapshot?.runId === run.runId ? snapshot : undefined;
  if (!same) wanted = undefined;
  if (thumbs && thumbs.runId !== run.runId) thumbs = undefined;
  status.clear();
  render({ ...run, selection: same?.selection ?? { layer: 0, head: 0, query: run.seqLen - 1 }, step: same?.step, view: same?.view });
}

/** The host's answers: the run's thumbnails, or the view of a selection (drawn only for the run shown). */
function onReply(reply: AttentionReply): void {
  if (reply.type === 'requested') {
    requested = reply;
    persist();
    return;
  }
  if (reply.type === 'thumbnails') {
    thumbs = reply.thumbnails;
    if (snapshot?.runId === thumbs.runId && controls) renderGrid(snapshot, controls.grid);
    return;
  }
  const view = reply.view;
  if (!snapshot || view.runId !== snapshot.runId) return;
  const v = view.selection;
  if (wanted && wanted.layer === v.layer && wanted.head === v.head && wanted.query === v.query) wanted = undefined;
  // A view of the same head as the one drawn leaves its matrix out: keep ours.
  const held = snapshot.view?.matrixKey === view.matrixKey ? snapshot.view.matrix : undefined;
  render({ ...snapshot, selection: view.selection, step: view.step, view: view.matrix ? view : { ...view, matrix: held } });
  if (view.step) syncStepControls(view.step);
}

function render(s: AttentionSnapshot): void {
  snapshot = s;
  problem = undefined;
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
  const selectionBar = el('div', {
    className: 'selection-bar',
    children: [el('label', { text: strings.layer }), controls.layer, el('label', { text: strings.head }), controls.head, el('label', { text: strings.query }), controls.query],
  });
  // The status strip and the layer/head/query pickers stay in view while a long view scrolls.
  replaceChildren(root, header(s), el('div', { className: 'sticky-controls', children: [status.element, selectionBar] }), controls.tabs);
  drawViews(s);
}

/** The chosen model cannot run: say what is wrong and offer Choose Model and the embedded model. */
function renderProblem(p: AttentionProblemSnapshot): void {
  snapshot = undefined;
  problem = p;
  controls = undefined;
  builtKey = undefined;
  status.clear();
  persist();
  const ways = [button(strings.chooseModel, () => send({ type: 'chooseModel' }))];
  if (p.model.source !== 'embedded') ways.push(button(strings.useEmbeddedModel, () => send({ type: 'useEmbeddedModel' }), 'secondary'));
  replaceChildren(
    root,
    status.element,
    el('section', {
      className: 'model-problem',
      attrs: { role: 'alert' },
      children: [el('h2', { text: strings.problemHeading }), el('p', { className: 'problem-message', text: p.problem.message }), el('div', { className: 'problem-actions', children: ways })],
    }),
    trustNotice(p.model.ignoredWorkspacePath),
    ...inputNotices(p),
    el('p', { className: 'note', text: strings.note }),
  );
}

function renderSnapshot(s: AttentionPanelSnapshot): void {
  // The run asked for arrived (or its model cannot run): what is shown is what a reload restores again.
  if (requested && ('problem' in s || s.runId >= requested.runId)) requested = undefined;
  if ('problem' in s) renderProblem(s);
  else renderRun(s);
}

/** Nothing has run in this panel: how to start. */
function renderEmpty(): void {
  replaceChildren(root, status.element, el('p', { className: 'muted empty-hint', text: strings.emptyHint }), el('p', { className: 'note', text: strings.note }));
}

// The first paint shows progress, not the "select some code" hint: a run is usually on its way (the command
// that opened the panel, or a restore). The host answers 'ready' with the run's progress, a snapshot, or idle.
replaceChildren(root, status.element);
status.progress(strings.working, undefined, false);
onThemeChange(() => {
  if (!snapshot) return;
  builtKey = undefined;
  render(snapshot);
});

const send = connect<'attention'>({
  snapshot: renderSnapshot,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => {
    // No job runs any more (the run asked for was cancelled or failed): a reload restores what is shown.
    if (requested) {
      requested = undefined;
      persist();
    }
    // Idle ends progress; an error shown by the host stays until the next run.
    if (status.element.classList.contains('busy')) status.clear();
    if (!snapshot && !problem && root.querySelector('.empty-hint') === null) renderEmpty();
  },
  error: (message) => status.error(message),
  reply: onReply,
});
