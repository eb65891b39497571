import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glossaryChapters, glossaryEntries, glossaryEntry, lookupTerm } from '../../src/core/glossary/glossary';
import { formsOf, isCaseSensitiveForm } from '../../src/core/glossary/matcher';
import type { GlossaryChapter, LocalizedText } from '../../src/core/glossary/types';

const HANGUL = /[\uac00-\ud7a3]/;
const CHAPTERS: readonly GlossaryChapter[] = ['architecture', 'efficiency', 'position', 'components', 'moe', 'tokenization', 'training', 'decoding'];
const PANELS = new Set(['tokenize', 'attention', 'kvcache', null]);

/** Sentences in a definition: ends of sentences are . ! ? 。 followed by a space or the end (not "0.5"). */
function sentenceCount(text: string): number {
  return (text.match(/[.!?。](?=\s|$)/g) ?? []).length;
}

/** How a form is compared for uniqueness: case folded, separators unified, spaces next to Hangul dropped. */
function normalized(form: string): string {
  return form
    .toLowerCase()
    .replace(/[\s\-\u00a0\u2010\u2011]+/g, ' ')
    .replace(/ (?=[\uac00-\ud7a3])|(?<=[\uac00-\ud7a3]) /g, '')
    .trim();
}

function nonEmpty(text: LocalizedText, what: string): void {
  assert.ok(text.en.trim().length > 0, `${what}.en is empty`);
  assert.ok(text.ko.trim().length > 0, `${what}.ko is empty`);
}

test('every term the issue lists is in the glossary', () => {
  // The list of issue 7, as written there (plus the Korean names it gives).
  const issueTerms = [
    'Transformer', 'Self-Attention', 'Query/Key/Value', 'dot-product score', '√d_k scaling', 'Softmax', 'weighted sum',
    'context vector', '맥락 벡터', 'vanishing gradient', '그라디언트 소실', 'Encoder-only', 'BERT', 'Decoder-only', 'GPT',
    'Encoder-Decoder', 'T5', 'KV Cache', 'MHA', 'MQA', 'GQA', 'MLA', 'causal mask', 'context window', 'RoPE',
    'positional embedding', 'RMSNorm', 'LayerNorm', 'SwiGLU', 'ReLU', 'MoE', 'gating network', 'top-k routing', 'BPE',
    'subword', 'OOV', 'tokenizer', 'tokenization', 'pre-training', 'base model', 'SFT', 'alignment', 'RLHF',
    'reward model', 'PPO', 'DPO', 'GRPO', 'greedy search', 'beam search', 'nucleus sampling', 'top-p', 'top-k sampling',
    'temperature', 'hallucination', 'sycophancy', '아첨', 'knowledge cutoff', 'Grouped Query Attention',
    'grouped-query attention', '그룹 쿼리 어텐션',
  ];
  const missing = issueTerms.filter((t) => lookupTerm(t) === undefined);
  assert.deepEqual(missing, []);
  assert.ok(glossaryEntries().length >= 50, `${glossaryEntries().length} entries`);
});

test('every entry is complete in both languages', () => {
  for (const e of glossaryEntries()) {
    assert.match(e.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `id ${e.id}`);
    nonEmpty(e.name, `${e.id}.name`);
    nonEmpty(e.definition, `${e.id}.definition`);
    nonEmpty(e.example, `${e.id}.example`);
    assert.ok(HANGUL.test(e.name.ko), `${e.id}: the Korean name has Korean in it`);
    assert.ok(HANGUL.test(e.definition.ko), `${e.id}: the Korean definition is Korean`);
    assert.ok(HANGUL.test(e.example.ko), `${e.id}: the Korean example is Korean`);
    assert.ok(!HANGUL.test(e.name.en) && !HANGUL.test(e.definition.en), `${e.id}: the English name and definition are English`);
    assert.ok(e.aliases.en.length + e.aliases.ko.length > 0, `${e.id} has aliases`);
    assert.ok(e.aliases.ko.length > 0, `${e.id} has a Korean alias`);
    for (const a of [...e.aliases.en, ...e.aliases.ko]) assert.ok(a.trim() === a && a.length > 0, `${e.id}: alias '${a}'`);
    for (const a of e.aliases.en) assert.ok(!HANGUL.test(a), `${e.id}: English alias '${a}' has Hangul`);
    for (const lang of ['en', 'ko'] as const) {
      const n = sentenceCount(e.definition[lang]);
      assert.ok(n >= 1 && n <= 3, `${e.id}.definition.${lang} has ${n} sentences`);
    }
    assert.ok(e.formula === null || e.formula.trim().length > 0, `${e.id}: formula is null or text`);
    assert.ok(/\d/.test(e.example.en) && /\d/.test(e.example.ko), `${e.id}: the example has real numbers`);
    assert.ok(CHAPTERS.includes(e.chapter), `${e.id}: chapter ${e.chapter}`);
    assert.ok(PANELS.has(e.panel), `${e.id}: panel ${String(e.panel)}`);
  }
});

test('the English and Korean examples give the same numbers', () => {
  // Every number of the English example appears in the Korean one (commas and ordinals aside), so a figure
  // corrected in one language cannot silently stay wrong in the other.
  const numbers = (s: string): string[] => (s.replace(/(\d),(\d{3})/g, '$1$2').match(/\d+(\.\d+)?/g) ?? []).sort();
  for (const e of glossaryEntries()) {
    const ko = new Set(numbers(e.example.ko));
    const missing = numbers(e.example.en).filter((n) => !ko.has(n));
    assert.deepEqual(missing, [], `${e.id}: numbers of the English example missing from the Korean one`);
  }
});

test('ids are unique and related terms exist, are not self-references and are not repeated', () => {
  const ids = glossaryEntries().map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const e of glossaryEntries()) {
    assert.ok(e.related.length > 0, `${e.id} has related terms`);
    assert.equal(new Set(e.related).size, e.related.length, `${e.id}: repeated related id`);
    for (const r of e.related) {
      assert.notEqual(r, e.id, `${e.id} relates to itself`);
      assert.ok(glossaryEntry(r), `${e.id}: related '${r}' does not exist`);
    }
  }
});

test('names and aliases are unique across entries (and not repeated within one)', () => {
  const owner = new Map<string, string>();
  for (const e of glossaryEntries()) {
    const mine = new Set<string>();
    for (const form of formsOf(e)) {
      const key = normalized(form);
      // Within an entry, 'LayerNorm' (case-sensitive) and 'layernorm' (any case) are different forms.
      const own = isCaseSensitiveForm(form) ? `${key}|${form}` : key;
      assert.ok(!mine.has(own), `${e.id}: '${form}' repeats another form of the same entry`);
      mine.add(own);
      const other = owner.get(key);
      assert.ok(other === undefined || other === e.id, `'${form}' belongs to both ${other} and ${e.id}`);
      owner.set(key, e.id);
    }
  }
});

test('every name and alias finds its own entry', () => {
  for (const e of glossaryEntries()) {
    for (const form of formsOf(e)) assert.equal(lookupTerm(form)?.id, e.id, `lookupTerm('${form}')`);
  }
});

test('chapters: all eight in the study-note order, each with entries, titles in both languages', () => {
  assert.deepEqual(glossaryChapters().map((c) => c.id), CHAPTERS);
  for (const c of glossaryChapters()) {
    nonEmpty(c.title, c.id);
    assert.ok(HANGUL.test(c.title.ko), `${c.id}: Korean title`);
    assert.ok(glossaryEntries().some((e) => e.chapter === c.id), `${c.id} has entries`);
    assert.ok(PANELS.has(c.panel));
    if (c.panel !== null) assert.ok(glossaryEntries().some((e) => e.chapter === c.id && e.panel === c.panel), `${c.id}: panel shows one of its terms`);
  }
  // Entries are listed chapter by chapter, in chapter order.
  const order = glossaryEntries().map((e) => CHAPTERS.indexOf(e.chapter));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
});

test('Korean wording follows the study note where it names a term', () => {
  // study-note-ko.md: "맥락 벡터", "그라디언트 소실", "아첨(Sycophancy)", "지식 컷오프", "서브워드(Subword)", "토큰화",
  // "보상 모델(Reward Model)", "내적(Dot Product)", "Gating Network", "위치 정보 인코딩".
  assert.equal(glossaryEntry('context-vector')?.name.ko, '맥락 벡터');
  assert.equal(glossaryEntry('vanishing-gradient')?.name.ko, '그라디언트 소실');
  assert.equal(glossaryEntry('sycophancy')?.name.ko, '아첨');
  assert.equal(glossaryEntry('knowledge-cutoff')?.name.ko, '지식 컷오프');
  assert.equal(glossaryEntry('subword')?.name.ko, '서브워드');
  assert.equal(glossaryEntry('tokenization')?.name.ko, '토큰화');
  assert.equal(glossaryEntry('reward-model')?.name.ko, '보상 모델');
  assert.equal(lookupTerm('내적')?.id, 'dot-product');
  assert.equal(lookupTerm('위치 정보 인코딩')?.id, 'positional-embedding');
});

test('panels: the terms each panel shows', () => {
  const panelOf = (id: string): string | null | undefined => glossaryEntry(id)?.panel;
  for (const id of ['kv-cache', 'mha', 'mqa', 'gqa', 'mla']) assert.equal(panelOf(id), 'kvcache', id);
  for (const id of ['bpe', 'subword', 'oov', 'tokenizer', 'tokenization']) assert.equal(panelOf(id), 'tokenize', id);
  for (const id of ['self-attention', 'qkv', 'softmax', 'causal-mask']) assert.equal(panelOf(id), 'attention', id);
});
