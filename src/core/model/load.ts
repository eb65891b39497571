// loadModel: a Hugging Face model directory (config.json + safetensors, sharded or not) into float32
// weights arranged for the runtime by the model's architecture file (model/arch/). Every failure is a
// ModelLoadError naming the file and the reason.
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { inactiveExpertParameters, type ModelConfig } from './config';
import { architectureOf, parseModelConfig } from './arch/index';
import { ModelLoadError } from './errors';
import { loadModelTokenizer, type ModelTokenizer } from './tokenizer';
import { openSafetensorsFile, type SafetensorsFile, type TensorInfo } from './formats/safetensors';
import type { ModelWeights, TensorSource } from './weights';
import { f32Weight, type WeightMatrix } from '../tensor/weights';
import type { AttentionShape } from '../kvcache/shape';

export type { LayerWeights, ModelWeights } from './weights';

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
  /** The weights' file format. */
  format: 'safetensors';
  /** Weight bytes on disk (the safetensors files, headers included). */
  fileBytes: number;
  /** Weight bytes held in memory now (float32 here: 16-bit files are widened on load). */
  residentBytes: number;
  /** The attention shape, for the KV-cache formulas. */
  shape: AttentionShape;
  /** Parameters in total and used per token (equal for dense models; fewer active for mixtures of experts). */
  parameterCounts: { total: number; active: number };
}

/** Where every tensor lives across the shards. */
interface ShardTensor {
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

/** Loads a Hugging Face model directory (any family of model/arch/). Throws ModelLoadError on any problem. */
export async function loadModel(dir: string): Promise<Model> {
  const config = await readConfig(dir);
  const paths = await weightFiles(dir);
  const files: SafetensorsFile[] = [];
  try {
    const sources = new Map<string, ShardTensor>();
    for (const p of paths) {
      const file = await openSafetensorsFile(p);
      files.push(file);
      for (const info of file.header.tensors.values()) {
        if (sources.has(info.name)) throw new ModelLoadError('index', `${p}: tensor "${info.name}" also appears in ${sources.get(info.name)?.file.path}`);
        sources.set(info.name, { file, info });
      }
    }
    const reader = new WeightReader(sources, dir);
    const weights = await architectureOf(config.family).readWeights(reader, config);
    const tokenizer = await loadModelTokenizer(dir);
    let fileBytes = 0;
    for (const p of paths) fileBytes += (await stat(p)).size;
    const parameters = reader.parameters;
    return {
      dir, config, weights, tokenizer, parameters, weightBytes: parameters * 4,
      format: 'safetensors', fileBytes, residentBytes: parameters * 4, shape: shapeOf(config),
      parameterCounts: { total: parameters, active: parameters - inactiveExpertParameters(config) },
    };
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/** The attention shape (kvcache/shape.ts) of a config. */
export function shapeOf(c: ModelConfig): AttentionShape {
  const shape: AttentionShape = { layers: c.layers, queryHeads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim };
  if (c.slidingWindow !== undefined) shape.slidingWindow = c.slidingWindow;
  if (c.slidingWindow !== undefined && c.slidingWindowLayers !== undefined) shape.slidingWindowLayers = c.slidingWindowLayers.slice();
  return shape;
}

/** Looks tensors up by any of several names and checks their shapes against the config. */
class WeightReader implements TensorSource {
  parameters = 0;

  constructor(
    private readonly sources: Map<string, ShardTensor>,
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

  async matrix(names: string[], rows: number, cols: number): Promise<WeightMatrix> {
    return f32Weight(await this.required(names, [rows, cols]), rows, cols);
  }

  private async read(name: string, shape: number[]): Promise<Float32Array> {
    const src = this.sources.get(name) as ShardTensor;
    const actual = src.info.shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError('tensorShape', `${src.file.path}: "${name}" has shape [${actual.join(', ')}], the config implies [${shape.join(', ')}]`);
    }
    this.parameters += src.info.count;
    return src.file.read(name);
  }
}
