// The MoE view's worker job: load the chosen model (or, when it has no mixture-of-experts layers, the embedded
// MoE model), tokenize the text with its own tokenizer, and run the forward pass for its routing only: which
// experts each token went to in each MoE layer and with what gate weights (runtime.ts `routing`, following
// transformers' MixtralSparseMoeBlock / Qwen3MoeSparseMoeBlock), plus the total and active parameter counts.
import { ModelLoadError } from '../core/model/errors';
import { forward } from '../core/model/runtime';
import type { Model } from '../core/model/load';
import { sessionModel } from './modelSession';
import type { ReportProgress } from './workerHost';

/** What the host asks for. */
export interface MoeJobInput {
  /** The chosen model: a Hugging Face directory or a GGUF file. */
  dir: string;
  /** The model to show instead when `dir` has no MoE layers (the embedded MoE model). */
  fallbackDir: string;
  text: string;
  /** Token cap (llmLens.attention.maxTokens). */
  maxTokens: number;
}

/** One MoE layer's routing: per token, its top-k experts (best first) and their gate weights. */
export interface MoeLayerRouting {
  layer: number;
  /** seqLen × topK, row-major. */
  experts: number[];
  weights: number[];
}

/** What the worker sends back. */
export interface MoeJobOutput {
  /** Whether the chosen model had no MoE layers and `fallbackDir` was run instead. */
  usedFallback: boolean;
  /** The model that ran. */
  dir: string;
  model: {
    modelType: string; family: string; format: 'safetensors' | 'gguf';
    layers: number; hidden: number; experts: number; topK: number; expertIntermediate: number; normalizeTopK: boolean;
    moeLayers: number[]; total: number; active: number;
  };
  tokens: { id: number; text: string }[];
  /** Tokens in the whole text before the cap. */
  total: number;
  routing: MoeLayerRouting[];
}

// The process's one model (modelSession): loaded with the memory budget and shared with the other panels' jobs,
// never a second copy of the same weights.
function load(dir: string): Promise<Model> {
  return sessionModel(dir);
}

/** Loads the model (or its MoE fallback), tokenizes and runs one forward pass, returning the routing. */
export async function moeJob(input: MoeJobInput, progress: ReportProgress): Promise<MoeJobOutput> {
  progress(0);
  let dir = input.dir;
  let model = await load(dir);
  const usedFallback = !model.config.block.moe;
  if (usedFallback) {
    dir = input.fallbackDir;
    model = await load(dir);
  }
  const c = model.config;
  const moe = c.block.moe;
  if (!moe) throw new ModelLoadError('unsupportedArchitecture', `${dir}: the model has no mixture-of-experts layers`);
  const tokenizer = model.tokenizer;
  if (!tokenizer) throw new ModelLoadError('tokenizer', `${dir}: the model has no tokenizer, so text cannot be turned into its token ids`);
  const all = tokenizer.encode(input.text, { addSpecialTokens: true });
  const ids = all.slice(0, Math.max(1, Math.min(input.maxTokens, c.maxPositions)));
  const result = await forward(model, ids, { logits: 'none', onProgress: (done, total) => progress(done / total) });
  const routing: MoeLayerRouting[] = [];
  result.routing.forEach((r, layer) => {
    if (r) routing.push({ layer, experts: Array.from(r.experts), weights: Array.from(r.weights) });
  });
  return {
    usedFallback,
    dir,
    model: {
      modelType: c.modelType, family: c.family, format: model.format,
      layers: c.layers, hidden: c.hidden, experts: moe.experts, topK: moe.topK, expertIntermediate: moe.intermediate, normalizeTopK: moe.normalizeTopK,
      moeLayers: moe.layers.slice(), total: model.parameterCounts.total, active: model.parameterCounts.active,
    },
    tokens: ids.map((id) => ({ id, text: tokenizer.label(id) })),
    total: all.length,
    routing,
  };
}
