// The Decoding panel's job (in the model process): load the model (one per process, see modelSession), tokenize the prompt with the model's
// own tokenizer, refuse what cannot run (no tokenizer, a prompt past the context or the token cap), generate
// with the KV cache, then measure the same tokens without the cache (full recomputation) for the speed line.
// Cancel is cooperative (the job's signal, set by a message from the host) so a cancelled run still returns the
// tokens made so far.
import { generate, eosTokenIds, type Generation } from '../core/decode/generate';
import { candidateCutoffs } from '../core/decode/cutoffs';
import { kvBytesPerToken, kvCacheBytes } from '../core/kvcache/bytes';
import type { Model } from '../core/model/load';
import { createKvCache, forward, nextTokenLogits } from '../core/model/runtime';
import type { DecodingBeam, DecodingResult, DecodingSettings, DecodingStep } from '../shared/decodingProtocol';
import { sessionModel } from './modelSession';
import type { JobSignal, ReportProgress } from './workerHost';

/** What the host asks for. */
export interface DecodeJobInput {
  dir: string;
  text: string;
  settings: DecodingSettings;
  /** The token cap for prompts (the llmLens.attention.maxTokens setting). */
  maxPromptTokens: number;
  /** Add the tokenizer's special tokens (BOS…); false for a chat-template rendering, which carries its own (as transformers' apply_chat_template). */
  addSpecialTokens?: boolean;
}

/** Facts about the model the panel shows. */
export interface DecodeModelFacts {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  contextLength: number;
  eos: string[];
}

/** What the worker sends back: a result, or why it refused (the host words the message). */
export type DecodeJobOutput =
  | { kind: 'refused'; reason: 'noTokenizer' | 'emptyPrompt' | 'promptTooLong' | 'tokenCap'; tokens: number; limit: number; model?: DecodeModelFacts }
  | { kind: 'done'; model: DecodeModelFacts; promptTokens: number; cappedNewTokens?: number; result: DecodingResult };

/** Progress detail the host turns into a localized line: tokens made, of how many, and the cache's bytes now. */
export interface DecodeProgress {
  step: number;
  total: number;
  cacheBytes: number;
}

/** New tokens timed with and without the cache for the speed line. */
const MEASURED_TOKENS = 8;

function facts(model: Model): DecodeModelFacts {
  const c = model.config;
  return {
    layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, contextLength: c.maxPositions,
    eos: eosTokenIds(model).map((id) => model.tokenizer?.label(id) ?? `#${id}`),
  };
}

/** Loads the model (or reuses it), tokenizes the prompt and generates. */
export async function decodeJob(input: DecodeJobInput, progress: ReportProgress, signal?: JobSignal): Promise<DecodeJobOutput> {
  progress(0);
  const model = await sessionModel(input.dir);
  const info = facts(model);
  const tokenizer = model.tokenizer;
  if (!tokenizer) return { kind: 'refused', reason: 'noTokenizer', tokens: 0, limit: 0, model: info };
  const ids = tokenizer.encode(input.text, { addSpecialTokens: input.addSpecialTokens !== false });
  const context = model.config.maxPositions;
  if (ids.length === 0) return { kind: 'refused', reason: 'emptyPrompt', tokens: 0, limit: context, model: info };
  if (ids.length > input.maxPromptTokens) return { kind: 'refused', reason: 'tokenCap', tokens: ids.length, limit: input.maxPromptTokens, model: info };
  if (ids.length >= context) return { kind: 'refused', reason: 'promptTooLong', tokens: ids.length, limit: context, model: info };
  const s = input.settings;
  const maxNewTokens = Math.min(s.maxNewTokens, context - ids.length);
  const cancelled = (): boolean => signal?.isCancelled() === true;
  const perPosition = kvBytesPerToken(model.shape, 4);
  const started = performance.now();
  const gen = await generate(model, ids, {
    strategy: s.strategy, maxNewTokens, temperature: s.temperature, topK: s.topK, topP: s.topP, minP: s.minP,
    repetitionPenalty: s.repetitionPenalty, beamWidth: s.beamWidth, seed: s.seed,
    isCancelled: cancelled,
    onStep: (step) => {
      const detail: DecodeProgress = { step, total: maxNewTokens, cacheBytes: (s.strategy === 'beam' ? s.beamWidth : 1) * perPosition * (ids.length + step) };
      progress(step / maxNewTokens, JSON.stringify(detail));
    },
  });
  const elapsedMs = performance.now() - started;
  const made = gen.steps.length;
  const measured = cancelled() || made === 0 ? undefined : await measureSteps(model, ids, gen.tokenIds, cancelled);
  const label = (id: number): string => tokenizer.label(id);
  const result: DecodingResult = {
    settings: s,
    steps: gen.steps.map((step) => toStep(step, s, label)),
    text: gen.tokenIds.map(label).join(''),
    beams: gen.beams?.map((b) => beamOf(b, label)),
    stoppedBy: stopReason(gen, model),
    kvCache: {
      positions: gen.kvCache.positions, batch: gen.kvCache.batch, bytes: gen.kvCache.bytes,
      formulaBytes: gen.kvCache.batch === 0 ? 0 : kvCacheBytes(model.shape, { seqLen: gen.kvCache.positions, batch: gen.kvCache.batch, bytesPerElement: 4 }),
      bytesPerToken: perPosition,
    },
    speed: { run: made / (elapsedMs / 1000), cached: measured?.cached, uncached: measured?.uncached, measuredTokens: measured?.tokens ?? 0 },
    elapsedMs,
  };
  return { kind: 'done', model: info, promptTokens: ids.length, cappedNewTokens: maxNewTokens < s.maxNewTokens ? maxNewTokens : undefined, result };
}

function stopReason(gen: Generation, model: Model): DecodingResult['stoppedBy'] {
  if (gen.cancelled) return 'cancelled';
  const last = gen.tokenIds[gen.tokenIds.length - 1];
  return last !== undefined && eosTokenIds(model).includes(last) ? 'eos' : 'length';
}

function beamOf(b: { tokenIds: number[]; logProb: number }, label: (id: number) => string): DecodingBeam {
  return { ids: b.tokenIds, texts: b.tokenIds.map(label), logProb: b.logProb };
}

function toStep(step: Generation['steps'][number], s: DecodingSettings, label: (id: number) => string): DecodingStep {
  const chosen = step.candidates.find((c) => c.id === step.chosen);
  // The warpers only act when sampling (as in transformers): greedy and beam search have no cut-offs to draw.
  const cuts = s.strategy === 'sample' ? candidateCutoffs(step.candidates, s) : {};
  return {
    candidates: step.candidates.map((c) => ({ ...c, text: label(c.id) })),
    chosen: step.chosen,
    chosenText: label(step.chosen),
    chosenProb: chosen?.prob ?? 0,
    entropy: step.entropy ?? 0,
    ...cuts,
    beams: step.beams?.map((b) => beamOf(b, label)),
  };
}

/**
 * The steady cost of one new token, measured on the same tokens both ways: with the cache a step feeds one
 * position; without it the step recomputes the whole sequence. (The prompt's own pass is common to both and
 * left out; the whole run's rate, prompt and bookkeeping included, is reported apart.) Medians of each.
 */
async function measureSteps(model: Model, prompt: number[], made: number[], cancelled: () => boolean): Promise<{ cached: number; uncached: number; tokens: number } | undefined> {
  const n = Math.min(MEASURED_TOKENS, made.length);
  const cache = createKvCache(model);
  await forward(model, prompt, { cache, logits: 'last' });
  const withCache: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < n; i++) {
    if (cancelled()) return undefined;
    let t0 = performance.now();
    await forward(model, [made[i]], { cache, logits: 'last' });
    withCache.push(performance.now() - t0);
    t0 = performance.now();
    await nextTokenLogits(model, [...prompt, ...made.slice(0, i + 1)]);
    without.push(performance.now() - t0);
  }
  return { cached: 1000 / median(withCache), uncached: 1000 / median(without), tokens: n };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return Math.max(1e-3, s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2);
}
