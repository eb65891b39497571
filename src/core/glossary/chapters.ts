// The chapters of ../shared/seed/study-note-ko.md, in its order; titles follow its headings.
import type { GlossaryChapterInfo } from './types';

/** The glossary's chapters in reading order, with the panel that best shows each. */
export const glossaryChapterList: readonly GlossaryChapterInfo[] = [
  { id: 'architecture', title: { en: 'Transformer and attention', ko: 'Transformer와 어텐션' }, panel: 'attention' },
  {
    id: 'efficiency',
    title: { en: 'Sequence length and efficiency (KV cache, MQA/GQA)', ko: '시퀀스 길이와 연산 효율 (KV 캐시, MQA/GQA)' },
    panel: 'kvcache',
  },
  { id: 'position', title: { en: 'Positional encoding', ko: '위치 정보 인코딩' }, panel: 'attention' },
  {
    id: 'components',
    title: { en: 'Modern components (norms, activations)', ko: '최신 아키텍처 구성 요소 (정규화, 활성화 함수)' },
    panel: null,
  },
  { id: 'moe', title: { en: 'Model scaling: Mixture of Experts', ko: '모델 스케일링 (MoE)' }, panel: null },
  { id: 'tokenization', title: { en: 'Tokenization', ko: '토큰화' }, panel: 'tokenize' },
  { id: 'training', title: { en: 'Training and alignment', ko: '학습과 정렬' }, panel: null },
  { id: 'decoding', title: { en: 'Decoding strategies', ko: '답변 생성 (디코딩 전략)' }, panel: null },
];
