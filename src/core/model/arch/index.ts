// The architectures the runtime supports, one file each; the loader asks them in order which one a
// config.json belongs to. Adding a family: a file like llama.ts, one line in ARCHITECTURES (FOUNDATION.md).
import type { ArchitectureFamily, ModelConfig } from '../config';
import { configError } from '../config';
import { ModelLoadError } from '../errors';
import type { Architecture } from './architecture';
import { gemma2, gemma3 } from './gemma';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { mixtral } from './mixtral';
import { phi3 } from './phi3';
import { qwen3, qwen3moe } from './qwen3';

/** Every supported family, in the order configs are matched. */
export const ARCHITECTURES: readonly Architecture[] = [llama, gpt2, qwen3, qwen3moe, gemma2, gemma3, phi3, mixtral];

/** What the loader supports, named in every "unsupported" message. */
export const SUPPORTED_ARCHITECTURES = ARCHITECTURES.map((a) => a.description).join('; ');

/** The architecture of a family (throws for an unknown one: a programming error). */
export function architectureOf(family: ArchitectureFamily): Architecture {
  const arch = ARCHITECTURES.find((a) => a.family === family);
  if (!arch) throw new Error(`no architecture "${family}"`);
  return arch;
}

/** Which family a config belongs to, or undefined; cheap, used by model discovery. */
export function architectureFamilyOf(config: Record<string, unknown>): ArchitectureFamily | undefined {
  return ARCHITECTURES.find((a) => a.matches(config))?.family;
}

/** Parses config.json text into a ModelConfig, or throws a ModelLoadError ('config' / 'unsupportedArchitecture'). */
export function parseModelConfig(text: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw configError(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw configError('not a JSON object');
  const c = raw as Record<string, unknown>;
  const arch = ARCHITECTURES.find((a) => a.matches(c));
  const modelType = typeof c.model_type === 'string' ? c.model_type : 'unknown';
  if (!arch) {
    const archs = Array.isArray(c.architectures) ? c.architectures.join(', ') : 'none listed';
    throw new ModelLoadError(
      'unsupportedArchitecture',
      `model_type "${modelType}" (architectures: ${archs}) is not supported. Supported: ${SUPPORTED_ARCHITECTURES}.`,
    );
  }
  return arch.parseConfig(c, modelType);
}
