// Reading what a user typed into the KV-cache panel: one verdict per field, as codes the host turns
// into localized messages, so a bad field gets a message next to it and never becomes NaN.

import { AttentionShape } from './shape';

/** Why one typed field was rejected (the host words it in the user's language). */
export type KvFieldError =
  /** Nothing typed where a number is needed. */
  | { code: 'empty' }
  /** Not a whole number at least `min` (digits, optionally grouped with , _ or spaces). */
  | { code: 'integer'; min: number }
  /** Larger than `max`. */
  | { code: 'tooLarge'; max: number }
  /** KV heads must divide the query heads: `choices` lists the values that do. */
  | { code: 'divides'; queryHeads: number; choices: number[] }
  /** The resulting size would pass 2^53 − 1 bytes, the largest exactly representable count. */
  | { code: 'overflow' }
  /** A layer list that is not "a, b, c-d" with indices from 0 to layers − 1. */
  | { code: 'layerList'; layers: number }
  /** Not a number greater than 0 (digits with an optional decimal point, e.g. 80 or 1.5). */
  | { code: 'decimal' };

/** Upper limits of typed fields: far above any real model, low enough to keep every product exact. */
export const KV_INPUT_LIMITS = {
  layers: 10_000,
  heads: 65_536,
  headDim: 65_536,
  window: 2 ** 40,
  rank: 65_536,
  parameters: 2 ** 50,
  seqLen: 2 ** 40,
  batch: 1_000_000,
} as const;

/** Reads a whole number typed by a person: digits, optionally grouped with ",", "_" or spaces. */
export function parseCount(text: string, min: number, max: number): number | KvFieldError {
  const trimmed = text.trim();
  if (trimmed === '') return { code: 'empty' };
  if (!/^\d{1,3}(?:[,_ ]\d{3})*$|^\d+$/.test(trimmed)) return { code: 'integer', min };
  const digits = trimmed.replace(/[,_ ]/g, '');
  if (digits.length > 16) return { code: 'tooLarge', max };
  const value = Number(digits);
  if (value < min) return { code: 'integer', min };
  if (value > max) return { code: 'tooLarge', max };
  return value;
}

/** Reads a positive decimal typed by a person (80, 1.5, 3,350): greater than 0 and at most `max`. */
export function parseDecimal(text: string, max: number): number | KvFieldError {
  const trimmed = text.trim();
  if (trimmed === '') return { code: 'empty' };
  if (!/^(?:\d{1,3}(?:[,_ ]\d{3})*|\d+)(?:\.\d+)?$|^\.\d+$/.test(trimmed)) return { code: 'decimal' };
  const value = Number(trimmed.replace(/[,_ ]/g, ''));
  if (!Number.isFinite(value) || value <= 0) return { code: 'decimal' };
  if (value > max) return { code: 'tooLarge', max };
  return value;
}

/** Which layers a custom shape's sliding window applies to. */
export type SlidingLayerPattern = 'all' | 'even' | 'odd' | 'list';

/** The custom-model fields as typed (empty slidingWindow / kvLoraRank / parameters = not used). */
export interface CustomModelText {
  layers: string;
  queryHeads: string;
  kvHeads: string;
  headDim: string;
  slidingWindow: string;
  slidingLayers: SlidingLayerPattern;
  /** With slidingLayers 'list': 0-based layer indices and ranges, e.g. "0, 2, 20-27". */
  slidingLayerList: string;
  kvLoraRank: string;
  ropeHeadDim: string;
  parameters: string;
}

/** The verdict on a custom model: the shape when every field is good, and an error per bad field. */
export interface CustomModelResult {
  shape?: AttentionShape;
  /** Parameter count, 0 when left empty (weights then not counted). */
  parameters: number;
  errors: Partial<Record<keyof CustomModelText, KvFieldError>>;
}

function isError(value: number | KvFieldError): value is KvFieldError {
  return typeof value !== 'number';
}

/** Divisors of n from 1 to n (the KV-head counts that split n query heads evenly). */
function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

/** Reads a custom model typed field by field; every field gets its own verdict. */
export function parseCustomModel(text: CustomModelText): CustomModelResult {
  const errors: CustomModelResult['errors'] = {};
  const take = (field: keyof CustomModelText, value: number | KvFieldError): number | undefined => {
    if (isError(value)) {
      errors[field] = value;
      return undefined;
    }
    return value;
  };
  const optional = (field: keyof CustomModelText, raw: string, min: number, max: number): number | null | undefined =>
    raw.trim() === '' ? null : take(field, parseCount(raw, min, max));

  const layers = take('layers', parseCount(text.layers, 1, KV_INPUT_LIMITS.layers));
  const queryHeads = take('queryHeads', parseCount(text.queryHeads, 1, KV_INPUT_LIMITS.heads));
  let kvHeads = take('kvHeads', parseCount(text.kvHeads, 1, KV_INPUT_LIMITS.heads));
  const headDim = take('headDim', parseCount(text.headDim, 1, KV_INPUT_LIMITS.headDim));
  const window = optional('slidingWindow', text.slidingWindow, 1, KV_INPUT_LIMITS.window);
  const kvLoraRank = optional('kvLoraRank', text.kvLoraRank, 1, KV_INPUT_LIMITS.rank);
  const ropeHeadDim = kvLoraRank === null ? 0 : take('ropeHeadDim', parseCount(text.ropeHeadDim, 0, KV_INPUT_LIMITS.rank));
  const parameters = optional('parameters', text.parameters, 1, KV_INPUT_LIMITS.parameters);

  if (queryHeads !== undefined && kvHeads !== undefined && queryHeads % kvHeads !== 0) {
    errors.kvHeads = { code: 'divides', queryHeads, choices: divisors(queryHeads) };
    kvHeads = undefined;
  }
  const result: CustomModelResult = { parameters: parameters ?? 0, errors };
  if (
    layers === undefined || queryHeads === undefined || kvHeads === undefined || headDim === undefined ||
    window === undefined || kvLoraRank === undefined || ropeHeadDim === undefined || parameters === undefined
  ) {
    return result;
  }
  const shape: AttentionShape = { layers, queryHeads, kvHeads, headDim };
  if (window !== null) {
    shape.slidingWindow = window;
    if (text.slidingLayers === 'list') {
      const list = parseLayerList(text.slidingLayerList, layers);
      if (list === undefined) {
        errors.slidingLayerList = { code: 'layerList', layers };
        return result;
      }
      shape.slidingWindowLayers = list;
    } else if (text.slidingLayers !== 'all') {
      const first = text.slidingLayers === 'even' ? 0 : 1;
      const sliding: number[] = [];
      for (let i = first; i < layers; i += 2) sliding.push(i);
      shape.slidingWindowLayers = sliding;
    }
  }
  if (kvLoraRank !== null) shape.mla = { kvLoraRank, ropeHeadDim };
  result.shape = shape;
  return result;
}

/** "0, 2, 20-27" -> sorted unique indices, or undefined when malformed or outside [0, layers). */
export function parseLayerList(text: string, layers: number): number[] | undefined {
  const found = new Set<number>();
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const part of parts) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > to || to >= layers) return undefined;
    for (let i = from; i <= to; i++) found.add(i);
  }
  return [...found].sort((a, b) => a - b);
}

/** Sorted layer indices written compactly with ranges: [0, 1, 2, 5] -> "0-2, 5". */
export function formatLayerList(layers: readonly number[]): string {
  const sorted = [...layers].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

/** The custom-model fields that describe `shape` (to prefill "custom" from a preset or a config). */
export function customModelText(shape: AttentionShape, parameters: number): CustomModelText {
  let slidingLayers: SlidingLayerPattern = 'all';
  const list = shape.slidingWindowLayers ? [...shape.slidingWindowLayers].sort((a, b) => a - b) : undefined;
  if (list) {
    const every = (first: number) => list.length === Math.ceil((shape.layers - first) / 2) && list.every((v, i) => v === first + 2 * i);
    slidingLayers = every(0) ? 'even' : every(1) ? 'odd' : 'list';
  }
  return {
    layers: String(shape.layers),
    queryHeads: String(shape.queryHeads),
    kvHeads: String(shape.kvHeads),
    headDim: String(shape.headDim),
    slidingWindow: shape.slidingWindow === undefined ? '' : String(shape.slidingWindow),
    slidingLayers,
    slidingLayerList: list && slidingLayers === 'list' ? formatLayerList(list) : '',
    kvLoraRank: shape.mla ? String(shape.mla.kvLoraRank) : '',
    ropeHeadDim: shape.mla ? String(shape.mla.ropeHeadDim) : '',
    parameters: parameters > 0 ? String(parameters) : '',
  };
}
