// Glossary search: which entries a query finds and in what order. Pure: the Glossary panel's host runs it
// and posts the ranked ids, so the webview only draws.
import { glossaryEntries } from './glossary';
import type { GlossaryEntry } from './types';

/** How well an entry matched a query; lower is better. */
export enum GlossaryMatchTier {
  /** The query is the entry's name or one of its aliases (English or Korean, case and separators ignored). */
  Exact = 0,
  /** A name or alias starts with the query. */
  Prefix = 1,
  /** A name or alias contains the query, or every word of the query starts a word of one. */
  InName = 2,
  /** Every word of the query occurs somewhere in the entry (names, aliases, definitions). */
  Anywhere = 3,
}

/** One search hit. */
export interface GlossaryHit {
  readonly entry: GlossaryEntry;
  readonly tier: GlossaryMatchTier;
}

/** Most characters of a query that are looked at (a pasted page is not a search). */
export const maxGlossaryQueryLength = 200;

/**
 * A form compared for search: NFC, lower case, hyphens/underscores/spaces unified to one space,
 * so "grouped query attention" finds "Grouped-Query Attention".
 */
export function searchForm(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\s\-_\u00a0\u2010\u2011\u2013]+/g, ' ')
    .trim();
}

/** The form without any spaces: "flash attention" and "FlashAttention" compare equal. */
function compact(form: string): string {
  return form.replace(/ /g, '');
}

interface Indexed {
  entry: GlossaryEntry;
  names: string[];
  haystack: string;
}

const indexCache = new WeakMap<readonly GlossaryEntry[], Indexed[]>();

function indexOf(entries: readonly GlossaryEntry[]): Indexed[] {
  let index = indexCache.get(entries);
  if (!index) {
    index = entries.map((entry) => {
      const names = [entry.name.en, entry.name.ko, ...entry.aliases.en, ...entry.aliases.ko].map(searchForm);
      const haystack = [entry.id, ...names, searchForm(entry.definition.en), searchForm(entry.definition.ko)].join('\n');
      return { entry, names, haystack };
    });
    indexCache.set(entries, index);
  }
  return index;
}

function tierOf(item: Indexed, query: string, words: string[]): GlossaryMatchTier | undefined {
  const q = compact(query);
  if (item.names.some((n) => n === query || compact(n) === q) || item.entry.id === query.replace(/ /g, '-')) return GlossaryMatchTier.Exact;
  if (item.names.some((n) => n.startsWith(query) || compact(n).startsWith(q))) return GlossaryMatchTier.Prefix;
  const inName = (n: string) => {
    if (n.includes(query)) return true;
    const nameWords = n.split(' ');
    return words.every((w) => nameWords.some((nw) => nw.startsWith(w)));
  };
  if (item.names.some(inName)) return GlossaryMatchTier.InName;
  if (words.every((w) => item.haystack.includes(w))) return GlossaryMatchTier.Anywhere;
  return undefined;
}

/**
 * The entries `query` finds, best first: exact name or alias matches, then prefix matches, then matches
 * inside a name, then entries that mention every word; ties keep chapter order. An empty query finds
 * every entry in chapter order.
 */
export function searchGlossary(query: string, entries: readonly GlossaryEntry[] = glossaryEntries()): GlossaryHit[] {
  const form = searchForm(query.slice(0, maxGlossaryQueryLength));
  const index = indexOf(entries);
  if (form.length === 0) return index.map((item) => ({ entry: item.entry, tier: GlossaryMatchTier.Anywhere }));
  const words = form.split(' ');
  const hits: { hit: GlossaryHit; order: number }[] = [];
  index.forEach((item, order) => {
    const tier = tierOf(item, form, words);
    if (tier !== undefined) hits.push({ hit: { entry: item.entry, tier }, order });
  });
  hits.sort((a, b) => a.hit.tier - b.hit.tier || a.order - b.order);
  return hits.map((h) => h.hit);
}
