import './style.css';
// The Concept Lab: a page per idea (RoPE, RMSNorm and SwiGLU, masks, live training) drawn from the host's
// snapshot. Every number is computed by the core in a compute worker; this page only draws and asks.
import type { ConceptLabSnapshot, ConceptPage } from '../../src/shared/conceptLabProtocol';
import { conceptExtensionFactors, conceptPages, conceptTrainSteps, isConceptPage } from '../../src/shared/conceptLabProtocol';
import type { StringsOf } from '../../src/shared/strings';
import { announce } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { categoricalColour, cssVar, onThemeChange } from '../common/theme';
import { button, dropdown, slider } from '../common/ui';
import { chart } from './chart';

/** UI state kept across hide/show and reloads. */
interface UiState {
  position: number;
  maskQuery: number;
  trainSteps: number;
}

const init = initData();
const strings = init.strings as StringsOf<'conceptLab'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = {
  position: typeof saved?.position === 'number' ? saved.position : 1,
  maskQuery: typeof saved?.maskQuery === 'number' ? saved.maskQuery : 0,
  trainSteps: typeof saved?.trainSteps === 'number' ? saved.trainSteps : 60,
};
let snapshot: ConceptLabSnapshot | undefined;

const send = connect<'conceptLab'>({
  snapshot: (s) => {
    snapshot = s;
    status.clear();
    render();
  },
  progress: (message, fraction, cancellable) => {
    status.progress(message, fraction, cancellable);
  },
  idle: () => status.clear(),
  error: (message) => status.error(message),
});

/** Fills {0}, {1}… in a localized template. */
function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : Number(v.toFixed(digits)).toString();
}

function persist(): void {
  saveState({ ...ui, restore: { page: snapshot?.page, text: snapshot?.restore?.text, label: snapshot?.restore?.label } });
}

const pageLabel: Record<ConceptPage, string> = { rope: strings.pageRope, norm: strings.pageNorm, masks: strings.pageMasks, train: strings.pageTrain };

function tabBar(active: ConceptPage): HTMLElement {
  const bar = el('div', { className: 'tabs', attrs: { role: 'tablist', 'aria-label': strings.pagesAria } });
  const tabs = conceptPages.map((page) => {
    const b = el('button', {
      className: page === active ? 'tab active' : 'tab',
      text: pageLabel[page],
      attrs: { role: 'tab', 'aria-selected': String(page === active), tabindex: page === active ? '0' : '-1', 'data-page': page },
    });
    b.addEventListener('click', () => send({ type: 'setPage', page }));
    b.addEventListener('keydown', (event) => {
      const i = conceptPages.indexOf(page);
      const next = event.key === 'ArrowRight' ? conceptPages[(i + 1) % conceptPages.length] : event.key === 'ArrowLeft' ? conceptPages[(i + conceptPages.length - 1) % conceptPages.length] : undefined;
      if (!next) return;
      event.preventDefault();
      send({ type: 'setPage', page: next });
      pendingFocus = next;
    });
    return b;
  });
  bar.append(...tabs);
  return bar;
}

let pendingFocus: ConceptPage | undefined;

function header(s: ConceptLabSnapshot): HTMLElement {
  const m = s.model;
  return el('header', {
    children: [
      el('h1', { text: strings.heading }),
      el('p', { className: 'muted', text: strings.intro }),
      el('div', {
        className: 'model-row',
        children: [
          el('span', { text: fmt(strings.modelLine, m.label, m.layers, m.heads, m.kvHeads, m.headDim, m.hidden) }),
          button(strings.chooseModel, () => send({ type: 'chooseModel' }), 'secondary'),
        ],
      }),
      el('p', { className: 'muted', text: fmt(strings.textLine, s.textLabel, s.tokenCount, Math.min(s.tokenCount, s.tokens.length)) }),
    ],
  });
}

function probeControls(s: ConceptLabSnapshot, withHead: boolean, withToken: boolean): HTMLElement {
  const m = s.model;
  const p = s.probe;
  const options = (n: number) => Array.from({ length: n }, (_, i) => ({ value: String(i), label: String(i) }));
  const set = (patch: Partial<typeof p>) => send({ type: 'setProbe', ...p, ...patch });
  return el('div', {
    className: 'controls',
    children: [
      el('label', { children: [el('span', { text: strings.layer }), dropdown(options(m.layers), String(p.layer), (v) => set({ layer: Number(v) }), strings.layer)] }),
      withHead && el('label', { children: [el('span', { text: strings.head }), dropdown(options(m.heads), String(p.head), (v) => set({ head: Number(v) }), strings.head)] }),
      withToken && el('label', {
        children: [
          el('span', { text: strings.token }),
          dropdown(s.tokens.map((t, i) => ({ value: String(i), label: fmt(strings.tokenOption, i, visible(t)) })), String(p.token), (v) => set({ token: Number(v) }), strings.token),
        ],
      }),
    ].filter((c): c is HTMLLabelElement => c instanceof HTMLElement),
  });
}

function visible(token: string): string {
  return token.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '→');
}

// ---- RoPE ------------------------------------------------------------------------------------

function circles(s: ConceptLabSnapshot): HTMLElement {
  const r = s.rope;
  const pairs = r.inverseFrequencies.length;
  const canvas = el('canvas', { className: 'circles', attrs: { role: 'img', 'aria-label': strings.circlesAria } });
  const readout = el('p', { className: 'muted readout' });
  const draw = (): void => {
    const p = Math.min(ui.position, r.anglePositions - 1);
    const width = Math.max(200, canvas.parentElement?.clientWidth ?? 400);
    const cell = 54;
    const perRow = Math.max(1, Math.floor(width / cell));
    const rows = Math.ceil(pairs / perRow);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(rows * cell * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${rows * cell}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, rows * cell);
    ctx.font = `10px ${cssVar('--vscode-font-family', 'sans-serif')}`;
    ctx.textAlign = 'center';
    for (let i = 0; i < pairs; i++) {
      const cx = (i % perRow) * cell + cell / 2;
      const cy = Math.floor(i / perRow) * cell + 22;
      const radius = 17;
      ctx.strokeStyle = cssVar('--vscode-panel-border', 'rgba(128,128,128,0.5)');
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
      ctx.stroke();
      const a = r.angles[p * pairs + i];
      ctx.strokeStyle = categoricalColour(i % 7);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(cx, cy);
      ctx.lineTo(cx + radius * Math.cos(a), cy - radius * Math.sin(a));
      ctx.stroke();
      ctx.fillStyle = cssVar('--vscode-descriptionForeground', '#888');
      ctx.fillText(String(i), cx, cy + radius + 12);
    }
    readout.textContent = fmt(strings.positionReadout, p, num(r.angles[p * pairs], 2), pairs - 1, num(r.angles[p * pairs + pairs - 1], 4));
  };
  const input = slider(0, r.anglePositions - 1, 1, Math.min(ui.position, r.anglePositions - 1), (v) => {
    ui.position = v;
    persist();
    draw();
    announce(readout.textContent ?? '');
  }, strings.position);
  const box = el('div', {
    children: [
      el('label', { className: 'slider-row', children: [el('span', { text: strings.position }), input] }),
      canvas, readout,
    ],
  });
  new ResizeObserver(draw).observe(box);
  box.addEventListener('llm-lens-redraw', draw);
  return box;
}

function ropePage(s: ConceptLabSnapshot): HTMLElement[] {
  const r = s.rope;
  const m = s.model;
  const d = m.headDim;
  const ext = r.extension;
  const byMethod = new Map(ext.methods.map((x) => [x.method, x]));
  const bands = { high: 0, mid: 0, low: 0 };
  for (const b of ext.llama3Bands) bands[b]++;
  const yarn = byMethod.get('yarn');
  const methodLabel = { llama3: strings.methodLlama3, linear: strings.methodLinear, ntk: strings.methodNtk, dynamic: strings.methodDynamic, yarn: strings.methodYarn };
  const out: HTMLElement[] = [
    el('p', { className: 'mono', text: fmt(strings.ropeLine, m.positions === 'rope' ? m.ropeTheta : 10000, d, d / 2, m.ropeStyle === 'half' ? strings.pairingHalf : strings.pairingInterleaved, m.ropeScaling) }),
  ];
  if (m.positions !== 'rope') out.push(el('p', { className: 'notice', text: strings.learnedPositions }));
  out.push(
    el('section', { attrs: { 'data-section': 'circles' }, children: [el('h2', { text: strings.circlesHeading }), el('p', { text: strings.circlesHelp }), circles(s)] }),
    el('section', {
      attrs: { 'data-section': 'wavelengths' },
      children: [
        el('h2', { text: strings.wavelengthsHeading }),
        el('p', { text: fmt(strings.wavelengthsHelp, m.contextLength) }),
        chart([{ label: 'λ_i', y: r.wavelengths, kind: 'points', colour: 4 }], { aria: strings.wavelengthsAria, xLabel: strings.pairAxis, yLabel: strings.wavelengthAxis, logY: true, hLines: [{ y: m.contextLength, label: String(m.contextLength), colour: 5 }] }),
      ],
    }),
    el('section', {
      attrs: { 'data-section': 'decay' },
      children: [
        el('h2', { text: strings.decayHeading }),
        el('p', { text: strings.decayHelp }),
        chart([{ label: strings.boundAxis, y: r.decay, colour: 2 }], { aria: strings.decayAria, xLabel: strings.distanceAxis, yLabel: strings.boundAxis }),
      ],
    }),
    el('section', {
      attrs: { 'data-section': 'extension' },
      children: [
        el('h2', { text: strings.extensionHeading }),
        el('p', { text: fmt(strings.extensionHelp, ext.originalContext) }),
        el('label', {
          className: 'controls',
          children: [el('span', { text: strings.factor }), dropdown(conceptExtensionFactors.map((f) => ({ value: String(f), label: `s = ${f}` })), String(ext.factor), (v) => send({ type: 'setExtension', factor: Number(v) }), strings.factor)],
        }),
        chart([
          { label: strings.methodOriginal, y: r.wavelengths, colour: 6, kind: 'points' },
          ...ext.methods.map((x, i) => ({ label: methodLabel[x.method], y: x.wavelengths, colour: i, dashed: x.method === 'dynamic' })),
        ], { aria: strings.extensionAria, xLabel: strings.pairAxis, yLabel: strings.wavelengthAxis, logY: true, height: 240, hLines: [{ y: ext.originalContext, label: `L = ${ext.originalContext}`, colour: 5 }] }),
        el('ul', {
          className: 'formulas',
          children: [
            el('li', { text: fmt(strings.formulaLlama3, bands.high, bands.mid, bands.low) }),
            el('li', { text: strings.formulaLinear }),
            el('li', { text: strings.formulaNtk }),
            el('li', { text: strings.formulaDynamic }),
            el('li', { text: fmt(strings.formulaYarn, num(yarn?.attentionFactor ?? 1, 4)) }),
          ],
        }),
      ],
    }),
  );
  const qk = r.qk;
  if (qk) {
    out.push(el('section', {
      attrs: { 'data-section': 'qk' },
      children: [
        el('h2', { text: strings.qkHeading }),
        probeControls(s, true, false),
        el('p', { text: fmt(strings.qkHelp, s.probe.layer, s.probe.head) }),
        chart([
          { label: strings.withRope, y: qk.withRope, colour: 4 },
          { label: strings.withoutRope, y: qk.withoutRope, colour: 5, dashed: true },
        ], { aria: strings.qkAria, xLabel: strings.distanceAxis, yLabel: strings.scoreAxis }),
        el('p', { text: strings.qkFixedHelp }),
        chart([{ label: strings.withRope, y: qk.fixedWithRope, colour: 4 }], {
          aria: strings.qkFixedAria, xLabel: strings.distanceAxis, yLabel: strings.scoreAxis, hLines: [{ y: qk.fixedWithoutRope, label: strings.withoutRope, colour: 5 }],
        }),
      ],
    }));
  }
  return out;
}

// ---- RMSNorm and SwiGLU ----------------------------------------------------------------------

function normPage(s: ConceptLabSnapshot): HTMLElement[] {
  const n = s.norm;
  const tokenText = visible(s.tokens[s.probe.token] ?? '');
  const rows: [string, string][] = [
    [strings.statMean, num(n.mean, 4)],
    [strings.statRms, num(n.rms, 4)],
    [strings.statStd, num(n.std, 4)],
    [strings.statNormalized, num(n.rmsNormalized, 4)],
    [strings.statAfterGain, num(n.rmsAfterGain, 4)],
    [strings.statMeanAfter, num(n.meanAfter, 4)],
  ];
  const table = el('table', {
    className: 'data stats',
    children: [
      el('thead', { children: [el('tr', { children: [el('th', { text: strings.statName }), el('th', { text: strings.statValue })] })] }),
      el('tbody', { children: rows.map(([k, v]) => el('tr', { children: [el('td', { text: k }), el('td', { className: 'mono', text: v })] })) }),
    ],
  });
  const out: HTMLElement[] = [
    probeControls(s, false, true),
    el('section', {
      attrs: { 'data-section': 'norm' },
      children: [
        el('h2', { text: strings.normHeading }),
        el('p', { text: fmt(strings.normHelp, s.probe.layer, tokenText) }),
        n.kind === 'layer' && el('p', { className: 'notice', text: strings.normLayerNote }),
        table,
        el('p', { className: 'muted', text: fmt(strings.statGain, num(n.gainMean, 3), num(n.gainMin, 3), num(n.gainMax, 3)) }),
        el('p', { className: 'muted', text: fmt(strings.statOps, n.opsRms, n.opsLayer) }),
        chart([
          { label: strings.seriesInput, y: n.input, colour: 6, kind: 'bars' },
          { label: strings.seriesRms, y: n.rmsOut, colour: 4 },
          { label: strings.seriesLayer, y: n.layerOut, colour: 5, dashed: true },
        ], { aria: strings.normAria, xLabel: strings.dimAxis, yLabel: '' }),
      ].filter((c): c is HTMLElement => c instanceof HTMLElement),
    }),
  ];
  const mlp = n.mlp;
  const swiglu: HTMLElement[] = [el('h2', { text: strings.swigluHeading })];
  if (!mlp) swiglu.push(el('p', { className: 'notice', text: strings.noGate }));
  else {
    swiglu.push(
      el('p', { text: fmt(strings.swigluHelp, mlp.gate.length) }),
      ...(mlp.activation === 'gelu' ? [el('p', { className: 'notice', text: strings.gegluNote })] : []),
      chart([
        { label: strings.seriesGate, y: mlp.gate, colour: 6, kind: 'bars' },
        { label: strings.seriesAct, y: mlp.act, colour: 2 },
        { label: strings.seriesProduct, y: mlp.product, colour: 5 },
      ], { aria: strings.swigluAria, xLabel: strings.unitAxis, yLabel: '' }),
      el('h3', { text: fmt(strings.histogramHeading, s.probe.layer) }),
      el('p', { text: fmt(strings.histogramHelp, `${num(mlp.sparsity.negative * 100, 1)} %`, `${num(mlp.sparsity.small * 100, 1)} %`) }),
      chart([{
        label: strings.seriesGate, kind: 'bars', colour: 4, y: mlp.histogram.counts,
        x: Array.from(mlp.histogram.counts, (_, i) => mlp.histogram.min + ((i + 0.5) * (mlp.histogram.max - mlp.histogram.min)) / mlp.histogram.counts.length),
      }], { aria: strings.histogramAria, xLabel: strings.seriesGate, yLabel: '#' }),
    );
  }
  swiglu.push(
    el('h3', { text: strings.curvesHeading }),
    chart([
      { label: 'SiLU', x: n.curves.x, y: n.curves.silu, colour: 4 },
      { label: 'GELU', x: n.curves.x, y: n.curves.gelu, colour: 2, dashed: true },
      { label: 'ReLU', x: n.curves.x, y: n.curves.relu, colour: 5 },
    ], { aria: strings.curvesAria, xLabel: 'x', yLabel: 'f(x)' }),
  );
  out.push(el('section', { attrs: { 'data-section': 'swiglu' }, children: swiglu }));
  return out;
}

// ---- Masks -----------------------------------------------------------------------------------

function maskGrid(s: ConceptLabSnapshot, index: number): HTMLElement {
  const mask = s.masks.masks[index];
  const pad = mask.padTokens ?? 0;
  const labelOf = (i: number): string => (i < pad ? strings.pad : visible(s.tokens[i - pad] ?? ''));
  const cell = 14;
  const canvas = el('canvas', { className: 'mask', attrs: { role: 'img', 'aria-label': fmt(strings.maskAria, mask.kind) } });
  const draw = (): void => {
    const size = cell * mask.cols;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(size * dpr);
    canvas.height = Math.round(cell * mask.rows * dpr);
    canvas.style.width = `${size}px`;
    canvas.style.height = `${cell * mask.rows}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const on = categoricalColour(4);
    const cross = categoricalColour(0);
    const off = cssVar('--vscode-editorWidget-background', 'rgba(128,128,128,0.15)');
    const q = Math.min(ui.maskQuery + pad, mask.rows - 1);
    for (let i = 0; i < mask.rows; i++) {
      for (let j = 0; j < mask.cols; j++) {
        const allowed = mask.allowed[i * mask.cols + j] === 1;
        const crossAttention = mask.encoderTokens !== undefined && i >= mask.encoderTokens && j < mask.encoderTokens;
        ctx.fillStyle = allowed ? (crossAttention ? cross : on) : off;
        ctx.globalAlpha = i === q || !allowed ? 1 : 0.55;
        ctx.fillRect(j * cell + 1, i * cell + 1, cell - 2, cell - 2);
      }
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = cssVar('--vscode-focusBorder', '#888');
    ctx.strokeRect(0.5, q * cell + 0.5, cell * mask.cols - 1, cell - 1);
  };
  const q = Math.min(ui.maskQuery + pad, mask.rows - 1);
  const keys: string[] = [];
  for (let j = 0; j < mask.cols; j++) if (mask.allowed[q * mask.cols + j]) keys.push(labelOf(j));
  const readout = keys.length === 0 ? fmt(strings.seesNothing, q, labelOf(q)) : fmt(strings.sees, q, labelOf(q), keys.join(' '));
  const caption = {
    causal: strings.maskCausal,
    bidirectional: strings.maskBidirectional,
    sliding: fmt(s.masks.windowFromModel ? strings.maskSlidingModel : strings.maskSlidingExample, s.masks.window),
    padding: strings.maskPadding,
    encoderDecoder: fmt(strings.maskEncoderDecoder, mask.encoderTokens ?? 0),
  }[mask.kind];
  const figure = el('figure', {
    className: 'mask-figure',
    attrs: { 'data-mask': mask.kind },
    children: [el('figcaption', { text: caption }), el('div', { className: 'mask-scroll', children: [canvas] }), el('p', { className: 'muted mono', text: readout })],
  });
  requestAnimationFrame(draw);
  figure.addEventListener('llm-lens-redraw', draw);
  return figure;
}

function masksPage(s: ConceptLabSnapshot): HTMLElement[] {
  const shown = s.masks.masks[0]?.rows ?? 0;
  ui.maskQuery = Math.min(ui.maskQuery, Math.max(0, shown - 1));
  return [
    el('h2', { text: strings.masksHeading }),
    el('p', { text: fmt(strings.masksHelp, shown) }),
    el('label', {
      className: 'controls',
      children: [
        el('span', { text: strings.queryToken }),
        dropdown(s.tokens.slice(0, shown).map((t, i) => ({ value: String(i), label: fmt(strings.tokenOption, i, visible(t)) })), String(ui.maskQuery), (v) => {
          ui.maskQuery = Number(v);
          persist();
          render();
        }, strings.queryToken),
      ],
    }),
    el('div', { className: 'masks', children: s.masks.masks.map((_, i) => maskGrid(s, i)) }),
  ];
}

// ---- Training --------------------------------------------------------------------------------

function trainPage(s: ConceptLabSnapshot): HTMLElement[] {
  const t = s.train;
  const out: HTMLElement[] = [el('h2', { text: strings.trainHeading }), el('p', { text: strings.trainHelp })];
  if (!s.model.embedded) out.push(el('p', { className: 'notice', text: fmt(strings.trainEmbeddedNote, s.model.label) }));
  if (!conceptTrainSteps.includes(ui.trainSteps as (typeof conceptTrainSteps)[number])) ui.trainSteps = 60;
  out.push(el('div', {
    className: 'controls',
    children: [
      el('label', {
        children: [el('span', { text: strings.steps }), dropdown(conceptTrainSteps.map((n) => ({ value: String(n), label: String(n) })), String(ui.trainSteps), (v) => {
          ui.trainSteps = Number(v);
          persist();
        }, strings.steps)],
      }),
      button(t.state === 'idle' ? strings.train : strings.trainAgain, () => send({ type: 'train', steps: ui.trainSteps })),
    ],
  }));
  if (t.state === 'running') out.push(el('p', { className: 'muted', attrs: { 'data-train': 'running' }, text: fmt(strings.runningNote, t.losses.length, t.steps) }));
  if (t.losses.length > 0) {
    const hLines = [
      ...(t.lossBefore !== undefined ? [{ y: t.lossBefore, label: strings.seriesBefore, colour: 5 }] : []),
      ...(t.bigram !== undefined ? [{ y: t.bigram, label: strings.seriesBigram, colour: 2 }] : []),
    ];
    out.push(chart([{ label: strings.seriesLoss, y: t.losses, x: t.losses.map((_, i) => i + 1), colour: 4 }], { aria: strings.trainAria, xLabel: strings.stepAxis, yLabel: strings.lossAxis, hLines, height: 220 }));
  }
  if (t.lossBefore !== undefined && t.lossAfter !== undefined && t.bigram !== undefined) {
    out.push(
      el('p', { attrs: { 'data-train': t.state }, text: fmt(strings.lossLine, num(t.lossBefore), num(t.lossAfter), t.losses.length, t.tokens ?? 0, num(t.bigram)) }),
      el('p', { className: 'muted', text: strings.bigramHelp }),
    );
    if (t.state === 'cancelled') out.push(el('p', { className: 'notice', text: fmt(strings.cancelledNote, t.losses.length) }));
  }
  if (t.predictions && t.predictions.length > 0) {
    out.push(
      el('h3', { text: strings.predictionsHeading }),
      el('div', {
        className: 'table-scroll',
        children: [el('table', {
          className: 'data predictions',
          attrs: { 'aria-label': strings.predictionsAria },
          children: [
            el('thead', { children: [el('tr', { children: [strings.colPosition, strings.colActual, strings.colBefore, strings.colAfter, strings.colPBefore, strings.colPAfter].map((h) => el('th', { text: h })) })] }),
            el('tbody', {
              children: t.predictions.map((p) => el('tr', {
                children: [
                  el('td', { text: String(p.position) }),
                  el('td', { className: 'mono', text: visible(p.actual) }),
                  el('td', { className: p.before === p.actual ? 'mono hit' : 'mono', text: visible(p.before) }),
                  el('td', { className: p.after === p.actual ? 'mono hit' : 'mono', text: visible(p.after) }),
                  el('td', { text: num(p.pBefore) }),
                  el('td', { text: num(p.pAfter) }),
                ],
              })),
            }),
          ],
        })],
      }),
    );
  }
  return out;
}

function render(): void {
  const s = snapshot;
  if (!s) return;
  persist();
  const page = isConceptPage(s.page) ? s.page : 'rope';
  const body = page === 'rope' ? ropePage(s) : page === 'norm' ? normPage(s) : page === 'masks' ? masksPage(s) : trainPage(s);
  replaceChildren(
    root,
    status.element,
    header(s),
    tabBar(page),
    el('div', { className: 'page', attrs: { role: 'tabpanel', 'data-page': page, 'aria-label': pageLabel[page] }, children: body }),
    el('p', { className: 'muted', text: strings.glossaryLinkNote }),
  );
  if (pendingFocus) {
    root.querySelector<HTMLElement>(`.tab[data-page="${pendingFocus}"]`)?.focus();
    pendingFocus = undefined;
  }
}

onThemeChange(() => {
  for (const node of Array.from(root.querySelectorAll('.chart-box, .mask-figure, .circles'))) node.dispatchEvent(new Event('llm-lens-redraw'));
  for (const node of Array.from(root.querySelectorAll('.circles'))) node.parentElement?.dispatchEvent(new Event('llm-lens-redraw'));
});
