// What one model family supplies to the loader and the runtime: recognising its config, parsing it into
// the generic ModelConfig (with the block description the runtime follows), and reading its tensors.
import type { ArchitectureFamily, ModelConfig } from '../config';
import type { ModelWeights, TensorSource } from '../weights';

/** One model family (model/arch/<family>.ts). */
export interface Architecture {
  family: ArchitectureFamily;
  /** For the "supported" list of error messages. */
  description: string;
  /** Whether a Hugging Face config.json (model_type / architectures) belongs to this family. */
  matches(config: Record<string, unknown>): boolean;
  /** The generic config, or a ModelLoadError naming the key that cannot be run faithfully. */
  parseConfig(config: Record<string, unknown>, modelType: string): ModelConfig;
  /** Reads and shape-checks every weight the block needs, by this family's tensor names. */
  readWeights(source: TensorSource, config: ModelConfig): Promise<ModelWeights>;
}

/** Both spellings: with the usual prefix and without it (checkpoints saved from the bare base model). */
export function names(prefix: string, rest: string): string[] {
  return [prefix + rest, rest];
}
