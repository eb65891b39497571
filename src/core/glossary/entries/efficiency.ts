// Chapter 2 of the study note: sequence length and efficiency (KV cache, MHA/MQA/GQA/MLA).
// Every model figure is a row of ../shared/docs/domain-facts.md (sources: mlc-llm model_preset.py,
// transformers configuration_falcon.py, DeepSeek-V3 config_671B.json).
import type { GlossaryEntry } from '../types';

/** Terms of the "Efficiency" chapter. */
export const efficiencyEntries: readonly GlossaryEntry[] = [
  {
    id: 'kv-cache',
    name: { en: 'KV cache', ko: 'KV 캐시' },
    aliases: { en: ['key-value cache', 'KV caching'], ko: ['키-값 캐시', 'KV 캐싱'] },
    definition: {
      en: 'During generation the keys and values of earlier tokens are kept in memory, so each new token computes only its own and reuses the rest. It avoids recomputation, but its memory grows with layers, KV heads and sequence length, which MQA, GQA and MLA reduce.',
      ko: '추론 시 이미 계산한 이전 토큰의 키와 밸류를 메모리에 저장해 두어, 새 토큰은 자기 것만 계산하고 나머지는 재사용합니다. 중복 계산은 막지만 층 수, KV 헤드 수, 시퀀스 길이에 비례해 메모리 병목이 생기며, 이를 MQA·GQA·MLA가 줄입니다.',
    },
    formula: 'bytes = 2 · layers · kvHeads · headDim · bytesPerElement · seqLen · batch',
    example: {
      en: 'Llama-3.1-8B in bf16: 2 · 32 · 8 · 128 · 2 B = 128 KiB per token, so 8,192 tokens take 1 GiB.',
      ko: 'bf16의 Llama-3.1-8B: 토큰당 2 · 32 · 8 · 128 · 2 B = 128 KiB이므로 8,192 토큰이면 1 GiB입니다.',
    },
    related: ['mha', 'mqa', 'gqa', 'mla', 'context-window'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
  {
    id: 'mha',
    name: { en: 'Multi-Head Attention', ko: '멀티헤드 어텐션' },
    aliases: { en: ['MHA', 'multihead attention'], ko: ['다중 헤드 어텐션'] },
    definition: {
      en: 'Attention split into several heads, each with its own query, key and value projections, so different heads can attend to different relations. In MHA every query head has its own key and value head.',
      ko: '어텐션을 여러 헤드로 나누어 헤드마다 쿼리·키·밸류 사영을 따로 두는 방식으로, 헤드마다 다른 관계에 주목할 수 있습니다. MHA에서는 쿼리 헤드마다 자기 키·밸류 헤드가 있습니다.',
    },
    formula: 'kvHeads = queryHeads',
    example: {
      en: 'GPT-2 (124M) has 12 query heads and 12 KV heads of 64 dims in each of 12 layers; its KV cache is 2 · 12 · 12 · 64 · 2 B = 36 KiB per token in bf16.',
      ko: 'GPT-2(124M)는 12개 층마다 64차원 쿼리 헤드 12개와 KV 헤드 12개를 둡니다. KV 캐시는 bf16 기준 토큰당 2 · 12 · 12 · 64 · 2 B = 36 KiB입니다.',
    },
    related: ['mqa', 'gqa', 'kv-cache', 'self-attention'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
  {
    id: 'mqa',
    name: { en: 'Multi-Query Attention', ko: '멀티쿼리 어텐션' },
    aliases: { en: ['MQA'], ko: ['다중 쿼리 어텐션'] },
    definition: {
      en: 'All query heads share a single key head and a single value head. The KV cache shrinks by the number of query heads, at some risk to quality.',
      ko: '여러 쿼리 헤드가 하나의 키 헤드와 밸류 헤드(K, V)를 공유합니다. KV 캐시가 쿼리 헤드 수만큼 줄어 메모리는 아끼지만 성능 손실 가능성이 있습니다.',
    },
    formula: 'kvHeads = 1',
    example: {
      en: 'Falcon-7B: 71 query heads share 1 KV head of 64 dims; its KV cache is 2 · 32 · 1 · 64 · 2 B = 8 KiB per token in bf16, 71 times less than MHA would need.',
      ko: 'Falcon-7B: 쿼리 헤드 71개가 64차원 KV 헤드 1개를 공유합니다. KV 캐시는 bf16 기준 토큰당 2 · 32 · 1 · 64 · 2 B = 8 KiB로, MHA라면 필요했을 양의 71분의 1입니다.',
    },
    related: ['mha', 'gqa', 'kv-cache'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
  {
    id: 'gqa',
    name: { en: 'Grouped-Query Attention', ko: '그룹 쿼리 어텐션' },
    aliases: { en: ['GQA'], ko: ['그룹화 쿼리 어텐션', '그룹드 쿼리 어텐션'] },
    definition: {
      en: 'Query heads are split into groups and each group shares one key head and one value head: a middle ground between MHA and MQA. It is the standard in recent models such as Llama 3.',
      ko: '쿼리 헤드들을 그룹으로 묶어 그룹마다 키 헤드와 밸류 헤드 하나를 공유하는, MHA와 MQA의 절충안입니다. Llama 3 등 최신 모델의 표준입니다.',
    },
    formula: '1 < kvHeads < queryHeads;  group size = queryHeads / kvHeads',
    example: {
      en: 'Llama-3.1-8B: 32 query heads share 8 KV heads (4 query heads per KV head), so its KV cache is 128 KiB per token in bf16 instead of 512 KiB with MHA. Mistral-7B has the same 32/8 layout: it is GQA, not MQA.',
      ko: 'Llama-3.1-8B: 쿼리 헤드 32개가 KV 헤드 8개를 공유합니다(KV 헤드 하나당 쿼리 헤드 4개). 그래서 KV 캐시가 bf16 기준 토큰당 MHA의 512 KiB가 아닌 128 KiB입니다. Mistral-7B도 같은 32/8 구성으로, MQA가 아니라 GQA입니다.',
    },
    related: ['mha', 'mqa', 'kv-cache', 'qkv'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
  {
    id: 'mla',
    name: { en: 'Multi-head Latent Attention', ko: '멀티헤드 잠재 어텐션' },
    aliases: { en: ['MLA'], ko: ['다중 헤드 잠재 어텐션', '잠재 어텐션'] },
    definition: {
      en: 'DeepSeek-V2/V3 cache one compressed latent vector per token and layer instead of keys and values for every head, and rebuild the keys and values from it; a small extra part carries the RoPE position.',
      ko: 'DeepSeek-V2/V3는 헤드마다 키와 밸류를 저장하는 대신 토큰·층마다 압축된 잠재 벡터 하나를 캐시하고, 거기서 키와 밸류를 복원합니다. RoPE 위치 정보는 작은 별도 부분에 담습니다.',
    },
    formula: 'bytes per token per layer = (kvLoraRank + qkRopeHeadDim) · bytesPerElement',
    example: {
      en: 'DeepSeek-V3 (128 query heads): 61 layers × (512 + 64) × 2 B = 70,272 B ≈ 68.6 KiB per token in bf16.',
      ko: 'DeepSeek-V3(쿼리 헤드 128개): bf16 기준 토큰당 61층 × (512 + 64) × 2 B = 70,272 B ≈ 68.6 KiB입니다.',
    },
    related: ['kv-cache', 'gqa', 'rope'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
  {
    id: 'context-window',
    name: { en: 'Context window', ko: '컨텍스트 윈도우' },
    aliases: { en: ['context length', 'context size'], ko: ['컨텍스트 길이', '문맥 길이', '문맥 창'] },
    definition: {
      en: 'The largest number of tokens a model can attend to at once, prompt and answer together. Longer windows cost more: attention compute grows with the square of the length, the KV cache linearly.',
      ko: '모델이 한 번에 볼 수 있는 최대 토큰 수로, 프롬프트와 답변을 합친 길이입니다. 길수록 비용이 커져 어텐션 연산은 길이의 제곱에, KV 캐시는 길이에 비례해 늘어납니다.',
    },
    formula: 'prompt tokens + generated tokens ≤ context length',
    example: {
      // 131,072 = max_position_embeddings in meta-llama/Llama-3.1-8B config.json.
      en: 'Llama-3.1-8B accepts 131,072 tokens (128K); at 128 KiB of KV cache per token in bf16 a full window needs 16 GiB. Mistral-7B-v0.1 keeps a sliding window of 4,096 tokens.',
      ko: 'Llama-3.1-8B는 131,072 토큰(128K)을 받습니다. bf16 기준 토큰당 KV 캐시가 128 KiB이므로 창을 가득 채우면 16 GiB가 필요합니다. Mistral-7B-v0.1은 4,096 토큰의 슬라이딩 윈도우를 씁니다.',
    },
    related: ['kv-cache', 'positional-embedding', 'rope', 'causal-mask'],
    chapter: 'efficiency',
    panel: 'kvcache',
  },
];
