// The shape of a glossary entry. Pure data: no 'vscode', no DOM.

/** A text in both languages LLM Lens ships. */
export interface LocalizedText {
  readonly en: string;
  readonly ko: string;
}

/** A language a glossary text can be shown in. */
export type GlossaryLanguage = keyof LocalizedText;

/** The chapters of the study note, in reading order. */
export type GlossaryChapter =
  | 'architecture'
  | 'efficiency'
  | 'position'
  | 'components'
  | 'moe'
  | 'tokenization'
  | 'training'
  | 'decoding';

/** An LLM Lens panel that shows a term at work. */
export type GlossaryPanel = 'tokenize' | 'attention' | 'kvcache';

/** One glossary term, complete in English and Korean. */
export interface GlossaryEntry {
  /** Stable id (kebab-case), used by `related` and by command links. */
  readonly id: string;
  /** The name shown as the title. */
  readonly name: LocalizedText;
  /** Other spellings and abbreviations the matcher and lookupTerm also accept. */
  readonly aliases: { readonly en: readonly string[]; readonly ko: readonly string[] };
  /** One to three sentences. */
  readonly definition: LocalizedText;
  /** Plain-Unicode formula (hovers do not render LaTeX); null when the idea has none. */
  readonly formula: string | null;
  /** A concrete example with real numbers, checked against domain-facts.md or a cited source. */
  readonly example: LocalizedText;
  /** Ids of related entries. */
  readonly related: readonly string[];
  readonly chapter: GlossaryChapter;
  /** The panel that shows the idea, or null when no panel does. */
  readonly panel: GlossaryPanel | null;
}

/** A chapter heading of the glossary view and the walkthrough. */
export interface GlossaryChapterInfo {
  readonly id: GlossaryChapter;
  readonly title: LocalizedText;
  /** The panel that best shows the chapter, or null (the walkthrough then opens the glossary). */
  readonly panel: GlossaryPanel | null;
}
