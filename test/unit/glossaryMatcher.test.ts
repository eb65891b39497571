import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTermAt, findTerms, lookupTerm } from '../../src/core/glossary/glossary';
import { createTermMatcher, isCaseSensitiveForm } from '../../src/core/glossary/matcher';
import type { GlossaryEntry } from '../../src/core/glossary/types';

/** The matched text and entry id of every hit, in order: what a user would see highlighted. */
function hits(line: string): string[] {
  return findTerms(line).map((m) => `${line.slice(m.start, m.end)}=${m.entry.id}`);
}

test('finds abbreviations, phrases and Korean terms in running text', () => {
  assert.deepEqual(hits('GQA shares each KV head between query heads; see the KV cache.'), ['GQA=gqa', 'KV cache=kv-cache']);
  assert.deepEqual(hits('Softmax turns scores into weights'), ['Softmax=softmax']);
  assert.deepEqual(hits('그룹 쿼리 어텐션은 KV 캐시를 줄입니다'), ['그룹 쿼리 어텐션=gqa', 'KV 캐시=kv-cache']);
});

test('Korean terms are found with particles attached, and the range excludes the particle', () => {
  assert.deepEqual(hits('GQA는 메모리를 아낍니다'), ['GQA=gqa']);
  assert.deepEqual(hits('어텐션을 계산한다'), ['어텐션=self-attention']);
  assert.deepEqual(hits('토큰화가 먼저다'), ['토큰화=tokenization']);
  assert.deepEqual(hits('어텐션의 가중치'), ['어텐션=self-attention']);
  assert.deepEqual(hits('MoE에서는 Top-K 라우팅으로'), ['MoE=moe', 'Top-K 라우팅=top-k-routing']);
  assert.deepEqual(hits('(맥락 벡터)를 만든다'), ['맥락 벡터=context-vector']);
});

test('Korean terms do not start in the middle of a Korean word or identifier', () => {
  assert.deepEqual(hits('셀프어텐션'), ['셀프어텐션=self-attention'], 'spacing inside a Korean term is optional');
  assert.deepEqual(hits('크로스어텐션'), [], '어텐션 inside another word is not a hit');
  assert.deepEqual(hits('my어텐션'), []);
});

test('whole words only: no hits inside identifiers', () => {
  for (const line of ['property', 'groped', 'selfAttention', 'kv_cache', 'useGQA', 'GQA_HEADS', 'ropeTheta', 'dpo_loss', 'tokenizerX', '$softmax', 'softmax2']) {
    assert.deepEqual(hits(line), [], line);
  }
  assert.deepEqual(hits('nn.LayerNorm(x) and torch.softmax'), ['LayerNorm=layernorm', 'softmax=softmax'], 'a dot separates words');
  assert.deepEqual(hits('(RoPE), [GQA]; "MoE"'), ['RoPE=rope', 'GQA=gqa', 'MoE=moe']);
});

test('abbreviations are case-sensitive, phrases are not', () => {
  assert.deepEqual(hits('rope and moe and gqa and Gqa and ppo and relu and t5'), []);
  assert.deepEqual(hits('RoPE MoE GQA PPO ReLU T5'), ['RoPE=rope', 'MoE=moe', 'GQA=gqa', 'PPO=ppo', 'ReLU=relu', 'T5=encoder-decoder']);
  assert.deepEqual(hits('GROUPED QUERY ATTENTION, grouped-query attention, Grouped-Query Attention'), [
    'GROUPED QUERY ATTENTION=gqa',
    'grouped-query attention=gqa',
    'Grouped-Query Attention=gqa',
  ]);
  assert.deepEqual(hits('TEMPERATURE temperature Temperature'), ['TEMPERATURE=temperature', 'temperature=temperature', 'Temperature=temperature']);
  assert.equal(isCaseSensitiveForm('GQA'), true);
  assert.equal(isCaseSensitiveForm('RMSNorm'), true);
  assert.equal(isCaseSensitiveForm('T5'), true);
  assert.equal(isCaseSensitiveForm('Self-Attention'), false);
  assert.equal(isCaseSensitiveForm('KV cache'), false);
  assert.equal(isCaseSensitiveForm('seq2seq'), false);
});

test('separators: spaces and hyphens between Latin words are interchangeable', () => {
  assert.deepEqual(hits('self attention, self-attention, self  attention'), [
    'self attention=self-attention',
    'self-attention=self-attention',
    'self  attention=self-attention',
  ]);
  assert.deepEqual(hits('KV-cache'), ['KV-cache=kv-cache']);
  assert.deepEqual(hits('selfattention'), [], 'Latin words need a separator');
});

test('English plurals are accepted, other suffixes are not', () => {
  assert.deepEqual(hits('Transformers use softmaxes; MoEs too'), ['Transformers=transformer', 'softmaxes=softmax', 'MoEs=moe']);
  assert.deepEqual(hits('Transformerx softmaxing MoEx'), []);
});

test('overlapping terms: the longest match wins and matches never overlap', () => {
  assert.deepEqual(hits('multi-head attention'), ['multi-head attention=mha']);
  assert.deepEqual(hits('attention'), ['attention=self-attention']);
  assert.deepEqual(hits('top-p sampling beats top-p'), ['top-p sampling=nucleus-sampling', 'top-p=nucleus-sampling']);
  assert.deepEqual(hits('the attention score'), ['attention score=dot-product']);
  assert.deepEqual(hits('토큰화기는'), ['토큰화기=tokenizer'], 'the longer Korean term beats 토큰화 + particle');
  const all = findTerms('Grouped Query Attention, KV cache, RoPE, 셀프 어텐션 and the 맥락 벡터');
  for (let i = 1; i < all.length; i++) assert.ok(all[i].start >= all[i - 1].end, 'no overlaps');
});

test('lines from the study note find the terms it names', () => {
  const gqaLine = '- **GQA (Grouped Query Attention)**: Query들을 그룹으로 묶어 K, V를 공유. Llama 3 등 최신 모델의 표준입니다.';
  assert.deepEqual(hits(gqaLine), ['GQA=gqa', 'Grouped Query Attention=gqa']);
  const scaling = '2.  **Scaling**: 연산 결과가 너무 커져 그라디언트 소실이 발생하는 것을 막기 위해 $\\sqrt{d_k}$로 나눕니다.';
  assert.deepEqual(hits(scaling), ['그라디언트 소실=vanishing-gradient']);
  const halluc = '- **Hallucination**: 학습 데이터에 없는 내용을 사실처럼 말하는 현상. 지식 컷오프나 아첨(Sycophancy) 등이 원인입니다.';
  assert.deepEqual(hits(halluc), ['Hallucination=hallucination', '지식 컷오프=knowledge-cutoff', '아첨=sycophancy', 'Sycophancy=sycophancy']);
  const rlhf = '- **RLHF (Reinforcement Learning from Human Feedback)**: 인간의 선호를 학습한 보상 모델(Reward Model)과 PPO 알고리즘을 사용합니다.';
  assert.deepEqual(hits(rlhf), [
    'RLHF=rlhf',
    'Reinforcement Learning from Human Feedback=rlhf',
    '보상 모델=reward-model',
    'Reward Model=reward-model',
    'PPO=ppo',
  ]);
});

test('code comments, docstrings and Markdown', () => {
  assert.deepEqual(hits('    # Apply RoPE to q and k before the dot product.'), ['RoPE=rope', 'dot product=dot-product']);
  assert.deepEqual(hits('  // rope_theta scales the RoPE frequencies'), ['RoPE=rope']);
  assert.deepEqual(hits('"""Compute the KV cache size for GQA models."""'), ['KV cache=kv-cache', 'GQA=gqa']);
  assert.deepEqual(hits('## Beam search vs. greedy search'), ['Beam search=beam-search', 'greedy search=greedy-search']);
});

test('findTermAt returns the term under an offset', () => {
  const line = 'We use GQA here';
  assert.equal(findTermAt(line, 7)?.entry.id, 'gqa');
  assert.equal(findTermAt(line, 9)?.entry.id, 'gqa');
  assert.equal(findTermAt(line, 10)?.entry.id, 'gqa', 'the end of a word counts, as for VS Code word ranges');
  assert.equal(findTermAt(line, 3), undefined);
  assert.equal(findTermAt('', 0), undefined);
});

test('lookupTerm: exact names and aliases in both languages, abbreviations case-sensitive', () => {
  assert.equal(lookupTerm('GQA')?.id, 'gqa');
  assert.equal(lookupTerm('Grouped Query Attention')?.id, 'gqa');
  assert.equal(lookupTerm('grouped-query attention')?.id, 'gqa');
  assert.equal(lookupTerm('그룹 쿼리 어텐션')?.id, 'gqa');
  assert.equal(lookupTerm('  KV Cache ')?.id, 'kv-cache');
  assert.equal(lookupTerm('맥락 벡터')?.id, 'context-vector');
  assert.equal(lookupTerm('아첨')?.id, 'sycophancy');
  assert.equal(lookupTerm('gqa'), undefined);
  assert.equal(lookupTerm('GQA는'), undefined, 'lookup is exact; particles are for the matcher');
  assert.equal(lookupTerm('GQAs'), undefined);
  assert.equal(lookupTerm('Grouped Query'), undefined);
  assert.equal(lookupTerm(''), undefined);
  assert.equal(lookupTerm('   '), undefined);
});

test('a matcher can be built over any entries', () => {
  const entry: GlossaryEntry = {
    id: 'x',
    name: { en: 'Flash Attention', ko: '플래시 어텐션' },
    aliases: { en: ['FA2'], ko: [] },
    definition: { en: 'd', ko: 'd' },
    formula: null,
    example: { en: 'e', ko: 'e' },
    related: [],
    chapter: 'efficiency',
    panel: null,
  };
  const m = createTermMatcher([entry]);
  assert.deepEqual(
    m.findTerms('FA2 or flash-attention or 플래시어텐션은 fa2').map((h) => h.start),
    [0, 7, 26],
  );
  assert.equal(m.lookup('flash attention'), entry);
  assert.equal(m.lookup('attention'), undefined);
});

test('does not throw on odd input', () => {
  for (const line of ['\uD800', '\u0130GQA', '😀GQA😀', 'a'.repeat(10000), '-'.repeat(100), 'KV -', 'KV ']) {
    assert.doesNotThrow(() => findTerms(line));
  }
  assert.deepEqual(hits('😀GQA😀'), ['GQA=gqa']);
});

test('findTermAt on a very long (minified) line agrees with a scan of the whole line', () => {
  const line = 'var a=function(q,k){return softmax(q*k/Math.sqrt(d_k))}; /* GQA and the KV cache */ '.repeat(120);
  assert.ok(line.length > 5000);
  const all = findTerms(line);
  assert.ok(all.length > 300);
  for (const m of all.filter((_, i) => i % 7 === 0)) {
    for (const offset of [m.start, m.end - 1]) {
      const hit = findTermAt(line, offset);
      assert.deepEqual(hit && [hit.start, hit.end, hit.entry.id], [m.start, m.end, m.entry.id], `offset ${offset}`);
    }
  }
  assert.equal(findTermAt(line, line.indexOf('function') + 2), undefined);
});
