// Chapter 5 of the study note: model scaling with a Mixture of Experts.
// Mixtral-8x7B and DeepSeek-V3 routing: ../shared/docs/domain-facts.md; Mixtral's parameter counts:
// Mistral AI, "Mixtral of experts" (2023): 46.7B total, 12.9B used per token.
import type { GlossaryEntry } from '../types';

/** Terms of the "Mixture of Experts" chapter. */
export const moeEntries: readonly GlossaryEntry[] = [
  {
    id: 'moe',
    name: { en: 'Mixture of Experts', ko: '전문가 혼합' },
    aliases: { en: ['MoE', 'mixture-of-experts model', 'sparse MoE'], ko: ['전문가 혼합 모델', '혼합 전문가 모델'] },
    definition: {
      en: 'A layer made of many expert feed-forward networks of which a gating network activates only a few per token. The total number of parameters grows while the compute per token stays small.',
      ko: '여러 전문가(Expert) 피드포워드 네트워크로 이루어진 층으로, 게이팅 네트워크가 토큰마다 일부만 활성화합니다. 모델이 커져도 모든 파라미터를 다 쓰지 않아 토큰당 연산량은 적습니다.',
    },
    formula: 'y = Σ_{i ∈ TopK} gᵢ(x) · Eᵢ(x)',
    example: {
      en: 'Mixtral-8x7B has 8 experts per layer and routes each token to 2 of them: about 47B parameters in total, but only about 13B used per token. DeepSeek-V3 routes each token to 8 of 256 experts.',
      ko: 'Mixtral-8x7B는 층마다 전문가 8개 중 2개로 토큰을 보냅니다. 전체 파라미터는 약 47B이지만 토큰당 실제 연산에 쓰이는 것은 약 13B입니다. DeepSeek-V3는 전문가 256개 중 8개를 고릅니다.',
    },
    related: ['gating-network', 'top-k-routing', 'swiglu'],
    chapter: 'moe',
    panel: null,
  },
  {
    id: 'gating-network',
    name: { en: 'Gating network', ko: '게이팅 네트워크' },
    aliases: { en: ['gate network', 'MoE router', 'expert router'], ko: ['게이트 네트워크', '전문가 라우터'] },
    definition: {
      en: 'The small learned layer of an MoE block that scores every expert for the current token; only the best-scoring experts run, and their outputs are weighted by the normalized scores.',
      ko: 'MoE 블록에서 입력 토큰마다 모든 전문가의 점수를 매기는 작은 학습 층입니다. 점수가 가장 높은 전문가만 실행하고, 정규화한 점수로 그 출력에 가중치를 줍니다.',
    },
    formula: 'g(x) = softmax(TopK(x · W_g, k))',
    example: {
      en: 'In Mixtral-8x7B the gate of each layer is a 4096 × 8 matrix: one logit per expert for every 4096-dim token.',
      ko: 'Mixtral-8x7B에서 각 층의 게이트는 4096 × 8 행렬로, 4096차원 토큰마다 전문가별 로짓을 하나씩 냅니다.',
    },
    related: ['moe', 'top-k-routing', 'softmax'],
    chapter: 'moe',
    panel: null,
  },
  {
    id: 'top-k-routing',
    name: { en: 'Top-k routing', ko: 'Top-K 라우팅' },
    aliases: { en: ['top-k gating', 'top-k expert routing'], ko: ['상위 K 라우팅', 'Top-K 게이팅'] },
    definition: {
      en: 'The rule that sends each token only to the k experts with the highest gate scores and skips the rest, so the compute per token stays fixed however many experts there are.',
      ko: '각 토큰을 게이트 점수가 가장 높은 Top-K개의 전문가에게만 보내고 나머지는 건너뛰는 규칙으로, 전문가가 아무리 많아도 토큰당 연산량이 일정합니다.',
    },
    formula: 'experts(x) = the k largest of x · W_g;  weights = softmax over those k',
    example: {
      en: 'Mixtral-8x7B uses top-2 of 8: router logits (2.0, 1.0, 0.5, …) keep the first two experts and weight them 0.731 and 0.269 (softmax over the two kept logits).',
      ko: 'Mixtral-8x7B는 8개 중 Top-2를 씁니다. 라우터 로짓이 (2.0, 1.0, 0.5, …)이면 앞의 두 전문가를 골라 0.731과 0.269로 가중합니다(남긴 두 로짓의 소프트맥스).',
    },
    related: ['gating-network', 'moe', 'top-k-sampling'],
    chapter: 'moe',
    panel: null,
  },
];
