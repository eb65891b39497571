// The one message protocol between the extension host and the webviews (house style: vscode-hexeditor).
// Both sides import it; it imports neither 'vscode' nor the DOM. Every message from a webview is
// untrusted input: the host only acts on what `parseRequest` returns.
import type { GlossaryChapterInfo, GlossaryEntry } from '../core/glossary/types';
import type { KvCacheBreakdown } from '../core/kvcache/bytes';
import type { AttentionShape } from '../core/kvcache/shape';
import { parseDecodingRequest, type DecodingRequest, type DecodingSnapshot } from './decodingProtocol';
import { parseAttentionAnalysisRequest, type AttentionAnalysisRequest, type AttentionAnalysisView } from './attentionAnalysisProtocol';
import { parseConceptLabRequest, type ConceptLabRequest, type ConceptLabSnapshot } from './conceptLabProtocol';

/** Every command id LLM Lens contributes (one documented list; package.json declares the same ids). */
export const CommandId = {
  /** Opens the Welcome panel. */
  showWelcome: 'llmLens.showWelcome',
  /** Tokenizes the selection (or the document) and opens the Tokenization panel. */
  tokenizeSelection: 'llmLens.tokenizeSelection',
  /** Opens the KV-cache memory panel (optionally on a config.json). */
  showKvCache: 'llmLens.showKvCache',
  /** Runs the forward pass on the selection and opens the Attention panel. */
  showAttention: 'llmLens.showAttention',
  /** Picks the model the Attention panel uses. */
  chooseModel: 'llmLens.chooseModel',
  /** Opens the glossary. */
  openGlossary: 'llmLens.openGlossary',
  /** Opens a chapter of the "Learn LLM basics" walkthrough: its panel on a sample file, or the glossary. */
  learnChapter: 'llmLens.learnChapter',
  /** Draws (or stops drawing) token boundaries in the editor itself. */
  toggleTokenBoundaries: 'llmLens.toggleTokenBoundaries',
  /** Generates from the selection with the current model and opens the Decoding panel. */
  generateFromSelection: 'llmLens.generateFromSelection',
  /** Adds a tokenizer.json to the Tokenization panel's tokenizers (explorer and editor context menu). */
  useAsTokenizer: 'llmLens.useAsTokenizer',
  /** Runs a mixture-of-experts model on the selection and opens the MoE routing view (issue 15). */
  showMoeRouting: 'llmLens.showMoeRouting',
  /** Opens the Concept Lab (RoPE, RMSNorm and SwiGLU, masks, live training), optionally on one page. */
  openConceptLab: 'llmLens.openConceptLab',
} as const;

/** One of LLM Lens's command ids. */
export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** True when `value` is one of LLM Lens's command ids. */
export function isCommandId(value: unknown): value is CommandId {
  return typeof value === 'string' && (Object.values(CommandId) as string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Per-panel snapshots (host -> webview, always complete) and requests (webview -> host).

/** One feature card on the Welcome panel. */
export interface WelcomeFeature {
  /** The command the card's button runs. */
  command: CommandId;
  /** Card title, localized. */
  title: string;
  /** One or two sentences, localized. */
  description: string;
  /** Button label, localized. */
  action: string;
}

/** Everything the Welcome panel shows. */
export interface WelcomeSnapshot {
  /** The extension's version from package.json. */
  version: string;
  /** Features whose commands are registered in this window. */
  features: WelcomeFeature[];
}

/** Welcome panel requests. */
export type WelcomeRequest =
  /** Run one of LLM Lens's commands (the host checks it is one). */
  { type: 'runCommand'; command: CommandId };

// KV-cache panel (issue 4) ------------------------------------------------------------------

/** Where the KV-cache panel's model comes from: a built-in preset, typed fields, or an opened config.json. */
export type KvModelSource = 'preset' | 'custom' | 'config';

/** Which layers a custom model's sliding window applies to. */
export type KvSlidingLayers = 'all' | 'even' | 'odd' | 'list';

/** The custom-model fields as typed (the same fields as the core's CustomModelText). */
export interface KvCustomFields {
  layers: string;
  queryHeads: string;
  kvHeads: string;
  headDim: string;
  /** Empty = no sliding window. */
  slidingWindow: string;
  slidingLayers: KvSlidingLayers;
  /** With slidingLayers 'list': layer indices and ranges such as "0, 2, 20-27". */
  slidingLayerList: string;
  /** Empty = no MLA latent. */
  kvLoraRank: string;
  ropeHeadDim: string;
  /** Empty = unknown (weights not counted). */
  parameters: string;
}

/** The KV-cache panel's inputs as the user set them; text stays text so a bad field can be shown and explained. */
export interface KvCacheInputs {
  source: KvModelSource;
  presetId: string;
  custom: KvCustomFields;
  /** Parameter count typed for an opened config.json (empty = unknown). */
  configParameters: string;
  seqLen: string;
  batch: string;
  /** Element type ids (see KvCacheSnapshot.dtypes). */
  kvDtype: string;
  weightsDtype: string;
  /** KV heads of the GQA variant; null = the model's own (or a typical ratio). */
  gqaKvHeads: number | null;
  /** The GPU whose longest context is listed per variant. */
  gpuId: string;
  /** The Serving section and the user's own GPU (absent in states saved before it existed: defaults). */
  serving?: KvServingFields;
}

/** The Serving section's fields and the user's own GPU numbers, as typed (empty GPU fields = not used). */
export interface KvServingFields {
  /** Tensor-parallel degree: GPUs sharing every layer. */
  tpDegree: string;
  /** Paged-attention block size in tokens. */
  blockSize: string;
  /** The user's GPU: memory in GiB, bandwidth in GB/s, dense TFLOP/s at the weights' precision. */
  gpuMemoryGiB: string;
  gpuBandwidthGBs: string;
  gpuTflops: string;
}

/** Per-GPU memory of the Serving section, computed by the host's core (the webview only draws it). */
export interface KvServingView {
  degree: number;
  /** KV heads of the model (of its first layer when they differ per layer); 0 for MLA. */
  kvHeads: number;
  kvHeadsPerGpu: number;
  /** GPUs holding each KV head (> 1: replicated, the degree exceeds the KV heads; MLA: every GPU). */
  copiesPerHead: number;
  mla: boolean;
  blockSize: number;
  /** Concurrent sequences (the batch) and tokens in each. */
  sequences: number;
  seqLen: number;
  /** KV bytes per GPU the tokens need, and what whole blocks allocate. */
  usedBytes: number;
  allocatedBytes: number;
  wastedBytes: number;
  /** Empty slots in each layer's last block (full-attention and windowed layers). */
  wastedTokensFull: number;
  wastedTokensSliding: number;
  weightsPerGpu: number;
  statePerGpu: number;
  totalPerGpu: number;
  /** The GPU compared against: typed memory, else the GPU chosen above. */
  gpuLabel: string;
  gpuMemoryBytes: number;
  /** gpuMemoryBytes − totalPerGpu (negative: does not fit). */
  headroom: number;
  /** Most sequences of seqLen tokens that fit beside the weights (null: any number, nothing grows). */
  maxSequences: number | null;
}

/** An input field of the KV-cache panel that can carry a validation message. */
export type KvInputField = keyof KvCustomFields | 'configParameters' | 'seqLen' | 'batch' | 'config' | keyof KvServingFields;

/** The attention shape as the panel shows it: the core's AttentionShape. */
export type KvShape = AttentionShape;

/** The formula of one variant, term by term: the core's KvCacheBreakdown. */
export type KvBreakdown = KvCacheBreakdown;

/** One attention variant of the model, fully worked out by the host. */
export interface KvVariant {
  kind: 'MHA' | 'GQA' | 'MQA' | 'MLA';
  /** True for the variant the model really uses. */
  isModel: boolean;
  shape: KvShape;
  kvBytes: number;
  totalBytes: number;
  bytesPerToken: number;
  breakdown: KvBreakdown;
  /** Longest context per GPU, in the order of KvCacheSnapshot.gpus ('bounded' ⇒ maxTokens). */
  fits: { kind: 'none' | 'bounded' | 'unbounded'; maxTokens: number }[];
  /** KV bytes at each of KvCacheSnapshot.chartTokens (weights not included). */
  series: number[];
  /** Query head -> KV head (empty for MLA). */
  kvHeadOf: number[];
}

/** Everything the KV-cache panel shows. */
export interface KvCacheSnapshot {
  /** The inputs as the user left them (possibly invalid: see fieldErrors). */
  inputs: KvCacheInputs;
  presets: { id: string; label: string }[];
  dtypes: { id: string; label: string; bytesPerElement: number }[];
  gpus: { id: string; label: string; bytes: number; examples: string }[];
  /** The opened config.json: its label and URI, and either its shape or a clear error. */
  config: { label: string; uri: string; error?: string; shape?: KvShape } | null;
  /** Localized message per bad field. While any is set, the numbers below are those of the last valid inputs. */
  fieldErrors: Partial<Record<KvInputField, string>>;
  /**
   * 'current': the numbers are the inputs' own; 'stale': the same model's last valid numbers while a marked
   * field is fixed; 'none': the model cannot be read (a broken config.json), so no numbers are shown at all.
   */
  numbers: 'current' | 'stale' | 'none';
  /** The seq of the last setInputs the host applied (0 before any). */
  inputsSeq: number;
  /**
   * The model the numbers describe. activeParameters: what one token runs through (< parameters for a
   * mixture of experts); parametersNote: where an opened config's count comes from, or why there is none.
   */
  model: {
    label: string;
    source: string;
    parameters: number;
    activeParameters: number;
    parametersNote: string | null;
    contextLength: number | null;
    shape: KvShape;
  };
  /** The values the numbers were computed with. */
  used: { seqLen: number; batch: number; kvDtype: string; weightsDtype: string; gqaKvHeads: number | null };
  weightsBytes: number;
  /** The KV-head counts the GQA slider offers. */
  gqaChoices: number[];
  chartTokens: number[];
  variants: KvVariant[];
  /** Decode speed bounds of the model at the context, one row per GPU of the datasheet table (issue 21). */
  speed?: KvSpeedRow[];
  /** The Serving section (tensor parallel, paged blocks, concurrent sequences); null while a field is wrong. */
  serving?: KvServingView | null;
}

/** One GPU's decode bound: bandwidth ÷ bytes read per token, and where batching turns it compute-bound. */
export interface KvSpeedRow {
  gpuId: string;
  gpuLabel: string;
  source: string;
  bandwidth: number;
  flops: number;
  flopsType: 'bf16' | 'fp8';
  weightBytes: number;
  kvBytes: number;
  stateBytes: number;
  bytesPerToken: number;
  decodeTokensPerSecond: number;
  /** null: decode stays memory-bound at any batch at this context. */
  computeBoundBatch: number | null;
}

/** KV-cache panel requests. */
export type KvCacheRequest =
  /**
   * The inputs changed (the complete set; the host validates every field). seq counts the webview's
   * sends, so it can tell a snapshot of older inputs from one of its latest (fast typing).
   */
  | { type: 'setInputs'; inputs: KvCacheInputs; seq?: number }
  /** Pick a config.json with a file dialog and use it. */
  | { type: 'pickConfig' }
  /** Copy the variant comparison to the clipboard as a Markdown table. */
  | { type: 'copyMarkdown' };

// Attention panel (issue 5) ------------------------------------------------------------------

/** Which head the attention views show: one head, or the mean / max over all heads of the layer. */
export type AttentionHeadChoice = number | 'mean' | 'max';

/** The model an attention run used. */
export interface AttentionModelInfo {
  /** Display name: the embedded model, a Hugging Face id, or the folder name. */
  label: string;
  /** Where it came from ('cache': the Hugging Face cache; 'ollama' / 'lmstudio': those apps' model stores). */
  source: 'embedded' | 'setting' | 'cache' | 'folder' | 'ollama' | 'lmstudio';
  /** The model directory. */
  dir: string;
  /** config.json's model_type (llama, qwen2, mistral, gpt2). */
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  parameters: number;
  /** Float32 weight memory held by the worker. */
  weightBytes: number;
  /** True when MODEL_CARD.md (and loss.svg) can be opened (the embedded model). */
  hasModelCard: boolean;
  /** The model's trained context (config.json's max_position_embeddings; n_positions for GPT-2). */
  trainedContext: number;
  /** A llmLens.modelPath from this workspace's settings that was not used because the folder is not trusted. */
  ignoredWorkspacePath?: string;
  /** Set for a mixture-of-experts model (the panel links to the MoE routing view): experts per MoE layer and top-k. */
  moe?: { experts: number; topK: number };
}

/** What an attention run read: the selection or (nothing selected) the whole document, and how much of it. */
export interface AttentionInput {
  /** 'document' when nothing was selected and the whole document ran. */
  scope: 'selection' | 'document';
  /** The document's name (file name, or the untitled editor's name). */
  label: string;
  /** Characters of the selection or document. */
  totalChars: number;
  /** Characters read: all of them, or the first `maxInputChars` (the shared safety cap). */
  readChars: number;
}

/** Which limit cut a run: the llmLens.attention.maxTokens setting or the model's trained context. */
export type AttentionLimitReason = 'maxTokens' | 'trainedContext';

/** One token of the run, as the model's tokenizer split the text. */
export interface AttentionToken {
  id: number;
  /** The token's decoded text (U+FFFD where it is part of a character). */
  text: string;
}

/** Every intermediate value of attention for the selected layer, head and query (the step view). */
export interface AttentionStepView {
  layer: number;
  head: number;
  query: number;
  kvHead: number;
  headDim: number;
  /** Whether scores were multiplied by `scale` (the √d_k toggle). */
  scaled: boolean;
  /** 1/√d_k (or 1 when scaling is dropped). */
  scale: number;
  temperature: number;
  /** The query vector (after the per-head q norm when the model has one, and RoPE for RoPE models). */
  q: Float32Array;
  /** q·k_j per key j. */
  rawScores: Float32Array;
  /** rawScores · scale / temperature. */
  scaledScores: Float32Array;
  /** 1/√d_k, to compare with the scale the model uses (Gemma: query_pre_attn_scalar^-½). */
  defaultScale?: number;
  /** Whether q and k were RMS-normalised per head before RoPE (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** Gemma 2's attention soft-cap: scores became cap·tanh(score/cap) before the mask. */
  softcap?: number;
  /** This layer's sliding window (keys further back are masked), if any. */
  slidingWindow?: number;
  /** 0 for visible keys, -Infinity for masked ones. */
  mask: Float32Array;
  /** Softmax of the (soft-capped, when the model caps) scaledScores + mask. */
  probs: Float32Array;
  /** The model's own weights for this row (scaled, temperature 1), for comparison. */
  modelProbs: Float32Array;
  /** Σ_j probs_j · v_j, the head's output for the query. */
  output: Float32Array;
  /** The leading `valueDims` dimensions of each value vector v_j the weights multiply (seqLen × valueDims). */
  values: Float32Array;
  /** How many dimensions of each v_j `values` holds (the table prints a few; the output uses all). */
  valueDims: number;
}

/**
 * What the Attention panel draws of one run (complete for the run; small: no matrices). The thumbnails and the
 * open head's view are large and answered by request (AttentionReply) from the run the compute worker keeps.
 */
export interface AttentionSnapshot {
  /** The host's number for this run: replies name it, so a reply of an older run is never drawn. */
  runId: number;
  model: AttentionModelInfo;
  /** The text the tokens came from (bounded), kept so the panel can be restored after a reload. */
  text: string;
  /** What the text is (selection or whole document) and how many of its characters were read. */
  input: AttentionInput;
  tokens: AttentionToken[];
  /** Set when the text had more tokens than the run: how many there were, the run's length and which limit applied. */
  cap?: { total: number; limit: number; reason: AttentionLimitReason };
  /** True when the run is longer than the model's trained context (llmLens.attention.allowBeyondTrainedContext). */
  beyondTrainedContext: boolean;
  layers: number;
  heads: number;
  seqLen: number;
  /** Query head -> the KV head it reads (GQA groups). */
  kvHeadOf: number[];
  /** Top next-token predictions after the last token. */
  predictions: { id: number; text: string; probability: number }[];
  /** Wall-clock time of the forward pass in the worker. */
  elapsedMs: number;
  /** The analysis views' results for this run (issue 18: Find heads, logit lens, ablation). */
  analysis?: AttentionAnalysisView;
}

/**
 * Every layer × head (then mean, max) of a run as a small picture: each cell is the max over a block × block
 * square of tokens (max keeps one-token-wide diagonals and sink columns at full strength; a mean would fade
 * them by 1/block), stored as round(255·√p) — the colour scale's own axis.
 */
export interface AttentionThumbnails {
  runId: number;
  /** Pixels a side: ⌈seqLen / block⌉ (≤ 64). */
  size: number;
  /** Tokens a pixel side covers. */
  block: number;
  /** layers × (heads + 2) pictures of size × size, row-major, picture (l, h) at (l·(heads + 2) + h)·size². */
  pixels: Uint8Array;
}

/** What the heatmap, lines and step views draw for one selection, at the resolution the panel shows. */
export interface AttentionView {
  runId: number;
  selection: { layer: number; head: AttentionHeadChoice; query: number };
  /** Tokens a heatmap cell side covers (1 up to 256 tokens). */
  block: number;
  /** Heatmap cells a side: ⌈seqLen / block⌉. */
  bins: number;
  /** Names the matrix (run, layer, head): a view without `matrix` keeps the one the webview holds for this key. */
  matrixKey: string;
  /** The lower triangle of bins × bins (row i: cells 0..i), round(65535·√p) of each block's largest weight. */
  matrix?: Uint16Array;
  /** The selected query's exact weights over every key (seqLen values; mean/max over heads for those choices). */
  row: Float32Array;
  /** The step view (absent for mean/max). */
  step?: AttentionStepView;
}

/** What the host answers the Attention panel's webview with, besides snapshots. */
export type AttentionReply =
  /** The run's thumbnails (once per run, and again after the webview reloads). */
  | { type: 'thumbnails'; thumbnails: AttentionThumbnails }
  /** The selection's view (after a select, a step option, or a reload). */
  | { type: 'view'; view: AttentionView }
  /**
   * A run was asked for (its text and input): the page saves it as its restore data at once, so a window reload
   * before the run's snapshot arrives runs it again instead of the text shown before. `runId` names the run.
   */
  | { type: 'requested'; runId: number; text: string; input: AttentionInput };

/** Why the chosen model cannot run: the folder is missing, not a model folder, or its files are unusable. */
export interface AttentionModelProblem {
  /** notFound: no such path; notFolder: a file; noConfig: no config.json; noWeights: no *.safetensors; embeddedMissing: this build lacks the embedded weights; unusable: the files could not be loaded. */
  kind: 'notFound' | 'notFolder' | 'noConfig' | 'noWeights' | 'embeddedMissing' | 'unusable';
  /** The localized explanation (names the path and what is wrong). */
  message: string;
}

/** What the Attention panel shows when the chosen model cannot run: the problem, with ways out. */
export interface AttentionProblemSnapshot {
  problem: AttentionModelProblem;
  model: Pick<AttentionModelInfo, 'label' | 'source' | 'dir' | 'ignoredWorkspacePath'>;
  /** The text that was to run (kept for a retry and for restoring after a reload). */
  text: string;
  input: AttentionInput;
}

/** Everything the Attention panel's webview can be sent: a run, or a model problem. */
export type AttentionPanelSnapshot = AttentionSnapshot | AttentionProblemSnapshot;

/** Attention panel requests. */
export type AttentionRequest =
  /** Show another layer / head (or mean/max) / query position. */
  | { type: 'select'; layer: number; head: AttentionHeadChoice; query: number }
  /** Recompute the step view with or without 1/√d_k and with a softmax temperature. */
  | { type: 'stepOptions'; scaled: boolean; temperature: number }
  /** Save the selected matrix as CSV (the host asks where). */
  | { type: 'exportCsv' }
  /** Save the heatmap the webview drew as PNG (a data: URL; the host checks and asks where). */
  | { type: 'exportPng'; dataUrl: string }
  /** Open "LLM Lens: Choose Model". */
  | { type: 'chooseModel' }
  /** Forget the chosen model and the setting's folder for now: run the embedded model (the setting is left alone). */
  | { type: 'useEmbeddedModel' }
  /** Open the embedded model's card or its training-loss curve. */
  | { type: 'openModelDoc'; doc: 'card' | 'loss' }
  /** Open the MoE routing view on the same text and model (a mixture-of-experts model only; issue 15). */
  | { type: 'showMoeRouting' }
  /** The analysis views' requests (issue 18; attentionAnalysisProtocol.ts). */
  | AttentionAnalysisRequest;

/** The temperatures the step view's slider allows. */
export const attentionTemperatureRange = { min: 0.05, max: 20 } as const;

/** Largest PNG data URL accepted from the webview (characters). */
export const maxPngDataUrlLength = 40_000_000;

/** Validates an Attention panel request (structure only; the host checks ranges against the run). */
export function parseAttentionRequest(m: Record<string, unknown>): AttentionRequest | undefined {
  switch (m.type) {
    case 'select': {
      const layer = intIn(m.layer, 0, 10_000);
      const head = m.head === 'mean' || m.head === 'max' ? m.head : intIn(m.head, 0, 10_000);
      const query = intIn(m.query, 0, 1_000_000);
      return layer === undefined || head === undefined || query === undefined ? undefined : { type: 'select', layer, head, query };
    }
    case 'stepOptions': {
      const temperature = numberIn(m.temperature, attentionTemperatureRange.min, attentionTemperatureRange.max);
      return typeof m.scaled === 'boolean' && temperature !== undefined ? { type: 'stepOptions', scaled: m.scaled, temperature } : undefined;
    }
    case 'exportCsv':
      return { type: 'exportCsv' };
    case 'exportPng': {
      const dataUrl = stringUpTo(m.dataUrl, maxPngDataUrlLength);
      return dataUrl?.startsWith('data:image/png;base64,') ? { type: 'exportPng', dataUrl } : undefined;
    }
    case 'chooseModel':
      return { type: 'chooseModel' };
    case 'useEmbeddedModel':
      return { type: 'useEmbeddedModel' };
    case 'showMoeRouting':
      return { type: 'showMoeRouting' };
    case 'openModelDoc': {
      const doc = oneOf(m.doc, ['card', 'loss'] as const);
      return doc ? { type: 'openModelDoc', doc } : undefined;
    }
    default:
      return parseAttentionAnalysisRequest(m);
  }
}

// Glossary panel (issue 7) -------------------------------------------------------------------

/** A panel the glossary links to (the core's GlossaryPanel). */
export type GlossaryPanelKind = 'tokenize' | 'attention' | 'kvcache';

/** The panels a glossary entry can link to. */
export const glossaryPanelKinds: readonly GlossaryPanelKind[] = ['tokenize', 'attention', 'kvcache'];

/** The command that opens each panel a glossary entry links to. */
export const glossaryPanelCommand: Record<GlossaryPanelKind, CommandId> = {
  tokenize: CommandId.tokenizeSelection,
  attention: CommandId.showAttention,
  kvcache: CommandId.showKvCache,
};

/** What the Glossary panel scrolls to and highlights: a term or a chapter. `seq` differs per request. */
export interface GlossaryFocus {
  term?: string;
  chapter?: string;
  seq: number;
}

/** Everything the Glossary panel shows. */
export interface GlossarySnapshot {
  /** The language shown first: llmLens.glossaryLanguage, with "auto" resolved against VS Code's language. */
  language: 'en' | 'ko' | 'both';
  /** The study note's chapters, in order. */
  chapters: GlossaryChapterInfo[];
  /** Every entry (both languages), in chapter order. */
  entries: GlossaryEntry[];
  /** The panels whose commands are registered in this window (links to the others are hidden). */
  panels: GlossaryPanelKind[];
  /** Set when opened from a hover link or the walkthrough. */
  focus: GlossaryFocus | null;
  /** The last search the webview asked for and the ids it found, best first (the core's searchGlossary). */
  search: GlossarySearchResult;
}

/** A glossary search as the host ran it: the query exactly as typed, and the ids found, best first. */
export interface GlossarySearchResult {
  query: string;
  ids: string[];
}

/** Glossary panel requests. */
export type GlossaryRequest =
  /** Open the panel that shows `term` (on a sample file shipped with LLM Lens). */
  | { type: 'openPanel'; panel: GlossaryPanelKind; term: string }
  /** Search the glossary for `query` (sent on every edit of the search field). */
  | { type: 'search'; query: string };

/** Longest glossary query a webview may send. */
export const maxGlossarySearchChars = 200;

/** Validates a Glossary panel request. */
export function parseGlossaryRequest(m: Record<string, unknown>): GlossaryRequest | undefined {
  if (m.type === 'search') {
    const query = stringUpTo(m.query, maxGlossarySearchChars);
    return query === undefined ? undefined : { type: 'search', query };
  }
  if (m.type !== 'openPanel') return undefined;
  const panel = oneOf(m.panel, glossaryPanelKinds);
  const term = stringUpTo(m.term, 64);
  return panel && term !== undefined ? { type: 'openPanel', panel, term } : undefined;
}

// Tokenization panel (issue 3) ---------------------------------------------------------------

/** A tokenizer the Tokenization panel offers. */
export interface TokenizerChoice {
  id: string;
  label: string;
}

/** The tokens of the text as parallel typed arrays, so 50,000 tokens stay cheap to post and draw. */
/**
 * A tokenization packed into typed arrays (transferable, cheap to post): what the compute worker
 * returns and the tokenizer panel posts to its webview.
 */
export interface PackedTokens {
  tokenizerId: string;
  ids: Int32Array;
  /** UTF-16 range of each token in the text (tokens that split a character share it). */
  starts: Int32Array;
  ends: Int32Array;
  /**
   * The bytes of each distinct id: pieceIds[k] spells pieceBytes[pieceOffsets[k] .. pieceOffsets[k + 1]).
   * Token i's UTF-8 range follows from these lengths (tokens tile the bytes), so the webview is not sent
   * it: every byte posted costs time on the way to the webview.
   */
  pieceIds: Int32Array;
  pieceOffsets: Int32Array;
  pieceBytes: Uint8Array;
  /**
   * The few tokens whose range in the text is not as long as their bytes, as pairs (token index, byte length
   * in the text): SentencePiece's dummy-prefix space has no byte in the text, a normalizer may change lengths.
   */
  byteLengthFixes?: Int32Array;
  /** Tokenization time in the worker. */
  elapsedMs: number;
}

/** The tokens of a tokenizer snapshot. */
export interface TokenizationView extends PackedTokens {
  /** Changes whenever the tokens change (the webview rebuilds its rows only then). */
  revision: number;
}

/** Counts of the tokenized text. */
export interface TokenizerStats {
  tokens: number;
  /** Unicode code points. */
  characters: number;
  /** UTF-8 bytes. */
  bytes: number;
  charactersPerToken: number;
}

/** One tokenizer in the comparison table (tokens null when it could not run: see error). */
export interface TokenizerComparisonRow {
  id: string;
  label: string;
  tokens: number | null;
  /** tokens / tokens of the cheapest tokenizer. */
  ratioToCheapest: number | null;
  bytesPerToken: number | null;
  /** Why there is no count (e.g. the embedded model is not built), localized. */
  error?: string;
}

/** Decomposed (NFD) Korean found in the text, and what composing it (NFC) would cost. */
export interface TokenizerNfdNotice {
  /** Decomposed Hangul syllables (initial-consonant jamo) in the text. */
  decomposedSyllables: number;
  tokens: number;
  nfcTokens: number;
}

/** One token of a merge replay. */
export interface ReplayPieceView {
  id: number;
  bytes: number[];
}

/** The merge replay of the word holding the focused token (the core's MergeReplay). */
export interface MergeReplayView {
  tokenIndex: number;
  /** The word's UTF-16 range in the snapshot's text. */
  wordStart: number;
  wordEnd: number;
  word: string;
  start: ReplayPieceView[];
  steps: { position: number; rank: number; left: ReplayPieceView; right: ReplayPieceView; merged: ReplayPieceView }[];
  finish: 'merges' | 'wholeWord' | 'addedToken';
  mergesReachTokens: boolean;
  tokens: ReplayPieceView[];
}

/** A BPE trained on the text: its merges, the token count after each, and one step shown. */
export interface BpeTrainerView {
  /** Characters of the text used for training (the text's start when it is long). */
  trainedChars: number;
  truncated: boolean;
  merges: { left: number[]; right: number[]; merged: number[]; count: number; id: number }[];
  /** tokenCounts[k]: tokens of the training text after the first k merges. */
  tokenCounts: number[];
  /** The step shown (0 = bytes only). */
  step: number;
  /** The start of the text, tokenized with the first `step` merges. */
  preview: { text: string; starts: Int32Array; ends: Int32Array; lengths: Int32Array; ids: Int32Array };
}

/** One tokenizer's reading of the chat (Chat mode): counts, its format and its first tokens. */
export interface TokenizerChatRow {
  id: string;
  label: string;
  /** 'chatTemplate': the tokenizer's Jinja template; 'openaiChatml': gpt-tokenizer's chat encoding; null: no chat format (see error). */
  format: 'chatTemplate' | 'openaiChatml' | null;
  total: number | null;
  /** Tokens of each message's content alone, in message order. */
  perMessage: number[];
  /** What the format adds to the contents: role markers, separators, the reply's start. */
  overhead: number | null;
  /** The chat's first tokens; `special` marks chat markers (single special ids). */
  pieces: { text: string; special: boolean }[];
  /** Why there is no count, localized. */
  error?: string;
}

/** Chat mode: the text read as messages, under every tokenizer's chat format; pending while the worker renders. */
export interface TokenizerChatView {
  /** 'json': a JSON array of {role, content}; 'text': the text as one user message. */
  from: 'json' | 'text';
  roles: string[];
  rows: TokenizerChatRow[];
  pending: boolean;
}

/** Everything the Tokenization panel shows. */
export interface TokenizerSnapshot {
  tokenizers: TokenizerChoice[];
  tokenizerId: string;
  /** Where the text came from; null before the first run. */
  source: { label: string; selection: boolean; truncated: boolean; totalChars: number } | null;
  /** Most characters tokenized (longer texts are cut, and the panel says so). */
  limit: number;
  text: string;
  tokenization: TokenizationView | null;
  stats: TokenizerStats | null;
  /** Every tokenizer on the same text; pending while the worker counts. */
  comparison: { rows: TokenizerComparisonRow[]; pending: boolean } | null;
  nfd: TokenizerNfdNotice | null;
  /** Live mode: the panel follows the editor's selection. */
  live: boolean;
  replay: MergeReplayView | { tokenIndex: number; error: string } | null;
  trainer: BpeTrainerView | null;
  /** Chat mode is on: the text as a chat under every tokenizer (null while off). */
  chat: TokenizerChatView | null;
}

/** Tokenization panel requests. */
export type TokenizerRequest =
  /** Tokenize the same text with another tokenizer. */
  | { type: 'setTokenizer'; tokenizerId: string }
  /** Turn live mode (follow the editor's selection) on or off. */
  | { type: 'setLive'; live: boolean }
  /** Turn Chat mode (the text as chat messages under every chat format) on or off. */
  | { type: 'setChat'; chat: boolean }
  /** Select token `index`'s characters in the editor the text came from. */
  | { type: 'selectToken'; index: number }
  /** Show the merge replay of the word holding token `index`. */
  | { type: 'focusToken'; index: number }
  /** Train a small BPE on the text (the stepper). */
  | { type: 'trainBpe' }
  /** Show the trained BPE after `step` merges. */
  | { type: 'trainStep'; step: number }
  /**
   * The webview has drawn tokenization `revision` (first paint; tests and benchmarks read it), in `renderMs`
   * of its own work, at `paintedAt` (Unix epoch ms: performance.timeOrigin + performance.now(), a clock the
   * host shares, being on the same machine).
   */
  | { type: 'rendered'; revision: number; renderMs: number; paintedAt: number };

/** Validates a Tokenization panel request (ranges are checked by the host against its state). */
export function parseTokenizerRequest(m: Record<string, unknown>): TokenizerRequest | undefined {
  switch (m.type) {
    case 'setTokenizer': {
      // Up to a `file:` id of a long absolute path (PATH_MAX is 4096 on Linux).
      const tokenizerId = stringUpTo(m.tokenizerId, 4_101);
      return tokenizerId ? { type: 'setTokenizer', tokenizerId } : undefined;
    }
    case 'setLive':
      return typeof m.live === 'boolean' ? { type: 'setLive', live: m.live } : undefined;
    case 'setChat':
      return typeof m.chat === 'boolean' ? { type: 'setChat', chat: m.chat } : undefined;
    case 'selectToken':
    case 'focusToken': {
      const index = intIn(m.index, 0, 10_000_000);
      return index === undefined ? undefined : { type: m.type, index };
    }
    case 'trainBpe':
      return { type: 'trainBpe' };
    case 'trainStep': {
      const step = intIn(m.step, 0, 100_000);
      return step === undefined ? undefined : { type: 'trainStep', step };
    }
    case 'rendered': {
      const revision = intIn(m.revision, 0, Number.MAX_SAFE_INTEGER);
      const renderMs = numberIn(m.renderMs, 0, 3_600_000);
      const paintedAt = numberIn(m.paintedAt, 0, 1e15);
      return revision === undefined || renderMs === undefined || paintedAt === undefined ? undefined : { type: 'rendered', revision, renderMs, paintedAt };
    }
    default:
      return undefined;
  }
}

/** The model the MoE view ran, and its parameter counts. */
export interface MoeModelInfo {
  /** The model that ran (the chosen one, or the embedded MoE model when the chosen one is dense). */
  label: string;
  /** The chosen model when it was dense and the embedded MoE model ran instead. */
  denseChosen?: string;
  modelType: string;
  format: 'safetensors' | 'gguf';
  layers: number;
  hidden: number;
  experts: number;
  topK: number;
  /** Each expert's intermediate size. */
  expertIntermediate: number;
  /** Whether the top-k gate weights are renormalised to sum to 1. */
  normalizeTopK: boolean;
  moeLayers: number[];
  /** Parameters in total and used per token (countParameters / Model.parameterCounts). */
  total: number;
  active: number;
}

/** Everything the MoE routing view shows (issue 15). */
export interface MoeSnapshot {
  /** The text that ran (the webview saves it so a reload re-runs it). */
  text: string;
  model: MoeModelInfo;
  /** The tokens' display texts, in order. */
  tokens: string[];
  /** Tokens of the whole text before the cap. */
  totalTokens: number;
  /** Per MoE layer: tokens × topK expert ids (best first) and gate weights, row-major. */
  routing: { layer: number; experts: number[]; weights: number[] }[];
  /** A well-known model's counts by the same arithmetic (Mixtral-8x7B: the study note's 47B / 13B). */
  reference: { label: string; total: number; active: number; experts: number; topK: number };
}

/** MoE routing view requests. */
export type MoeRequest =
  /** Open "Choose Model". */
  | { type: 'chooseModel' };

/** The snapshot and request types of each panel kind. New panels add one line here. */
export interface PanelMessages {
  welcome: { snapshot: WelcomeSnapshot; request: WelcomeRequest };
  attention: { snapshot: AttentionPanelSnapshot; request: AttentionRequest; reply: AttentionReply };
  kvcache: { snapshot: KvCacheSnapshot; request: KvCacheRequest };
  glossary: { snapshot: GlossarySnapshot; request: GlossaryRequest };
  tokenizer: { snapshot: TokenizerSnapshot; request: TokenizerRequest };
  decoding: { snapshot: DecodingSnapshot; request: DecodingRequest };
  moe: { snapshot: MoeSnapshot; request: MoeRequest };
  conceptLab: { snapshot: ConceptLabSnapshot; request: ConceptLabRequest };
}

/** A panel kind: also the webview bundle name (dist/webview/<kind>.js) and the view type suffix. */
export type PanelKind = keyof PanelMessages;

/** The snapshot type of panel `K`. */
export type SnapshotOf<K extends PanelKind> = PanelMessages[K]['snapshot'];

/** The replies panel `K`'s host posts besides snapshots (large data asked for by request); never for most panels. */
export type ReplyOf<K extends PanelKind> = PanelMessages[K] extends { reply: infer R } ? R : never;

/** What a webview persists with setState; the serializer hands it back after a window reload. */
export interface PersistedState {
  /** Small, panel-specific data the host needs to recompute the snapshot (validated before use). */
  restore?: unknown;
}

/** Requests every panel understands. */
export type CommonRequest =
  /** The webview has loaded and listens: the host may post (messages posted earlier are lost). */
  | { type: 'ready' }
  /** The user pressed Cancel on the running job. */
  | { type: 'cancel' };

/** Everything panel `K`'s webview may send. */
export type RequestOf<K extends PanelKind> = CommonRequest | PanelMessages[K]['request'];

/** Everything the host posts to panel `K`'s webview. */
export type ToWebview<K extends PanelKind> =
  /** The complete state to render (never a delta). */
  | { type: 'snapshot'; snapshot: SnapshotOf<K> }
  /** A slow job is running; `fraction` in [0, 1] when known. */
  | { type: 'progress'; message: string; fraction?: number; cancellable: boolean }
  /** The job finished or was cancelled: hide the progress. */
  | { type: 'idle' }
  /** Something failed: a clear, localized message. */
  | { type: 'error'; message: string }
  /** Large data the snapshot leaves out (a matrix, thumbnails), answering a request. */
  | { type: 'reply'; reply: ReplyOf<K> };

// ---------------------------------------------------------------------------------------------
// Runtime validation of webview messages.

/** A plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A finite number in [min, max], or undefined. */
export function numberIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

/** An integer in [min, max], or undefined. */
export function intIn(value: unknown, min: number, max: number): number | undefined {
  const n = numberIn(value, min, max);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

/** A string of at most `maxLength` UTF-16 units, or undefined. */
export function stringUpTo(value: unknown, maxLength: number): string | undefined {
  return typeof value === 'string' && value.length <= maxLength ? value : undefined;
}

/** One of `options`, or undefined. */
export function oneOf<T extends string>(value: unknown, options: readonly T[]): T | undefined {
  return typeof value === 'string' && (options as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** Validates one panel's own requests; returns undefined for anything malformed. */
type RequestValidator<K extends PanelKind> = (message: Record<string, unknown>) => PanelMessages[K]['request'] | undefined;

const requestValidators: { [K in PanelKind]: RequestValidator<K> } = {
  welcome: (m) => (m.type === 'runCommand' && isCommandId(m.command) ? { type: 'runCommand', command: m.command } : undefined),
  attention: (m) => parseAttentionRequest(m),
  kvcache: (m) => parseKvCacheRequest(m),
  glossary: (m) => parseGlossaryRequest(m),
  tokenizer: (m) => parseTokenizerRequest(m),
  decoding: (m) => parseDecodingRequest(m),
  moe: (m) => (m.type === 'chooseModel' ? { type: 'chooseModel' } : undefined),
  conceptLab: (m) => parseConceptLabRequest(m),
};

/** Checks a raw message from panel `kind`'s webview; undefined when it is not a valid request. */
export function parseRequest<K extends PanelKind>(kind: K, raw: unknown): RequestOf<K> | undefined {
  const message = asRecord(raw);
  if (!message || typeof message.type !== 'string') return undefined;
  if (message.type === 'ready' || message.type === 'cancel') return { type: message.type };
  const validate = requestValidators[kind] as RequestValidator<K>;
  return validate(message);
}

const KV_TEXT_MAX = 64;

/** Validates the KV-cache panel's inputs field by field (texts are checked for content later, by the host). */
export function parseKvCacheInputs(raw: unknown): KvCacheInputs | undefined {
  const m = asRecord(raw);
  const c = asRecord(m?.custom);
  if (!m || !c) return undefined;
  const text = (value: unknown) => stringUpTo(value, KV_TEXT_MAX);
  const custom = {
    layers: text(c.layers),
    queryHeads: text(c.queryHeads),
    kvHeads: text(c.kvHeads),
    headDim: text(c.headDim),
    slidingWindow: text(c.slidingWindow),
    slidingLayers: oneOf(c.slidingLayers, ['all', 'even', 'odd', 'list'] as const),
    slidingLayerList: stringUpTo(c.slidingLayerList, 1000),
    kvLoraRank: text(c.kvLoraRank),
    ropeHeadDim: text(c.ropeHeadDim),
    parameters: text(c.parameters),
  };
  if (Object.values(custom).some((v) => v === undefined)) return undefined;
  const gqa = m.gqaKvHeads === null ? null : intIn(m.gqaKvHeads, 1, 65_536);
  const inputs = {
    source: oneOf(m.source, ['preset', 'custom', 'config'] as const),
    presetId: text(m.presetId),
    configParameters: text(m.configParameters),
    seqLen: text(m.seqLen),
    batch: text(m.batch),
    kvDtype: text(m.kvDtype),
    weightsDtype: text(m.weightsDtype),
    gpuId: text(m.gpuId),
  };
  if (Object.values(inputs).some((v) => v === undefined) || gqa === undefined) return undefined;
  const parsed: KvCacheInputs = { ...(inputs as Omit<KvCacheInputs, 'custom' | 'gqaKvHeads'>), custom: custom as KvCustomFields, gqaKvHeads: gqa };
  if (m.serving === undefined) return parsed;
  const sv = asRecord(m.serving);
  if (!sv) return undefined;
  const serving = {
    tpDegree: text(sv.tpDegree),
    blockSize: text(sv.blockSize),
    gpuMemoryGiB: text(sv.gpuMemoryGiB),
    gpuBandwidthGBs: text(sv.gpuBandwidthGBs),
    gpuTflops: text(sv.gpuTflops),
  };
  if (Object.values(serving).some((v) => v === undefined)) return undefined;
  return { ...parsed, serving: serving as KvServingFields };
}

function parseKvCacheRequest(m: Record<string, unknown>): KvCacheRequest | undefined {
  switch (m.type) {
    case 'setInputs': {
      const inputs = parseKvCacheInputs(m.inputs);
      if (!inputs) return undefined;
      if (m.seq === undefined) return { type: 'setInputs', inputs };
      const seq = intIn(m.seq, 0, Number.MAX_SAFE_INTEGER);
      return seq === undefined ? undefined : { type: 'setInputs', inputs, seq };
    }
    case 'pickConfig':
    case 'copyMarkdown':
      return { type: m.type };
    default:
      return undefined;
  }
}
