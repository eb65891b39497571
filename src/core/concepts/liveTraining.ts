// Live training for the Concept Lab (issue 20): a few dozen steps of the embedded model's own trainer
// (src/core/train: forward + backward, AdamW, global-norm clipping — as scripts/trainModel.ts uses them) on a
// text's tokens, starting from the shipped weights. The caller's copy of the weights is trained; the files are
// only read. The bigram baseline is what counting adjacent token pairs of the same text achieves.
import { AdamW, clipGradNorm, learningRate } from '../train/optim';
import { paramLayout, sequenceForwardBackward, type ParamLayout, type TrainModelConfig } from '../train/model';
import { Prng } from '../train/prng';
import type { Model } from '../model/load';

/** Settings of a live run. */
export interface LiveTrainingOptions {
  steps: number;
  /** Peak learning rate (linear warm-up over the first tenth of the steps, then cosine to a tenth of it). */
  learningRate?: number;
  seed?: number;
  /** Called after every step with the step (1-based) and its loss (mean nats per predicted token). */
  onStep?: (step: number, loss: number) => void;
  /** Polled before each step; true stops the run (what was done is kept). */
  isCancelled?: () => boolean;
}

/** A finished (or cancelled) live run. */
export interface LiveTrainingResult {
  /** Loss before any step, on the whole text (mean nats per predicted token). */
  lossBefore: number;
  /** Loss after the last step, on the whole text. */
  lossAfter: number;
  /** The loss of each step's window, in order. */
  stepLosses: number[];
  cancelled: boolean;
  /** The trained parameters (the trainer's flat layout). */
  params: Float32Array;
}

/** Mean loss of `params` on the whole `ids` (windows of at most the model's context), no gradients. */
export function textLoss(cfg: TrainModelConfig, layout: ParamLayout, params: Float32Array, ids: readonly number[]): number {
  const ctx = cfg.maxPositions;
  let sum = 0;
  let counted = 0;
  for (let s = 0; s < ids.length - 1; s += ctx) {
    const end = Math.min(ids.length - 1, s + ctx);
    const r = sequenceForwardBackward(cfg, layout, params, ids.slice(s, end), ids.slice(s + 1, end + 1));
    sum += r.lossSum;
    counted += r.counted;
  }
  return counted === 0 ? NaN : sum / counted;
}

/**
 * Trains a copy of `initial` on `ids` (at least 2 tokens) for `opts.steps` steps: each step one window of up to
 * the model's context at a random start (the whole text when it fits), AdamW (β 0.9/0.95, weight decay 0.1 on
 * matrices) and clipping at 1.0, as the embedded model's own training.
 */
export function trainOnText(cfg: TrainModelConfig, initial: Float32Array, ids: readonly number[], opts: LiveTrainingOptions): LiveTrainingResult {
  if (ids.length < 2) throw new RangeError('training needs at least two tokens');
  const layout = paramLayout(cfg);
  const params = initial.slice();
  const grads = new Float32Array(layout.total);
  const decayMask = new Uint8Array(layout.total);
  for (const s of layout.slots) if (s.shape.length === 2) decayMask.fill(1, s.offset, s.offset + s.size);
  const opt = new AdamW(layout.total, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, decayMask);
  const maxLr = opts.learningRate ?? 1e-3;
  const schedule = { maxLr, minLr: maxLr / 10, warmupSteps: Math.max(1, Math.floor(opts.steps / 10)), totalSteps: opts.steps };
  const rng = new Prng(opts.seed ?? 1);
  const ctx = Math.min(cfg.maxPositions, ids.length - 1);
  const lossBefore = textLoss(cfg, layout, params, ids);
  const stepLosses: number[] = [];
  let cancelled = false;
  for (let step = 0; step < opts.steps; step++) {
    if (opts.isCancelled?.()) {
      cancelled = true;
      break;
    }
    const start = rng.int(ids.length - ctx);
    const window = ids.slice(start, start + ctx);
    const targets = ids.slice(start + 1, start + ctx + 1);
    grads.fill(0);
    const r = sequenceForwardBackward(cfg, layout, params, window, targets, grads, 1 / ctx);
    clipGradNorm(grads, 1.0);
    opt.update(params, grads, learningRate(step, schedule));
    const loss = r.lossSum / r.counted;
    stepLosses.push(loss);
    opts.onStep?.(step + 1, loss);
  }
  return { lossBefore, lossAfter: textLoss(cfg, layout, params, ids), stepLosses, cancelled, params };
}

/**
 * Cross-entropy (mean nats per predicted token) of a bigram model with add-α smoothing, counted on `ids` and
 * scored on the same `ids`: what "remember which token followed which" achieves on this text.
 */
export function bigramLoss(ids: readonly number[], vocab: number, alpha = 1): number {
  if (ids.length < 2) return NaN;
  const pair = new Map<number, number>();
  const from = new Map<number, number>();
  for (let i = 0; i + 1 < ids.length; i++) {
    const key = ids[i] * vocab + ids[i + 1];
    pair.set(key, (pair.get(key) ?? 0) + 1);
    from.set(ids[i], (from.get(ids[i]) ?? 0) + 1);
  }
  let sum = 0;
  for (let i = 0; i + 1 < ids.length; i++) {
    const p = ((pair.get(ids[i] * vocab + ids[i + 1]) ?? 0) + alpha) / ((from.get(ids[i]) ?? 0) + alpha * vocab);
    sum -= Math.log(p);
  }
  return sum / (ids.length - 1);
}

/**
 * Copies the trainer's flat parameters into a runtime Model of the same Llama layout (f32 weights, as loadModel
 * reads the embedded model), so the runtime can predict with the trained weights. Only that Model's own arrays
 * change — it must be a private copy (loaded for this purpose), never a model another view uses.
 */
export function loadParamsIntoModel(cfg: TrainModelConfig, params: Float32Array, model: Model): void {
  const layout = paramLayout(cfg);
  const put = (name: string, target: Float32Array | { data: unknown }): void => {
    const slot = layout.byName.get(name);
    if (!slot) throw new Error(`unknown parameter ${name}`);
    const dest = target instanceof Float32Array ? target : target.data;
    if (!(dest instanceof Float32Array) || dest.length !== slot.size) throw new Error(`${name}: the model's weights are not float32 of the trainer's shape`);
    dest.set(params.subarray(slot.offset, slot.offset + slot.size));
  };
  const w = model.weights;
  put('model.embed_tokens.weight', w.embed);
  w.layers.forEach((lw, l) => {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, lw.norm1);
    put(`${p}self_attn.q_proj.weight`, lw.q);
    put(`${p}self_attn.k_proj.weight`, lw.k);
    put(`${p}self_attn.v_proj.weight`, lw.v);
    put(`${p}self_attn.o_proj.weight`, lw.o);
    put(`${p}post_attention_layernorm.weight`, lw.norm2);
    if (!lw.gate || !lw.up || !lw.down) throw new Error('the model has no dense gated MLP');
    put(`${p}mlp.gate_proj.weight`, lw.gate);
    put(`${p}mlp.up_proj.weight`, lw.up);
    put(`${p}mlp.down_proj.weight`, lw.down);
  });
  put('model.norm.weight', w.finalNorm);
  // Tied embeddings: lmHead is the embedding matrix itself (llama.ts), already copied.
}
