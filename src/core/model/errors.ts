// Typed errors of the attention core: every bad model file or config ends in one of these, never a crash.

/** Why a model could not be loaded; stable strings that tests and the UI can switch on. */
export type ModelLoadErrorCode =
  | 'notFound' // a file or directory is missing
  | 'io' // the file system refused a read
  | 'truncated' // the file ends before what its header promises
  | 'headerTooLarge' // the declared header length is beyond the sane cap or the file
  | 'headerInvalid' // the header is not UTF-8 JSON of the expected structure
  | 'dtype' // unknown dtype, or one that cannot be read as floats
  | 'shape' // a shape entry that is not a non-negative integer, or shape x dtype != byte length
  | 'offsets' // data offsets outside the data section, overlapping, or leaving gaps
  | 'index' // model.safetensors.index.json is malformed or names missing shards
  | 'config' // config.json is missing, malformed or inconsistent
  | 'unsupportedArchitecture' // the model is not of a supported family
  | 'missingTensor' // a weight the architecture needs is absent
  | 'tensorShape' // a weight has the wrong shape for the config
  | 'tokenizer' // tokenizer.json cannot be read
  | 'ggufTokenizer' // a GGUF file's metadata has no tokenizer LLM Lens can read
  | 'overBudget'; // even the weights that must stay resident do not fit the memory budget

/** A model directory or file that cannot be used, with a machine-readable `code`. */
export class ModelLoadError extends Error {
  /** What went wrong, for tests and for choosing a message. */
  readonly code: ModelLoadErrorCode;

  constructor(code: ModelLoadErrorCode, message: string) {
    super(message);
    this.name = 'ModelLoadError';
    this.code = code;
  }
}

/** A forward pass stopped because the caller asked it to (e.g. the user pressed Cancel). */
export class AttentionCancelledError extends Error {
  constructor() {
    super('The forward pass was cancelled.');
    this.name = 'AttentionCancelledError';
  }
}

/** Bad arguments to a forward pass or a step query (token ids out of range, layer/head out of range). */
export class AttentionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttentionInputError';
  }
}

/** A run (or a model's resident weights) that would exceed the memory budget, refused before allocating. */
export class MemoryBudgetError extends Error {
  /** Stable, for tests and the UI. */
  readonly code = 'overBudget';

  constructor(
    message: string,
    /** Estimated bytes the refused run needs (resident weights included). */
    readonly neededBytes: number,
    /** The budget it was checked against. */
    readonly budgetBytes: number,
    /** The most tokens that would fit (0 when none would). */
    readonly maxTokens: number,
  ) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}
