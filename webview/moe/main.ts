import './style.css';
// The MoE routing view (issue 15): the selection's tokens coloured by the expert their router ranked first, layer
// by layer; each token's top-k gate weights on hover and keyboard focus; how many tokens each expert took; total
// vs active parameters with the arithmetic. Everything drawn comes from the host's snapshot (the webview computes
// no model numbers: the load counts are tallies of the routing it was sent).
import { expertPalette } from '../../src/shared/expertPalette';
import type { MoeSnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { visibleWhitespace } from '../../src/shared/whitespace';
import { announce } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { onThemeChange, textOn, themeKind } from '../common/theme';
import { button, dropdown } from '../common/ui';

const strings = initData().strings as StringsOf<'moe'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));

interface UiState { layer?: number; token?: number }
const ui: UiState = { ...(loadState<UiState>() ?? {}) };
let current: MoeSnapshot | undefined;

/** `template` with {0}, {1}, … replaced by `args`. */
function format(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}

/** A parameter count as people write it: 46.7B, 12.9B, 1.23M, 530K. */
function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** [r, g, b] of a #rrggbb colour. */
function rgbOf(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function saveUi(): void {
  saveState({ ...ui, restore: current ? { text: current.text } : undefined });
}

/** Each expert's colour in the current theme (distinct for any expert count; the E number is always shown too). */
function coloursOf(s: MoeSnapshot): string[] {
  return expertPalette(s.model.experts, themeKind());
}

/** One token's gate weights as text: "expert 3 (0.61), expert 5 (0.39)". */
function gatesText(s: MoeSnapshot, r: MoeSnapshot['routing'][number], t: number): string {
  const k = s.model.topK;
  const parts: string[] = [];
  for (let j = 0; j < k; j++) parts.push(format(strings.gateEntry, r.experts[t * k + j], r.weights[t * k + j].toFixed(3)));
  return parts.join(', ');
}

function tokensView(s: MoeSnapshot, r: MoeSnapshot['routing'][number]): HTMLElement {
  const k = s.model.topK;
  const readout = el('p', { className: 'readout', attrs: { 'aria-live': 'polite' } });
  const chips: HTMLElement[] = [];
  const palette = coloursOf(s);
  const show = (t: number): void => {
    readout.textContent = format(strings.tokenAria, t, visibleWhitespace(s.tokens[t]), gatesText(s, r, t));
  };
  s.tokens.forEach((text, t) => {
    const first = r.experts[t * k];
    const colour = palette[first];
    const chip = el('span', {
      className: 'chip',
      attrs: { tabindex: t === (ui.token ?? 0) ? '0' : '-1', role: 'listitem', 'data-token': String(t), 'data-expert': String(first), 'aria-label': format(strings.tokenAria, t, text, gatesText(s, r, t)) },
      children: [el('span', { className: 'chip-text', text: visibleWhitespace(text) }), el('span', { className: 'chip-expert', text: `E${first}` })],
    });
    chip.style.backgroundColor = colour;
    chip.style.color = textOn(rgbOf(colour));
    chip.title = gatesText(s, r, t);
    chip.addEventListener('mouseenter', () => show(t));
    chip.addEventListener('focus', () => {
      ui.token = t;
      saveUi();
      show(t);
    });
    chip.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : e.key === 'Home' ? -t : e.key === 'End' ? s.tokens.length - 1 - t : 0;
      if (step === 0) return;
      e.preventDefault();
      const next = chips[Math.max(0, Math.min(chips.length - 1, t + step))];
      chip.setAttribute('tabindex', '-1');
      next.setAttribute('tabindex', '0');
      next.focus();
    });
    chips.push(chip);
  });
  show(Math.min(ui.token ?? 0, s.tokens.length - 1));
  return el('section', {
    children: [
      el('h2', { text: strings.tokensHeading }),
      el('p', { className: 'muted', text: format(strings.tokensHint, k) }),
      el('div', { className: 'chips', attrs: { role: 'list', 'aria-label': format(strings.tokensAria, r.layer) }, children: chips }),
      readout,
      el('p', { className: 'muted', text: format(s.model.normalizeTopK ? strings.normalized : strings.notNormalized, k) }),
    ],
  });
}

function loadView(s: MoeSnapshot, r: MoeSnapshot['routing'][number]): HTMLElement {
  const k = s.model.topK;
  const E = s.model.experts;
  const T = s.tokens.length;
  const any = new Array<number>(E).fill(0);
  const first = new Array<number>(E).fill(0);
  for (let t = 0; t < T; t++) {
    first[r.experts[t * k]]++;
    for (let j = 0; j < k; j++) any[r.experts[t * k + j]]++;
  }
  const max = Math.max(1, ...any);
  const palette = coloursOf(s);
  const rows = any.map((n, e) => {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${(100 * n) / max}%`;
    const firstPart = el('span', { className: 'bar-first' });
    firstPart.style.width = n > 0 ? `${(100 * first[e]) / n}%` : '0';
    firstPart.style.backgroundColor = palette[e];
    bar.appendChild(firstPart);
    // The swatch is the legend: the expert's colour beside its number, also for experts with no first choice.
    const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.backgroundColor = palette[e];
    return el('div', {
      className: n === 0 ? 'load-row idle' : 'load-row',
      attrs: { role: 'listitem', 'data-expert': String(e), 'data-count': String(n), 'aria-label': format(strings.loadRow, e, n, first[e]) },
      children: [el('span', { className: 'load-label', children: [swatch, `E${e}`] }), el('span', { className: 'bar-track', children: [bar] }), el('span', { className: 'load-count', text: `${n} (${first[e]})` })],
    });
  });
  const idle = any.flatMap((n, e) => (n === 0 ? [`E${e}`] : []));
  return el('section', {
    children: [
      el('h2', { text: format(strings.loadHeading, r.layer) }),
      el('p', { className: 'muted', text: format(strings.loadHint, T, k) }),
      el('div', { className: 'load', attrs: { role: 'list', 'aria-label': strings.loadAria }, children: rows }),
      el('p', { className: 'idle-note', text: idle.length > 0 ? format(strings.idleExperts, idle.join(', ')) : strings.allUsed }),
    ],
  });
}

function paramsView(s: MoeSnapshot): HTMLElement {
  const m = s.model;
  const inactive = m.total - m.active;
  const share = m.total > 0 ? `${((100 * m.active) / m.total).toFixed(1)}%` : '—';
  const ref = s.reference;
  return el('section', {
    className: 'params',
    children: [
      el('h2', { text: strings.paramsHeading }),
      el('p', { text: format(strings.paramsTotal, `${compact(m.total)} (${m.total.toLocaleString('en-US')})`) }),
      el('p', { text: format(strings.paramsActive, `${compact(m.active)} (${m.active.toLocaleString('en-US')})`, share) }),
      el('p', { className: 'mono arithmetic', text: format(strings.paramsArithmetic, m.moeLayers.length, m.experts, m.topK, m.hidden, m.expertIntermediate, inactive.toLocaleString('en-US')) }),
      el('p', { className: 'muted', text: format(strings.paramsReference, ref.label, compact(ref.total), compact(ref.active), ref.topK, ref.experts) }),
    ],
  });
}

function render(s: MoeSnapshot): void {
  current = s;
  status.clear();
  const layers = s.routing.map((r) => r.layer);
  const layer = layers.includes(ui.layer ?? -1) ? (ui.layer as number) : layers[0];
  ui.layer = layer;
  saveUi();
  const r = s.routing.find((x) => x.layer === layer);
  const picker = dropdown(layers.map((l) => ({ value: String(l), label: format(strings.layerOption, l) })), String(layer), (value) => {
    ui.layer = Number(value);
    saveUi();
    if (current) render(current);
    announce(format(strings.loadHeading, value));
  }, strings.layerLabel);
  picker.id = 'layer-picker';
  const m = s.model;
  replaceChildren(
    root,
    status.element,
    el('h1', { text: strings.heading }),
    el('p', { className: 'model-line', text: format(strings.modelLine, m.label, m.experts, m.topK, m.moeLayers.length, m.layers) }),
    m.denseChosen !== undefined && el('p', { className: 'note', text: format(strings.denseNote, m.denseChosen) }),
    el('div', { className: 'toolbar', children: [el('label', { text: strings.layerLabel, attrs: { for: 'layer-picker' } }), picker, button(strings.chooseModel, () => send({ type: 'chooseModel' }), 'secondary')] }),
    s.totalTokens > s.tokens.length && el('p', { className: 'muted', text: format(strings.cutNote, s.tokens.length, s.totalTokens) }),
    r && tokensView(s, r),
    r && loadView(s, r),
    paramsView(s),
    el('p', { className: 'muted caveat', text: strings.caveat }),
  );
}

replaceChildren(root, status.element, el('h1', { text: strings.heading }), el('p', { className: 'muted', text: strings.empty }));

// The palette depends on the theme (lighter steps on dark themes): redraw when it changes.
onThemeChange(() => {
  if (current) render(current);
});

const send = connect<'moe'>({
  snapshot: render,
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});
