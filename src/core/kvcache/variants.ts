// The same model under each attention variant: MHA, GQA (any valid group count), MQA, and MLA.

import { AttentionShape, KvCacheError, checkShape, describeValue } from './shape';

/** How a shape shares keys and values among query heads. */
export type AttentionKind = 'MHA' | 'GQA' | 'MQA' | 'MLA';

/** One variant of a model for side-by-side comparison. */
export interface AttentionVariant {
  kind: AttentionKind;
  shape: AttentionShape;
  /** True for the variant the model really uses. */
  isModel: boolean;
}

/** The kind of a shape: MLA when it has a latent, else by KV heads (domain-facts.md). */
export function attentionKind(shape: AttentionShape): AttentionKind {
  checkShape(shape);
  if (shape.mla) return 'MLA';
  if (shape.kvHeads === shape.queryHeads) return 'MHA';
  if (shape.kvHeads === 1) return 'MQA';
  return 'GQA';
}

/** KV-head counts a GQA version can have: the divisors of queryHeads strictly between 1 and queryHeads. */
export function gqaKvHeadChoices(queryHeads: number): number[] {
  if (!Number.isInteger(queryHeads) || queryHeads < 1) {
    throw new KvCacheError('queryHeads', `queryHeads must be a positive integer (got ${describeValue(queryHeads)})`);
  }
  const choices: number[] = [];
  for (let d = 2; d < queryHeads; d++) if (queryHeads % d === 0) choices.push(d);
  return choices;
}

/** The GQA KV-head count shown first: the model's own when it is GQA, else the choice nearest queryHeads / 4. */
export function defaultGqaKvHeads(shape: AttentionShape): number | null {
  checkShape(shape);
  const choices = gqaKvHeadChoices(shape.queryHeads);
  if (choices.length === 0) return null;
  if (!shape.mla && choices.includes(shape.kvHeads)) return shape.kvHeads;
  // Llama-3, Mistral and Qwen2.5-7B share each KV head among 4 query heads: a typical ratio.
  const target = shape.queryHeads / 4;
  return choices.reduce((best, d) => (Math.abs(d - target) < Math.abs(best - target) ? d : best));
}

/** The query head -> KV head map (GQA grouping): query head h reads KV head floor(h / (queryHeads / kvHeads)). */
export function kvHeadOf(queryHeads: number, kvHeads: number): number[] {
  checkShape({ layers: 1, queryHeads, kvHeads, headDim: 1 });
  // transformers repeat_kv repeats each KV head queryHeads / kvHeads times in a row.
  const groupSize = queryHeads / kvHeads;
  return Array.from({ length: queryHeads }, (_, h) => Math.floor(h / groupSize));
}

/**
 * The model as MHA, as GQA with `gqaKvHeads` KV heads (default: defaultGqaKvHeads; absent when
 * queryHeads has no divisor between 1 and itself), as MQA, and as MLA when the model has it.
 * Sliding windows carry over to every variant: they are independent of head sharing.
 */
export function attentionVariants(shape: AttentionShape, gqaKvHeads?: number): AttentionVariant[] {
  checkShape(shape);
  // The variants are uniform what-ifs: per-layer KV heads (OpenELM) give way to the variant's one count,
  // except in the model's own row, which must show the model's real cache.
  const { mla, kvHeadsPerLayer: _perLayer, ...rest } = shape;
  // Copies, so a caller editing one variant never changes another or the input.
  const standard: AttentionShape = { ...rest, ...(rest.slidingWindowLayers ? { slidingWindowLayers: [...rest.slidingWindowLayers] } : {}) };
  const modelKind = attentionKind(shape);
  const choices = gqaKvHeadChoices(shape.queryHeads);
  let groups: number | null = defaultGqaKvHeads(shape);
  if (gqaKvHeads !== undefined) {
    if (!choices.includes(gqaKvHeads)) {
      const allowed = choices.length ? choices.join(', ') : 'none — query heads have no divisor between 1 and themselves';
      throw new KvCacheError('gqaKvHeads', `GQA KV heads must divide ${shape.queryHeads} query heads (allowed: ${allowed}; got ${describeValue(gqaKvHeads)})`);
    }
    groups = gqaKvHeads;
  }
  const variants: AttentionVariant[] = [
    { kind: 'MHA', shape: { ...standard, kvHeads: shape.queryHeads }, isModel: modelKind === 'MHA' },
  ];
  if (groups !== null) {
    variants.push({ kind: 'GQA', shape: { ...standard, kvHeads: groups }, isModel: modelKind === 'GQA' && groups === shape.kvHeads });
  }
  variants.push({ kind: 'MQA', shape: { ...standard, kvHeads: 1 }, isModel: modelKind === 'MQA' });
  if (mla) variants.push({ kind: 'MLA', shape: { ...standard, mla: { ...mla } }, isModel: true });
  if (shape.kvHeadsPerLayer) {
    for (const variant of variants) if (variant.isModel) variant.shape.kvHeadsPerLayer = [...shape.kvHeadsPerLayer];
  }
  return variants;
}
