// Chapter 6 of the study note: tokenization.
// Token ids and splits were produced with gpt-tokenizer@4 (cl100k_base, o200k_base) and are re-checked
// by test/unit/glossaryFacts.test.ts; the Hangul counts are from ../shared/docs/domain-facts.md.
import type { GlossaryEntry } from '../types';

/** Terms of the "Tokenization" chapter. */
export const tokenizationEntries: readonly GlossaryEntry[] = [
  {
    id: 'bpe',
    name: { en: 'Byte Pair Encoding', ko: '바이트 쌍 인코딩' },
    aliases: { en: ['BPE'], ko: ['바이트 페어 인코딩'] },
    definition: {
      en: 'A tokenizer-training algorithm that starts from single characters (or bytes) and repeatedly merges the most frequent adjacent pair into a new token, until the vocabulary reaches its target size.',
      ko: '문자(또는 바이트) 단위에서 시작해 가장 빈번한 인접 쌍을 새 토큰으로 합쳐 나가는 과정을, 어휘가 목표 크기에 이를 때까지 반복하는 토크나이저 학습 알고리즘입니다.',
    },
    formula: '(a, b) = the most frequent adjacent pair;  replace every "a b" with the new token "ab";  repeat',
    example: {
      en: "'aaabdaaabac': merging 'aa' → Z gives 'ZabdZabac', then 'ab' → Y gives 'ZYdZYac', then 'ZY' → X gives 'XdXac': 11 symbols become 5.",
      ko: "'aaabdaaabac'에서 'aa' → Z로 합치면 'ZabdZabac', 'ab' → Y로 합치면 'ZYdZYac', 'ZY' → X로 합치면 'XdXac'가 되어 기호 11개가 5개로 줄어듭니다.",
    },
    related: ['subword', 'tokenizer', 'oov'],
    chapter: 'tokenization',
    panel: 'tokenize',
  },
  {
    id: 'subword',
    name: { en: 'Subword', ko: '서브워드' },
    aliases: { en: ['subword token', 'sub-word'], ko: ['서브워드 토큰', '부분 단어', '하위 단어'] },
    definition: {
      en: 'A token smaller than a word: frequent words stay whole while rarer ones are split into meaningful pieces, so any word, even one never seen in training (OOV), can be written with the vocabulary.',
      ko: '단어보다 작은 토큰 단위입니다. 자주 쓰는 단어는 통째로 두고 드문 단어는 의미 있는 부분 단위로 쪼개어, 처음 보는 단어(OOV)도 어휘로 표현할 수 있습니다.',
    },
    formula: null,
    example: {
      en: "cl100k_base and o200k_base both split 'tokenization' into 'token' + 'ization'; o200k_base keeps ' unbelievably' whole, while cl100k_base splits it into ' unbelie' + 'vably'.",
      ko: "cl100k_base와 o200k_base 모두 'tokenization'을 'token' + 'ization'으로 나눕니다. ' unbelievably'는 o200k_base에서는 토큰 하나, cl100k_base에서는 ' unbelie' + 'vably'입니다.",
    },
    related: ['bpe', 'oov', 'tokenization'],
    chapter: 'tokenization',
    panel: 'tokenize',
  },
  {
    id: 'oov',
    name: { en: 'Out-of-vocabulary', ko: '어휘 밖 단어' },
    aliases: { en: ['OOV', 'OOV word', 'unknown token'], ko: ['미등록 단어', '미등록어'] },
    definition: {
      en: 'A word missing from a word-level vocabulary, which such a tokenizer can only replace with an unknown token like [UNK]. Byte-level subword tokenizers have no OOV: anything falls back to smaller pieces, down to single bytes.',
      ko: '단어 단위 어휘에 없는 단어로, 그런 토크나이저는 [UNK] 같은 미지 토큰으로만 바꿀 수 있습니다. 바이트 수준 서브워드 토크나이저에는 OOV가 없습니다. 어떤 글자든 더 작은 조각, 끝내는 바이트로 쪼개지기 때문입니다.',
    },
    formula: null,
    example: {
      en: "cl100k_base has no token for '언', so '언어' becomes 3 tokens: two byte pieces for '언' and one token for '어', never [UNK]. Only 164 of the 11,172 Hangul syllables are a single cl100k_base token, alone or after a space.",
      ko: "cl100k_base에는 '언'에 해당하는 토큰이 없어 '언어'는 토큰 3개가 됩니다. '언'은 바이트 조각 2개, '어'는 토큰 1개이며 [UNK]는 나오지 않습니다. 한글 음절 11,172자 중 단독으로 또는 공백 뒤에서 cl100k_base 토큰 하나가 되는 것은 164자뿐입니다.",
    },
    related: ['subword', 'bpe', 'tokenizer'],
    chapter: 'tokenization',
    panel: 'tokenize',
  },
  {
    id: 'tokenizer',
    name: { en: 'Tokenizer', ko: '토크나이저' },
    aliases: { en: ['tokeniser'], ko: ['토큰화기'] },
    definition: {
      en: 'The component that turns text into a sequence of token ids and back, with a fixed vocabulary and rules (for example BPE merges). Each model family ships its own, so the same text gets different ids and counts.',
      ko: '고정된 어휘와 규칙(예: BPE 병합)으로 텍스트를 토큰 id 시퀀스로, 또 그 반대로 바꾸는 구성 요소입니다. 모델 계열마다 자기 토크나이저가 있어 같은 텍스트도 id와 토큰 수가 다릅니다.',
    },
    formula: null,
    example: {
      en: "'Hello world' is [9906, 1917] in cl100k_base (GPT-4) and [13225, 2375] in o200k_base (GPT-4o): the same two tokens, 'Hello' and ' world', with different ids.",
      ko: "'Hello world'는 cl100k_base(GPT-4)에서 [9906, 1917], o200k_base(GPT-4o)에서 [13225, 2375]입니다. 같은 두 토큰 'Hello'와 ' world'지만 id가 다릅니다.",
    },
    related: ['tokenization', 'bpe', 'subword'],
    chapter: 'tokenization',
    panel: 'tokenize',
  },
  {
    id: 'tokenization',
    name: { en: 'Tokenization', ko: '토큰화' },
    aliases: { en: ['tokenisation'], ko: ['토크나이징'] },
    definition: {
      en: 'Splitting text into the tokens a model reads. It decides how long a text is for the model, and therefore what it costs and how much fits in the context window; languages other than English often need more tokens.',
      ko: '텍스트를 모델이 읽는 토큰으로 쪼개는 과정입니다. 모델이 보는 텍스트 길이, 곧 비용과 컨텍스트 윈도우에 들어가는 양을 결정하며, 영어가 아닌 언어는 흔히 토큰이 더 많이 듭니다.',
    },
    formula: null,
    example: {
      en: "'안녕하세요' is 5 tokens in cl100k_base but 2 in o200k_base ('안' + '녕하세요'); decomposed (NFD) Hangul costs 6–9 times more tokens than composed (NFC) text.",
      ko: "'안녕하세요'는 cl100k_base에서 5토큰, o200k_base에서 2토큰('안' + '녕하세요')입니다. 자모로 분해한(NFD) 한글은 조합형(NFC)보다 토큰이 6–9배 더 듭니다.",
    },
    related: ['tokenizer', 'subword', 'bpe', 'context-window'],
    chapter: 'tokenization',
    panel: 'tokenize',
  },
];
