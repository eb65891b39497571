// The memory budget of the model process (issue 14) and its V8 heap limit, from the setting and the machine.
import { totalmem } from 'node:os';

const MiB = 1024 * 1024;

/** The budget's default: a quarter of the machine's memory (leaves room for VS Code, the OS and other programs). */
export function defaultMemoryBudgetBytes(totalBytes = totalmem()): number {
  return Math.floor(totalBytes / 4);
}

/**
 * The budget in bytes from llmLens.model.memoryBudgetMiB: a positive number of MiB, or the default for 0, an
 * unset or a malformed value.
 */
export function memoryBudgetBytes(settingMiB: unknown, totalBytes = totalmem()): number {
  const mib = typeof settingMiB === 'number' && Number.isFinite(settingMiB) ? Math.floor(settingMiB) : 0;
  return mib > 0 ? mib * MiB : defaultMemoryBudgetBytes(totalBytes);
}

/**
 * The model process's V8 old-space limit in MiB (--max-old-space-size). Weights and activations are typed arrays
 * outside that heap; what lives in it is the tokenizer's vocabulary and merges, GGUF metadata and small objects
 * (a few hundred MB for 150k-token vocabularies). A quarter of the machine's memory, at least 1 GiB (V8's
 * smallest default on 64-bit) and at most 4 GiB (the most a pointer-compressed heap, as in Electron, can address).
 */
export function heapLimitMiB(totalBytes = totalmem()): number {
  return Math.min(4096, Math.max(1024, Math.floor(totalBytes / 4 / MiB)));
}
