// Chapter 7 of the study note: training and alignment.
// Sources: Llama 3 model card / "The Llama 3 Herd of Models" (15T+ tokens, 8,192-token sequences);
// Ouyang et al. 2022, "Training language models to follow instructions with human feedback"
// (InstructGPT; Table 6: 12,725 SFT, 33,207 RM and 31,144 PPO training prompts; 1.3B preferred over 175B);
// DeepSeek-AI 2025, "DeepSeek-R1" (GRPO with rule-based rewards).
import type { GlossaryEntry } from '../types';

/** Terms of the "Training and alignment" chapter. */
export const trainingEntries: readonly GlossaryEntry[] = [
  {
    id: 'pre-training',
    name: { en: 'Pre-training', ko: '사전 학습' },
    aliases: { en: ['pretraining', 'pre-train'], ko: ['사전 훈련', '프리트레이닝'] },
    definition: {
      en: "The first and largest training stage: the model reads trillions of tokens and learns to predict the next one, picking up the statistical rules of language and much knowledge about the world. The result is a base model.",
      ko: '첫 번째이자 가장 큰 학습 단계로, 수조 개의 토큰을 읽으며 다음 토큰을 예측해 언어의 통계적 규칙과 세상에 대한 지식을 배웁니다. 그 결과 베이스 모델이 탄생합니다.',
    },
    formula: 'L = −Σₜ log p(xₜ | x₁ … xₜ₋₁)',
    example: {
      en: 'Llama 3 was pre-trained on over 15 trillion tokens; in sequences of 8,192 tokens that is more than 1.8 billion (1.8 × 10⁹) sequences.',
      ko: 'Llama 3는 15조 개가 넘는 토큰으로 사전 학습했습니다. 8,192 토큰 길이의 시퀀스로 치면 18억(1.8 × 10⁹) 개가 넘습니다.',
    },
    related: ['base-model', 'sft', 'knowledge-cutoff', 'tokenization'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'base-model',
    name: { en: 'Base model', ko: '베이스 모델' },
    aliases: { en: ['foundation model', 'pretrained model'], ko: ['기본 모델', '기반 모델', '파운데이션 모델'] },
    definition: {
      en: 'The model right after pre-training: it continues text but does not reliably follow instructions or hold a conversation. Instruct and chat models are made from it by SFT and alignment.',
      ko: '사전 학습 직후의 모델로, 텍스트를 이어 쓸 뿐 지시를 따르거나 대화하는 데는 서툽니다. 여기에 SFT와 정렬을 거쳐 지시(Instruct)·채팅 모델을 만듭니다.',
    },
    formula: null,
    example: {
      en: 'Llama-3.1-8B is the base model and Llama-3.1-8B-Instruct the tuned one: the same 32 layers and 8B parameters with different weights.',
      ko: 'Llama-3.1-8B가 베이스 모델이고 Llama-3.1-8B-Instruct가 튜닝된 모델입니다. 32개 층과 8B 파라미터 구조는 같고 가중치만 다릅니다.',
    },
    related: ['pre-training', 'sft', 'alignment'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'sft',
    name: { en: 'Supervised Fine-Tuning', ko: '지도 미세 조정' },
    aliases: { en: ['SFT', 'instruction tuning'], ko: ['지도 파인튜닝', '인스트럭션 튜닝'] },
    definition: {
      en: 'Training a pre-trained model on instruction-and-answer pairs written or selected by people, so that it learns to respond to requests. The loss counts only the answer tokens.',
      ko: '사전 학습된 모델을 사람이 쓰거나 고른 지시-답변 쌍으로 학습시켜 인간의 명령어에 대답하는 법을 배우게 합니다. 손실은 답변 토큰에서만 계산합니다.',
    },
    formula: 'L = −Σ_{t ∈ answer} log p(yₜ | instruction, y₁ … yₜ₋₁)',
    example: {
      en: "InstructGPT's SFT stage used about 13,000 training prompts with answers written by labelers.",
      ko: 'InstructGPT의 SFT 단계는 라벨러가 답변을 작성한 학습 프롬프트 약 13,000개를 사용했습니다.',
    },
    related: ['pre-training', 'alignment', 'rlhf', 'base-model'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'alignment',
    name: { en: 'Alignment', ko: 'AI 정렬' },
    aliases: { en: ['AI alignment', 'preference alignment'], ko: ['얼라인먼트', '가치 정렬', '선호 정렬'] },
    definition: {
      en: 'Tuning a model so that its answers match human values and preferences: helpful, honest and harmless. It follows SFT and uses preference methods such as RLHF, DPO or GRPO.',
      ko: '정렬(Alignment)은 AI가 인간의 가치관과 선호에 맞게(도움이 되고, 정직하고, 해롭지 않게) 답변하도록 조정하는 것입니다. SFT 다음 단계로, RLHF, DPO, GRPO 같은 방법을 씁니다.',
    },
    formula: null,
    example: {
      en: 'In the InstructGPT study, labelers preferred the answers of the 1.3B aligned model to those of the 175B GPT-3, a model more than 100 times larger.',
      ko: 'InstructGPT 연구에서 라벨러들은 100배 이상 큰 175B GPT-3보다 정렬된 1.3B 모델의 답변을 더 선호했습니다.',
    },
    related: ['rlhf', 'dpo', 'grpo', 'sft', 'sycophancy'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'rlhf',
    name: { en: 'Reinforcement Learning from Human Feedback', ko: '인간 피드백 기반 강화학습' },
    aliases: { en: ['RLHF'], ko: ['인간 피드백 강화학습'] },
    definition: {
      en: 'Alignment by reinforcement learning: people rank model answers, a reward model learns those preferences, and the policy is optimized (usually with PPO) to earn a high reward while staying close to the SFT model.',
      ko: '강화학습으로 하는 정렬입니다. 사람이 답변 순위를 매기면 보상 모델(Reward Model)이 그 선호를 학습하고, 정책 모델은 SFT 모델에서 너무 멀어지지 않으면서 높은 보상을 받도록 (보통 PPO 알고리즘으로) 최적화됩니다.',
    },
    formula: 'maximize E[r(x, y)] − β · KL(π ‖ π_SFT)',
    example: {
      en: 'InstructGPT used about 13k prompts for SFT, 33k for the reward model and 31k for PPO.',
      ko: 'InstructGPT는 SFT에 약 13k, 보상 모델에 약 33k, PPO에 약 31k개의 프롬프트를 사용했습니다.',
    },
    related: ['reward-model', 'ppo', 'alignment', 'dpo'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'reward-model',
    name: { en: 'Reward model', ko: '보상 모델' },
    aliases: { en: ['preference model'], ko: ['리워드 모델', '선호 모델'] },
    definition: {
      en: 'A model trained on human comparisons to give an answer one score, high when people would prefer it. RLHF optimizes the policy against this score.',
      ko: '사람의 비교 데이터로 학습해 답변 하나에 점수 하나를 매기는 모델로, 사람이 선호할 답변일수록 점수가 높습니다. RLHF는 이 점수를 기준으로 정책을 최적화합니다.',
    },
    formula: 'L = −log σ(r(x, y_w) − r(x, y_l))',
    example: {
      en: 'If the chosen answer scores 2.0 and the rejected one 0.5, then σ(1.5) = 0.818 and the loss is −ln 0.818 = 0.201.',
      ko: '선택된 답변이 2.0점, 거절된 답변이 0.5점이면 σ(1.5) = 0.818이고 손실은 −ln 0.818 = 0.201입니다.',
    },
    related: ['rlhf', 'ppo', 'dpo'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'ppo',
    name: { en: 'Proximal Policy Optimization', ko: '근접 정책 최적화' },
    aliases: { en: ['PPO'], ko: ['근위 정책 최적화'] },
    definition: {
      en: 'A reinforcement-learning algorithm that improves a policy in small steps: the ratio between the new and old probability of an action is clipped, so one update cannot move the policy too far. RLHF uses it.',
      ko: '정책을 조금씩 개선하는 강화학습 알고리즘입니다. 새 정책과 이전 정책의 확률 비율을 잘라내어(clip) 한 번의 업데이트로 정책이 너무 멀리 움직이지 않게 합니다. RLHF에 쓰입니다.',
    },
    formula: 'L = E[min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A)],  ρ = π(a|s) / π_old(a|s)',
    example: {
      en: 'With ε = 0.2 and advantage A = 1, a ratio ρ = 1.5 is clipped to 1.2, so the objective counts 1.2, not 1.5.',
      ko: 'ε = 0.2, 어드밴티지 A = 1일 때 비율 ρ = 1.5는 1.2로 잘려 목적 함수에는 1.5가 아닌 1.2가 반영됩니다.',
    },
    related: ['rlhf', 'reward-model', 'grpo'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'dpo',
    name: { en: 'Direct Preference Optimization', ko: '직접 선호 최적화' },
    aliases: { en: ['DPO'], ko: ['직접 선호도 최적화'] },
    definition: {
      en: "Alignment straight from preference pairs, without a separate reward model or reinforcement learning: a classification-style loss raises the probability of the chosen answer over the rejected one, relative to a frozen reference model.",
      ko: '보상 모델 프로세스를 생략하고 선호 데이터셋을 직접 학습하는 정렬 방법입니다. 분류 형태의 손실로, 고정된 기준 모델 대비 선택된 답변의 확률을 거절된 답변보다 높여 연산 효율과 안정성을 높입니다.',
    },
    formula: 'L = −log σ(β · [log π(y_w)/π_ref(y_w) − log π(y_l)/π_ref(y_l)])',
    example: {
      en: "With β = 0.1, if the policy raises the chosen answer's log-probability by 2 and lowers the rejected one's by 1 (relative to the reference), the loss is −ln σ(0.3) = −ln 0.574 = 0.554.",
      ko: 'β = 0.1에서 정책이 기준 모델 대비 선택된 답변의 로그 확률을 2 올리고 거절된 답변의 로그 확률을 1 낮추면, 손실은 −ln σ(0.3) = −ln 0.574 = 0.554입니다.',
    },
    related: ['rlhf', 'reward-model', 'alignment'],
    chapter: 'training',
    panel: null,
  },
  {
    id: 'grpo',
    name: { en: 'Group Relative Policy Optimization', ko: '그룹 상대 정책 최적화' },
    aliases: { en: ['GRPO'], ko: ['그룹 상대적 정책 최적화'] },
    definition: {
      en: "A PPO variant that samples a group of answers to the same prompt and scores each against the group's mean, so no separate value model is needed. With rule-based rewards it trained reasoning models such as DeepSeek-R1.",
      ko: '같은 프롬프트에 답변 여러 개를 뽑아 그룹 평균 대비 상대 점수(그룹 내 등수)로 강화학습을 하는 PPO 변형으로, 별도의 가치(value) 모델이 필요 없습니다. 규칙 기반 보상과 함께 DeepSeek-R1 같은 최신 추론 모델의 핵심이 되었습니다.',
    },
    formula: 'Aᵢ = (rᵢ − mean(r₁ … r_G)) / std(r₁ … r_G)',
    example: {
      en: 'A group of G = 4 answers with rewards (1, 0, 0, 1) has mean 0.5 and standard deviation 0.5, so the advantages are (+1, −1, −1, +1).',
      ko: '답변 G = 4개의 보상이 (1, 0, 0, 1)이면 평균 0.5, 표준편차 0.5이므로 어드밴티지는 (+1, −1, −1, +1)입니다.',
    },
    related: ['ppo', 'rlhf', 'alignment'],
    chapter: 'training',
    panel: null,
  },
];
