// The Concept Lab panel's messages (issue 20): what the host posts (a complete snapshot; every number computed by
// the core in a compute worker) and what the webview may ask (validated here: webview messages are untrusted).
// Imports neither 'vscode' nor the DOM.

/** The lab's pages, in order. */
export const conceptPages = ['rope', 'norm', 'masks', 'train'] as const;

/** One page of the lab. */
export type ConceptPage = (typeof conceptPages)[number];

/** True when `value` names a page. */
export function isConceptPage(value: unknown): value is ConceptPage {
  return typeof value === 'string' && (conceptPages as readonly string[]).includes(value);
}

/** The context-extension methods compared on the RoPE page (the core's RopeExtensionMethod). */
export const conceptExtensionMethods = ['llama3', 'linear', 'ntk', 'dynamic', 'yarn'] as const;

/** Extension factors offered. */
export const conceptExtensionFactors = [2, 4, 8, 16, 32] as const;

/** Steps a live training run may take. */
export const conceptTrainSteps = [20, 60, 150, 300] as const;

/** The model the numbers come from. */
export interface ConceptModelInfo {
  label: string;
  embedded: boolean;
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  intermediate: number;
  contextLength: number;
  positions: 'rope' | 'learned';
  ropeTheta: number;
  /** The model's rope_scaling type ('default' when none). */
  ropeScaling: string;
  ropeStyle: 'half' | 'interleaved';
  norm: 'rms' | 'layer';
  mlp: 'swiglu' | 'geglu' | 'gelu';
  normEps: number;
  slidingWindow?: number;
  slidingWindowLayers?: number[];
}

/** The RoPE page's numbers. */
export interface ConceptRopeView {
  /** ω_i per pair and λ_i = 2π/ω_i. */
  inverseFrequencies: number[];
  wavelengths: number[];
  /** Angles in [0, 2π): anglePositions × pairs, row-major (the slider picks a row). */
  angles: Float32Array;
  anglePositions: number;
  /** RoFormer's decay bound for r = 0 … decay.length − 1. */
  decay: Float32Array;
  /** Each method's wavelengths for the chosen factor, with the original context L = contextLength. */
  extension: {
    factor: number;
    originalContext: number;
    methods: { method: (typeof conceptExtensionMethods)[number]; wavelengths: number[]; attentionFactor: number }[];
    /** Llama 3's band per pair. */
    llama3Bands: ('high' | 'mid' | 'low')[];
  };
  /** One head's q·k by distance on the text (absent for learned positions). */
  qk?: {
    withRope: Float32Array;
    withoutRope: Float32Array;
    pairs: Int32Array;
    fixedWithRope: Float32Array;
    fixedWithoutRope: number;
  };
}

/** The RMSNorm/SwiGLU page's numbers for one token at one layer. */
export interface ConceptNormView {
  kind: 'rms' | 'layer';
  mean: number;
  rms: number;
  std: number;
  rmsNormalized: number;
  rmsAfterGain: number;
  meanAfter: number;
  gainMean: number;
  gainMin: number;
  gainMax: number;
  opsRms: number;
  opsLayer: number;
  /** The input vector, the RMSNorm output and LayerNorm's output with the same gain. */
  input: Float32Array;
  rmsOut: Float32Array;
  layerOut: Float32Array;
  mlp?: {
    activation: 'silu' | 'gelu';
    gate: Float32Array;
    up: Float32Array;
    act: Float32Array;
    product: Float32Array;
    histogram: { min: number; max: number; counts: Int32Array };
    sparsity: { negative: number; small: number };
  };
  /** SiLU, GELU (tanh) and ReLU sampled over x. */
  curves: { x: Float32Array; silu: Float32Array; gelu: Float32Array; relu: Float32Array };
}

/** The masks page: each mask over the text's tokens. */
export interface ConceptMasksView {
  masks: { kind: 'causal' | 'bidirectional' | 'sliding' | 'padding' | 'encoderDecoder'; rows: number; cols: number; allowed: Uint8Array; encoderTokens?: number; padTokens?: number }[];
  /** The window drawn: the model's own, or an example when the model has none. */
  window: number;
  windowFromModel: boolean;
}

/** One position's next token before and after training. */
export interface ConceptPrediction {
  position: number;
  actual: string;
  before: string;
  after: string;
  /** Probability of the actual next token before and after. */
  pBefore: number;
  pAfter: number;
}

/** The live training page. */
export interface ConceptTrainView {
  state: 'idle' | 'running' | 'done' | 'cancelled';
  steps: number;
  /** Loss of each step so far (mean nats per predicted token). */
  losses: number[];
  lossBefore?: number;
  lossAfter?: number;
  bigram?: number;
  /** Token count of the text the model trains on. */
  tokens?: number;
  predictions?: ConceptPrediction[];
}

/** Everything the Concept Lab draws. */
export interface ConceptLabSnapshot {
  page: ConceptPage;
  model: ConceptModelInfo;
  /** What the text is: the selection in a file, or the built-in sample. */
  textLabel: string;
  /** The user's text and its label (undefined for the sample): the webview saves them so a reload reads the same text. */
  restore?: { text: string; label?: string };
  /** Token labels of the text (as the model's tokenizer splits it), capped for drawing. */
  tokens: string[];
  /** Tokens the model actually read (may exceed tokens.length). */
  tokenCount: number;
  probe: { layer: number; head: number; token: number };
  rope: ConceptRopeView;
  norm: ConceptNormView;
  masks: ConceptMasksView;
  train: ConceptTrainView;
}

/** Concept Lab requests. */
export type ConceptLabRequest =
  /** Show another page. */
  | { type: 'setPage'; page: ConceptPage }
  /** Read another layer / head / token of the model (validated against the model's sizes by the host). */
  | { type: 'setProbe'; layer: number; head: number; token: number }
  /** Compare the context extensions at another factor. */
  | { type: 'setExtension'; factor: number }
  /** Train the embedded model on the text for `steps` steps. */
  | { type: 'train'; steps: number }
  /** Run "LLM Lens: Choose Model". */
  | { type: 'chooseModel' };

function int(value: unknown, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
}

/** Validates a Concept Lab request. */
export function parseConceptLabRequest(m: Record<string, unknown>): ConceptLabRequest | undefined {
  switch (m.type) {
    case 'setPage':
      return isConceptPage(m.page) ? { type: 'setPage', page: m.page } : undefined;
    case 'setProbe': {
      const layer = int(m.layer, 4096);
      const head = int(m.head, 4096);
      const token = int(m.token, 1_000_000);
      return layer === undefined || head === undefined || token === undefined ? undefined : { type: 'setProbe', layer, head, token };
    }
    case 'setExtension':
      return (conceptExtensionFactors as readonly unknown[]).includes(m.factor) ? { type: 'setExtension', factor: m.factor as number } : undefined;
    case 'train':
      return (conceptTrainSteps as readonly unknown[]).includes(m.steps) ? { type: 'train', steps: m.steps as number } : undefined;
    case 'chooseModel':
      return { type: 'chooseModel' };
    default:
      return undefined;
  }
}
