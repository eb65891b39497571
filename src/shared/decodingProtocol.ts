// The Decoding panel's messages (issue 17): what the host posts (a complete snapshot) and what the webview
// may ask (validated here: webview messages are untrusted). Imports neither 'vscode' nor the DOM.
import type { AttentionModelInfo } from './protocol';

/** The decoding strategies. */
export const decodingStrategies = ['greedy', 'sample', 'beam'] as const;

/** One of the decoding strategies. */
export type DecodingStrategy = (typeof decodingStrategies)[number];

/** Bounds of each setting (the validator and the webview's messages use them). */
export const DECODING_LIMITS = {
  temperature: [0.05, 5],
  topK: [0, 1000],
  topP: [0.01, 1],
  minP: [0, 1],
  repetitionPenalty: [0.5, 3],
  beamWidth: [1, 8],
  maxNewTokens: [1, 256],
  seed: [0, 2 ** 31 - 1],
} as const;

/** The controls of a generation. */
export interface DecodingSettings {
  strategy: DecodingStrategy;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP: number;
  /** 1 = off. */
  repetitionPenalty: number;
  beamWidth: number;
  maxNewTokens: number;
  seed: number;
}

/** One candidate token of a step, as shown. */
export interface DecodingCandidate {
  id: number;
  text: string;
  /** Logit after the repetition penalty and the temperature. */
  logit: number;
  probBefore: number;
  prob: number;
  kept: boolean;
}

/** A beam at one step: its tokens (ids and text) and the sum of their log-probabilities. */
export interface DecodingBeam {
  ids: number[];
  texts: string[];
  logProb: number;
}

/** One step of the generation. */
export interface DecodingStep {
  /** Best first (by logit). */
  candidates: DecodingCandidate[];
  chosen: number;
  chosenText: string;
  /** Probability of the chosen token in the distribution it was picked from. */
  chosenProb: number;
  /** Entropy (nats) of that distribution. */
  entropy: number;
  /** How many candidates (from the top) the top-k cut keeps; undefined when top-k is off or keeps all shown. */
  topKCount?: number;
  /** How many candidates the nucleus keeps (cumulative probability reaching p); undefined when off or beyond those shown. */
  topPCount?: number;
  /** The min-p threshold in probBefore units (min-p × the best probability); undefined when off. */
  minPThreshold?: number;
  beams?: DecodingBeam[];
}

/** A finished (or cancelled) generation. */
export interface DecodingResult {
  settings: DecodingSettings;
  steps: DecodingStep[];
  /** The new text (the best beam for beam search). */
  text: string;
  /** Final beams, best first ('beam'). */
  beams?: DecodingBeam[];
  stoppedBy: 'eos' | 'stop' | 'length' | 'cancelled';
  /** What the cache held at the end and the formula's bytes for the same positions and batch. */
  kvCache: { positions: number; batch: number; bytes: number; formulaBytes: number; bytesPerToken: number };
  /**
   * Measured new tokens per second: the whole run (prompt pass and bookkeeping included), and the steady cost of
   * one step on the same tokens with the cache (one position) and without it (the whole sequence recomputed).
   */
  speed: { run: number; cached?: number; uncached?: number; measuredTokens: number };
  elapsedMs: number;
}

/** Everything the Decoding panel draws. */
export interface DecodingSnapshot {
  model: { label: string; source: AttentionModelInfo['source']; layers: number; heads: number; kvHeads: number; headDim: number; contextLength: number; eos: string[] };
  prompt: string;
  promptTokens: number;
  /** Settings the controls show. */
  settings: DecodingSettings;
  /** Messages about this run that are not errors (no EOS, max new tokens capped by the context). */
  notices: string[];
  result?: DecodingResult;
  /** The second column of a comparison: its settings (same prompt, seed and max new tokens) and its result. */
  compare?: { settings: DecodingSettings; result: DecodingResult };
  /** Whether an editor is there to insert into. */
  canInsert: boolean;
  /**
   * The chat-template toggle: available when the model has a chat template (else `reason` says why not);
   * `on` when this run wrapped the selection as a user message; `rendered` is then the prompt the model read.
   */
  chat: { available: boolean; on: boolean; reason?: string; rendered?: string };
}

/** Decoding panel requests. */
export type DecodingRequest =
  /**
   * Generate again on the same prompt with these settings (`chat`: wrap it in the model's chat template);
   * `compare`: also with these second settings, side by side (the seed and max new tokens are the first's).
   */
  | { type: 'generate'; settings: DecodingSettings; chat: boolean; compare?: DecodingSettings }
  /** Open the Attention panel on the prompt (as the model read it) plus the generated text. */
  | { type: 'openAttention' }
  /** Copy the generated text to the clipboard. */
  | { type: 'copy' }
  /** Insert the generated text at the cursor of the editor the prompt came from. */
  | { type: 'insert' }
  /** Run "LLM Lens: Choose Model". */
  | { type: 'chooseModel' };

/** The default settings (greedy: the deterministic preset). */
export const defaultDecodingSettings: DecodingSettings = {
  strategy: 'greedy', temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, beamWidth: 3, maxNewTokens: 32, seed: 0,
};

function inRange(value: unknown, [min, max]: readonly [number, number], integer: boolean): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) return undefined;
  return integer && !Number.isInteger(value) ? undefined : value;
}

/** Validates settings from a webview (or saved state); undefined when anything is malformed or out of range. */
export function parseDecodingSettings(raw: unknown): DecodingSettings | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  const L = DECODING_LIMITS;
  const strategy = typeof m.strategy === 'string' && (decodingStrategies as readonly string[]).includes(m.strategy) ? (m.strategy as DecodingStrategy) : undefined;
  const s = {
    strategy,
    temperature: inRange(m.temperature, L.temperature, false),
    topK: inRange(m.topK, L.topK, true),
    topP: inRange(m.topP, L.topP, false),
    minP: inRange(m.minP, L.minP, false),
    repetitionPenalty: inRange(m.repetitionPenalty, L.repetitionPenalty, false),
    beamWidth: inRange(m.beamWidth, L.beamWidth, true),
    maxNewTokens: inRange(m.maxNewTokens, L.maxNewTokens, true),
    seed: inRange(m.seed, L.seed, true),
  };
  return Object.values(s).some((v) => v === undefined) ? undefined : (s as DecodingSettings);
}

/** Validates a Decoding panel request. */
export function parseDecodingRequest(m: Record<string, unknown>): DecodingRequest | undefined {
  switch (m.type) {
    case 'generate': {
      const settings = parseDecodingSettings(m.settings);
      if (m.chat !== undefined && typeof m.chat !== 'boolean') return undefined;
      if (!settings) return undefined;
      if (m.compare === undefined) return { type: 'generate', settings, chat: m.chat === true };
      const compare = parseDecodingSettings(m.compare);
      return compare ? { type: 'generate', settings, chat: m.chat === true, compare } : undefined;
    }
    case 'openAttention':
    case 'copy':
    case 'insert':
    case 'chooseModel':
      return { type: m.type };
    default:
      return undefined;
  }
}
