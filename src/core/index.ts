// The public core API of LLM Lens (../shared/docs/architecture.md). Pure TypeScript: never imports 'vscode'.
// Stable: extend it, never change what is here.
export { packageRoot, dataDir, embeddedModelDir } from './paths';
export { encodeSafetensors, writeSafetensorsFile } from './attention/safetensorsWriter';
export type { TensorToWrite, WritableDtype } from './attention/safetensorsWriter';
