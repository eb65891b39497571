// loadModel: a Hugging Face model directory (config.json + safetensors, sharded or not) into float32
// weights arranged for the runtime by the model's architecture file (model/arch/), within a memory budget:
// the weights that do not fit stay on disk and are read layer by layer during each run (model/budget.ts,
// tensor/stream.ts). Every failure is a ModelLoadError naming the file and the reason.
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
import { isGgufFile } from './formats/gguf';
import { heldWeightBytes, loadGgufModel } from './ggufModel';
import { defaultMaxResidentBytes, formatBytes, isExpertTensor, planResidency, runReserve } from './budget';
import { streamedWeight, WeightFile, type DiskRowsSpec } from '../tensor/stream';
import { transpose } from '../tensor/kernels';
import { placeInKernel } from '../tensor/wasmMatmul';
import type { WeightType } from '../tensor/weights';

/** safetensors dtypes a streamed matrix keeps as stored. */
const STREAMABLE: Readonly<Record<string, WeightType | undefined>> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

export type { LayerWeights, ModelWeights } from './weights';

/** A loaded model: config, weights, and its tokenizer when the directory has tokenizer.json. */
export interface Model {
  dir: string;
  config: ModelConfig;
  weights: ModelWeights;
  tokenizer?: ModelTokenizer;
  /** Number of distinct parameters held (tied embeddings counted once). */
  parameters: number;
  /** Bytes the weights would take as float32 (parameters × 4). */
  weightBytes: number;
  /** The weights' file format. */
  format: 'safetensors' | 'gguf';
  /** Weight bytes on disk (the safetensors files or GGUF shards, headers included). */
  fileBytes: number;
  /**
   * Weight bytes held in memory now (safetensors: float32, 16-bit files widened on load; GGUF: the stored,
   * quantized bytes). At most `maxResidentBytes`: the rest is read from disk during each run.
   */
  residentBytes: number;
  /** The memory budget the model was loaded with: resident weights, and every run's estimate, stay under it (unset: unchecked). */
  maxResidentBytes?: number;
  /** Weight bytes left on disk and read layer by layer during each run (safetensors 16-bit ones stay 16-bit). */
  streamedBytes?: number;
  /** The chat template (Jinja) the model ships: GGUF's tokenizer.chat_template, when present. */
  chatTemplate?: string;
  /** The quantization (e.g. "Q4_K_M", "F16"), for GGUF models. */
  quantization?: string;
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

/** Options of loadModel. */
export interface LoadOptions {
  /**
   * The memory budget in bytes (default: a quarter of the machine's memory). Weights beyond it (less a reserve
   * for the runs themselves) stay on disk and are read layer by layer during each run, with identical results;
   * runs whose estimate exceeds it are refused before they allocate.
   */
  maxResidentBytes?: number;
}

/** The budget of `options`, validated. */
export function budgetOf(options: LoadOptions): number {
  const budget = options.maxResidentBytes ?? defaultMaxResidentBytes();
  if (!(budget > 0) || !Number.isFinite(budget)) throw new ModelLoadError('overBudget', `maxResidentBytes must be a positive number of bytes (got ${String(options.maxResidentBytes)})`);
  return budget;
}

/** Loads a Hugging Face model directory (any family of model/arch/) or a GGUF file. Throws ModelLoadError on any problem. */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<Model> {
  const budget = budgetOf(options);
  // A .gguf path, or any file starting with the GGUF magic (Ollama's blobs have no extension).
  if (dir.endsWith('.gguf') || (await isGgufFile(dir))) return loadGgufModel(dir, { maxResidentBytes: budget });
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
    // Planned from the headers alone, before any tensor is read: resident weights are float32. GPT-2's learned
    // positions are read as a plain array (always resident); its old attn.bias / attn.masked_bias mask buffers
    // are never read, so they take no share of the budget.
    const gpt2 = config.family === 'gpt2';
    const planned = [...sources.values()]
      .filter(({ info }) => !(gpt2 && /(?:^|\.)attn\.(?:masked_)?bias$/.test(info.name)))
      .map(({ info }) => ({ name: info.name, dims: info.shape, residentBytes: info.count * 4, resident: gpt2 && /(?:^|\.)wpe\.weight$/.test(info.name) }));
    const plan = planResidency(planned, budget - runReserve(config, budget), dir);
    const reader = new WeightReader(sources, dir, plan.streamed, budget);
    const weights = await architectureOf(config.family).readWeights(reader, config);
    const tokenizer = await loadModelTokenizer(dir);
    let fileBytes = 0;
    for (const p of paths) fileBytes += (await stat(p)).size;
    const parameters = reader.parameters;
    const model: Model = {
      dir, config, weights, tokenizer, parameters, weightBytes: parameters * 4,
      format: 'safetensors', fileBytes, residentBytes: heldWeightBytes(weights), maxResidentBytes: budget, streamedBytes: reader.streamedBytes,
      shape: shapeOf(config),
      parameterCounts: { total: parameters, active: parameters - inactiveExpertParameters(config) },
    };
    placeProductWeights(model);
    return model;
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/**
 * Moves the model's resident float32 projection matrices (and the LM head) into the SIMD kernel's shared memory
 * (tensor/wasmMatmul.ts placeInKernel), where every product reads them without a copy and the team splits the
 * last position's logits too. The same bytes as before, so residentBytes does not change; they stay in place
 * when the kernel's memory cannot take them (then products copy them in as before). An untied embedding is
 * only looked up by rows and stays where it is.
 */
function placeProductWeights(model: Model): void {
  const w = model.weights;
  // One matrix at a time, each reference swapped at once, so the float32 arrays left behind can be collected as
  // the copies go in (the peak stays near the weights' size plus one matrix, not twice the weights).
  const moved = (m: WeightMatrix): WeightMatrix => {
    if (m.type !== 'f32' || m.stream || !(m.data instanceof Float32Array)) return m;
    const view = placeInKernel([m.data], model).get(m.data);
    return view ? { ...m, data: view } : m;
  };
  const movedOrNot = <T extends WeightMatrix | undefined>(m: T): T => (m === undefined ? m : (moved(m) as T));
  const tied = w.embed.data === w.lmHead.data;
  w.lmHead = moved(w.lmHead);
  if (tied) w.embed = { ...w.embed, data: w.lmHead.data };
  for (const l of w.layers) {
    l.q = moved(l.q); l.k = moved(l.k); l.v = moved(l.v); l.o = moved(l.o);
    l.gate = movedOrNot(l.gate); l.up = movedOrNot(l.up); l.down = movedOrNot(l.down); l.router = movedOrNot(l.router);
    if (l.experts) l.experts = l.experts.map((e) => ({ ...e, gate: moved(e.gate), up: moved(e.up), down: moved(e.down) }));
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
  /** Bytes read into memory so far (float32). */
  resident = 0;
  /** Stored bytes of the matrices left on disk. */
  streamedBytes = 0;
  private readonly files = new Map<string, WeightFile>();

  constructor(
    private readonly sources: Map<string, ShardTensor>,
    private readonly dir: string,
    private readonly streamed: ReadonlySet<string> = new Set(),
    private readonly budget = Infinity,
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
    const name = this.find(names);
    if (name && this.streamed.has(name)) {
      const src = this.checked(name, [rows, cols]);
      const type = STREAMABLE[src.info.dtype];
      // Other dtypes are refused with the reader's own message.
      if (type) return this.onDisk(name, src, { type, rows, cols });
    }
    return f32Weight(await this.required(names, [rows, cols]), rows, cols);
  }

  async conv1d(names: string[], inDim: number, outDim: number): Promise<WeightMatrix> {
    const name = this.find(names);
    if (name && this.streamed.has(name)) {
      const src = this.checked(name, [inDim, outDim]);
      const type = STREAMABLE[src.info.dtype];
      // Read transposed a tile of output rows at a time: the same values as the resident transpose below.
      if (type) return this.onDisk(name, src, { type, rows: outDim, cols: inDim, transposed: { storedRowLength: outDim, columnOffset: 0 } });
    }
    return f32Weight(transpose(await this.required(names, [inDim, outDim]), inDim, outDim), outDim, inDim);
  }

  /** A matrix left in its file (F16/BF16 stay 16-bit on disk and are widened a tile at a time: the same float values as resident ones). */
  private onDisk(name: string, src: ShardTensor, shape: Pick<DiskRowsSpec, 'type' | 'rows' | 'cols' | 'transposed'>): WeightMatrix {
    let file = this.files.get(src.file.path);
    if (!file) {
      file = new WeightFile(src.file.path);
      this.files.set(src.file.path, file);
    }
    this.parameters += src.info.count;
    this.streamedBytes += src.info.end - src.info.begin;
    return streamedWeight({ file, position: src.file.header.dataStart + src.info.begin, ...shape, experts: isExpertTensor(name) });
  }

  private checked(name: string, shape: number[]): ShardTensor {
    const src = this.sources.get(name) as ShardTensor;
    const actual = src.info.shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError('tensorShape', `${src.file.path}: "${name}" has shape [${actual.join(', ')}], the config implies [${shape.join(', ')}]`);
    }
    return src;
  }

  private async read(name: string, shape: number[]): Promise<Float32Array> {
    const src = this.checked(name, shape);
    const bytes = src.info.count * 4;
    if (this.resident + bytes > this.budget) {
      // Only tensors an architecture reads as plain arrays get here (GPT-2's learned positions): refused before allocating.
      throw new ModelLoadError('overBudget', `${this.dir}: "${name}" (${formatBytes(bytes)} as float32) cannot be streamed from disk and does not fit the memory budget of ${formatBytes(this.budget)} (${formatBytes(this.resident)} already held): raise the budget`);
    }
    this.resident += bytes;
    this.parameters += src.info.count;
    return src.file.read(name);
  }
}
