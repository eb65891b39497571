import './style.css';
// The Decoding panel: the controls (strategy, processors, presets), the generated text coloured by confidence,
// a step-by-step view of each token's candidates with the cut-offs drawn, the beam tree, and the KV cache and
// speed of the run. It only draws: every number comes from the host's snapshot (generated in the worker).
import type { DecodingBeam, DecodingResult, DecodingSettings, DecodingSnapshot, DecodingStep, DecodingStrategy } from '../../src/shared/decodingProtocol';
import { DECODING_LIMITS } from '../../src/shared/decodingProtocol';
import type { StringsOf } from '../../src/shared/strings';
import { announce } from '../common/a11y';
import { appRoot, el, replaceChildren } from '../common/dom';
import { connect, initData, loadState, saveState } from '../common/host';
import { StatusStrip } from '../common/progress';
import { onThemeChange, sequentialRgb, textOn } from '../common/theme';
import { button, checkbox, dropdown, link, textField } from '../common/ui';

type ColourBy = 'probability' | 'entropy';

/** UI state kept across hide/show and reloads (plus the host's restore data). */
interface UiState {
  step: number;
  colourBy: ColourBy;
}

const init = initData();
const strings = init.strings as StringsOf<'decoding'>;
const root = appRoot();
const status = new StatusStrip(strings, () => send({ type: 'cancel' }));
const saved = loadState<UiState>();
const ui: UiState = { step: saved?.step ?? 0, colourBy: saved?.colourBy === 'entropy' ? 'entropy' : 'probability' };
let restoredStep = saved !== undefined;
let snapshot: DecodingSnapshot | undefined;
let draft: DecodingSettings | undefined;
/** The chat-template toggle as the user left it (sent with the next Generate). */
let draftChat = false;
/** The comparison column's draft; undefined when not comparing. */
let draftB: DecodingSettings | undefined;
let presetReason = '';
let playTimer: number | undefined;
const send = connect<'decoding'>({
  snapshot: (s) => {
    snapshot = s;
    draft = { ...s.settings };
    draftChat = s.chat.on;
    draftB = s.compare ? { ...s.compare.settings } : undefined;
    const steps = s.result?.steps.length ?? 0;
    ui.step = Math.min(Math.max(0, ui.step), Math.max(0, steps - 1));
    if (s.result && !restoredStep) ui.step = 0;
    restoredStep = false;
    status.clear();
    render();
  },
  progress: (message, fraction, cancellable) => status.progress(message, fraction, cancellable),
  idle: () => status.clear(),
  error: (message) => status.error(message),
});

/** Fills {0}, {1}… in a localized template. */
function fmt(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
}

/** A token as a short, visible label: whitespace shown as ␣ ↵ ⇥. */
function tokenLabel(text: string, max = 16): string {
  const shown = text.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\r/g, '␍').replace(/\t/g, '⇥');
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown || '∅';
}

function percent(p: number): string {
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

function persist(): void {
  saveState<UiState>({ ...ui, restore: snapshot ? { text: snapshot.prompt, settings: snapshot.settings, chat: snapshot.chat.on } : undefined });
}

// ---------------------------------------------------------------------------------------------
// Controls

const PRESETS: Record<'deterministic' | 'creative', Partial<DecodingSettings>> = {
  deterministic: { strategy: 'greedy', temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 },
  creative: { strategy: 'sample', temperature: 1, topK: 0, topP: 0.95, minP: 0.05, repetitionPenalty: 1.1 },
};

type NumericKey = Exclude<keyof DecodingSettings, 'strategy'>;
const FIELDS: { key: NumericKey; label: keyof typeof strings; integer: boolean }[] = [
  { key: 'temperature', label: 'temperature', integer: false },
  { key: 'topK', label: 'topK', integer: true },
  { key: 'topP', label: 'topP', integer: false },
  { key: 'minP', label: 'minP', integer: false },
  { key: 'repetitionPenalty', label: 'repetitionPenalty', integer: false },
  { key: 'beamWidth', label: 'beamWidth', integer: true },
  { key: 'maxNewTokens', label: 'maxNewTokens', integer: true },
  { key: 'seed', label: 'seed', integer: true },
];

/** Which settings a strategy reads (the others are shown but disabled, as transformers ignores them). */
function usedBy(strategy: DecodingStrategy, key: NumericKey): boolean {
  if (key === 'repetitionPenalty' || key === 'maxNewTokens') return true;
  if (key === 'beamWidth') return strategy === 'beam';
  return strategy === 'sample';
}

/** Field errors by column and setting ("a:temperature"). */
const fieldErrors = new Map<string, string>();

type Column = 'a' | 'b';

/** The draft a column edits. */
function draftOf(column: Column): DecodingSettings | undefined {
  return column === 'a' ? draft : draftB;
}

/** One column of settings: the strategy and the fields (the second column shares the seed and max new tokens). */
function settingsColumn(column: Column, d: DecodingSettings, showErrors: () => void): HTMLElement[] {
  const grid = el('div', { className: 'settings-grid' });
  for (const f of FIELDS) {
    if (column === 'b' && (f.key === 'seed' || f.key === 'maxNewTokens')) continue;
    const [min, max] = DECODING_LIMITS[f.key];
    const errorKey = `${column}:${f.key}`;
    const field = textField(strings[f.label], String(d[f.key]), (value) => {
      const n = Number(value);
      const ok = value.trim() !== '' && Number.isFinite(n) && n >= min && n <= max && (!f.integer || Number.isInteger(n));
      const target = draftOf(column);
      if (ok && target) {
        target[f.key] = n;
        fieldErrors.delete(errorKey);
      } else fieldErrors.set(errorKey, fmt(f.integer ? strings.rangeInteger : strings.rangeNumber, strings[f.label], min, max));
      showErrors();
    });
    field.classList.add('setting');
    field.dataset.column = column;
    field.dataset.field = f.key;
    if (!usedBy(d.strategy, f.key)) field.setAttribute('disabled', '');
    grid.appendChild(field);
  }
  const strategy = dropdown(
    [
      { value: 'greedy', label: strings.strategyGreedy },
      { value: 'sample', label: strings.strategySample },
      { value: 'beam', label: strings.strategyBeam },
    ],
    d.strategy,
    (value) => {
      const target = draftOf(column);
      if (!target) return;
      target.strategy = value as DecodingStrategy;
      render();
    },
    column === 'a' ? strings.strategy : strings.strategyB,
  );
  return [el('div', { className: 'row', children: [el('span', { className: 'label', text: strings.strategy }), strategy] }), grid];
}

function controls(s: DecodingSnapshot): HTMLElement {
  const d = draft ?? s.settings;
  const generateButton = button(strings.generate, () => {
    if (fieldErrors.size > 0 || !draft) return;
    stopPlay();
    send({ type: 'generate', settings: draft, chat: draftChat && s.chat.available, compare: draftB });
  });
  generateButton.classList.add('generate-button');
  const errors = el('div', { className: 'field-errors', attrs: { role: 'alert' } });
  const showErrors = (): void => {
    replaceChildren(errors, ...[...fieldErrors.values()].map((m) => el('div', { text: m })));
    generateButton.toggleAttribute('disabled', fieldErrors.size > 0);
  };
  const preset = (id: 'deterministic' | 'creative'): HTMLElement =>
    button(id === 'deterministic' ? strings.presetDeterministic : strings.presetCreative, () => {
      draft = { ...(draft ?? s.settings), ...PRESETS[id] };
      for (const key of [...fieldErrors.keys()]) if (key.startsWith('a:')) fieldErrors.delete(key);
      presetReason = id === 'deterministic' ? strings.presetDeterministicWhy : strings.presetCreativeWhy;
      render();
      announce(presetReason);
    }, 'secondary');
  const compareBox = checkbox(strings.compare, draftB !== undefined, (checked) => {
    // A second column starts as the first with sampling at a high temperature: the contrast the lesson needs.
    draftB = checked ? { ...(draft ?? s.settings), strategy: 'sample', temperature: 1.2 } : undefined;
    if (!checked) for (const key of [...fieldErrors.keys()]) if (key.startsWith('b:')) fieldErrors.delete(key);
    render();
  });
  compareBox.classList.add('compare-toggle');
  const columnA = settingsColumn('a', d, showErrors);
  const body = draftB
    ? el('div', {
      className: 'settings-columns',
      children: [
        el('div', { className: 'settings-column', attrs: { role: 'group', 'aria-label': strings.columnA }, children: [el('h3', { text: strings.columnA }), ...columnA] }),
        el('div', { className: 'settings-column', attrs: { role: 'group', 'aria-label': strings.columnB }, children: [el('h3', { text: strings.columnB }), ...settingsColumn('b', draftB, showErrors)] }),
      ],
    })
    : el('div', { children: columnA });
  const section = el('section', {
    className: 'controls',
    attrs: { 'aria-label': strings.controlsHeading },
    children: [
      el('h2', { text: strings.controlsHeading }),
      el('div', { className: 'row', children: [el('span', { className: 'label', text: strings.presets }), preset('deterministic'), preset('creative')] }),
      presetReason ? el('p', { className: 'hint preset-reason', text: presetReason }) : undefined,
      chatToggle(s),
      el('div', { className: 'row', children: [compareBox] }),
      body,
      el('p', { className: 'hint', text: strings.settingsHint }),
      errors,
      el('div', { className: 'row', children: [generateButton] }),
    ],
  });
  showErrors();
  return section;
}

// ---------------------------------------------------------------------------------------------
// Side by side: the two settings' results on the same prompt and seed

/** A short line naming a column's settings (only those its strategy reads). */
function settingsSummary(d: DecodingSettings): string {
  const parts = [{ greedy: strings.strategyGreedy, sample: strings.strategySample, beam: strings.strategyBeam }[d.strategy]];
  if (d.strategy === 'sample') {
    parts.push(fmt(strings.summaryTemperature, d.temperature));
    if (d.topK > 0) parts.push(fmt(strings.summaryTopK, d.topK));
    if (d.topP < 1) parts.push(fmt(strings.summaryTopP, d.topP));
    if (d.minP > 0) parts.push(fmt(strings.summaryMinP, d.minP));
    parts.push(fmt(strings.summarySeed, d.seed));
  }
  if (d.strategy === 'beam') parts.push(fmt(strings.summaryBeams, d.beamWidth));
  if (d.repetitionPenalty !== 1) parts.push(fmt(strings.summaryPenalty, d.repetitionPenalty));
  return parts.join(' · ');
}

function compareCard(title: string, r: DecodingResult): HTMLElement {
  const tokens = el('div', { className: 'generated compare-text', attrs: { role: 'group', 'aria-label': fmt(strings.compareTextAria, title) } });
  r.steps.forEach((step, i) => {
    const rgb = sequentialRgb(confidence(step));
    const span = el('span', {
      className: 'cmp-token',
      text: shownToken(step.chosenText),
      attrs: { title: fmt(strings.tokenTooltip, i + 1, tokenLabel(step.chosenText, 40), percent(step.chosenProb), step.entropy.toFixed(2)) },
    });
    span.style.backgroundColor = `rgb(${rgb.join(',')})`;
    span.style.color = textOn(rgb);
    tokens.appendChild(span);
  });
  const stopped = { eos: strings.stoppedEos, stop: strings.stoppedEos, length: strings.stoppedLength, cancelled: strings.stoppedCancelled }[r.stoppedBy];
  const mean = r.steps.length ? r.steps.reduce((sum, st) => sum + st.chosenProb, 0) / r.steps.length : 0;
  return el('div', {
    className: 'compare-card',
    children: [
      el('h3', { text: title }),
      el('p', { className: 'hint compare-settings', text: settingsSummary(r.settings) }),
      tokens,
      el('p', { className: 'hint', text: fmt(stopped, r.steps.length) }),
      el('p', { className: 'hint compare-mean', text: fmt(strings.meanProbability, percent(mean)) }),
    ],
  });
}

function compareView(s: DecodingSnapshot): HTMLElement | undefined {
  if (!s.result || !s.compare) return undefined;
  return el('section', {
    className: 'compare',
    attrs: { 'aria-label': strings.compareHeading },
    children: [
      el('h2', { text: strings.compareHeading }),
      el('p', { className: 'hint', text: strings.compareHint }),
      el('div', { className: 'compare-grid', children: [compareCard(strings.columnA, s.result), compareCard(strings.columnB, s.compare.result)] }),
    ],
  });
}

/** The chat-template toggle: disabled, with the reason, when the model has no template. */
function chatToggle(s: DecodingSnapshot): HTMLElement {
  const box = checkbox(strings.chatTemplate, s.chat.available && draftChat, (checked) => {
    draftChat = checked;
  });
  box.classList.add('chat-toggle');
  if (!s.chat.available) box.setAttribute('disabled', '');
  return el('div', {
    className: 'chat-row',
    children: [box, el('p', { className: 'hint chat-why', text: s.chat.available ? strings.chatTemplateHint : s.chat.reason ?? '' })],
  });
}

// ---------------------------------------------------------------------------------------------
// Generated text, coloured by confidence

/** A generated token as drawn: a line feed alone would be an empty box nobody can click, so ↵ precedes its line break. */
function shownToken(text: string): string {
  return text.replace(/\n/g, '↵\n');
}

function confidence(step: DecodingStep): number {
  // 1 = sure (high probability / low entropy), 0 = guessing. Entropy over 4 nats counts as fully unsure.
  return ui.colourBy === 'probability' ? step.chosenProb : 1 - Math.min(1, step.entropy / 4);
}

function generatedText(s: DecodingSnapshot): HTMLElement | undefined {
  const r = s.result;
  if (!r) return undefined;
  const tokens = el('div', { className: 'generated', attrs: { role: 'listbox', 'aria-label': strings.generatedAria } });
  r.steps.forEach((step, i) => {
    const rgb = sequentialRgb(confidence(step));
    const span = el('span', {
      className: `gen-token${i === ui.step ? ' current' : ''}`,
      text: shownToken(step.chosenText),
      attrs: {
        role: 'option',
        tabindex: i === ui.step ? '0' : '-1',
        'aria-selected': String(i === ui.step),
        title: fmt(strings.tokenTooltip, i + 1, tokenLabel(step.chosenText, 40), percent(step.chosenProb), step.entropy.toFixed(2)),
      },
    });
    span.style.backgroundColor = `rgb(${rgb.join(',')})`;
    span.style.color = textOn(rgb);
    span.addEventListener('click', () => goTo(i, true));
    tokens.appendChild(span);
  });
  tokens.addEventListener('keydown', (e) => {
    const delta = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0;
    if (e.key === 'Home') goTo(0, true);
    else if (e.key === 'End') goTo(r.steps.length - 1, true);
    else if (delta) goTo(ui.step + delta, true);
    else return;
    e.preventDefault();
  });
  const stopped = { eos: strings.stoppedEos, stop: strings.stoppedEos, length: strings.stoppedLength, cancelled: strings.stoppedCancelled }[r.stoppedBy];
  return el('section', {
    className: 'output',
    attrs: { 'aria-label': strings.generatedHeading },
    children: [
      el('h2', { text: strings.generatedHeading }),
      el('div', { className: 'prompt', children: [el('span', { className: 'label', text: fmt(s.chat.on ? strings.promptLabelChat : strings.promptLabel, s.promptTokens) }), el('span', { className: 'prompt-text', text: shownPrompt(s.chat.rendered ?? s.prompt) })] }),
      tokens,
      el('p', { className: 'hint', text: fmt(stopped, r.steps.length) }),
      el('div', {
        className: 'row',
        children: [
          el('span', { className: 'label', text: strings.colourBy }),
          dropdown([{ value: 'probability', label: strings.colourProbability }, { value: 'entropy', label: strings.colourEntropy }], ui.colourBy, (v) => {
            ui.colourBy = v === 'entropy' ? 'entropy' : 'probability';
            persist();
            render();
          }, strings.colourBy),
          legend(),
        ],
      }),
      el('p', { className: 'hint hallucination', text: strings.hallucinationNote }),
      el('div', {
        className: 'row',
        children: [
          button(strings.copy, () => send({ type: 'copy' }), 'secondary'),
          s.canInsert ? button(strings.insert, () => send({ type: 'insert' }), 'secondary') : undefined,
          button(strings.openAttention, () => send({ type: 'openAttention' }), 'secondary'),
        ].filter((x): x is HTMLElement => x !== undefined),
      }),
    ],
  });
}

function shownPrompt(text: string): string {
  return text.length > 400 ? `…${text.slice(-400)}` : text;
}

function legend(): HTMLElement {
  const swatch = (t: number, label: string): HTMLElement => {
    const rgb = sequentialRgb(t);
    const e = el('span', { className: 'swatch', text: label });
    e.style.backgroundColor = `rgb(${rgb.join(',')})`;
    e.style.color = textOn(rgb);
    return e;
  };
  return el('span', { className: 'legend', children: [swatch(0, strings.legendUnsure), swatch(0.5, '…'), swatch(1, strings.legendSure)] });
}

// ---------------------------------------------------------------------------------------------
// One step: candidates before and after the processors, with the cut-offs

function goTo(step: number, focus = false): void {
  const n = snapshot?.result?.steps.length ?? 0;
  if (n === 0) return;
  ui.step = Math.min(n - 1, Math.max(0, step));
  persist();
  render();
  const st = snapshot?.result?.steps[ui.step];
  if (st) announce(fmt(strings.stepAnnounce, ui.step + 1, n, tokenLabel(st.chosenText, 40), percent(st.chosenProb)));
  if (focus) (root.querySelector('.gen-token.current') as HTMLElement | null)?.focus();
}

function stopPlay(): void {
  if (playTimer !== undefined) window.clearInterval(playTimer);
  playTimer = undefined;
}

function togglePlay(): void {
  if (playTimer !== undefined) {
    stopPlay();
    render();
    return;
  }
  const n = snapshot?.result?.steps.length ?? 0;
  if (ui.step >= n - 1) ui.step = -1;
  playTimer = window.setInterval(() => {
    if (ui.step >= n - 1) {
      stopPlay();
      render();
      return;
    }
    goTo(ui.step + 1);
  }, 700);
  goTo(ui.step + 1);
}

const SHOWN = 12;

function stepView(s: DecodingSnapshot): HTMLElement | undefined {
  const r = s.result;
  if (!r || r.steps.length === 0) return undefined;
  const step = r.steps[ui.step];
  const n = r.steps.length;
  const nav = el('div', {
    className: 'row step-nav',
    children: [
      button(strings.back, () => goTo(ui.step - 1), 'secondary'),
      button(playTimer !== undefined ? strings.pause : strings.play, togglePlay, 'secondary'),
      button(strings.next, () => goTo(ui.step + 1), 'secondary'),
      el('span', { className: 'step-label', text: fmt(strings.stepOf, ui.step + 1, n) }),
    ],
  });
  const shown = step.candidates.slice(0, SHOWN);
  if (!shown.some((c) => c.id === step.chosen)) {
    const chosen = step.candidates.find((c) => c.id === step.chosen);
    if (chosen) shown.push(chosen);
  }
  const scale = Math.max(1e-9, ...shown.flatMap((c) => [c.probBefore, c.prob]));
  const rows = el('div', { className: 'bars', attrs: { role: 'table', 'aria-label': strings.candidatesAria } });
  rows.appendChild(el('div', {
    className: 'bar-row head',
    attrs: { role: 'row' },
    children: [strings.colToken, strings.colBars, strings.colBefore, strings.colAfter].map((t) => el('span', { text: t, attrs: { role: 'columnheader' } })),
  }));
  const cut = (label: string): HTMLElement => el('div', { className: 'cut-line', text: label, attrs: { role: 'row' } });
  shown.forEach((c, i) => {
    const track = el('span', { className: 'track', attrs: { role: 'cell' } });
    const before = el('span', { className: 'bar before' });
    before.style.width = `${(100 * c.probBefore) / scale}%`;
    const after = el('span', { className: 'bar after' });
    after.style.width = `${(100 * c.prob) / scale}%`;
    track.append(before, after);
    if (step.minPThreshold !== undefined) {
      const line = el('span', { className: 'minp-line', attrs: { title: fmt(strings.minPLine, percent(step.minPThreshold)) } });
      line.style.left = `${Math.min(100, (100 * step.minPThreshold) / scale)}%`;
      track.appendChild(line);
    }
    rows.appendChild(el('div', {
      className: `bar-row${c.kept ? '' : ' cut'}${c.id === step.chosen ? ' chosen' : ''}`,
      attrs: { role: 'row', 'aria-label': fmt(strings.candidateAria, tokenLabel(c.text, 40), percent(c.probBefore), percent(c.prob), c.kept ? strings.kept : strings.removed) },
      children: [
        el('span', { className: 'tok', text: `${c.id === step.chosen ? '▶ ' : ''}${tokenLabel(c.text)}`, attrs: { role: 'cell' } }),
        track,
        el('span', { className: 'num', text: percent(c.probBefore), attrs: { role: 'cell' } }),
        el('span', { className: 'num', text: c.kept ? percent(c.prob) : '—', attrs: { role: 'cell' } }),
      ],
    }));
    // The boundaries sit after the last candidate each cut keeps.
    if (step.topKCount === i + 1) rows.appendChild(cut(fmt(strings.topKLine, r.settings.topK)));
    if (step.topPCount === i + 1) rows.appendChild(cut(fmt(strings.topPLine, r.settings.topP)));
  });
  const notes: string[] = [];
  if (r.settings.strategy !== 'sample') notes.push(strings.noCutsNote);
  if (step.minPThreshold !== undefined) notes.push(fmt(strings.minPLine, percent(step.minPThreshold)));
  return el('section', {
    className: 'step',
    attrs: { 'aria-label': strings.stepHeading },
    children: [
      el('h2', { text: strings.stepHeading }),
      nav,
      el('p', { className: 'chosen-line', text: fmt(strings.chosenLine, tokenLabel(step.chosenText, 40), percent(step.chosenProb), step.entropy.toFixed(2)) }),
      el('div', { className: 'bar-legend', children: [el('span', { className: 'key before', text: strings.legendBefore }), el('span', { className: 'key after', text: strings.legendAfter })] }),
      rows,
      ...notes.map((t) => el('p', { className: 'hint', text: t })),
      r.settings.strategy === 'beam' ? beamTree(r.steps, r.beams ?? [], ui.step) : undefined,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Beam tree: every beam prefix seen up to the current step; the ones no final beam continues are pruned.

interface TreeNode {
  text: string;
  logProb: number;
  children: Map<number, TreeNode>;
  live: boolean;
}

function beamTree(steps: DecodingStep[], finals: DecodingBeam[], upTo: number): HTMLElement {
  const rootNode: TreeNode = { text: '', logProb: 0, children: new Map(), live: true };
  const lastBeams = steps[upTo].beams ?? [];
  const isLive = (ids: number[]): boolean => lastBeams.some((b) => ids.every((id, i) => b.ids[i] === id));
  for (let t = 0; t <= upTo; t++) {
    for (const b of steps[t].beams ?? []) {
      let node = rootNode;
      b.ids.forEach((id, i) => {
        let child = node.children.get(id);
        if (!child) {
          child = { text: b.texts[i], logProb: NaN, children: new Map(), live: false };
          node.children.set(id, child);
        }
        if (i === b.ids.length - 1) child.logProb = b.logProb;
        child.live = isLive(b.ids.slice(0, i + 1));
        node = child;
      });
    }
  }
  // A chain of single children with the same status is one line (the tokens in a row), so the tree only
  // nests where beams split: it stays narrow enough for a 480 px panel.
  const list = (node: TreeNode, depth: number): HTMLElement => {
    const ul = el('ul', { attrs: { role: depth === 0 ? 'tree' : 'group', ...(depth === 0 ? { 'aria-label': strings.beamTreeAria } : {}) } });
    for (const first of node.children.values()) {
      const run = [first];
      let last = first;
      while (last.children.size === 1) {
        const only = [...last.children.values()][0];
        if (only.live !== first.live) break;
        run.push(only);
        last = only;
      }
      const tokens = run.map((n) => tokenLabel(n.text)).join(' ');
      const score = Number.isNaN(last.logProb) ? '' : fmt(strings.logProb, last.logProb.toFixed(2));
      ul.appendChild(el('li', {
        className: first.live ? 'live' : 'pruned',
        attrs: { role: 'treeitem', 'aria-label': `${tokens} ${score} ${first.live ? '' : strings.pruned}` },
        children: [
          el('span', { className: 'node', text: tokens }),
          score ? el('span', { className: 'score', text: ` ${score}` }) : undefined,
          last.children.size > 0 ? list(last, depth + 1) : undefined,
        ],
      }));
    }
    return ul;
  };
  const tree = list(rootNode, 0);
  tree.setAttribute('tabindex', '0');
  return el('div', {
    className: 'beam-tree',
    children: [
      el('h3', { text: fmt(strings.beamTreeHeading, upTo + 1) }),
      el('p', { className: 'hint', text: strings.beamTreeHint }),
      tree,
      finals.length > 0 && upTo === steps.length - 1 ? el('p', { className: 'hint', text: fmt(strings.bestBeam, finals[0].texts.map((t) => tokenLabel(t)).join(' '), finals[0].logProb.toFixed(2)) }) : undefined,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// KV cache and speed

function cacheView(s: DecodingSnapshot): HTMLElement | undefined {
  const r = s.result;
  if (!r) return undefined;
  const k = r.kvCache;
  const m = s.model;
  const equal = k.bytes === k.formulaBytes;
  const lines = [
    fmt(strings.cacheHeld, bytes(k.bytes), k.positions, k.batch),
    fmt(strings.cacheFormula, bytes(k.formulaBytes), equal ? strings.cacheEqual : strings.cacheDiffers),
    fmt(strings.cachePerToken, bytes(k.bytesPerToken), m.layers, m.kvHeads, m.headDim),
    fmt(strings.speedRun, r.speed.run.toFixed(1)),
    r.speed.cached !== undefined && r.speed.uncached !== undefined
      ? fmt(strings.speedSteps, r.speed.measuredTokens, r.speed.cached.toFixed(1), r.speed.uncached.toFixed(1), (r.speed.cached / r.speed.uncached).toFixed(1))
      : strings.speedUncachedSkipped,
  ];
  return el('section', {
    className: 'cache',
    attrs: { 'aria-label': strings.cacheHeading },
    children: [el('h2', { text: strings.cacheHeading }), el('ul', { children: lines.map((t) => el('li', { text: t })) }), el('p', { className: 'hint', text: strings.cacheWhy })],
  });
}

// ---------------------------------------------------------------------------------------------

function render(): void {
  const s = snapshot;
  if (!s) {
    replaceChildren(root, status.element, el('p', { className: 'hint', text: strings.empty }));
    return;
  }
  const m = s.model;
  const header = el('header', {
    children: [
      el('h1', { text: strings.heading }),
      el('p', {
        className: 'model-line',
        children: [fmt(strings.modelLine, m.label, m.layers, m.heads, m.kvHeads, m.contextLength) + ' ', link(strings.chooseModel, () => send({ type: 'chooseModel' }))],
      }),
      m.eos.length > 0 ? el('p', { className: 'hint', text: fmt(strings.eosLine, m.eos.map((e) => tokenLabel(e, 24)).join(', ')) }) : undefined,
      ...s.notices.map((n) => el('p', { className: 'notice', text: n, attrs: { role: 'note' } })),
    ],
  });
  replaceChildren(root, status.element, header, controls(s), compareView(s), generatedText(s), stepView(s), cacheView(s));
}

onThemeChange(() => render());
render();
