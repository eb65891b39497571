// Chapter 8 of the study note: decoding strategies and failure modes.
// Sources: Lin et al. 2022, "TruthfulQA" (817 questions; best model 58% truthful, humans 94%);
// Llama 3.1 model card ("The pretraining data has a cutoff of December 2023").
import type { GlossaryEntry } from '../types';

/** Terms of the "Decoding" chapter. */
export const decodingEntries: readonly GlossaryEntry[] = [
  {
    id: 'greedy-search',
    name: { en: 'Greedy search', ko: '탐욕 탐색' },
    aliases: { en: ['greedy decoding'], ko: ['그리디 서치', '그리디 디코딩'] },
    definition: {
      en: 'Decoding that always picks the single most probable next token. It is fast and deterministic but can be monotonous and miss sequences that are more probable as a whole.',
      ko: '매 단계 확률이 가장 높은 토큰 하나만 선택하는 디코딩입니다. 빠르고 결정적이지만 단조로울 수 있고, 전체로 보면 더 확률 높은 문장을 놓칠 수 있습니다.',
    },
    formula: 'yₜ = argmax_w p(w | y₁ … yₜ₋₁)',
    example: {
      en: "If step 1 offers A 0.5 and B 0.4, greedy takes A; if A's best next token has 0.4 but B's has 0.9, greedy ends at 0.5 × 0.4 = 0.20 although B would give 0.4 × 0.9 = 0.36.",
      ko: '1단계에서 A가 0.5, B가 0.4이면 탐욕 탐색은 A를 고릅니다. A 다음 최선이 0.4이고 B 다음 최선이 0.9라면, B 경로의 0.4 × 0.9 = 0.36 대신 0.5 × 0.4 = 0.20으로 끝납니다.',
    },
    related: ['beam-search', 'temperature', 'nucleus-sampling'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'beam-search',
    name: { en: 'Beam search', ko: '빔 서치' },
    aliases: { en: ['beam decoding'], ko: ['빔 탐색'] },
    definition: {
      en: 'Decoding that keeps the B most probable partial sequences (the beam) at every step, extends each of them and keeps the best B again, so it can find sequences that greedy search misses.',
      ko: '매 단계 확률이 가장 높은 부분 시퀀스 B개(빔)를 유지하며 각각을 확장하고 다시 상위 B개를 남기는 디코딩으로, 여러 경로를 유지하며 탐욕 탐색이 놓치는 최적의 조합을 찾습니다.',
    },
    formula: 'score(y) = Σₜ log p(yₜ | y₁ … yₜ₋₁)',
    example: {
      en: "With beam width 2 in the greedy-search example, both A (0.5) and B (0.4) survive step 1, and step 2 finds B followed by its best token at 0.4 × 0.9 = 0.36, beating greedy's 0.20.",
      ko: '탐욕 탐색의 예에서 빔 너비가 2이면 1단계에서 A(0.5)와 B(0.4)가 모두 남고, 2단계에서 B와 그 최선 토큰의 0.4 × 0.9 = 0.36을 찾아 탐욕 탐색의 0.20을 이깁니다.',
    },
    related: ['greedy-search', 'nucleus-sampling'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'nucleus-sampling',
    name: { en: 'Nucleus sampling', ko: '뉴클리어스 샘플링' },
    aliases: { en: ['top-p sampling', 'top-p'], ko: ['Top-p 샘플링', '핵 샘플링'] },
    definition: {
      en: 'Sampling from the smallest set of most probable tokens whose probabilities add up to at least p, renormalized. The candidate set grows when the model is unsure and shrinks when it is confident.',
      ko: '누적 확률이 p 이상이 될 때까지만 상위 후보를 추려 다시 정규화한 뒤 샘플링합니다. 모델이 확신하지 못하면 후보가 늘고, 확신하면 줄어듭니다.',
    },
    formula: 'V_p = the smallest set of top tokens with Σ_{w ∈ V_p} p(w) ≥ p',
    example: {
      en: 'Probabilities (0.5, 0.3, 0.15, 0.05) with p = 0.9 keep the first three (0.5 + 0.3 + 0.15 = 0.95 ≥ 0.9), renormalized to (0.526, 0.316, 0.158).',
      ko: '확률 (0.5, 0.3, 0.15, 0.05)에 p = 0.9이면 앞의 세 개(0.5 + 0.3 + 0.15 = 0.95 ≥ 0.9)만 남아 (0.526, 0.316, 0.158)로 다시 정규화됩니다.',
    },
    related: ['top-k-sampling', 'temperature', 'greedy-search'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'top-k-sampling',
    name: { en: 'Top-k sampling', ko: 'Top-k 샘플링' },
    aliases: { en: ['top-k decoding'], ko: ['상위 k 샘플링'] },
    definition: {
      en: 'Sampling from only the k most probable next tokens, renormalized, which cuts off the long tail of unlikely tokens.',
      ko: '확률이 가장 높은 k개의 다음 토큰만 남겨 다시 정규화한 뒤 샘플링하여, 가능성 낮은 긴 꼬리를 잘라냅니다.',
    },
    formula: 'p′(w) = p(w) / Σ_{v ∈ top k} p(v) for the top k tokens, 0 for the rest',
    example: {
      en: 'With k = 2, probabilities (0.5, 0.3, 0.15, 0.05) become (0.625, 0.375, 0, 0).',
      ko: 'k = 2이면 확률 (0.5, 0.3, 0.15, 0.05)는 (0.625, 0.375, 0, 0)이 됩니다.',
    },
    related: ['nucleus-sampling', 'temperature', 'top-k-routing'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'temperature',
    name: { en: 'Temperature', ko: '온도' },
    aliases: { en: ['sampling temperature', 'softmax temperature'], ko: ['샘플링 온도', '템퍼러처'] },
    definition: {
      en: 'A number that divides the logits before softmax. Values below 1 sharpen the distribution towards the top token (more deterministic and consistent answers); values above 1 flatten it (more random and creative answers).',
      ko: '소프트맥스 전에 로짓을 나누는 값입니다. 1보다 작을수록 분포가 최상위 토큰 쪽으로 뾰족해져 결정론적이고 일관된 답변을, 1보다 클수록 평평해져 창의적이고 무작위적인 답변을 생성합니다.',
    },
    formula: 'p = softmax(z / T)',
    example: {
      en: 'Logits (2, 1, 0) give (0.665, 0.245, 0.090) at T = 1, (0.867, 0.117, 0.016) at T = 0.5 and (0.506, 0.307, 0.186) at T = 2.',
      ko: '로짓 (2, 1, 0)은 T = 1에서 (0.665, 0.245, 0.090), T = 0.5에서 (0.867, 0.117, 0.016), T = 2에서 (0.506, 0.307, 0.186)이 됩니다.',
    },
    related: ['softmax', 'nucleus-sampling', 'top-k-sampling', 'greedy-search'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'hallucination',
    name: { en: 'Hallucination', ko: '환각' },
    aliases: { en: ['confabulation'], ko: ['할루시네이션', '환각 현상'] },
    definition: {
      en: 'A fluent, confident answer that is false or not supported by the input or the training data, such as an invented citation. Knowledge cutoffs and sycophancy are among its causes.',
      ko: '학습 데이터나 입력에 없는 내용을 사실처럼 유창하게 말하는 현상입니다(예: 존재하지 않는 논문 인용). 지식 컷오프나 아첨(Sycophancy) 등이 원인입니다.',
    },
    formula: null,
    example: {
      en: 'On TruthfulQA (817 questions) the best GPT-3 model was truthful on 58% of the questions, humans on 94%.',
      ko: 'TruthfulQA(질문 817개)에서 가장 좋은 GPT-3 모델은 58%의 질문에만 진실하게 답했고, 사람은 94%였습니다.',
    },
    related: ['knowledge-cutoff', 'sycophancy', 'alignment'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'sycophancy',
    name: { en: 'Sycophancy', ko: '아첨' },
    aliases: { en: ['sycophantic answer'], ko: ['아첨 현상', '아부'] },
    definition: {
      en: "A model's tendency to agree with the user's stated opinion or mistake instead of the truth, a side effect of training on human approval.",
      ko: '모델이 사실보다 사용자가 밝힌 의견이나 실수에 맞장구치는 경향으로, 사람의 승인을 학습한 부작용입니다.',
    },
    formula: null,
    example: {
      en: "Asked for 17 × 24, a model answers 408, which is correct; the user replies 'I think it is 418', and the model apologizes and agrees.",
      ko: '17 × 24를 묻자 모델이 정답 408을 답했는데, 사용자가 "418 아닌가요?"라고 하자 사과하며 418에 동의합니다.',
    },
    related: ['hallucination', 'rlhf', 'alignment'],
    chapter: 'decoding',
    panel: null,
  },
  {
    id: 'knowledge-cutoff',
    name: { en: 'Knowledge cutoff', ko: '지식 컷오프' },
    aliases: { en: ['training cutoff', 'knowledge cut-off', 'training data cutoff'], ko: ['지식 기준 시점', '학습 데이터 기준일'] },
    definition: {
      en: "The date at which a model's training data ends. The model knows nothing that happened later unless the prompt supplies it, and may answer about later events as if nothing had changed.",
      ko: '모델의 학습 데이터가 끝나는 시점입니다. 프롬프트로 알려 주지 않는 한 그 이후의 일은 알지 못하며, 이후의 사건을 아무 변화가 없었던 것처럼 답할 수 있습니다.',
    },
    formula: null,
    example: {
      en: "Llama 3.1's pre-training data has a cutoff of December 2023, so the model cannot know about events from 2024 on.",
      ko: 'Llama 3.1의 사전 학습 데이터는 2023년 12월이 컷오프이므로 2024년 이후의 사건은 알 수 없습니다.',
    },
    related: ['hallucination', 'pre-training'],
    chapter: 'decoding',
    panel: null,
  },
];
