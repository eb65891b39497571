import './style.css';
// The KV-cache memory panel. Draws what the host computed; the only arithmetic here is layout and
// the slider's log mapping. Controls are built once and kept (so typing and dragging are never
// interrupted); results are redrawn from each complete snapshot.
import type { KvCacheInputs, KvCacheSnapshot, KvCustomFields, KvInputField, KvServingFields, KvShape, KvVariant } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { formatBinaryBytes } from '../../src/core/kvcache/format';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { categoricalColour, onThemeChange } from '../common/theme';
import { badge, button, dropdown, slider, textField } from '../common/ui';
import { MemoryChart } from './chart';
import { renderServing } from './serving';
import { variantStyle } from './variantStyle';

const init = initData();
const strings = init.strings as StringsOf<'kvcache'>;
const root = appRoot();
const numberFormat = new Intl.NumberFormat(init.language);
const num = (value: number) => numberFormat.format(value);
const fmt = (template: string, ...args: string[]) => template.replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)] ?? '');
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));

interface UiState {
  restore?: { inputs: KvCacheInputs; configUri?: string };
  formulaKind?: string;
}
const saved = loadState<UiState>();
let inputs: KvCacheInputs | undefined;
let snapshot: KvCacheSnapshot | undefined;
let formulaKind = saved?.formulaKind;
let formulaModel: string | undefined;

/** A size in binary units, with the exact byte count on hover and for screen readers. */
function bytes(value: number): HTMLElement {
  const exact = fmt(strings.bytesExact, num(value));
  return el('span', { className: 'bytes', text: formatBinaryBytes(value), attrs: { title: exact, 'aria-label': `${formatBinaryBytes(value)} (${exact})` } });
}

// ---------------------------------------------------------------------------------------------
// Controls (built once).

type TextKey = KvInputField & ('seqLen' | 'batch' | 'configParameters' | keyof KvCustomFields | keyof KvServingFields);
const textFields = new Map<TextKey, { field: HTMLElement & { value: string }; error: HTMLElement }>();
const SERVING_KEYS: readonly string[] = ['tpDegree', 'blockSize', 'gpuMemoryGiB', 'gpuBandwidthGBs', 'gpuTflops'] satisfies (keyof KvServingFields)[];
/** The Serving fields of states saved before the section existed (the host's defaults). */
const SERVING_DEFAULTS: KvServingFields = { tpDegree: '1', blockSize: '16', gpuMemoryGiB: '', gpuBandwidthGBs: '', gpuTflops: '' };

function readText(key: TextKey, from: KvCacheInputs): string {
  if (key === 'seqLen' || key === 'batch' || key === 'configParameters') return from[key];
  if (SERVING_KEYS.includes(key)) return (from.serving ?? SERVING_DEFAULTS)[key as keyof KvServingFields];
  return from.custom[key as keyof KvCustomFields] as string;
}

function writeText(key: TextKey, value: string): void {
  if (!inputs) return;
  if (key === 'seqLen' || key === 'batch' || key === 'configParameters') inputs = { ...inputs, [key]: value };
  else if (SERVING_KEYS.includes(key)) inputs = { ...inputs, serving: { ...(inputs.serving ?? SERVING_DEFAULTS), [key]: value } };
  else inputs = { ...inputs, custom: { ...inputs.custom, [key]: value } };
}

function labelledField(key: TextKey, label: string): HTMLElement {
  const error = el('div', { className: 'field-error', attrs: { id: `error-${key}` } });
  const field = textField(label, '', (value) => {
    writeText(key, value);
    if (key === 'seqLen') syncContextSlider(value);
    sendInputs();
  }) as HTMLElement & { value: string };
  field.dataset.field = key;
  // The host takes fields of at most 64 characters (1,000 for a layer list); longer text would be refused whole.
  field.setAttribute('maxlength', key === 'slidingLayerList' ? '1000' : '64');
  field.setAttribute('aria-describedby', `error-${key}`);
  textFields.set(key, { field, error });
  return el('div', { className: 'field', children: [field, error] });
}

let pending = false;
/** How many setInputs were sent: a snapshot answering an older one must not bring older inputs back. */
let sentSeq = 0;
/** Sends the inputs once per frame at most (sliders fire faster than the screen redraws). */
function sendInputs(): void {
  if (!inputs || pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    if (inputs) send({ type: 'setInputs', inputs, seq: ++sentSeq });
  });
}

const SLIDER_STEPS_PER_OCTAVE = 10;
const SLIDER_MAX_OCTAVES = 24; // 16M tokens on the slider; the text field takes longer contexts.
const contextSlider = slider(0, SLIDER_MAX_OCTAVES * SLIDER_STEPS_PER_OCTAVE, 1, 150, (position) => {
  const tokens = Math.round(2 ** (position / SLIDER_STEPS_PER_OCTAVE));
  const text = String(tokens);
  writeText('seqLen', text);
  const entry = textFields.get('seqLen');
  if (entry) entry.field.value = text;
  sendInputs();
}, strings.seqLenSlider);
contextSlider.dataset.field = 'seqLenSlider';

function syncContextSlider(text: string): void {
  const tokens = Number(text.replace(/[,_ ]/g, ''));
  if (Number.isFinite(tokens) && tokens >= 1 && document.activeElement !== contextSlider) {
    contextSlider.value = String(Math.min(SLIDER_MAX_OCTAVES * SLIDER_STEPS_PER_OCTAVE, Math.round(Math.log2(tokens) * SLIDER_STEPS_PER_OCTAVE)));
  }
}

const dropdownSlots = {
  source: el('div', { className: 'field' }),
  preset: el('div', { className: 'field' }),
  slidingLayers: el('div', { className: 'field' }),
  kvDtype: el('div', { className: 'field' }),
  weightsDtype: el('div', { className: 'field' }),
  gpu: el('div', { className: 'field' }),
};
const dropdownKeys: Record<keyof typeof dropdownSlots, string> = { source: '', preset: '', slidingLayers: '', kvDtype: '', weightsDtype: '', gpu: '' };

/** (Re)builds a dropdown only when its options or value changed, so an open dropdown is left alone. */
function setDropdown(slot: keyof typeof dropdownSlots, label: string, options: { value: string; label: string }[], selected: string, onChange: (value: string) => void): void {
  const key = JSON.stringify([options, selected]);
  if (dropdownKeys[slot] === key) return;
  dropdownKeys[slot] = key;
  const control = dropdown(options, selected, onChange, label);
  control.dataset.field = slot;
  replaceChildren(dropdownSlots[slot], el('label', { className: 'field-label', text: label }), control);
}

const pickConfigButton = button(strings.pickConfig, () => send({ type: 'pickConfig' }), 'secondary');
const copyButton = button(strings.copyMarkdown, () => send({ type: 'copyMarkdown' }), 'secondary');
copyButton.dataset.action = 'copyMarkdown';
const modelSummary = el('div', { className: 'model-summary', attrs: { 'data-testid': 'model-summary' } });
const configStatus = el('div', { className: 'config-status' });
const customGrid = el('div', {
  className: 'grid custom-grid',
  children: [
    labelledField('layers', strings.fieldLayers),
    labelledField('queryHeads', strings.fieldQueryHeads),
    labelledField('kvHeads', strings.fieldKvHeads),
    labelledField('headDim', strings.fieldHeadDim),
    labelledField('slidingWindow', strings.fieldSlidingWindow),
    dropdownSlots.slidingLayers,
    labelledField('slidingLayerList', strings.fieldSlidingLayerList),
    labelledField('kvLoraRank', strings.fieldKvLoraRank),
    labelledField('ropeHeadDim', strings.fieldRopeHeadDim),
    labelledField('parameters', strings.fieldParameters),
  ],
});
const configGrid = el('div', { className: 'grid config-grid', children: [pickConfigButton, labelledField('configParameters', strings.fieldParameters)] });
const gqaSlot = el('div', { className: 'field gqa-field' });
let gqaKey = '';
const contextWarning = el('p', { className: 'context-warning', attrs: { role: 'status', 'data-testid': 'context-warning' } });
const workloadGrid = el('div', {
  className: 'grid workload-grid',
  children: [
    el('div', { className: 'field context-field', children: [labelledField('seqLen', strings.fieldSeqLen), contextSlider, contextWarning] }),
    labelledField('batch', strings.fieldBatch),
    dropdownSlots.kvDtype,
    dropdownSlots.weightsDtype,
    dropdownSlots.gpu,
    gqaSlot,
  ],
});
const staleNote = el('p', { className: 'stale-note', text: strings.staleNote, attrs: { role: 'alert' } });
// Shown instead of every number when the model itself cannot be read: never another model's numbers.
const noNumbersNote = el('p', { className: 'no-numbers', attrs: { role: 'alert', 'data-testid': 'no-numbers' } });
const cards = el('div', { className: 'cards', attrs: { 'data-testid': 'variant-cards' } });
const chart = new MemoryChart(strings, fmt, num);
const legend = el('div', { className: 'legend' });
const chartTable = el('details', { className: 'chart-table' });
const formulaSlot = el('div', { className: 'formula-slot' });
const formulaBox = el('div', { className: 'formula', attrs: { 'data-testid': 'formula' } });
const speedBox = el('div', { className: 'formula', attrs: { 'data-testid': 'speed' } });
const servingBox = el('div', { className: 'formula', attrs: { 'data-testid': 'serving' } });
const servingGrid = el('div', {
  className: 'grid serving-grid',
  children: [labelledField('tpDegree', strings.fieldTpDegree), labelledField('blockSize', strings.fieldBlockSize)],
});
const yourGpuGrid = el('div', {
  className: 'grid serving-grid',
  attrs: { role: 'group', 'aria-label': strings.yourGpuHeading },
  children: [labelledField('gpuMemoryGiB', strings.fieldGpuMemory), labelledField('gpuBandwidthGBs', strings.fieldGpuBandwidth), labelledField('gpuTflops', strings.fieldGpuTflops)],
});

const results = el('div', {
  className: 'results',
  attrs: { 'data-testid': 'results' },
  children: [
    el('h2', { text: strings.comparisonHeading }),
    cards,
    el('div', { className: 'toolbar', children: [copyButton] }),
    el('h2', { text: strings.chartHeading }),
    el('p', { className: 'muted', text: strings.chartHelp }),
    chart.element,
    legend,
    chartTable,
    el('h2', { text: strings.formulaHeading }),
    formulaSlot,
    formulaBox,
    el('p', { className: 'muted', text: strings.gpuNote }),
    el('h2', { text: strings.servingHeading }),
    el('p', { className: 'muted', text: strings.servingIntro }),
    servingGrid,
    el('h3', { text: strings.yourGpuHeading }),
    yourGpuGrid,
    servingBox,
    el('h2', { text: strings.speedHeading }),
    el('p', { className: 'muted', text: strings.speedIntro }),
    speedBox,
  ],
});

replaceChildren(
  root,
  status.element,
  el('h1', { text: strings.heading }),
  el('p', { className: 'intro', text: strings.intro }),
  el('section', {
    className: 'controls',
    children: [
      el('h2', { text: strings.modelHeading }),
      el('div', { className: 'grid source-grid', children: [dropdownSlots.source, dropdownSlots.preset] }),
      configStatus,
      configGrid,
      customGrid,
      modelSummary,
      el('h2', { text: strings.workloadHeading }),
      workloadGrid,
    ],
  }),
  staleNote,
  noNumbersNote,
  results,
);

// ---------------------------------------------------------------------------------------------
// Rendering a snapshot.

function updateControls(s: KvCacheSnapshot): void {
  const sourceOptions = [
    { value: 'preset', label: strings.sourcePreset },
    { value: 'custom', label: strings.sourceCustom },
    { value: 'config', label: strings.sourceConfig },
  ];
  setDropdown('source', strings.sourceLabel, sourceOptions, s.inputs.source, (value) => {
    if (!inputs) return;
    inputs = { ...inputs, source: value as KvCacheInputs['source'] };
    sendInputs();
  });
  setDropdown('preset', strings.presetLabel, s.presets.map((p) => ({ value: p.id, label: p.label })), s.inputs.presetId, (value) => {
    if (!inputs) return;
    inputs = { ...inputs, presetId: value };
    sendInputs();
  });
  setDropdown(
    'slidingLayers',
    strings.fieldSlidingLayers,
    [
      { value: 'all', label: strings.slidingAll },
      { value: 'even', label: strings.slidingEven },
      { value: 'odd', label: strings.slidingOdd },
      { value: 'list', label: strings.slidingList },
    ],
    s.inputs.custom.slidingLayers,
    (value) => {
      if (!inputs) return;
      inputs = { ...inputs, custom: { ...inputs.custom, slidingLayers: value as KvCustomFields['slidingLayers'] } };
      sendInputs();
    },
  );
  const dtypeOptions = s.dtypes.map((d) => ({ value: d.id, label: d.label }));
  setDropdown('kvDtype', strings.fieldKvDtype, dtypeOptions, s.inputs.kvDtype, (value) => {
    if (!inputs) return;
    inputs = { ...inputs, kvDtype: value };
    sendInputs();
  });
  setDropdown('weightsDtype', strings.fieldWeightsDtype, dtypeOptions, s.inputs.weightsDtype, (value) => {
    if (!inputs) return;
    inputs = { ...inputs, weightsDtype: value };
    sendInputs();
  });
  setDropdown('gpu', strings.fieldGpu, s.gpus.map((g) => ({ value: g.id, label: `${g.label} — ${g.examples}` })), s.inputs.gpuId, (value) => {
    if (!inputs) return;
    inputs = { ...inputs, gpuId: value };
    sendInputs();
  });

  dropdownSlots.preset.hidden = s.inputs.source !== 'preset';
  customGrid.hidden = s.inputs.source !== 'custom';
  configGrid.hidden = s.inputs.source !== 'config';
  configStatus.hidden = s.inputs.source !== 'config';
  const listEntry = textFields.get('slidingLayerList');
  if (listEntry) (listEntry.field.parentElement as HTMLElement).hidden = s.inputs.custom.slidingLayers !== 'list';
  const ropeEntry = textFields.get('ropeHeadDim');
  if (ropeEntry) (ropeEntry.field.parentElement as HTMLElement).hidden = s.inputs.custom.kvLoraRank.trim() === '';

  for (const [key, { field, error }] of textFields) {
    const wanted = readText(key, s.inputs);
    // Never overwrite what the user is typing.
    if (document.activeElement !== field && field.value !== wanted) field.value = wanted;
    const message = s.fieldErrors[key] ?? '';
    error.textContent = message;
    if (message) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
  }
  syncContextSlider(s.inputs.seqLen);
  configStatus.textContent = s.config ? (s.fieldErrors.config ?? s.config.label) : strings.noConfig;
  configStatus.classList.toggle('field-error', s.fieldErrors.config !== undefined);

  // GQA slider over every valid group count.
  const key = JSON.stringify([s.gqaChoices, s.used.gqaKvHeads, s.model.shape.queryHeads]);
  if (key !== gqaKey && document.activeElement?.closest('.gqa-field') == null) {
    gqaKey = key;
    const gqa = s.variants.find((v) => v.kind === 'GQA');
    if (!gqa || s.gqaChoices.length === 0) {
      replaceChildren(gqaSlot, el('p', { className: 'muted', text: fmt(strings.noGqa, num(s.model.shape.queryHeads)) }));
    } else {
      const index = Math.max(0, s.gqaChoices.indexOf(gqa.shape.kvHeads));
      const info = el('div', { className: 'gqa-info', text: fmt(strings.gqaGroupInfo, num(gqa.shape.kvHeads), num(s.model.shape.queryHeads / gqa.shape.kvHeads)) });
      const control = slider(0, s.gqaChoices.length - 1, 1, index, (i) => {
        if (!inputs || !snapshot) return;
        const kv = snapshot.gqaChoices[i];
        info.textContent = fmt(strings.gqaGroupInfo, num(kv), num(snapshot.model.shape.queryHeads / kv));
        inputs = { ...inputs, gqaKvHeads: kv };
        sendInputs();
      }, strings.gqaSlider);
      control.dataset.field = 'gqaKvHeads';
      control.setAttribute('aria-valuetext', fmt(strings.gqaGroupInfo, num(gqa.shape.kvHeads), num(s.model.shape.queryHeads / gqa.shape.kvHeads)));
      replaceChildren(gqaSlot, el('label', { className: 'field-label', text: strings.gqaSlider }), control, info);
    }
  }
}

function shapeSummary(shape: KvShape): string {
  const parts = [fmt(strings.summaryLayers, num(shape.layers)), fmt(strings.summaryHeads, num(shape.queryHeads), num(shape.kvHeads), num(shape.headDim))];
  // Per-layer KV heads (OpenELM): the heads above are the first layer's, so say how far they range.
  if (shape.kvHeadsPerLayer) parts.push(fmt(strings.summaryKvHeadsPerLayer, num(Math.min(...shape.kvHeadsPerLayer)), num(Math.max(...shape.kvHeadsPerLayer))));
  // Hybrids (Jamba, Qwen3-Next): only some layers grow a cache; the others hold a fixed state.
  if (shape.kvLayers) parts.push(fmt(strings.summaryKvLayers, num(shape.kvLayers.length), num(shape.layers)));
  if (shape.slidingWindow !== undefined) {
    // The window layers are KV layers only, so count them against those (all layers when every layer keeps KV).
    const kvCount = shape.kvLayers?.length ?? shape.layers;
    const windowed = shape.slidingWindowLayers?.length ?? kvCount;
    const chunked = shape.windowKind === 'chunked';
    parts.push(
      windowed === shape.layers
        ? fmt(chunked ? strings.summaryChunkAll : strings.summaryWindowAll, num(shape.slidingWindow))
        : fmt(chunked ? strings.summaryChunkSome : strings.summaryWindowSome, num(shape.slidingWindow), num(windowed), num(shape.layers)),
    );
  }
  if (shape.mla) parts.push(fmt(strings.summaryMla, num(shape.mla.kvLoraRank), num(shape.mla.ropeHeadDim)));
  if (shape.stateBytesPerSequence) parts.push(fmt(strings.summaryState, formatBinaryBytes(shape.stateBytesPerSequence)));
  return parts.join(' · ');
}

function renderSummary(s: KvCacheSnapshot): void {
  const m = s.model;
  let parameters = strings.summaryNoParameters;
  if (m.parameters > 0) {
    parameters = m.activeParameters > 0 && m.activeParameters < m.parameters
      ? fmt(strings.summaryParametersActive, num(m.parameters), num(m.activeParameters))
      : fmt(strings.summaryParameters, num(m.parameters));
  }
  if (m.parametersNote) parameters += ` (${m.parametersNote})`;
  const parts = [shapeSummary(m.shape), parameters];
  if (m.contextLength) parts.push(fmt(strings.summaryContext, num(m.contextLength)));
  replaceChildren(
    modelSummary,
    el('strong', { text: m.label }),
    el('span', { text: ` — ${parts.join(' · ')}` }),
    m.source ? el('div', { className: 'muted source', text: `${strings.sourceLink}: ${m.source}` }) : undefined,
  );
}

function fitText(v: KvVariant, gpuIndex: number): string {
  const fit = v.fits[gpuIndex];
  if (!fit) return '';
  if (fit.kind === 'none') return strings.fitsNone;
  if (fit.kind === 'unbounded') return strings.fitsUnbounded;
  return fmt(strings.tokensValue, num(fit.maxTokens));
}

/** Query heads (top) joined to the KV head they read (bottom); MLA: all join one latent. */
function headDiagram(v: KvVariant): SVGSVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const q = v.shape.queryHeads;
  const kvCount = v.kind === 'MLA' ? 1 : v.shape.kvHeads;
  const width = 300;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} 64`);
  svg.setAttribute('class', 'head-diagram');
  svg.setAttribute('role', 'img');
  const label = v.kind === 'MLA' ? fmt(strings.diagramAriaMla, num(q)) : fmt(strings.diagramAria, num(q), num(kvCount), num(q / kvCount));
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(NS, 'title');
  title.textContent = label;
  svg.appendChild(title);
  const qw = width / q;
  const kw = width / kvCount;
  const colour = (k: number) => (v.kind === 'MLA' ? variantStyle('MLA').colour : categoricalColour(k));
  const map = v.kind === 'MLA' ? Array.from({ length: q }, () => 0) : v.kvHeadOf;
  for (let h = 0; h < q; h++) {
    const k = map[h];
    const line = document.createElementNS(NS, 'line');
    line.setAttribute('x1', String((h + 0.5) * qw));
    line.setAttribute('y1', '14');
    line.setAttribute('x2', String((k + 0.5) * kw));
    line.setAttribute('y2', '46');
    line.setAttribute('stroke', colour(k));
    line.setAttribute('stroke-width', q > 64 ? '0.5' : '1');
    svg.appendChild(line);
    const head = document.createElementNS(NS, 'rect');
    head.setAttribute('x', String(h * qw + Math.min(1, qw * 0.15)));
    head.setAttribute('y', '4');
    head.setAttribute('width', String(Math.max(0.6, qw - 2 * Math.min(1, qw * 0.15))));
    head.setAttribute('height', '10');
    head.setAttribute('fill', colour(k));
    svg.appendChild(head);
  }
  for (let k = 0; k < kvCount; k++) {
    const box = document.createElementNS(NS, 'rect');
    box.setAttribute('x', String(k * kw + Math.min(1.5, kw * 0.15)));
    box.setAttribute('y', '46');
    box.setAttribute('width', String(Math.max(0.6, kw - 2 * Math.min(1.5, kw * 0.15))));
    box.setAttribute('height', '14');
    box.setAttribute('fill', colour(k));
    box.setAttribute('class', 'kv-box');
    svg.appendChild(box);
  }
  if (v.kind === 'MLA') {
    const text = document.createElementNS(NS, 'text');
    text.setAttribute('x', String(width / 2));
    text.setAttribute('y', '57');
    text.setAttribute('text-anchor', 'middle');
    text.setAttribute('class', 'latent-label');
    text.textContent = `${strings.diagramLatent}: ${num(v.shape.mla?.kvLoraRank ?? 0)} + ${num(v.shape.mla?.ropeHeadDim ?? 0)}`;
    svg.appendChild(text);
  }
  return svg;
}

function renderCards(s: KvCacheSnapshot): void {
  const gpuIndex = Math.max(0, s.gpus.findIndex((g) => g.id === s.inputs.gpuId));
  const gpu = s.gpus[gpuIndex];
  const model = s.variants.find((v) => v.isModel);
  const descriptions: Record<KvVariant['kind'], string> = { MHA: strings.variantMHA, GQA: strings.variantGQA, MQA: strings.variantMQA, MLA: strings.variantMLA };
  const row = (term: string, ...value: (Node | string)[]) => [el('dt', { text: term }), el('dd', { children: value })];
  replaceChildren(
    cards,
    ...s.variants.map((v) => {
      const style = variantStyle(v.kind);
      const card = el('section', {
        className: `card variant${v.isModel ? ' is-model' : ''}`,
        attrs: { 'data-variant': v.kind, 'aria-label': v.kind },
        children: [
          el('h3', { children: [el('span', { className: 'swatch' }), v.kind, v.isModel ? badge(strings.thisModel) : undefined] }),
          el('p', { className: 'muted description', text: descriptions[v.kind] }),
          el('dl', {
            children: [
              ...(v.kind === 'MLA'
                ? row(strings.rowLatent, `${num(v.shape.mla?.kvLoraRank ?? 0)} + ${num(v.shape.mla?.ropeHeadDim ?? 0)}`)
                : row(strings.rowKvHeads, num(v.shape.kvHeads))),
              ...row(strings.rowPerToken, bytes(v.bytesPerToken)),
              ...row(strings.rowKv, bytes(v.kvBytes), model && !v.isModel && model.kvBytes > 0 ? el('span', { className: 'muted ratio', text: ` (${fmt(strings.vsModel, ratio(v.kvBytes / model.kvBytes))})` }) : ''),
              ...row(strings.rowTotal, bytes(v.totalBytes)),
              ...row(fmt(strings.rowFits, gpu.label), el('span', { className: 'fit', text: fitText(v, gpuIndex) })),
            ],
          }),
          headDiagram(v),
        ],
      });
      (card.querySelector('.swatch') as HTMLElement).style.borderTopColor = style.colour;
      (card.querySelector('.swatch') as HTMLElement).style.borderTopStyle = style.border;
      return card;
    }),
    ...absentCards(s),
  );
}

/** Cards saying why a variant of the heading is missing, instead of leaving the reader to wonder. */
function absentCards(s: KvCacheSnapshot): HTMLElement[] {
  const notes: HTMLElement[] = [];
  const note = (kind: string, text: string) =>
    notes.push(el('section', { className: 'card note', attrs: { 'data-note': kind, 'aria-label': kind }, children: [el('h3', { text: kind }), el('p', { className: 'muted', text })] }));
  if (!s.variants.some((v) => v.kind === 'GQA')) note('GQA', fmt(strings.noGqa, num(s.model.shape.queryHeads)));
  if (!s.variants.some((v) => v.kind === 'MLA')) note('MLA', strings.noMla);
  return notes;
}

function ratio(x: number): string {
  return x >= 10 || Number.isInteger(x) ? num(Math.round(x * 10) / 10) : num(Math.round(x * 100) / 100);
}

function renderLegend(s: KvCacheSnapshot): void {
  replaceChildren(
    legend,
    ...s.variants.map((v) => {
      const style = variantStyle(v.kind);
      const swatch = el('span', { className: 'swatch' });
      swatch.style.borderTopColor = style.colour;
      swatch.style.borderTopStyle = style.border;
      return el('span', { className: 'legend-item', children: [swatch, v.isModel ? `${v.kind} (${strings.thisModel})` : v.kind] });
    }),
  );
}

function renderChartTable(s: KvCacheSnapshot): void {
  // About a dozen rows: every 13th point plus the last, with weights included like the chart.
  const rows: number[] = [];
  for (let i = 0; i < s.chartTokens.length; i += 13) rows.push(i);
  if (rows[rows.length - 1] !== s.chartTokens.length - 1) rows.push(s.chartTokens.length - 1);
  const table = el('table', {
    className: 'data',
    children: [
      el('thead', { children: [el('tr', { children: [el('th', { text: strings.chartTokens }), ...s.variants.map((v) => el('th', { text: v.kind }))] })] }),
      el('tbody', {
        children: rows.map((i) =>
          el('tr', { children: [el('td', { text: num(s.chartTokens[i]) }), ...s.variants.map((v) => el('td', { children: [bytes(v.series[i] + s.weightsBytes)] }))] }),
        ),
      }),
    ],
  });
  const open = chartTable.hasAttribute('open');
  replaceChildren(chartTable, el('summary', { text: strings.chartTable }), table);
  if (open) chartTable.setAttribute('open', '');
}

function term(value: number | string, title?: string): HTMLElement {
  return el('code', { text: typeof value === 'number' ? num(value) : value, attrs: title ? { title } : {} });
}

function renderFormula(s: KvCacheSnapshot): void {
  const kinds = s.variants.map((v) => v.kind);
  const model = s.variants.find((v) => v.isModel) ?? s.variants[0];
  // A different model starts on its own variant; the same model keeps the user's choice.
  const modelKey = `${s.model.label}|${JSON.stringify(s.model.shape)}`;
  if (formulaModel !== undefined && formulaModel !== modelKey) formulaKind = undefined;
  formulaModel = modelKey;
  if (!formulaKind || !kinds.includes(formulaKind as KvVariant['kind'])) formulaKind = model.kind;
  const key = JSON.stringify([kinds, formulaKind]);
  if (formulaSlot.dataset.key !== key) {
    formulaSlot.dataset.key = key;
    const control = dropdown(kinds.map((k) => ({ value: k, label: k })), formulaKind, (value) => {
      formulaKind = value;
      persist();
      if (snapshot) renderFormula(snapshot);
    }, strings.formulaVariant);
    control.dataset.field = 'formulaVariant';
    replaceChildren(formulaSlot, el('label', { className: 'field-label', text: strings.formulaVariant }), control);
  }
  const v = s.variants.find((x) => x.kind === formulaKind) ?? model;
  const b = v.breakdown;
  const line = (...parts: (Node | string)[]) => el('div', { className: 'formula-line', children: parts });
  const lines: HTMLElement[] = [];
  lines.push(el('div', { className: 'formula-general', text: b.kind === 'mla' ? strings.formulaMla : strings.formulaStandard }));
  if (b.kind === 'mla') {
    lines.push(line(`${strings.formulaPerLayer} = `, term(b.kvLoraRank), ' + ', term(b.ropeHeadDim), ' = ', term(b.elementsPerTokenPerLayer)));
  } else if (b.perLayerHeads) {
    // KV heads differ per layer (OpenELM): the unit is one KV head, summed over the layers' heads below.
    lines.push(line(`${strings.formulaPerKvHead} = 2 × `, term(b.headDim), ' = ', term(b.elementsPerTokenPerLayer)));
  } else {
    lines.push(line(`${strings.formulaPerLayer} = 2 × `, term(b.kvHeads), ' × ', term(b.headDim), ' = ', term(b.elementsPerTokenPerLayer)));
  }
  if (b.stateLayers > 0) lines.push(el('div', { className: 'muted', text: fmt(strings.formulaNoKvLayers, num(b.stateLayers), num(b.layers)) }));
  const fullCount = b.perLayerHeads ? b.fullKvHeads : b.fullLayers;
  const windowCount = b.perLayerHeads ? b.slidingKvHeads : b.slidingLayers;
  const fullLabel = b.perLayerHeads ? strings.formulaFullHeads : strings.formulaFull;
  const windowLabel = b.perLayerHeads ? strings.formulaSlidingHeads : b.windowKind === 'chunked' ? strings.formulaChunked : strings.formulaSliding;
  const tokensLabel = b.perLayerHeads ? strings.formulaHeadTokens : strings.formulaLayerTokens;
  if (b.window === null) {
    lines.push(line(`${tokensLabel} = `, term(fullCount), ' × ', term(b.seqLen), ' = ', term(b.layerTokens)));
  } else {
    lines.push(
      line(
        `${tokensLabel} = `,
        term(fullCount),
        ` ${fullLabel} × `,
        term(b.seqLen),
        ' + ',
        term(windowCount),
        ` ${windowLabel} × min(`,
        term(b.seqLen),
        ', ',
        term(b.window),
        ') = ',
        term(b.layerTokens),
      ),
    );
  }
  lines.push(line(`${strings.formulaElements} = `, term(b.elementsPerTokenPerLayer), ' × ', term(b.layerTokens), ' × ', term(b.batch), ' = ', term(b.elements)));
  const exactProduct = b.elements * b.bytesPerElement;
  lines.push(
    line(
      `${strings.formulaBytes} = `,
      term(b.elements),
      ' × ',
      term(`${num(b.bytesPerElement)} B`),
      ' = ',
      term(`${num(b.bytes)} B`),
      ' = ',
      bytes(b.bytes),
      exactProduct !== b.bytes ? el('span', { className: 'muted', text: ` (${strings.formulaRounded})` }) : '',
    ),
  );
  if (b.stateBytes > 0) {
    lines.push(line(`${strings.formulaState} = `, term(`${num(b.stateBytesPerSequence)} B`), ' × ', term(b.batch), ' = ', bytes(b.stateBytes)));
  }
  replaceChildren(formulaBox, ...lines);
}

/** Decode speed bounds per datasheet GPU, with the division written out. */
function renderSpeed(s: KvCacheSnapshot): void {
  const rows = s.speed ?? [];
  if (rows.length === 0) {
    replaceChildren(speedBox, el('p', { className: 'muted', text: strings.speedNoParameters }));
    return;
  }
  const one = (value: number) => new Intl.NumberFormat(init.language, { maximumFractionDigits: 1 }).format(value);
  const blocks = rows.map((row) => {
    const reads: (Node | string)[] = [bytes(row.weightBytes), ` ${strings.speedWeights} + `, bytes(row.kvBytes), ` ${strings.speedKv}`];
    if (row.stateBytes > 0) reads.push(' + ', bytes(row.stateBytes), ` ${strings.speedState}`);
    return el('div', {
      className: 'speed-row',
      attrs: { 'data-gpu': row.gpuId },
      children: [
        el('div', { className: 'formula-line', children: [el('strong', { text: row.gpuLabel })] }),
        el('div', {
          className: 'formula-line',
          children: [`${strings.speedDecode} ≤ `, term(`${one(row.bandwidth / 1e9)} GB/s`), ' ÷ ', term(`${num(row.bytesPerToken)} B`), ' = ', term(fmt(strings.speedTokens, one(row.decodeTokensPerSecond)))],
        }),
        el('div', { className: 'formula-line muted', children: [`${strings.speedRead}: `, ...reads] }),
        el('div', {
          className: 'formula-line',
          text: row.computeBoundBatch === null
            ? strings.speedNeverCompute
            : fmt(strings.speedComputeBatch, num(Math.ceil(row.computeBoundBatch)), one(row.flops / 1e12), row.flopsType.toUpperCase()),
        }),
        el('div', { className: 'formula-line muted', text: fmt(strings.speedSource, row.source) }),
      ],
    });
  });
  replaceChildren(speedBox, ...blocks);
}

/** Says so when the context passes what the model was trained on (the memory numbers still hold). */
function renderContextWarning(s: KvCacheSnapshot): void {
  const trained = s.model.contextLength;
  const past = s.numbers !== 'none' && trained !== null && s.used.seqLen > trained;
  contextWarning.hidden = !past;
  contextWarning.textContent = past && trained !== null ? fmt(strings.pastTrainedContext, num(s.used.seqLen), num(trained)) : '';
}

function persist(): void {
  if (!inputs) return;
  saveState<UiState>({ restore: { inputs, configUri: snapshot?.config?.uri }, formulaKind });
}

function render(s: KvCacheSnapshot): void {
  snapshot = s;
  status.clear();
  // A snapshot of inputs older than the last sent (typing ran ahead of the host) keeps what the user
  // typed; otherwise take the host's inputs, except for the field being typed into.
  const behind = s.inputsSeq < sentSeq || pending;
  const typing = [...textFields.entries()].find(([, entry]) => document.activeElement === entry.field);
  if (!behind || !inputs) {
    inputs = structuredClone(s.inputs);
    if (typing) writeText(typing[0], typing[1].field.value);
  }
  updateControls(behind ? { ...s, inputs: structuredClone(inputs) } : s);
  // "Fix the marked fields" only when a field is marked; a config that cannot be read hides every number.
  const marked = Object.keys(s.fieldErrors).some((field) => field !== 'config');
  staleNote.hidden = !(s.numbers === 'stale' && marked);
  noNumbersNote.hidden = s.numbers !== 'none';
  noNumbersNote.textContent = s.fieldErrors.config !== undefined ? (s.config ? strings.noNumbersConfig : strings.noNumbersNoConfig) : strings.noNumbersFields;
  results.hidden = s.numbers === 'none';
  modelSummary.hidden = s.numbers === 'none';
  renderContextWarning(s);
  renderSummary(s);
  renderCards(s);
  chart.update(s);
  renderLegend(s);
  renderChartTable(s);
  renderFormula(s);
  renderSpeed(s);
  renderServing(servingBox, s, { strings, fmt, num, bytes, size: formatBinaryBytes });
  persist();
}

onThemeChange(() => {
  if (snapshot) chart.update(snapshot);
});

const send = connect<'kvcache'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
