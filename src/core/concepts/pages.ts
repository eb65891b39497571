// Which Concept Lab page shows a glossary term at work (issue 20): the hover's "Open in the Concept Lab" link and
// the walkthrough use it. Page ids are the lab's (src/shared/conceptLabProtocol.ts conceptPages).

/** A Concept Lab page id. */
export type ConceptPageId = 'rope' | 'norm' | 'masks' | 'train';

const PAGE_OF_TERM: Readonly<Record<string, ConceptPageId>> = {
  'rope': 'rope',
  'positional-embedding': 'rope',
  'rmsnorm': 'norm',
  'layernorm': 'norm',
  'swiglu': 'norm',
  'relu': 'norm',
  'causal-mask': 'masks',
  'encoder-only': 'masks',
  'decoder-only': 'masks',
  'encoder-decoder': 'masks',
  'pre-training': 'train',
  'base-model': 'train',
  'sft': 'train',
};

/** The lab page for glossary entry `id`, or undefined when no page shows it. */
export function conceptPageOfTerm(id: string): ConceptPageId | undefined {
  return Object.prototype.hasOwnProperty.call(PAGE_OF_TERM, id) ? PAGE_OF_TERM[id] : undefined;
}
