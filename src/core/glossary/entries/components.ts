// Chapter 4 of the study note: building blocks of recent architectures (norms, activations).
import type { GlossaryEntry } from '../types';

/** Terms of the "Components" chapter. */
export const componentEntries: readonly GlossaryEntry[] = [
  {
    id: 'rmsnorm',
    name: { en: 'RMSNorm', ko: 'RMS 정규화' },
    aliases: { en: ['root mean square normalization', 'RMS norm'], ko: ['제곱평균제곱근 정규화'] },
    definition: {
      en: 'Divides a vector by its root mean square and multiplies by learned weights. It drops the mean subtraction and bias of LayerNorm, which makes it faster; Llama, Mistral and Qwen use it.',
      ko: '벡터를 제곱평균제곱근(RMS)으로 나누고 학습된 가중치를 곱하는 정규화입니다. 기존 LayerNorm에서 평균 계산을 제외하고 제곱평균제곱근만 사용해 속도를 높였으며, Llama, Mistral, Qwen이 사용합니다.',
    },
    // domain-facts.md, "Attention math".
    formula: 'RMSNorm(x) = x / √(mean(x²) + ε) · w',
    example: {
      en: 'x = (3, 4): mean(x²) = 12.5 and RMS ≈ 3.536, so with w = 1 the output is ≈ (0.849, 1.131). Llama-3.1-8B applies it twice in each of its 32 layers.',
      ko: 'x = (3, 4)이면 mean(x²) = 12.5, RMS ≈ 3.536이므로 w = 1일 때 출력은 ≈ (0.849, 1.131)입니다. Llama-3.1-8B는 32개 층마다 두 번씩 적용합니다.',
    },
    related: ['layernorm', 'transformer'],
    chapter: 'components',
    panel: null,
  },
  {
    id: 'layernorm',
    name: { en: 'LayerNorm', ko: '층 정규화' },
    aliases: { en: ['layer normalization', 'layer norm', 'layernorm'], ko: ['레이어 정규화', '레이어 노름'] },
    definition: {
      en: 'Normalizes each vector to zero mean and unit variance across its features, then applies a learned scale and shift. It keeps activations in a stable range so that deep stacks train; GPT-2 and BERT use it.',
      ko: '각 벡터를 특성 방향으로 평균 0, 분산 1로 정규화한 뒤 학습된 스케일과 이동을 적용합니다. 활성값을 안정된 범위로 유지해 깊은 층도 학습되게 하며, GPT-2와 BERT가 사용합니다.',
    },
    formula: 'LayerNorm(x) = (x − mean(x)) / √(var(x) + ε) · γ + β',
    example: {
      en: 'x = (3, 4): mean 3.5 and variance 0.25, so with γ = 1 and β = 0 the output is (−1, 1); RMSNorm maps the same x to ≈ (0.849, 1.131).',
      ko: 'x = (3, 4)이면 평균 3.5, 분산 0.25이므로 γ = 1, β = 0일 때 출력은 (−1, 1)입니다. 같은 x에 RMSNorm을 쓰면 ≈ (0.849, 1.131)입니다.',
    },
    related: ['rmsnorm'],
    chapter: 'components',
    panel: null,
  },
  {
    id: 'swiglu',
    name: { en: 'SwiGLU', ko: 'SwiGLU 활성화 함수' },
    aliases: { en: ['Swish-gated linear unit', 'SwiGLU activation'], ko: ['스위글루'] },
    definition: {
      en: 'A gated feed-forward block: one projection passed through the SiLU (Swish) activation is multiplied element-wise by a second projection, then projected back. It performs better than a plain ReLU block; Llama, Mistral and Qwen use it.',
      ko: '게이트가 달린 피드포워드 블록으로, SiLU(Swish) 활성화를 거친 사영을 다른 사영과 원소별로 곱한 뒤 다시 사영합니다. ReLU보다 성능이 우수한 최신 활성화 함수로 Llama, Mistral, Qwen이 사용합니다.',
    },
    // domain-facts.md, "Attention math": down(silu(gate(x)) · up(x)).
    formula: 'FFN(x) = down(silu(gate(x)) ⊙ up(x)),  silu(z) = z · σ(z)',
    example: {
      // intermediate_size = 14336: meta-llama/Llama-3.1-8B config.json.
      en: 'Llama-3.1-8B: gate and up map 4096 → 14,336 dims and down maps 14,336 → 4096, 3 × 4096 × 14,336 ≈ 176M weights per layer. silu(1) ≈ 0.731 and silu(−1) ≈ −0.269.',
      ko: 'Llama-3.1-8B: gate와 up이 4096 → 14,336차원, down이 14,336 → 4096차원으로 사영하므로 층마다 3 × 4096 × 14,336 ≈ 176M개의 가중치입니다. silu(1) ≈ 0.731, silu(−1) ≈ −0.269입니다.',
    },
    related: ['relu', 'moe', 'transformer'],
    chapter: 'components',
    panel: null,
  },
  {
    id: 'relu',
    name: { en: 'ReLU', ko: '정류 선형 유닛' },
    aliases: { en: ['rectified linear unit'], ko: ['렐루'] },
    definition: {
      en: 'The rectified linear unit keeps positive inputs and sets negative ones to zero. It was the activation of the original Transformer; newer models use GELU or SwiGLU instead.',
      ko: 'ReLU(정류 선형 유닛)는 양수 입력은 그대로 두고 음수는 0으로 만드는 활성화 함수입니다. 원조 Transformer가 사용했으며, 최신 모델은 GELU나 SwiGLU를 씁니다.',
    },
    formula: 'ReLU(x) = max(0, x)',
    example: {
      // Vaswani et al. 2017, section 3.3: d_model = 512, d_ff = 2048.
      en: "ReLU(−2) = 0 and ReLU(3) = 3. The original Transformer's feed-forward block is max(0, xW₁ + b₁)W₂ + b₂ with 512 → 2,048 → 512 dims.",
      ko: 'ReLU(−2) = 0, ReLU(3) = 3입니다. 원조 Transformer의 피드포워드 블록은 max(0, xW₁ + b₁)W₂ + b₂이며 차원은 512 → 2,048 → 512입니다.',
    },
    related: ['swiglu'],
    chapter: 'components',
    panel: null,
  },
];
