// Chapter 3 of the study note: position information (positional embeddings, RoPE).
import type { GlossaryEntry } from '../types';

/** Terms of the "Position" chapter. */
export const positionEntries: readonly GlossaryEntry[] = [
  {
    id: 'rope',
    name: { en: 'Rotary Positional Embedding', ko: '회전 위치 임베딩' },
    aliases: { en: ['RoPE', 'rotary position embedding', 'rotary embedding'], ko: ['회전 위치 인코딩', '로터리 위치 임베딩'] },
    definition: {
      en: "Encodes position by rotating pairs of query and key dimensions by an angle proportional to the token's position. The dot product of a rotated query and key then depends only on their relative distance, which helps with long contexts (Llama, Mistral).",
      ko: '쿼리와 키의 차원 쌍을 토큰 위치에 비례하는 각도로 회전시켜(회전 행렬) 위치 정보를 주입합니다. 회전된 쿼리와 키의 내적은 상대적인 거리에만 의존해 긴 문맥 처리에 유리합니다(Llama, Mistral 필수 적용).',
    },
    formula: 'rotate pair i of q and k at position m by m·θᵢ,  θᵢ = rope_theta^(−2i/d)',
    example: {
      // rope_theta: mistralai/Mistral-7B-v0.1 config.json (10000.0), meta-llama/Meta-Llama-3-8B config.json (500000.0).
      en: 'Mistral-7B-v0.1 uses rope_theta = 10,000 with head_dim 128 (64 pairs): the fastest pair turns 1 radian per token, the slowest 10,000^(−126/128) ≈ 1.2 × 10⁻⁴ radians, about 54,000 tokens per full turn. Llama 3 raises rope_theta to 500,000.',
      ko: 'Mistral-7B-v0.1은 rope_theta = 10,000, head_dim 128(쌍 64개)을 씁니다. 가장 빠른 쌍은 토큰마다 1 라디안, 가장 느린 쌍은 10,000^(−126/128) ≈ 1.2 × 10⁻⁴ 라디안씩 돌아 한 바퀴에 약 54,000 토큰이 걸립니다. Llama 3는 rope_theta를 500,000으로 키웠습니다.',
    },
    related: ['positional-embedding', 'qkv', 'context-window', 'mla'],
    chapter: 'position',
    panel: 'attention',
  },
  {
    id: 'positional-embedding',
    name: { en: 'Positional embedding', ko: '위치 임베딩' },
    aliases: { en: ['positional encoding', 'position embedding', 'position encoding'], ko: ['위치 인코딩', '위치 정보 인코딩'] },
    definition: {
      en: "Information about each token's position given to the model, because attention by itself ignores word order. It can be a learned table of absolute positions (GPT-2), fixed sinusoids (the original Transformer) or a rotation of queries and keys (RoPE).",
      ko: '어텐션 자체는 단어 순서를 구분하지 못하므로 각 토큰의 위치 정보를 모델에 넣어 주는 것입니다. 절대 위치별로 학습한 표(GPT-2), 고정된 사인파(원조 Transformer), 쿼리·키 회전(RoPE) 등의 방식이 있습니다.',
    },
    formula: 'sinusoidal: PE(pos, 2i) = sin(pos / 10000^(2i/d)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/d))',
    example: {
      // GPT-2: n_positions = 1024, n_embd = 768 (openai-community/gpt2 config.json).
      en: 'GPT-2 learns a table of 1,024 positions × 768 dims = 786,432 parameters, so it cannot read beyond 1,024 tokens.',
      ko: 'GPT-2는 1,024개 위치 × 768차원 = 786,432개 파라미터의 표를 학습하므로 1,024 토큰 너머는 읽지 못합니다.',
    },
    related: ['rope', 'transformer', 'context-window'],
    chapter: 'position',
    panel: 'attention',
  },
];
