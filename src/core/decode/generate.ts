// Decoding with the runtime's KV cache: greedy, seeded sampling and beam search (architecture.md,
// "Round 2 extensions"). The prompt is fed once; each new token is one forward step of one position.
// As in transformers' generate (src/transformers/generation/utils.py), the warpers (temperature, top-k,
// top-p, min-p) only shape sampling; greedy and beam search see the repetition penalty alone. Beam search
// ranks by the sum of log-probabilities with no length penalty; a beam that emits a stop token is finished,
// keeps its score and competes with the live beams for the W places (extending a live beam only lowers its
// score, so the search ends when the W best are all finished). Beams share the prompt's cache via clone().
import { Prng } from '../train/prng';
import { AttentionCancelledError, AttentionInputError } from '../model/errors';
import type { Model } from '../model/load';
import type { KvCache } from '../model/kvCache';
import { createKvCache, forward } from '../model/runtime';
import { applyRepetitionPenalty, drawFrom, entropy, processLogits, softmax, validateSettings, type ProcessedLogits } from './processors';

/** How `generate` chooses tokens (architecture.md). */
export interface GenerateOptions {
  strategy: 'greedy' | 'sample' | 'beam';
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  beamWidth?: number;
  seed?: number;
  /** Added to the model's own EOS id(s), which always stop. */
  stopTokenIds?: number[];
  onStep?: (step: number) => void;
  /** Polled between steps and layers; when true, generate returns what was made with cancelled: true. */
  isCancelled?: () => boolean;
}

/** One candidate token of a step. */
export interface Candidate {
  id: number;
  /** Logit after the repetition penalty and the temperature. */
  logit: number;
  /** Softmax before the cuts. */
  probBefore: number;
  /** Renormalised after top-k / top-p / min-p (0 when cut). */
  prob: number;
  /** Survived top-k, top-p and min-p. */
  kept: boolean;
}

/** A beam: its new tokens and the sum of their log-probabilities. */
export interface Beam {
  tokenIds: number[];
  logProb: number;
}

/** One new token's step. */
export interface GenerationStep {
  /** The top candidates (best first; the chosen one is always included). */
  candidates: Candidate[];
  chosen: number;
  /** 'beam': the W best beams after this step (live and finished), best first. */
  beams?: Beam[];
  /** Entropy (nats) of the distribution the token was chosen from (an extension of the declared type). */
  entropy?: number;
}

/** The result of `generate` (architecture.md). */
export interface Generation {
  /** The new tokens (the best beam for 'beam'); a stop token that ended the run is included. */
  tokenIds: number[];
  cancelled?: boolean;
  steps: GenerationStep[];
  /** 'beam': final beams, best first. */
  beams?: Beam[];
  /** What the cache really held at the end (for beams: every live beam's cache, batch = their number). */
  kvCache: { positions: number; batch: number; bytesPerElement: number; bytes: number };
}

/** Candidates shown per step. */
export const CANDIDATES_PER_STEP = 20;

/** The model's EOS id(s): config.json `eos_token_id` (a number or a list). */
export function eosTokenIds(model: Model): number[] {
  const raw: unknown = (model.config as { eosTokenId?: unknown; eosTokenIds?: unknown }).eosTokenIds ?? model.config.eosTokenId;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((id): id is number => typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < model.config.vocab);
}

function validate(model: Model, promptIds: readonly number[], o: GenerateOptions): void {
  if (promptIds.length === 0) throw new AttentionInputError('generate needs a prompt of at least one token');
  if (!['greedy', 'sample', 'beam'].includes(o.strategy)) throw new AttentionInputError(`unknown strategy ${String(o.strategy)}`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new AttentionInputError(`maxNewTokens must be a whole number ≥ 1, got ${o.maxNewTokens}`);
  if (o.beamWidth !== undefined && !(Number.isInteger(o.beamWidth) && o.beamWidth >= 1)) throw new AttentionInputError(`beamWidth must be a whole number ≥ 1, got ${o.beamWidth}`);
  try {
    validateSettings(o);
  } catch (e) {
    throw new AttentionInputError((e as Error).message);
  }
  for (const id of o.stopTokenIds ?? []) {
    if (!Number.isInteger(id) || id < 0 || id >= model.config.vocab) throw new AttentionInputError(`stop token id ${id} is outside the vocabulary (0..${model.config.vocab - 1})`);
  }
}

/** The top candidates of a processed distribution (by probability before the cuts), plus `chosen` if missing. */
function candidatesOf(p: ProcessedLogits, chosen: number): Candidate[] {
  const n = p.scores.length;
  const k = Math.min(CANDIDATES_PER_STEP, n);
  // Partial selection: k passes are cheap next to a forward step (vocab × hidden).
  const ids = Array.from({ length: n }, (_, i) => i).sort((a, b) => p.scores[b] - p.scores[a] || a - b).slice(0, k);
  if (!ids.includes(chosen)) ids.push(chosen);
  return ids.map((id) => ({ id, logit: p.scores[id], probBefore: p.probBefore[id], prob: p.prob[id], kept: p.kept[id] === 1 }));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function cacheReport(caches: readonly KvCache[]): Generation['kvCache'] {
  return { positions: caches[0]?.length ?? 0, batch: caches.length, bytesPerElement: 4, bytes: caches.reduce((s, c) => s + c.bytes, 0) };
}

/** Generates up to `maxNewTokens` tokens after `promptIds` with a KV cache (architecture.md). */
export async function generate(model: Model, promptIds: number[], opts: GenerateOptions): Promise<Generation> {
  validate(model, promptIds, opts);
  const stops = new Set([...eosTokenIds(model), ...(opts.stopTokenIds ?? [])]);
  try {
    return opts.strategy === 'beam' ? await beamSearch(model, promptIds, opts, stops) : await rollout(model, promptIds, opts, stops);
  } catch (e) {
    // Cancelled inside a forward pass before anything was made: an empty, cancelled generation.
    if (e instanceof AttentionCancelledError) return { tokenIds: [], cancelled: true, steps: [], kvCache: { positions: 0, batch: 0, bytesPerElement: 4, bytes: 0 } };
    throw e;
  }
}

/** Greedy or sampling: one sequence, one cache. */
async function rollout(model: Model, promptIds: number[], o: GenerateOptions, stops: Set<number>): Promise<Generation> {
  const sample = o.strategy === 'sample';
  const prng = new Prng(o.seed ?? 0);
  const cache = createKvCache(model);
  const isCancelled = o.isCancelled;
  let logits = (await forward(model, promptIds, { cache, isCancelled })).logits;
  const history = [...promptIds];
  const made: number[] = [];
  const steps: GenerationStep[] = [];
  let cancelled = false;
  for (;;) {
    const p = processLogits(logits, history, sample ? o : { repetitionPenalty: o.repetitionPenalty }, sample);
    const chosen = sample ? drawFrom(p.prob, prng.next()) : argmax(p.scores);
    steps.push({ candidates: candidatesOf(p, chosen), chosen, entropy: entropy(p.prob) });
    made.push(chosen);
    history.push(chosen);
    o.onStep?.(steps.length);
    if (stops.has(chosen) || made.length >= o.maxNewTokens) break;
    if (o.isCancelled?.()) {
      cancelled = true;
      break;
    }
    try {
      logits = (await forward(model, [chosen], { cache, isCancelled })).logits;
    } catch (e) {
      if (!(e instanceof AttentionCancelledError)) throw e;
      // The step's K/V rows were appended but not committed: the cache still holds the positions before it.
      cancelled = true;
      break;
    }
  }
  return { tokenIds: made, ...(cancelled ? { cancelled } : {}), steps, kvCache: cacheReport([cache]) };
}

interface LiveBeam extends Beam {
  cache?: KvCache;
  logits?: Float32Array;
  finished: boolean;
}

/** Beam search: W beams ranked by the sum of log-probabilities; each live beam owns a cache cloned from its parent's. */
async function beamSearch(model: Model, promptIds: number[], o: GenerateOptions, stops: Set<number>): Promise<Generation> {
  const width = o.beamWidth ?? 4;
  const isCancelled = o.isCancelled;
  const promptCache = createKvCache(model);
  const first = (await forward(model, promptIds, { cache: promptCache, isCancelled })).logits;
  let beams: LiveBeam[] = [{ tokenIds: [], logProb: 0, cache: promptCache, logits: first, finished: false }];
  let held: Generation['kvCache'] = cacheReport([promptCache]);
  const steps: GenerationStep[] = [];
  let cancelled = false;
  for (let step = 0; step < o.maxNewTokens; step++) {
    const pool: { parent: LiveBeam; token: number; logProb: number; finished: boolean }[] = [];
    let shown: { p: ProcessedLogits; parent: LiveBeam } | undefined;
    for (const beam of beams) {
      if (beam.finished || !beam.logits) {
        pool.push({ parent: beam, token: -1, logProb: beam.logProb, finished: true });
        continue;
      }
      const scores = applyRepetitionPenalty(beam.logits, [...promptIds, ...beam.tokenIds], o.repetitionPenalty ?? 1);
      const probs = softmax(scores);
      if (!shown) shown = { p: { scores, probBefore: probs, kept: new Uint8Array(scores.length).fill(1), prob: probs }, parent: beam };
      // Only a beam's 2W best tokens can make the W best overall (as transformers' top-2·num_beams).
      const best = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, 2 * width);
      for (const token of best) pool.push({ parent: beam, token, logProb: beam.logProb + Math.log(probs[token]), finished: stops.has(token) });
    }
    if (!shown) break; // every beam finished
    pool.sort((a, b) => b.logProb - a.logProb);
    const top = pool.slice(0, width);
    // New beams; a parent's cache goes to its first live child and is cloned for the others.
    const handedOut = new Set<LiveBeam>();
    const next: LiveBeam[] = top.map((c) => {
      if (c.token < 0) return c.parent;
      const tokenIds = [...c.parent.tokenIds, c.token];
      if (c.finished) return { tokenIds, logProb: c.logProb, finished: true };
      let cache: KvCache | undefined;
      if (!handedOut.has(c.parent)) {
        handedOut.add(c.parent);
        cache = c.parent.cache;
      } else cache = c.parent.cache?.clone();
      return { tokenIds, logProb: c.logProb, cache, finished: false };
    });
    const bestBeam = next[0];
    const chosen = bestBeam.tokenIds[bestBeam.tokenIds.length - 1];
    steps.push({
      candidates: candidatesOf(shown.p, chosen),
      chosen,
      beams: next.map((b) => ({ tokenIds: [...b.tokenIds], logProb: b.logProb })),
      entropy: entropy(shown.p.prob),
    });
    beams = next;
    o.onStep?.(steps.length);
    const live = beams.filter((b) => !b.finished);
    if (live.length === 0 || step === o.maxNewTokens - 1) break;
    if (o.isCancelled?.()) {
      cancelled = true;
      break;
    }
    try {
      for (const b of live) b.logits = (await forward(model, [b.tokenIds[b.tokenIds.length - 1]], { cache: b.cache, isCancelled })).logits;
    } catch (e) {
      if (!(e instanceof AttentionCancelledError)) throw e;
      cancelled = true;
      break;
    }
    held = cacheReport(live.map((b) => b.cache as KvCache));
  }
  const final = beams.map((b) => ({ tokenIds: b.tokenIds, logProb: b.logProb })).sort((a, b) => b.logProb - a.logProb);
  return { tokenIds: final[0]?.tokenIds ?? [], ...(cancelled ? { cancelled } : {}), steps, beams: final, kvCache: held };
}
