// Head ablation (TransformerLens's zero-ablation of `hook_z`, transformer_lens/patching.py and the
// "Exploratory Analysis Demo"): a head's output is zeroed before the output projection, and the next-token
// distribution after the last position is compared with the clean run by KL(clean ‖ ablated) in nats.
import { AttentionInputError } from '../model/errors';
import type { Model } from '../model/load';
import { forward, topPredictions, type Ablation, type TokenPrediction } from '../model/runtime';

/** The next-token predictions with and without the ablated heads, and how far the distribution moved. */
export interface HeadAblationResult {
  /** Top predictions of the clean run, best first. */
  before: TokenPrediction[];
  /** Top predictions with the heads ablated, best first. */
  after: TokenPrediction[];
  /** KL(before ‖ after) over the whole vocabulary, in nats (0 = the ablation changed nothing). */
  klDivergence: number;
  /** The probability the ablated run gives to the clean run's top token. */
  afterProbabilityOfBeforeTop: number;
}

/** Runs the model on `tokenIds` clean and with `ablations` (architecture.md's `Ablation`), comparing the next-token distributions. */
export async function ablateHeads(model: Model, tokenIds: number[], ablations: readonly Ablation[], opts: { topK?: number } = {}): Promise<HeadAblationResult> {
  const c = model.config;
  for (const a of ablations) {
    if (!Number.isInteger(a.layer) || a.layer < 0 || a.layer >= c.layers) throw new AttentionInputError(`ablation: layer ${a.layer} does not exist (the model has layers 0 to ${c.layers - 1})`);
    if (a.head !== undefined && (!Number.isInteger(a.head) || a.head < 0 || a.head >= c.heads)) throw new AttentionInputError(`ablation: head ${a.head} does not exist (layer ${a.layer} has heads 0 to ${c.heads - 1})`);
  }
  const topK = opts.topK ?? 10;
  const label = model.tokenizer ? (id: number): string | undefined => model.tokenizer?.label(id) : undefined;
  const clean = (await forward(model, tokenIds, { logits: 'last' })).logits;
  const ablated = (await forward(model, tokenIds, { logits: 'last', hooks: { ablate: ablations } })).logits;
  const before = topPredictions(clean, topK, label);
  const after = topPredictions(ablated, topK, label);
  const p = logSoftmax(clean);
  const q = logSoftmax(ablated);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.exp(p[i]);
    if (pi > 0) kl += pi * (p[i] - q[i]);
  }
  return { before, after, klDivergence: Math.max(0, kl), afterProbabilityOfBeforeTop: before.length > 0 ? Math.exp(q[before[0].id]) : 0 };
}

/** log softmax in float64 (KL of nearby distributions is a small difference of large sums). */
function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let z = 0;
  for (const v of logits) z += Math.exp(v - max);
  const logZ = Math.log(z) + max;
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logZ;
  return out;
}
