// The Concept Lab's worker jobs (issue 20). conceptProbe: load the model (cached per worker), tokenize the text
// with its tokenizer, run one forward pass with the hooks (probeConcepts) and compute every page's numbers with
// the core's concept functions. conceptTrain: train a private copy of the embedded model's weights on the text
// (trainOnText), streaming each step's loss as progress; cancel is cooperative (a shared flag) so a cancelled run
// keeps the steps it made. Nothing is written: the shipped files are only read.
import { loadModel, type Model } from '../core/model/load';
import { sessionModel } from './modelSession';
import { forward } from '../core/model/runtime';
import { probeConcepts } from '../core/concepts/probe';
import { extendedInverseFrequencies, llama3Bands, ropeAngleTable, ropeDecayBound, ropePairFrequencies, ropeWavelengths } from '../core/concepts/rope';
import { activationCurves } from '../core/concepts/normMlp';
import { attentionMask, maskKinds } from '../core/concepts/masks';
import { bigramLoss, loadParamsIntoModel, trainOnText } from '../core/concepts/liveTraining';
import { loadTrainModel } from '../core/train/hf';
import { conceptExtensionMethods, type ConceptMasksView, type ConceptModelInfo, type ConceptNormView, type ConceptPrediction, type ConceptRopeView } from '../shared/conceptLabProtocol';
import type { ReportProgress } from './workerHost';

/** What the host asks the probe for. */
export interface ConceptProbeInput {
  dir: string;
  text: string;
  layer: number;
  head: number;
  token: number;
  factor: number;
  /** The token cap (llmLens.attention.maxTokens); the model's context caps it too. */
  maxTokens: number;
}

/** The probe's answer: every page's numbers, or why not. */
export type ConceptProbeOutput =
  | { kind: 'refused'; reason: 'noTokenizer' | 'emptyText' }
  | {
    kind: 'done'; model: Omit<ConceptModelInfo, 'label' | 'embedded'>; tokens: string[]; tokenCount: number; readTokens: number;
    probe: { layer: number; head: number; token: number }; rope: ConceptRopeView; norm: ConceptNormView; masks: ConceptMasksView;
  };

/** Masks are drawn over at most this many tokens (a readable grid). */
export const MASK_TOKENS = 24;
/** The sliding window drawn when the model has none (an example, said so). */
const EXAMPLE_WINDOW = 4;

// The process's one model (modelSession): loaded with the memory budget and shared with the other panels' jobs,
// never a second copy of the same weights.
function modelOf(dir: string): Promise<Model> {
  return sessionModel(dir);
}

function modelInfo(model: Model): Omit<ConceptModelInfo, 'label' | 'embedded'> {
  const c = model.config;
  return {
    modelType: c.modelType, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, hidden: c.hidden,
    intermediate: c.intermediate, contextLength: c.maxPositions, positions: c.block.positions, ropeTheta: c.ropeTheta,
    ropeScaling: c.ropeScaling.type, ropeStyle: c.block.ropeStyle, norm: c.block.norm, mlp: c.block.mlp, normEps: c.normEps,
    slidingWindow: c.slidingWindow, slidingWindowLayers: c.slidingWindowLayers,
  };
}

/** The RoPE page's model-independent numbers for a head size and base (the q·k curve is added by the probe). */
export function ropeView(headDim: number, theta: number, context: number, factor: number): ConceptRopeView {
  const inv = ropePairFrequencies(headDim, theta);
  const anglePositions = Math.max(2, Math.min(context, 512));
  const ext = { factor, originalContext: context };
  return {
    inverseFrequencies: Array.from(inv),
    wavelengths: Array.from(ropeWavelengths(inv)),
    angles: ropeAngleTable(inv, anglePositions),
    anglePositions,
    decay: Float32Array.from(ropeDecayBound(inv, Math.max(64, Math.min(4096, 4 * context)))),
    extension: {
      factor, originalContext: context,
      methods: conceptExtensionMethods.map((method) => {
        const r = extendedInverseFrequencies(method, headDim, theta, ext);
        return { method, wavelengths: Array.from(ropeWavelengths(r.inverseFrequencies)), attentionFactor: r.attentionFactor };
      }),
      llama3Bands: llama3Bands(headDim, theta, ext),
    },
  };
}

/** Loads the model, reads the text and computes every page. */
export async function conceptProbeJob(input: ConceptProbeInput, progress: ReportProgress): Promise<ConceptProbeOutput> {
  progress(0);
  const model = await modelOf(input.dir);
  const c = model.config;
  const tokenizer = model.tokenizer;
  if (!tokenizer) return { kind: 'refused', reason: 'noTokenizer' };
  const all = tokenizer.encode(input.text);
  if (all.length === 0) return { kind: 'refused', reason: 'emptyText' };
  const ids = all.slice(0, Math.max(1, Math.min(input.maxTokens, c.maxPositions)));
  const layer = Math.min(Math.max(0, input.layer), c.layers - 1);
  const head = Math.min(Math.max(0, input.head), c.heads - 1);
  const token = Math.min(Math.max(0, input.token), ids.length - 1);
  progress(0.2);
  const probe = await probeConcepts(model, ids, { layer, head, token });
  const rope = ropeView(c.headDim, c.ropeTheta > 0 ? c.ropeTheta : 10000, c.maxPositions, input.factor);
  if (probe.qk) {
    rope.qk = {
      withRope: Float32Array.from(probe.qk.withRope), withoutRope: Float32Array.from(probe.qk.withoutRope), pairs: probe.qk.pairs,
      fixedWithRope: Float32Array.from(probe.qk.fixedWithRope), fixedWithoutRope: probe.qk.fixedWithoutRope,
    };
  }
  const n = probe.norm;
  const norm: ConceptNormView = {
    kind: probe.normKind, mean: n.mean, rms: n.rms, std: n.std, rmsNormalized: n.rmsNormalized, rmsAfterGain: n.rmsAfterGain,
    meanAfter: n.meanAfter, gainMean: n.gainMean, gainMin: n.gainMin, gainMax: n.gainMax, opsRms: n.opsRms, opsLayer: n.opsLayer,
    input: n.input, rmsOut: n.rmsOut, layerOut: n.layerOut, curves: activationCurves(),
    mlp: probe.mlp && {
      activation: probe.mlp.activation, gate: probe.mlp.token.gate, up: probe.mlp.token.up, act: probe.mlp.token.act,
      product: probe.mlp.token.product, histogram: probe.mlp.gateHistogram, sparsity: probe.mlp.sparsity,
    },
  };
  const shown = Math.min(ids.length, MASK_TOKENS);
  const window = c.slidingWindow ?? EXAMPLE_WINDOW;
  const masks: ConceptMasksView = {
    masks: maskKinds.map((kind) => attentionMask(kind, shown, { window, pad: 2 })),
    window, windowFromModel: c.slidingWindow !== undefined,
  };
  progress(1);
  return {
    kind: 'done', model: modelInfo(model), tokens: ids.slice(0, 256).map((id) => tokenizer.label(id)), tokenCount: all.length, readTokens: ids.length,
    probe: { layer, head, token }, rope, norm, masks,
  };
}

/** What the host asks a live training run for. */
export interface ConceptTrainInput {
  /** The embedded model's folder (the only model the trainer runs). */
  dir: string;
  text: string;
  steps: number;
  /** Int32Array over a SharedArrayBuffer: the host stores 1 to cancel. */
  cancelFlag?: Int32Array;
}

/** A live run's result. */
export type ConceptTrainOutput =
  | { kind: 'refused'; reason: 'tooShort' | 'noTokenizer' }
  | { kind: 'done'; tokens: number; losses: number[]; lossBefore: number; lossAfter: number; bigram: number; cancelled: boolean; predictions: ConceptPrediction[] };

/** Progress detail of a step (JSON in the progress message). */
export interface ConceptTrainProgress {
  step: number;
  loss: number;
}

/** Tokens of the text a live run trains on, at most. */
const TRAIN_TOKENS = 1024;

/** Predictions shown before/after (the first positions of the text). */
const PREDICTIONS = 16;

async function predictions(model: Model, ids: number[]): Promise<{ top: number[]; pActual: number[] }> {
  const run = await forward(model, ids, { logits: 'all' });
  const V = model.config.vocab;
  const top: number[] = [];
  const pActual: number[] = [];
  for (let t = 0; t + 1 < ids.length && t < PREDICTIONS; t++) {
    const row = run.logits.subarray(t * V, (t + 1) * V);
    let best = 0;
    for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
    let z = 0;
    for (let j = 0; j < V; j++) z += Math.exp(row[j] - row[best]);
    top.push(best);
    pActual.push(Math.exp(row[ids[t + 1]] - row[best]) / z);
  }
  return { top, pActual };
}

/** Trains a copy of the embedded model on the text and reports the loss of each step. */
export async function conceptTrainJob(input: ConceptTrainInput, progress: ReportProgress): Promise<ConceptTrainOutput> {
  progress(0);
  // A private Model: its weight arrays are overwritten with the trained ones below (never the probe's cached one).
  const model = await loadModel(input.dir);
  const tokenizer = model.tokenizer;
  if (!tokenizer) return { kind: 'refused', reason: 'noTokenizer' };
  // The first tokens only: a few hundred steps see them many times, and the loss over them stays quick to measure.
  const ids = tokenizer.encode(input.text).slice(0, TRAIN_TOKENS);
  if (ids.length < 3) return { kind: 'refused', reason: 'tooShort' };
  const { cfg, params } = loadTrainModel(input.dir);
  const shown = ids.slice(0, Math.min(ids.length, cfg.maxPositions));
  const before = await predictions(model, shown);
  const flag = input.cancelFlag;
  const result = trainOnText(cfg, params, ids, {
    steps: input.steps,
    onStep: (step, loss) => progress(step / input.steps, JSON.stringify({ step, loss } satisfies ConceptTrainProgress)),
    isCancelled: () => flag !== undefined && Atomics.load(flag, 0) === 1,
  });
  loadParamsIntoModel(cfg, result.params, model);
  const after = await predictions(model, shown);
  const label = (id: number): string => tokenizer.label(id);
  return {
    kind: 'done', tokens: ids.length, losses: result.stepLosses, lossBefore: result.lossBefore, lossAfter: result.lossAfter,
    bigram: bigramLoss(ids, cfg.vocabSize), cancelled: result.cancelled,
    predictions: before.top.map((b, t) => ({
      position: t, actual: label(shown[t + 1]), before: label(b), after: label(after.top[t]), pBefore: before.pActual[t], pAfter: after.pActual[t],
    })),
  };
}
