// Markdown for the glossary hover and the walkthrough's chapter pages. Pure: the labels (localized by the
// caller through vscode.l10n) and the link targets (command URIs) come in as arguments.
import { glossaryEntry } from './glossary';
import { isCaseSensitiveForm } from './matcher';
import type { GlossaryChapterInfo, GlossaryEntry, GlossaryLanguage, GlossaryPanel } from './types';

/** Which language(s) glossary texts are shown in: one of them, or both (English first). */
export type GlossaryDisplayLanguage = GlossaryLanguage | 'both';

/** The localized labels of a hover. */
export interface GlossaryHoverLabels {
  example: string;
  related: string;
  openGlossary: string;
  /** Link text per panel, e.g. "Open the KV cache panel". */
  openPanel: Record<GlossaryPanel, string>;
  /** Link text of the Concept Lab page that computes the idea on a real model (issue 20). */
  openConceptLab?: string;
}

/** Link targets of a hover (command URIs); undefined leaves the link out. */
export interface GlossaryHoverLinks {
  /** The glossary view at one entry. */
  glossary(id: string): string | undefined;
  /** A panel, or undefined when it cannot be opened in this window. */
  panel(panel: GlossaryPanel): string | undefined;
  /** The Concept Lab page showing entry `id`, or undefined when none does (issue 20). */
  concept?(id: string): string | undefined;
}

// Codicons shown before a panel link ($(…) needs MarkdownString.supportThemeIcons).
const PANEL_ICON: Record<GlossaryPanel, string> = { tokenize: 'symbol-key', attention: 'eye', kvcache: 'graph' };

/**
 * Escapes text so Markdown shows it literally inside a paragraph (entry texts hold "d_k", "W_Q", "x*", "[UNK]",
 * "$"): the characters that start emphasis, code, links, HTML, entities and theme icons get a backslash, and so
 * does a first character that would start a heading, quote or list.
 */
export function escapeMarkdown(text: string): string {
  const escaped = text.replace(/[\\`*_[\]<>&$~]/g, '\\$&');
  return escaped.replace(/^(\s*)([#+\-=>]|\d+(?=[.)]))/, (_, space: string, lead: string) =>
    /^\d/.test(lead) ? `${space}${lead}\\` : `${space}\\${lead}`,
  );
}

/** The language-ordered texts of a bilingual value: [first, second?]. */
function inOrder(language: GlossaryDisplayLanguage): GlossaryLanguage[] {
  return language === 'both' ? ['en', 'ko'] : [language];
}

/** The short abbreviations of an entry (GQA, RoPE, BERT…), shown next to its name. */
export function abbreviationsOf(entry: GlossaryEntry): string[] {
  return entry.aliases.en.filter((a) => a.length <= 6 && isCaseSensitiveForm(a));
}

/** The title line: the name in the shown language first, abbreviations, then the name in the other language. */
function titleLine(entry: GlossaryEntry, language: GlossaryDisplayLanguage): string {
  const first: GlossaryLanguage = language === 'ko' ? 'ko' : 'en';
  const second: GlossaryLanguage = first === 'en' ? 'ko' : 'en';
  const abbreviations = abbreviationsOf(entry).filter((a) => a !== entry.name.en);
  const suffix = abbreviations.length > 0 ? ` (${abbreviations.join(', ')})` : '';
  return `**${escapeMarkdown(entry.name[first] + suffix)}** · ${escapeMarkdown(entry.name[second])}`;
}

/** The Markdown of a glossary hover: names in both languages, definition, formula, example, related terms, links. */
export function glossaryHoverMarkdown(
  entry: GlossaryEntry,
  language: GlossaryDisplayLanguage,
  labels: GlossaryHoverLabels,
  links: GlossaryHoverLinks,
): string {
  const languages = inOrder(language);
  const parts: string[] = [titleLine(entry, language)];
  for (const lang of languages) parts.push(escapeMarkdown(entry.definition[lang]));
  // A code span shows the formula as written (no escaping inside; the formulas hold no backticks).
  if (entry.formula) parts.push(`\`${entry.formula.replace(/`/g, "'")}\``);
  for (const lang of languages) parts.push(`**${escapeMarkdown(labels.example)}** ${escapeMarkdown(entry.example[lang])}`);
  const nameLanguage: GlossaryLanguage = language === 'ko' ? 'ko' : 'en';
  const related = entry.related
    .map((id) => glossaryEntry(id))
    .filter((e): e is GlossaryEntry => e !== undefined)
    .map((e) => {
      const target = links.glossary(e.id);
      const name = escapeMarkdown(e.name[nameLanguage]);
      return target ? `[${name}](${target})` : name;
    });
  if (related.length > 0) parts.push(`**${escapeMarkdown(labels.related)}** ${related.join(' · ')}`);
  const actions: string[] = [];
  const panelTarget = entry.panel ? links.panel(entry.panel) : undefined;
  if (entry.panel && panelTarget) actions.push(`[$(${PANEL_ICON[entry.panel]}) ${escapeMarkdown(labels.openPanel[entry.panel])}](${panelTarget})`);
  const conceptTarget = links.concept?.(entry.id);
  if (conceptTarget && labels.openConceptLab) actions.push(`[$(beaker) ${escapeMarkdown(labels.openConceptLab)}](${conceptTarget})`);
  const glossaryTarget = links.glossary(entry.id);
  if (glossaryTarget) actions.push(`[$(book) ${escapeMarkdown(labels.openGlossary)}](${glossaryTarget})`);
  if (actions.length > 0) parts.push(actions.join(' · '));
  return parts.join('\n\n');
}

/** A command URI: `command:<id>?<encoded JSON arguments>` (the form VS Code's Markdown links accept). */
export function commandUri(command: string, args?: readonly unknown[]): string {
  return args === undefined ? `command:${command}` : `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/**
 * The Markdown page of one chapter in one language (the walkthrough shows it next to the step): the chapter
 * title and, per term, its names, definition and formula.
 */
export function chapterMarkdown(chapter: GlossaryChapterInfo, entries: readonly GlossaryEntry[], language: GlossaryLanguage): string {
  const other: GlossaryLanguage = language === 'en' ? 'ko' : 'en';
  const lines = [`# ${escapeMarkdown(chapter.title[language])}`, ''];
  for (const entry of entries.filter((e) => e.chapter === chapter.id)) {
    const abbreviations = abbreviationsOf(entry).filter((a) => a !== entry.name.en);
    const names = escapeMarkdown(entry.name[language] + (abbreviations.length > 0 ? ` (${abbreviations.join(', ')})` : ''));
    lines.push(`- **${names}** · ${escapeMarkdown(entry.name[other])}  `);
    lines.push(`  ${escapeMarkdown(entry.definition[language])}${entry.formula ? `  \n  \`${entry.formula}\`` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The language glossary texts are shown in: the setting llmLens.glossaryLanguage ("auto" | "en" | "ko" |
 * "both"), with "auto" (or anything unexpected) following VS Code's display language.
 */
export function resolveGlossaryLanguage(setting: unknown, displayLanguage: string): GlossaryDisplayLanguage {
  if (setting === 'en' || setting === 'ko' || setting === 'both') return setting;
  return displayLanguage.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}
