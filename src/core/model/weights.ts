// The weights of a loaded model, arranged for the runtime: every projection a WeightMatrix ([out, in],
// float32 from safetensors, the stored 16-bit or quantized block type from GGUF), vectors (norms, biases) as float32.
import type { WeightMatrix } from '../tensor/weights';

/** One transformer block's weights; linear weights are [out, in]. */
export interface LayerWeights {
  norm1: Float32Array;
  norm1Bias?: Float32Array;
  q: WeightMatrix;
  k: WeightMatrix;
  v: WeightMatrix;
  qBias?: Float32Array;
  kBias?: Float32Array;
  vBias?: Float32Array;
  o: WeightMatrix;
  oBias?: Float32Array;
  /** Per-head RMSNorm weights of q and k (headDim), when the block has qkNorm. */
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  /** Norm of the attention output before the residual add (block.postNorms). */
  postAttnNorm?: Float32Array;
  /** The pre-MLP norm (post_attention_layernorm in Llama, pre_feedforward_layernorm in Gemma 2/3). */
  norm2: Float32Array;
  norm2Bias?: Float32Array;
  /** Norm of the MLP output before the residual add (block.postNorms). */
  postMlpNorm?: Float32Array;
  /** A mixture-of-experts layer's router (experts × hidden) and experts; the dense gate/up/down are then absent. */
  router?: WeightMatrix;
  experts?: ExpertWeights[];
  /** The gated MLP's gate projection (SwiGLU / GeGLU blocks only). */
  gate?: WeightMatrix;
  gateBias?: Float32Array;
  /** intermediate × hidden: Llama's up_proj, GPT-2's c_fc (absent on mixture-of-experts layers). */
  up?: WeightMatrix;
  upBias?: Float32Array;
  /** hidden × intermediate: Llama's down_proj, GPT-2's c_proj (absent on mixture-of-experts layers). */
  down?: WeightMatrix;
  downBias?: Float32Array;
}

/** One expert's SwiGLU MLP (Mixtral's w1 = gate, w3 = up, w2 = down). */
export interface ExpertWeights {
  gate: WeightMatrix;
  up: WeightMatrix;
  down: WeightMatrix;
}

/** All weights of a model. */
export interface ModelWeights {
  /** vocab × hidden in its stored type: one row is looked up (and dequantized) per token. */
  embed: WeightMatrix;
  /** GPT-2's learned positions: maxPositions × hidden. */
  positions?: Float32Array;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  finalNormBias?: Float32Array;
  /** vocab × hidden; the same matrix as `embed` when embeddings are tied. */
  lmHead: WeightMatrix;
}

/** Where an architecture reads its tensors from (a format's reader): by any of several names, shape-checked. */
export interface TensorSource {
  /** The first of `names` that exists, or undefined. */
  find(names: string[]): string | undefined;
  /** A tensor as float32 with exactly `shape`; ModelLoadError 'missingTensor' / 'tensorShape' otherwise. */
  required(names: string[], shape: number[]): Promise<Float32Array>;
  /** Like `required`, or undefined when none of `names` exists. */
  optional(names: string[], shape: number[]): Promise<Float32Array | undefined>;
  /** A linear layer's weight [rows = out, cols = in] in its stored type (f32 for safetensors). */
  matrix(names: string[], rows: number, cols: number): Promise<WeightMatrix>;
  /**
   * A Conv1D weight stored [inDim, outDim] (GPT-2) as an [out, in] WeightMatrix: transposed on load, or left on disk
   * and read transposed a tile at a time. Optional: without it an architecture reads the array and transposes it.
   */
  conv1d?(names: string[], inDim: number, outDim: number): Promise<WeightMatrix>;
}
