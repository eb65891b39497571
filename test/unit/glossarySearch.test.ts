import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glossaryEntries, glossaryEntry } from '../../src/core/glossary/glossary';
import { GlossaryMatchTier, searchGlossary } from '../../src/core/glossary/search';

const ids = (query: string) => searchGlossary(query).map((h) => h.entry.id);

test('"GQA" finds Grouped-Query Attention first, ahead of entries that only mention it (KV cache)', () => {
  const found = ids('GQA');
  assert.equal(found[0], 'gqa');
  assert.equal(searchGlossary('GQA')[0].tier, GlossaryMatchTier.Exact);
  const kv = found.indexOf('kv-cache');
  assert.ok(kv > 0, `KV cache mentions GQA and is still found, after it: ${found.join(', ')}`);
});

test('an exact name or alias match comes first in English, Korean, any case and with other separators', () => {
  assert.equal(ids('gqa')[0], 'gqa');
  assert.equal(ids('그룹 쿼리 어텐션')[0], 'gqa');
  assert.equal(ids('그룹화 쿼리 어텐션')[0], 'gqa');
  assert.equal(ids('grouped query attention')[0], 'gqa');
  assert.equal(ids('  KV   cache ')[0], 'kv-cache');
  assert.equal(ids('KV 캐시')[0], 'kv-cache');
  assert.equal(ids('mqa')[0], 'mqa');
});

test('tiers are ordered: exact, then prefix, then inside a name, then anywhere; ties keep chapter order', () => {
  const order = new Map(glossaryEntries().map((e, i) => [e.id, i]));
  for (const query of ['attention', 'kv', '어텐션', 'multi', 'token', 'cache']) {
    const hits = searchGlossary(query);
    assert.ok(hits.length > 0, query);
    for (let i = 1; i < hits.length; i++) {
      const a = hits[i - 1];
      const b = hits[i];
      assert.ok(a.tier < b.tier || (a.tier === b.tier && (order.get(a.entry.id) ?? 0) < (order.get(b.entry.id) ?? 0)), `${query}: ${a.entry.id} before ${b.entry.id}`);
    }
  }
  // "multi" starts Multi-Head Attention's name (prefix), so it ranks above an entry that only mentions the word.
  const multi = searchGlossary('multi');
  assert.equal(multi[0].tier, GlossaryMatchTier.Prefix);
});

test('every word of the query must occur; unknown words find nothing; an empty query finds everything in order', () => {
  assert.deepEqual(ids('flash attention zzzz'), []);
  assert.deepEqual(ids(''), glossaryEntries().map((e) => e.id));
  assert.deepEqual(ids('   '), glossaryEntries().map((e) => e.id));
  for (const id of ids('key value')) {
    const e = glossaryEntry(id);
    assert.ok(e);
    const text = [e.id, e.name.en, e.name.ko, ...e.aliases.en, ...e.aliases.ko, e.definition.en, e.definition.ko].join(' ').toLowerCase().replace(/-/g, ' ');
    assert.ok(text.includes('key') && text.includes('value'), id);
  }
});

test('a very long query is cut, not refused', () => {
  assert.doesNotThrow(() => searchGlossary('a'.repeat(100_000)));
});

test('the search request is validated: a string up to the limit, nothing else', async () => {
  const { parseRequest, maxGlossarySearchChars } = await import('../../src/shared/protocol');
  assert.deepEqual(parseRequest('glossary', { type: 'search', query: 'GQA' }), { type: 'search', query: 'GQA' });
  assert.deepEqual(parseRequest('glossary', { type: 'search', query: '' }), { type: 'search', query: '' });
  assert.equal(parseRequest('glossary', { type: 'search', query: 42 }), undefined);
  assert.equal(parseRequest('glossary', { type: 'search' }), undefined);
  assert.equal(parseRequest('glossary', { type: 'search', query: 'x'.repeat(maxGlossarySearchChars + 1) }), undefined);
});
