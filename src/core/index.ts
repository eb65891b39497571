// The public core API of LLM Lens (../shared/docs/architecture.md). Pure TypeScript: never imports 'vscode'.
// Stable: extend it, never change what is here.
export { packageRoot, dataDir, embeddedModelDir } from './paths';
export { encodeSafetensors, writeSafetensorsFile } from './attention/safetensorsWriter';
export type { TensorToWrite, WritableDtype } from './attention/safetensorsWriter';
export { trainBpe, applyBpe, preTokenize, bytesToUnicode, byteLevelString, bpeToTokenizerJson, BpeEncoder, BpeError, PRE_TOKENIZE_PATTERN } from './bpe/trainer';
export type { BpeMerge, BpeTrainResult, BpeTrainOptions, HfTokenizerJson } from './bpe/trainer';
