// The Serving section of the KV-cache panel: draws the host's per-GPU numbers (tensor parallel split or
// replication, paged-block waste, the sum per GPU against a GPU's memory). No arithmetic beyond formatting.
import type { KvCacheSnapshot } from '../../src/shared/protocol';
import type { StringsOf } from '../../src/shared/strings';
import { el, replaceChildren } from '../common/dom';

/** How the main view formats numbers and sizes (shared so every section reads the same). */
export interface ServingFormat {
  strings: StringsOf<'kvcache'>;
  fmt: (template: string, ...args: string[]) => string;
  num: (value: number) => string;
  bytes: (value: number) => HTMLElement;
  /** A size as plain text (for sentences). */
  size: (value: number) => string;
}

/** Redraws `box` from the snapshot's serving view (or says which fields to fix). */
export function renderServing(box: HTMLElement, s: KvCacheSnapshot, f: ServingFormat): void {
  const { strings, fmt, num, bytes, size } = f;
  const v = s.serving;
  if (!v) {
    replaceChildren(box, el('p', { className: 'muted', text: strings.servingFieldsWrong }));
    return;
  }
  const lines: HTMLElement[] = [];
  const line = (text: string, testId?: string, className = 'formula-line') =>
    el('div', { className, text, attrs: testId ? { 'data-testid': testId } : undefined });
  if (v.mla) lines.push(line(fmt(strings.servingMla, num(v.copiesPerHead)), 'serving-heads'));
  else if (v.copiesPerHead > 1) lines.push(line(fmt(strings.servingReplicated, num(v.kvHeads), num(v.degree), num(v.copiesPerHead)), 'serving-heads', 'formula-line serving-warning'));
  else lines.push(line(fmt(strings.servingSplit, num(v.kvHeads), num(v.degree), num(v.kvHeadsPerGpu)), 'serving-heads'));
  const blocks = Math.ceil(v.seqLen / v.blockSize);
  lines.push(line(fmt(strings.servingBlocks, num(v.blockSize), num(v.seqLen), num(blocks), num(v.wastedTokensFull)), 'serving-blocks'));
  if (v.wastedTokensSliding > 0) lines.push(line(fmt(strings.servingBlocksSliding, num(v.wastedTokensSliding))));
  const share = v.allocatedBytes > 0 ? `${((100 * v.wastedBytes) / v.allocatedBytes).toFixed(1)}%` : '0%';
  lines.push(line(fmt(strings.servingWaste, size(v.usedBytes), size(v.allocatedBytes), size(v.wastedBytes), share), 'serving-waste'));
  const sum: (Node | string)[] = [`${strings.servingTotal}: `, bytes(v.weightsPerGpu), ` ${fmt(strings.servingWeights, num(v.degree))} + `, bytes(v.allocatedBytes), ` ${fmt(strings.servingKv, num(v.sequences))}`];
  if (v.statePerGpu > 0) sum.push(' + ', bytes(v.statePerGpu), ` ${strings.servingState}`);
  sum.push(' = ', bytes(v.totalPerGpu));
  lines.push(el('div', { className: 'formula-line', attrs: { 'data-testid': 'serving-total' }, children: sum }));
  const fits = v.headroom >= 0;
  lines.push(
    line(
      fits ? fmt(strings.servingFits, v.gpuLabel, size(v.gpuMemoryBytes), size(v.headroom)) : fmt(strings.servingNoFit, v.gpuLabel, size(v.gpuMemoryBytes), size(-v.headroom)),
      'serving-fit',
      fits ? 'formula-line' : 'formula-line serving-warning',
    ),
  );
  const most = v.maxSequences === null ? strings.servingAnySequences : v.maxSequences === 0 ? fmt(strings.servingWeightsAlone, num(v.seqLen)) : fmt(strings.servingMaxSequences, num(v.maxSequences), num(v.seqLen));
  lines.push(line(most, 'serving-max'));
  replaceChildren(box, ...lines);
}
