// The public core API of LLM Lens (../shared/docs/architecture.md). Pure TypeScript: never imports 'vscode'.
// Stable: extend it, never change what is here.
export { packageRoot, dataDir, embeddedModelDir } from './paths';
export { encodeSafetensors, writeSafetensorsFile } from './model/formats/safetensorsWriter';
export type { TensorToWrite, WritableDtype } from './model/formats/safetensorsWriter';
export { trainBpe, applyBpe, preTokenize, bytesToUnicode, byteLevelString, bpeToTokenizerJson, BpeEncoder, BpeError, PRE_TOKENIZE_PATTERN } from './bpe/trainer';
export type { BpeMerge, BpeTrainResult, BpeTrainOptions, HfTokenizerJson } from './bpe/trainer';
export { loadModel } from './model/load';
export type { Model, ModelWeights, LayerWeights } from './model/load';
export { runAttention, kvHeadMap, topPredictions, forward, nextTokenLogits, unembed, createKvCache } from './model/runtime';
export type { AttentionResult, AttentionRun, RunOptions, LayerQkv, TokenPrediction, ForwardHooks, ForwardOptions, ForwardResult, Ablation, LayerRouting } from './model/runtime';
export { KvCache } from './model/kvCache';
export { shapeOf } from './model/load';
export { ARCHITECTURES, architectureOf } from './model/arch/index';
export type { Architecture } from './model/arch/architecture';
export type { BlockSpec } from './model/config';
export type { TensorSource } from './model/weights';
export { linear, f32Weight, f32Data, weightRow, weightFloat32 } from './tensor/weights';
export type { WeightType, WeightMatrix } from './tensor/weights';
export { attentionStep, combineHeads } from './analysis/step';
export type { AttentionStep, StepOptions } from './analysis/step';
export { parseModelConfig, architectureFamilyOf, SUPPORTED_ARCHITECTURES } from './model/arch/index';
export type { ModelConfig, ArchitectureFamily, RopeScaling } from './model/config';
export { ModelLoadError, AttentionCancelledError, AttentionInputError } from './model/errors';
export type { ModelLoadErrorCode } from './model/errors';
export { parseSafetensors, openSafetensorsFile, MAX_HEADER_BYTES } from './model/formats/safetensors';
export type { SafetensorsHeader, SafetensorsFile, SafetensorsBuffer, TensorInfo } from './model/formats/safetensors';
export { findCachedModels, hfCacheRoot } from './model/discovery';
export type { CachedModel } from './model/discovery';
export type { ModelTokenizer } from './model/tokenizer';
// KV cache (issue 4).
export { KvCacheError } from './kvcache/shape';
export type { AttentionShape } from './kvcache/shape';
export { kvCacheBytes, kvCacheBreakdown, kvBytesPerToken, weightBytes } from './kvcache/bytes';
export type { KvCacheOptions, KvCacheBreakdown } from './kvcache/bytes';
export { shapeFromHfConfig } from './kvcache/hfConfig';
export { modelPresets } from './kvcache/presets';
export { countParameters, COUNTED_MODEL_TYPES } from './kvcache/parameters';
export type { ParameterCounts } from './kvcache/parameters';
export type { ModelPreset } from './kvcache/presets';
export { attentionKind, attentionVariants, defaultGqaKvHeads, gqaKvHeadChoices, kvHeadOf } from './kvcache/variants';
export type { AttentionKind, AttentionVariant } from './kvcache/variants';
export { maxContextForBudget, gpuSizes, elementTypes } from './kvcache/budget';
export type { BudgetOptions, ContextFit, ElementType, GpuSize } from './kvcache/budget';
export { kvCacheReport, chartTokenAxis } from './kvcache/report';
export type { KvCacheReport, KvCacheReportInput, KvCacheVariantReport } from './kvcache/report';
export { formatBinaryBytes, markdownTable } from './kvcache/format';
export { stateBytes } from './kvcache/bytes';
export { tensorParallelKv, pipelineStages, pagedKv, prefixSharing } from './kvcache/serving';
export type { ServingOptions, TensorParallelKv, PipelineStage, PagedKv, PrefixSharing } from './kvcache/serving';
export { gpuSpecs, keysSeen, attentionFlops, decodeRoofline, prefillFlops } from './kvcache/roofline';
export type { GpuSpec, RooflineInput, RooflineResult } from './kvcache/roofline';
// Tokenization: real tokenizers with byte/UTF-16 spans, token pieces, pre-tokenized words, merge replay.
export { listTokenizers, isTokenizerLoaded, embeddedTokenizerFile, registerTokenizerFile, fileTokenizerId, fileTokenizerPath } from './tokenizers/registry';
export { tokenize, tokenizeInChunks, countTokens, tokenBytes, tokenPiece, vocabularySize, wordSpans } from './tokenizers/tokenize';
export type { TokenizeOptions } from './tokenizers/tokenize';
export { addTokenizerToCatalog } from './tokenizers/catalog';
// Chat templates (issue 19): tokenizer_config.json's chat_template rendered as transformers does.
export { applyChatTemplate, chatTemplateFromConfig, ChatTemplateError } from './chat/template';
export type { ChatMessage, ChatTemplateOptions, ChatTemplateConfig, ChatTemplateErrorCode } from './chat/template';
export { chatTemplateOf } from './chat/packaged';
export { chatTokens, contentTokens } from './chat/chatTokens';
export type { ChatTokens, ChatTokensOptions, ChatFormat } from './chat/chatTokens';
export { chunkBoundaries, spansFromTokenBytes } from './tokenizers/spans';
export { decomposedHangulSyllables } from './tokenizers/korean';
export { mergeStepTokenCounts } from './bpe/stepper';
export type { TokenPiece, ChunkedTokenizeOptions } from './tokenizers/tokenize';
export { TokenizerError } from './tokenizers/types';
export type { TokenSpan, TokenizerInfo, WordSpan, TokenizerErrorCode } from './tokenizers/types';
export { replayMerges, piecesAfter, MAX_REPLAY_BYTES } from './bpe/replay';
export type { MergeReplay, MergeStep, ReplayPiece, ReplayFinish } from './bpe/replay';
// Glossary (issue 7): bilingual entries, lookup by name or alias, the line matcher and the comment/string
// region scanner used by the hover.
export { lookupTerm, findTerms, findTermAt, glossaryEntries, glossaryEntry, glossaryChapters } from './glossary/glossary';
export { createTermMatcher, isCaseSensitiveForm, formsOf } from './glossary/matcher';
export { searchGlossary, searchForm, GlossaryMatchTier, maxGlossaryQueryLength } from './glossary/search';
export type { GlossaryHit } from './glossary/search';
export type { GlossaryMatch, TermMatcher } from './glossary/matcher';
export type { GlossaryEntry, GlossaryChapter, GlossaryChapterInfo, GlossaryPanel, GlossaryLanguage, LocalizedText } from './glossary/types';
export { DocumentRegions, languageSyntax, isProseLanguage } from './glossary/textRegions';
export type { TextRegion, LanguageSyntax, StringDelimiter } from './glossary/textRegions';
export { parseCount, parseCustomModel, customModelText, parseLayerList, formatLayerList, KV_INPUT_LIMITS } from './kvcache/inputs';
export type { KvFieldError, CustomModelText, CustomModelResult, SlidingLayerPattern } from './kvcache/inputs';
export { attentionCsv } from './analysis/export';
export { matmulABt, useWasmMatmul } from './tensor/matmul';
export { paramLayout, initParams, sequenceForwardBackward, parameterCount } from './train/model';
export type { TrainModelConfig, ParamLayout, ParamSlot, SequenceResult } from './train/model';
// GGUF models and quantized weights (issue 13): the reader, ggml's block types, the quantized matmul, the
// GGUF tokenizer and the models the user already has (Hugging Face cache, Ollama, LM Studio).
export { BLOCK_TYPES, QK_K, blockTypeById, ggmlTypeName, rowBytes } from './tensor/quant/blockTypes';
export type { BlockType } from './tensor/quant/blockTypes';
export { dequantizeRow, dequantizeRows, toFloat32 } from './tensor/quant/dequantize';
export { linearQuantized } from './tensor/quant/linear';
export { openGguf, readGgufHeader, isGgufFile, ggufShardPaths, MAX_GGUF_HEADER_BYTES, MAX_GGUF_ARRAY_ELEMENTS } from './model/formats/gguf';
export type { GgufFile, GgufHeader, GgufHeaderOptions, GgufTensorInfo, GgufValue, GgufSkippedArray } from './model/formats/gguf';
export { loadGgufModel, ggufConfig, readGgufWeights, storedToModelWeights, heldWeightBytes, unpermuteQk, ggufQuantization, GGUF_ARCHITECTURES } from './model/ggufModel';
export type { GgufModel, GgufStoredWeights } from './model/ggufModel';
export { ggufTokenizer, ggufTokenizerSupported, GGUF_PRE_TOKENIZERS } from './model/ggufTokenizer';
export { findLocalModels, defaultLocalModelRoots, describeGguf, estimateRunBytes, estimateRunActivationBytes } from './model/localModels';
export type { LocalModel, LocalModelRoots, ModelDims } from './model/localModels';
// Decoding (issue 17): logit processors in Hugging Face's order, greedy / seeded sampling / beam search with the KV cache.
export { generate, eosTokenIds, CANDIDATES_PER_STEP } from './decode/generate';
export type { GenerateOptions, Generation, GenerationStep, Candidate, Beam } from './decode/generate';
export { candidateCutoffs } from './decode/cutoffs';
export type { CandidateCutoffs } from './decode/cutoffs';
export { processLogits, applyRepetitionPenalty, applyTemperature, topKFilter, topPFilter, minPFilter, softmax, drawFrom, entropy, validateSettings } from './decode/processors';
export type { ProcessorSettings, ProcessedLogits } from './decode/processors';
export { headScores, headMatrix, inductionTestScores, inductionTestSequences, standardInductionTest, INDUCTION_TEST } from './analysis/headScores';
export type { AttentionPatterns, HeadScoreOptions, HeadScores } from './analysis/headScores';
export { routeTopK, loadBalancingLoss, moeForward, moeBackward } from './train/moe';
export type { MoeConfig, Routing, ExpertWeights, MoeCache } from './train/moe';
export { trainConfigFromHf, loadTrainModel } from './train/hf';
// Reading heads (issue 18): logit lens, head ablation, attention sinks, heatmap export (SVG / HTML).
export { logitLens, answerFirstLayer, LOGIT_LENS_DEFAULT_TOP_K } from './analysis/logitLens';
export type { LogitLens, LogitLensOptions } from './analysis/logitLens';
export { ablateHeads } from './analysis/ablation';
export type { HeadAblationResult } from './analysis/ablation';
export { sinkShares, withoutFirstKeyView } from './analysis/sinks';
export type { FirstKeyHiddenView } from './analysis/sinks';
export { heatmapSvg, heatmapHtml, heatmapLayout, viridis, escapeXml } from './analysis/heatmapSvg';
export type { HeatmapSpec, HeatmapHtmlOptions, HeatmapLayout } from './analysis/heatmapSvg';
// Issue 14: one head's attention matrix on demand (runAttention with probs: false).
export { headProbs } from './model/runtime';
// Issue 14: the memory budget (weights beyond it streamed from disk; runs over it refused before allocating).
export { MemoryBudgetError } from './model/errors';
export { defaultMaxResidentBytes, estimateRunBytes as estimateRunMemory, checkRunBudget } from './model/budget';
export type { RunBytes, RunShape } from './model/budget';
export type { LoadOptions } from './model/load';
export type { WeightStream } from './tensor/weights';
export { weightRows } from './tensor/weights';
// Issue 14/15: what streamed weights read from disk (a MoE step reads only its routed experts' slices).
export { streamReadStats } from './tensor/stream';
export type { StreamReadStats } from './tensor/stream';
// Issue 14: the SIMD matmul on several threads sharing memory (identical results).
export { useMatmulThreads, matmulThreads, stopMatmulThreads } from './tensor/matmul';
// Issue 18: head scores at O(entries) per head, from the entries a forward pass keeps (ForwardHooks.attention).
export { patternSupport, collectPatternSums, headScoresFromSums, sinkSharesFromSums } from './analysis/headScores';
export type { PatternSupport, PatternSums } from './analysis/headScores';
