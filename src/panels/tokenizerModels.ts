import { modelRoots } from '../commands/chooseModel';
import { findLocalModels } from '../core/model/localModels';
import { setModelTokenizers } from '../core/tokenizers/catalog';
import { localModelTokenizers } from '../core/tokenizers/modelTokenizers';
import type { TokenizerInfo } from '../core/tokenizers/types';

// The tokenizers of the models on this machine (Hugging Face cache, Ollama, LM Studio, llmLens.modelRoots).
// Discovery reads only folders and GGUF headers; it runs once and again when asked to (llmLens.modelRoots changed).

let discovery: Promise<TokenizerInfo[]> | undefined;

/**
 * The local models' tokenizers (ids `model:<path>`, labelled with the model's name), put in the tokenizer
 * list; later calls share the first answer unless `refresh` (the caller saw llmLens.modelRoots change).
 */
export function discoverModelTokenizers(refresh = false): Promise<TokenizerInfo[]> {
  if (refresh) discovery = undefined;
  discovery ??= findLocalModels({ extra: modelRoots() })
    .then(localModelTokenizers)
    .then((infos) => {
      setModelTokenizers(infos);
      return infos;
    })
    // findLocalModels never throws by design; should anything, the list simply has no model tokenizers.
    .catch((): TokenizerInfo[] => []);
  return discovery;
}
