// The Attention panel's job (in the model process): load a model (one per process, see modelSession), tokenize the text with the
// model's own tokenizer, cap the length, run the forward pass with per-layer progress.
import { ModelLoadError } from '../core/model/errors';
import { runAttention, type AttentionRun } from '../core/model/runtime';
import { combineHeads } from '../core/analysis/step';
import type { Model } from '../core/model/load';
import type { GgufModel } from '../core/model/ggufModel';
import { sessionModel } from './modelSession';
import { transferWith, type JobSignal, type ReportProgress } from './workerHost';

/** What the host asks for. */
export interface AttentionJobInput {
  /** A model directory (Hugging Face layout) or a GGUF file. */
  dir: string;
  text: string;
  /** Token cap (the llmLens.attention.maxTokens setting). */
  maxTokens: number;
  /** Run past the model's trained context (llmLens.attention.allowBeyondTrainedContext); GPT-2's learned positions still end it. */
  allowBeyondTrainedContext?: boolean;
  topK: number;
}

/** What the worker sends back: the run (with q/k/v for the step view), tokens and model facts. */
export interface AttentionJobOutput {
  model: { modelType: string; layers: number; heads: number; kvHeads: number; headDim: number; parameters: number; weightBytes: number };
  tokens: { id: number; text: string }[];
  /** Tokens in the whole text before the cap. */
  total: number;
  /** The cap actually applied (GPT-2 is also limited by its learned positions). */
  limit: number;
  /** Which limit that was: the maxTokens setting or the model's trained context. */
  limitReason: 'maxTokens' | 'trainedContext';
  /** The model's trained context (max_position_embeddings; n_positions for GPT-2). */
  trainedContext: number;
  /** The run; probs[layer][head] are views into `layerProbs` (cloned once, not twice). */
  run: AttentionRun;
  /** Per layer: heads × seqLen × seqLen, the arrays the panel sends to its webview. */
  layerProbs: Float32Array[];
  /** Per layer: mean and max over heads (seqLen × seqLen), computed here to keep the host's event loop free. */
  meanProbs: Float32Array[];
  maxProbs: Float32Array[];
  elapsedMs: number;
}

/** Loads the model (or reuses it), tokenizes and runs the forward pass; a cancel stops it between layers. */
export async function attentionJob(input: AttentionJobInput, progress: ReportProgress, signal?: JobSignal): Promise<AttentionJobOutput> {
  progress(0);
  // Loading is the slow part: the same model serves every run (and every panel) until another is chosen.
  const model: Model = await sessionModel(input.dir);
  if (!model.tokenizer && model.format === 'gguf') {
    // A GGUF carries its tokenizer in its metadata (tokenizer.ggml.*), never in a tokenizer.json beside it.
    const why = (model as GgufModel).tokenizerProblem ?? 'no tokenizer in the metadata';
    throw new ModelLoadError('ggufTokenizer', `${input.dir}: this GGUF file has no tokenizer LLM Lens can read in its metadata (${why}), so text cannot be turned into its token ids`);
  }
  if (!model.tokenizer) throw new ModelLoadError('tokenizer', `${input.dir}: the model has no tokenizer.json, so text cannot be turned into its token ids`);
  const tokenizer = model.tokenizer;
  const all = tokenizer.encode(input.text, { addSpecialTokens: true });
  const c = model.config;
  // Runs stop at the context the model was trained on (its card and config say so) unless the user allows
  // more; GPT-2 has no position past its learned table, so nothing goes beyond that.
  const contextLimit = input.allowBeyondTrainedContext && c.block.positions !== 'learned' ? Number.MAX_SAFE_INTEGER : c.maxPositions;
  const limit = Math.max(1, Math.min(input.maxTokens, contextLimit));
  const limitReason = input.maxTokens <= contextLimit ? 'maxTokens' : 'trainedContext';
  const ids = all.slice(0, limit);
  const started = Date.now();
  const run = await runAttention(model, ids, { topK: input.topK, onProgress: (done, total) => progress(done / total), isCancelled: signal?.isCancelled });
  const T = run.seqLen;
  const layerProbs = run.probs.map((heads) => {
    const flat = new Float32Array(heads.length * T * T);
    heads.forEach((p, h) => flat.set(p, h * T * T));
    return flat;
  });
  const meanProbs = run.probs.map((heads) => combineHeads(heads, 'mean'));
  const maxProbs = run.probs.map((heads) => combineHeads(heads, 'max'));
  run.probs = layerProbs.map((flat) => Array.from({ length: run.heads }, (_, h) => flat.subarray(h * T * T, (h + 1) * T * T)));
  const output: AttentionJobOutput = {
    model: { modelType: c.modelType, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, parameters: model.parameters, weightBytes: model.weightBytes },
    tokens: ids.map((id) => ({ id, text: tokenizer.label(id) })),
    total: all.length,
    limit,
    limitReason,
    trainedContext: c.maxPositions,
    run,
    layerProbs,
    meanProbs,
    maxProbs,
    elapsedMs: Date.now() - started,
  };
  // Everything here was made for this run: move it to the host rather than copy it.
  const buffers = [...layerProbs, ...meanProbs, ...maxProbs, ...(run.qkv ?? []).flatMap((l) => [l.q, l.k, l.v])].map((a) => a.buffer as ArrayBuffer);
  return transferWith(output, buffers);
}
