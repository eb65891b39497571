// The models the user already has: the Hugging Face hub cache (safetensors), Ollama's store (GGUF blobs
// named by digest, found through the manifests) and LM Studio's folders (<publisher>/<model>/*.gguf). Only
// headers are read (GGUF metadata with the long vocabulary arrays skipped), so listing is cheap whatever
// the models' sizes. Never throws: a model that cannot be read is listed as unsupported with the reason.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findCachedModels, hfCacheRoot } from './discovery';
import { openSafetensorsFile } from './formats/safetensors';
import { weightFiles } from './load';
import { ggufShardPaths, isGgufFile, readGgufHeader, type GgufTensorInfo } from './formats/gguf';
import { GGUF_ARCHITECTURES, ggufQuantization } from './ggufModel';

/** A model found on this machine (architecture.md, Round 2 extensions). */
export interface LocalModel {
  /** 'folder': a GGUF file found under an extra root (llmLens.modelRoots) outside Ollama's and LM Studio's layouts. */
  source: 'huggingface' | 'ollama' | 'lmstudio' | 'folder';
  name: string;
  /** What loadModel takes: a Hugging Face snapshot directory or a GGUF file (the first shard of a split one). */
  path: string;
  format: 'safetensors' | 'gguf';
  architecture: string;
  fileBytes: number;
  parameters?: number;
  quantization?: string;
  contextLength?: number;
  supported: boolean;
  /** Why not, when not supported. */
  reason?: string;
  /** Weight bytes loadModel would hold: GGUF matrices in their stored type (norms as float32), safetensors as float32. */
  residentBytes?: number;
  /** The sizes an activation estimate needs, from the metadata or config.json. */
  dims?: ModelDims;
}

/** A model's sizes for estimating a run's memory. */
export interface ModelDims {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
}

/**
 * The FLOP rate a run is estimated at when nothing better is known: a plain JavaScript Float32Array matmul on
 * one core of a 2-core laptop-class machine (~1.7 GFLOP/s, measured for shared/docs/domain-facts.md).
 */
export const ASSUMED_FLOPS_PER_SECOND = 1.7e9;

/**
 * Estimated floating-point operations of one Attention-panel run over `tokens` tokens: 2 per parameter and token
 * for the projections and the unembedding (every parameter counted once: an upper bound for mixtures of experts,
 * whose unused experts do not run), plus Q·Kᵀ and P·V over the full T × T rectangle the runtime computes
 * (2 · 2 · layers · heads · headDim · T²).
 */
export function estimateRunFlops(parameters: number, d: ModelDims, tokens: number): number {
  return 2 * parameters * tokens + 4 * d.layers * d.heads * d.headDim * tokens * tokens;
}

/** Estimated seconds of one run at `flopsPerSecond` (an estimate: memory traffic and dequantization are not modelled). */
export function estimateRunSeconds(parameters: number, d: ModelDims, tokens: number, flopsPerSecond = ASSUMED_FLOPS_PER_SECOND): number {
  return estimateRunFlops(parameters, d, tokens) / flopsPerSecond;
}

/**
 * Estimated bytes of one Attention-panel run over `tokens` tokens besides the weights: the probabilities kept
 * per layer and head (and their mean and max), q/k/v kept for the step view, the residual stream and MLP
 * activations of one layer, the logits, and the 4 MiB tile a quantized matmul dequantizes into. An estimate:
 * the JavaScript engine's own overhead is not counted.
 */
export function estimateRunActivationBytes(d: ModelDims, tokens: number): number {
  const T = tokens;
  const probs = d.layers * T * T * 4 * (d.heads + 2);
  const qkv = d.layers * T * (d.heads + 2 * d.kvHeads) * d.headDim * 4;
  const layer = T * (4 * d.hidden + 3 * d.intermediate) * 4;
  return probs + qkv + layer + d.vocab * 4 + 4 * 2 ** 20;
}

/** Estimated memory of a run: the resident weights plus the activations at `tokens` tokens (undefined when the sizes are unknown). */
export function estimateRunBytes(m: LocalModel, tokens: number): number | undefined {
  if (m.residentBytes === undefined || !m.dims) return undefined;
  return m.residentBytes + estimateRunActivationBytes(m.dims, tokens);
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** Where to look; each omitted root takes its default. */
export interface LocalModelRoots {
  huggingFace?: string;
  ollama?: string;
  lmStudio?: string[];
  /** More folders to search (llmLens.modelRoots), each recognised by its layout. */
  extra?: string[];
}

/** Ollama's media type of the weights layer in a manifest. */
const OLLAMA_MODEL_LAYER = 'application/vnd.ollama.image.model';
/** Upper bounds so a huge or hostile tree cannot make discovery take forever. */
const MAX_ENTRIES_PER_DIR = 10_000;
const MAX_MODELS_PER_SOURCE = 2_000;

/**
 * The default roots: the hub cache huggingface_hub uses; $OLLAMA_MODELS, else ~/.ollama/models, else the
 * Linux service's /usr/share/ollama/.ollama/models; LM Studio's ~/.lmstudio/models and the older
 * ~/.cache/lm-studio/models.
 */
export function defaultLocalModelRoots(env: Readonly<Record<string, string | undefined>> = process.env, home = homedir()): Required<Omit<LocalModelRoots, 'extra'>> {
  const userOllama = join(home, '.ollama', 'models');
  const serviceOllama = '/usr/share/ollama/.ollama/models';
  return {
    huggingFace: hfCacheRoot(env, home),
    ollama: env.OLLAMA_MODELS || (existsSync(userOllama) || !existsSync(serviceOllama) ? userOllama : serviceOllama),
    lmStudio: [join(home, '.lmstudio', 'models'), join(home, '.cache', 'lm-studio', 'models')],
  };
}

async function list(dir: string): Promise<{ name: string; dir: boolean; file: boolean }[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .slice(0, MAX_ENTRIES_PER_DIR)
      .map((e) => ({ name: e.name, dir: e.isDirectory() || e.isSymbolicLink(), file: e.isFile() || e.isSymbolicLink() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Describes a GGUF file from its header(s) alone. */
export async function describeGguf(path: string, source: LocalModel['source'], name: string): Promise<LocalModel> {
  const shards = ggufShardPaths(path);
  let fileBytes = 0;
  for (const s of shards) fileBytes += await sizeOf(s);
  const model: LocalModel = { source, name, path, format: 'gguf', architecture: 'unknown', fileBytes, supported: false };
  try {
    const tensors: GgufTensorInfo[] = [];
    let metadata;
    for (const s of shards) {
      const h = await readGgufHeader(s, { skipArraysLongerThan: 256 });
      metadata ??= h.metadata;
      tensors.push(...h.tensors);
    }
    if (!metadata) throw new Error('no header');
    const arch = metadata.get('general.architecture');
    model.architecture = typeof arch === 'string' ? arch : 'unknown';
    model.parameters = tensors.filter((t) => t.name !== 'rope_freqs.weight').reduce((s, t) => s + t.elements, 0);
    model.quantization = ggufQuantization(metadata, tensors);
    const ctx = metadata.get(`${model.architecture}.context_length`);
    if (typeof ctx === 'number') model.contextLength = ctx;
    // What loadGgufModel holds: 2-D weights as stored, vectors widened to float32.
    model.residentBytes = tensors.filter((t) => t.name !== 'rope_freqs.weight').reduce((s, t) => s + (t.dims.length === 1 ? t.elements * 4 : (t.bytes ?? t.elements * 4)), 0);
    const a = model.architecture;
    const hidden = positive(metadata.get(`${a}.embedding_length`)), heads = positive(metadata.get(`${a}.attention.head_count`));
    const embed = tensors.find((t) => t.name === 'token_embd.weight');
    if (hidden && heads) {
      const kvHeads = positive(metadata.get(`${a}.attention.head_count_kv`)) ?? heads;
      model.dims = {
        layers: positive(metadata.get(`${a}.block_count`)) ?? 0, hidden, heads, kvHeads,
        headDim: positive(metadata.get(`${a}.attention.key_length`)) ?? Math.floor(hidden / heads),
        intermediate: positive(metadata.get(`${a}.feed_forward_length`)) ?? 4 * hidden,
        vocab: embed?.dims[1] ?? 0,
      };
    }
    const unreadable = tensors.find((t) => t.type === undefined);
    if (!(model.architecture in GGUF_ARCHITECTURES)) {
      model.reason = `GGUF architecture "${model.architecture}" is not supported (supported: ${Object.keys(GGUF_ARCHITECTURES).join(', ')})`;
    } else if (unreadable) {
      model.reason = `tensor type ${unreadable.typeName} (ggml type id ${unreadable.typeId}, in ${unreadable.name}) is not supported`;
    } else model.supported = true;
  } catch (e) {
    model.reason = (e as Error).message;
  }
  return model;
}

async function huggingFaceModels(root: string): Promise<LocalModel[]> {
  const out: LocalModel[] = [];
  for (const cached of findCachedModels(root).slice(0, MAX_MODELS_PER_SOURCE)) {
    const model: LocalModel = {
      source: 'huggingface', name: cached.id, path: cached.dir, format: 'safetensors',
      architecture: cached.modelType ?? 'unknown', fileBytes: 0, supported: cached.supported, reason: cached.reason,
    };
    try {
      const config = JSON.parse(await readFile(join(cached.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const ctx = config.max_position_embeddings ?? config.n_positions;
      if (typeof ctx === 'number') model.contextLength = ctx;
      const dtypes = new Map<string, number>();
      let parameters = 0;
      for (const file of await weightFiles(cached.dir)) {
        model.fileBytes += await sizeOf(file);
        const st = await openSafetensorsFile(file);
        try {
          for (const t of st.header.tensors.values()) {
            parameters += t.count;
            dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + t.count);
          }
        } finally {
          await st.close();
        }
      }
      model.parameters = parameters;
      model.residentBytes = parameters * 4;
      const hidden = positive(config.hidden_size ?? config.n_embd), heads = positive(config.num_attention_heads ?? config.n_head);
      if (hidden && heads) {
        model.dims = {
          layers: positive(config.num_hidden_layers ?? config.n_layer) ?? 0, hidden, heads,
          kvHeads: positive(config.num_key_value_heads) ?? heads, headDim: positive(config.head_dim) ?? Math.floor(hidden / heads),
          intermediate: positive(config.intermediate_size ?? config.n_inner) ?? 4 * hidden, vocab: positive(config.vocab_size) ?? 0,
        };
      }
      model.quantization = [...dtypes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    } catch (e) {
      if (model.supported) {
        model.supported = false;
        model.reason = (e as Error).message;
      }
    }
    out.push(model);
  }
  return out;
}

/** Ollama: manifests/<registry>/<namespace>/<model>/<tag> → the model layer's blob (blobs/sha256-<hex>, older sha256:<hex>). */
async function ollamaModels(root: string): Promise<LocalModel[]> {
  const out: LocalModel[] = [];
  const manifests = join(root, 'manifests');
  for (const registry of await list(manifests)) {
    for (const namespace of await list(join(manifests, registry.name))) {
      for (const model of await list(join(manifests, registry.name, namespace.name))) {
        for (const tag of await list(join(manifests, registry.name, namespace.name, model.name))) {
          if (!tag.file || out.length >= MAX_MODELS_PER_SOURCE) continue;
          const name = registry.name === 'registry.ollama.ai' && namespace.name === 'library'
            ? `${model.name}:${tag.name}`
            : `${registry.name}/${namespace.name}/${model.name}:${tag.name}`;
          out.push(await ollamaModel(root, join(manifests, registry.name, namespace.name, model.name, tag.name), name));
        }
      }
    }
  }
  return out;
}

async function ollamaModel(root: string, manifestPath: string, name: string): Promise<LocalModel> {
  const unsupported = (reason: string): LocalModel => ({ source: 'ollama', name, path: manifestPath, format: 'gguf', architecture: 'unknown', fileBytes: 0, supported: false, reason });
  let layer: { digest?: unknown } | undefined;
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { layers?: { mediaType?: unknown; digest?: unknown }[] };
    layer = Array.isArray(manifest.layers) ? manifest.layers.find((l) => l.mediaType === OLLAMA_MODEL_LAYER) : undefined;
  } catch (e) {
    return unsupported(`the manifest is not readable JSON (${(e as Error).message})`);
  }
  const digest = typeof layer?.digest === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(layer.digest) : null;
  if (!digest) return unsupported(`the manifest has no ${OLLAMA_MODEL_LAYER} layer with a sha256 digest`);
  // Only a 64-hex digest goes into the path, so a manifest cannot point outside the blobs folder.
  const candidates = [join(root, 'blobs', `sha256-${digest[1]}`), join(root, 'blobs', `sha256:${digest[1]}`)];
  for (const blob of candidates) {
    if (!existsSync(blob)) continue;
    if (!(await isGgufFile(blob))) return { ...unsupported('the model blob is not a GGUF file'), path: blob, fileBytes: await sizeOf(blob) };
    return describeGguf(blob, 'ollama', name);
  }
  return unsupported(`the model blob sha256-${digest[1].slice(0, 12)}… is missing (a partial download?)`);
}

const LATER_SHARD = /-(\d{5})-of-\d{5}\.gguf$/;

/** LM Studio: <root>/<publisher>/<model>/*.gguf, exactly two levels deep; one entry per split model. */
async function lmStudioModels(roots: readonly string[]): Promise<LocalModel[]> {
  const out: LocalModel[] = [];
  for (const root of roots) {
    for (const publisher of await list(root)) {
      if (!publisher.dir) continue;
      for (const model of await list(join(root, publisher.name))) {
        if (!model.dir) continue;
        for (const file of await list(join(root, publisher.name, model.name))) {
          if (!file.file || !file.name.toLowerCase().endsWith('.gguf') || out.length >= MAX_MODELS_PER_SOURCE) continue;
          const shard = LATER_SHARD.exec(file.name);
          if (shard && shard[1] !== '00001') continue;
          out.push(await describeGguf(join(root, publisher.name, model.name, file.name), 'lmstudio', `${publisher.name}/${model.name}/${file.name}`));
        }
      }
    }
  }
  return out;
}

/** GGUF files (first shards) directly in `dir` and one folder down: a folder of downloads. */
async function looseGgufModels(root: string): Promise<LocalModel[]> {
  const out: LocalModel[] = [];
  const visit = async (dir: string, prefix: string, depth: number): Promise<void> => {
    for (const e of await list(dir)) {
      if (out.length >= MAX_MODELS_PER_SOURCE) return;
      if (e.file && e.name.toLowerCase().endsWith('.gguf')) {
        const shard = LATER_SHARD.exec(e.name);
        if (!shard || shard[1] === '00001') out.push(await describeGguf(join(dir, e.name), 'folder', prefix + e.name));
      } else if (e.dir && depth > 0) await visit(join(dir, e.name), `${prefix}${e.name}/`, depth - 1);
    }
  };
  await visit(root, '', 1);
  return out;
}

/**
 * The models under one extra root (llmLens.modelRoots), by its layout: an Ollama models folder (manifests/),
 * a Hugging Face hub cache (models--*), else LM Studio's <publisher>/<model>/*.gguf and loose .gguf files.
 */
async function extraRootModels(root: string): Promise<LocalModel[]> {
  const entries = await list(root);
  if (entries.some((e) => e.dir && e.name === 'manifests')) return ollamaModels(root);
  if (entries.some((e) => e.dir && e.name.startsWith('models--'))) return huggingFaceModels(root);
  const lm = await lmStudioModels([root]);
  const seen = new Set(lm.map((m) => m.path));
  return [...lm, ...(await looseGgufModels(root)).filter((m) => !seen.has(m.path))];
}

/** Every model found under the roots (defaults for omitted ones, plus `extra` roots): supported first, then by source and name. */
export async function findLocalModels(roots: LocalModelRoots = {}): Promise<LocalModel[]> {
  const d = defaultLocalModelRoots();
  const found = [
    ...(await huggingFaceModels(roots.huggingFace ?? d.huggingFace)),
    ...(await ollamaModels(roots.ollama ?? d.ollama)),
    ...(await lmStudioModels(roots.lmStudio ?? d.lmStudio)),
  ];
  for (const root of roots.extra ?? []) {
    const known = new Set(found.map((m) => m.path));
    found.push(...(await extraRootModels(root)).filter((m) => !known.has(m.path)));
  }
  const order = { huggingface: 0, ollama: 1, lmstudio: 2, folder: 3 };
  return found.sort((a, b) => Number(b.supported) - Number(a.supported) || order[a.source] - order[b.source] || a.name.localeCompare(b.name));
}
