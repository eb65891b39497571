// loadModel: a Hugging Face model directory (config.json + safetensors, sharded or not) into float32
// weights arranged for the forward pass. Every failure is a ModelLoadError naming the file and the reason.
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseModelConfig, type ModelConfig } from './config';
import { ModelLoadError } from './errors';
import { loadModelTokenizer, type ModelTokenizer } from './modelTokenizer';
import { openSafetensorsFile, type SafetensorsFile, type TensorInfo } from './safetensors';
import { transpose } from './tensor';
import { isGgufFile } from '../model/formats/gguf';
import { loadGgufModel } from '../model/ggufModel';

/** One transformer block's weights; linear weights are [out, in]. */
export interface LayerWeights {
  norm1: Float32Array;
  norm1Bias?: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  qBias?: Float32Array;
  kBias?: Float32Array;
  vBias?: Float32Array;
  o: Float32Array;
  oBias?: Float32Array;
  norm2: Float32Array;
  norm2Bias?: Float32Array;
  /** SwiGLU's gate projection (Llama family only). */
  gate?: Float32Array;
  gateBias?: Float32Array;
  /** intermediate × hidden: Llama's up_proj, GPT-2's c_fc. */
  up: Float32Array;
  upBias?: Float32Array;
  /** hidden × intermediate: Llama's down_proj, GPT-2's c_proj. */
  down: Float32Array;
  downBias?: Float32Array;
}

/** All weights of a model, float32. */
export interface ModelWeights {
  /** vocab × hidden. */
  embed: Float32Array;
  /** GPT-2's learned positions: maxPositions × hidden. */
  positions?: Float32Array;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  finalNormBias?: Float32Array;
  /** vocab × hidden; the same array as `embed` when embeddings are tied. */
  lmHead: Float32Array;
}

/** A loaded model: config, weights, and its tokenizer when the directory has tokenizer.json. */
export interface Model {
  dir: string;
  config: ModelConfig;
  weights: ModelWeights;
  tokenizer?: ModelTokenizer;
  /** Number of distinct parameters held (tied embeddings counted once). */
  parameters: number;
  /** Bytes of float32 weight memory held. */
  weightBytes: number;
}

/** Where every tensor lives across the shards. */
interface TensorSource {
  file: SafetensorsFile;
  info: TensorInfo;
}

async function readConfig(dir: string): Promise<ModelConfig> {
  let s;
  try {
    s = await stat(dir);
  } catch {
    throw new ModelLoadError('notFound', `${dir}: no such model directory`);
  }
  if (!s.isDirectory()) throw new ModelLoadError('notFound', `${dir}: not a directory`);
  let text: string;
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8');
  } catch {
    throw new ModelLoadError('config', `${dir}: no readable config.json (a Hugging Face model directory needs one)`);
  }
  return parseModelConfig(text);
}

/** The safetensors files of a directory: the shards named by model.safetensors.index.json, or model.safetensors. */
export async function weightFiles(dir: string): Promise<string[]> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  let indexText: string | undefined;
  try {
    indexText = await readFile(indexPath, 'utf8');
  } catch {
    indexText = undefined;
  }
  if (indexText !== undefined) {
    let index: unknown;
    try {
      index = JSON.parse(indexText);
    } catch (e) {
      throw new ModelLoadError('index', `${indexPath}: not valid JSON (${(e as Error).message})`);
    }
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ModelLoadError('index', `${indexPath}: no "weight_map" object`);
    const files = new Set<string>();
    for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
      // A shard name is a plain file name in the same directory: never a path that escapes it.
      if (typeof file !== 'string' || file !== basename(file) || file === '..' || file === '.' || !file.endsWith('.safetensors')) {
        throw new ModelLoadError('index', `${indexPath}: tensor "${name}" points to ${JSON.stringify(file)}, not a .safetensors file in the same directory`);
      }
      files.add(file);
    }
    if (files.size === 0) throw new ModelLoadError('index', `${indexPath}: the weight_map is empty`);
    return [...files].sort().map((f) => join(dir, f));
  }
  const single = join(dir, 'model.safetensors');
  try {
    await stat(single);
  } catch {
    throw new ModelLoadError('notFound', `${dir}: no model.safetensors or model.safetensors.index.json (only safetensors weights are supported, not pytorch_model.bin)`);
  }
  return [single];
}

/** Loads a Hugging Face model directory (Llama family or GPT-2) or a GGUF file. Throws ModelLoadError on any problem. */
export async function loadModel(dir: string): Promise<Model> {
  // A .gguf path, or any file starting with the GGUF magic (Ollama's blobs have no extension).
  if (dir.endsWith('.gguf') || (await isGgufFile(dir))) return loadGgufModel(dir);
  const config = await readConfig(dir);
  const paths = await weightFiles(dir);
  const files: SafetensorsFile[] = [];
  try {
    const sources = new Map<string, TensorSource>();
    for (const p of paths) {
      const file = await openSafetensorsFile(p);
      files.push(file);
      for (const info of file.header.tensors.values()) {
        if (sources.has(info.name)) throw new ModelLoadError('index', `${p}: tensor "${info.name}" also appears in ${sources.get(info.name)?.file.path}`);
        sources.set(info.name, { file, info });
      }
    }
    const reader = new WeightReader(sources, dir);
    const weights = config.family === 'gpt2' ? await readGpt2(reader, config) : await readLlama(reader, config);
    const tokenizer = await loadModelTokenizer(dir);
    return { dir, config, weights, tokenizer, parameters: reader.parameters, weightBytes: reader.parameters * 4 };
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/** Looks tensors up by any of several names and checks their shapes against the config. */
class WeightReader {
  parameters = 0;

  constructor(
    private readonly sources: Map<string, TensorSource>,
    private readonly dir: string,
  ) {}

  /** The first of `names` that exists, or undefined. */
  find(names: string[]): string | undefined {
    return names.find((n) => this.sources.has(n));
  }

  async required(names: string[], shape: number[]): Promise<Float32Array> {
    const name = this.find(names);
    if (!name) throw new ModelLoadError('missingTensor', `${this.dir}: the weights lack "${names[0]}"`);
    return this.read(name, shape);
  }

  async optional(names: string[], shape: number[]): Promise<Float32Array | undefined> {
    const name = this.find(names);
    return name ? this.read(name, shape) : undefined;
  }

  private async read(name: string, shape: number[]): Promise<Float32Array> {
    const src = this.sources.get(name) as TensorSource;
    const actual = src.info.shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError('tensorShape', `${src.file.path}: "${name}" has shape [${actual.join(', ')}], the config implies [${shape.join(', ')}]`);
    }
    this.parameters += src.info.count;
    return src.file.read(name);
  }
}

/** Both spellings: with the usual prefix and without it (checkpoints saved from the bare base model). */
function names(prefix: string, rest: string): string[] {
  return [prefix + rest, rest];
}

async function readLlama(r: WeightReader, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const embed = await r.required(names('model.', 'embed_tokens.weight'), [c.vocab, h]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => names('model.', `layers.${l}.${s}`);
    layers.push({
      norm1: await r.required(p('input_layernorm.weight'), [h]),
      q: await r.required(p('self_attn.q_proj.weight'), [qDim, h]),
      qBias: await r.optional(p('self_attn.q_proj.bias'), [qDim]),
      k: await r.required(p('self_attn.k_proj.weight'), [kvDim, h]),
      kBias: await r.optional(p('self_attn.k_proj.bias'), [kvDim]),
      v: await r.required(p('self_attn.v_proj.weight'), [kvDim, h]),
      vBias: await r.optional(p('self_attn.v_proj.bias'), [kvDim]),
      o: await r.required(p('self_attn.o_proj.weight'), [h, qDim]),
      oBias: await r.optional(p('self_attn.o_proj.bias'), [h]),
      norm2: await r.required(p('post_attention_layernorm.weight'), [h]),
      gate: await r.required(p('mlp.gate_proj.weight'), [c.intermediate, h]),
      gateBias: await r.optional(p('mlp.gate_proj.bias'), [c.intermediate]),
      up: await r.required(p('mlp.up_proj.weight'), [c.intermediate, h]),
      upBias: await r.optional(p('mlp.up_proj.bias'), [c.intermediate]),
      down: await r.required(p('mlp.down_proj.weight'), [h, c.intermediate]),
      downBias: await r.optional(p('mlp.down_proj.bias'), [h]),
    });
  }
  const finalNorm = await r.required(names('model.', 'norm.weight'), [h]);
  // Tied models have no lm_head; some untied-flagged exports also omit it, so fall back to the embedding.
  const lmHead = c.tieEmbeddings ? embed : ((await r.optional(['lm_head.weight'], [c.vocab, h])) ?? embed);
  return { embed, layers, finalNorm, lmHead };
}

async function readGpt2(r: WeightReader, c: ModelConfig): Promise<ModelWeights> {
  const h = c.hidden;
  const t = (s: string): string[] => names('transformer.', s);
  const embed = await r.required(t('wte.weight'), [c.vocab, h]);
  const positions = await r.required(t('wpe.weight'), [c.maxPositions, h]);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    const p = (s: string): string[] => t(`h.${l}.${s}`);
    // Conv1D stores [in, out]; transpose once so every projection uses the same [out, in] kernel.
    const qkv = transpose(await r.required(p('attn.c_attn.weight'), [h, 3 * h]), h, 3 * h);
    const qkvBias = await r.required(p('attn.c_attn.bias'), [3 * h]);
    layers.push({
      norm1: await r.required(p('ln_1.weight'), [h]),
      norm1Bias: await r.required(p('ln_1.bias'), [h]),
      q: qkv.subarray(0, h * h),
      k: qkv.subarray(h * h, 2 * h * h),
      v: qkv.subarray(2 * h * h),
      qBias: qkvBias.subarray(0, h),
      kBias: qkvBias.subarray(h, 2 * h),
      vBias: qkvBias.subarray(2 * h),
      o: transpose(await r.required(p('attn.c_proj.weight'), [h, h]), h, h),
      oBias: await r.required(p('attn.c_proj.bias'), [h]),
      norm2: await r.required(p('ln_2.weight'), [h]),
      norm2Bias: await r.required(p('ln_2.bias'), [h]),
      up: transpose(await r.required(p('mlp.c_fc.weight'), [h, c.intermediate]), h, c.intermediate),
      upBias: await r.required(p('mlp.c_fc.bias'), [c.intermediate]),
      down: transpose(await r.required(p('mlp.c_proj.weight'), [c.intermediate, h]), c.intermediate, h),
      downBias: await r.required(p('mlp.c_proj.bias'), [h]),
    });
  }
  return {
    embed,
    positions,
    layers,
    finalNorm: await r.required(t('ln_f.weight'), [h]),
    finalNormBias: await r.required(t('ln_f.bias'), [h]),
    lmHead: embed,
  };
}
