// Chapter 1 of the study note: the Transformer and self-attention.
// Model figures: ../shared/docs/domain-facts.md (GPT-2, Llama-3.1-8B rows); other sources cited inline.
import type { GlossaryEntry } from '../types';

/** Terms of the "Transformer architecture" chapter. */
export const architectureEntries: readonly GlossaryEntry[] = [
  {
    id: 'transformer',
    name: { en: 'Transformer', ko: '트랜스포머' },
    aliases: { en: ['Transformer architecture', 'Transformer model'], ko: ['트랜스포머 아키텍처', '트랜스포머 모델'] },
    definition: {
      en: 'A neural network built from stacked layers of self-attention and feed-forward blocks, proposed in "Attention Is All You Need" (2017). It processes all tokens of a sequence in parallel and is the basis of every modern LLM.',
      ko: '2017년 "Attention Is All You Need"에서 제안된, 셀프 어텐션과 피드포워드 블록을 층층이 쌓은 신경망 구조입니다. 시퀀스의 모든 토큰을 병렬로 처리하며 모든 LLM의 근간입니다.',
    },
    formula: "x′ = x + Attention(Norm(x));  layer(x) = x′ + FFN(Norm(x′))",
    example: {
      // Vaswani et al. 2017, Table 3 (base model); GPT-2 and Llama rows of domain-facts.md.
      en: 'The original base Transformer had 6 encoder and 6 decoder layers, d_model = 512 and 8 heads. GPT-2 (124M) stacks 12 decoder layers of width 768; Llama-3.1-8B stacks 32 layers of width 4096.',
      ko: '원조 Transformer(base)는 인코더 6층과 디코더 6층, d_model = 512, 헤드 8개였습니다. GPT-2(124M)는 폭 768의 디코더 12층을, Llama-3.1-8B는 폭 4096의 32층을 쌓습니다.',
    },
    related: ['self-attention', 'encoder-only', 'decoder-only', 'encoder-decoder', 'positional-embedding'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'self-attention',
    name: { en: 'Self-Attention', ko: '셀프 어텐션' },
    aliases: { en: ['attention', 'attention mechanism'], ko: ['어텐션', '자기 주의', '자기 어텐션', '어텐션 메커니즘'] },
    definition: {
      en: 'The mechanism by which every token computes a weighted mix of the (visible) tokens of its own sequence: its query is compared with every key, softmax turns the scores into weights, and the values are summed with those weights.',
      ko: '각 토큰이 같은 시퀀스에서 볼 수 있는 토큰들을 가중 평균하는 메커니즘입니다. 자신의 쿼리를 모든 키와 비교해 점수를 내고, 소프트맥스로 가중치를 만든 뒤 그 가중치로 밸류를 더합니다.',
    },
    formula: 'Attention(Q, K, V) = softmax(QKᵀ / √d_k + M) · V',
    example: {
      en: 'GPT-2 (124M) runs 12 attention heads of 64 dimensions in each of its 12 layers (12 × 64 = 768, the hidden size): 144 attention patterns per forward pass.',
      ko: 'GPT-2(124M)는 12개 층마다 64차원 어텐션 헤드 12개를 돌립니다(12 × 64 = 768, 은닉 크기). 순전파 한 번에 어텐션 패턴이 144개 나옵니다.',
    },
    related: ['qkv', 'dot-product', 'scaling', 'softmax', 'weighted-sum', 'mha', 'causal-mask'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'qkv',
    name: { en: 'Query, Key, Value', ko: '쿼리, 키, 밸류' },
    aliases: {
      en: ['QKV', 'Q, K, V', 'Q/K/V', 'Query/Key/Value', 'query, key and value', 'queries, keys and values'],
      ko: ['쿼리/키/밸류', '쿼리·키·밸류', '질의, 키, 값'],
    },
    definition: {
      en: "Three learned projections of each token's hidden state: the query says what the token is looking for, the key what it can be found by, and the value the content it passes on when attended to.",
      ko: '각 토큰의 은닉 상태를 학습된 세 행렬로 사영한 것입니다. 쿼리(Q)는 토큰이 찾는 것, 키(K)는 다른 토큰이 자신을 찾을 때 비교되는 것, 밸류(V)는 주목받았을 때 전달하는 내용입니다.',
    },
    formula: 'Q = X·W_Q,  K = X·W_K,  V = X·W_V',
    example: {
      en: 'Llama-3.1-8B maps a 4096-dim hidden state to 32 query heads of 128 dims but only 8 key and 8 value heads of 128 dims: q_proj is 4096 × 4096, k_proj and v_proj are 4096 × 1024.',
      ko: 'Llama-3.1-8B는 4096차원 은닉 상태를 128차원 쿼리 헤드 32개로, 키와 밸류는 128차원 헤드 8개씩으로만 사영합니다. q_proj는 4096 × 4096, k_proj와 v_proj는 4096 × 1024입니다.',
    },
    related: ['self-attention', 'dot-product', 'gqa', 'kv-cache'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'dot-product',
    name: { en: 'Dot-product score', ko: '내적 점수' },
    aliases: { en: ['dot product', 'attention score'], ko: ['내적', '어텐션 점수', '어텐션 스코어'] },
    definition: {
      en: 'The raw attention score of a query for a key: the sum of their element-wise products. A large score means the key matches what the query is looking for.',
      ko: '쿼리와 키 사이의 원시 어텐션 점수로, 두 벡터의 원소별 곱을 모두 더한 값(내적, Dot Product)입니다. 점수가 클수록 키가 쿼리가 찾는 것과 유사합니다.',
    },
    formula: 'score(i, j) = qᵢ · kⱼ = Σₜ qᵢ[t] · kⱼ[t]',
    example: {
      en: 'q = (1, 2) and k = (3, 0.5) score 1·3 + 2·0.5 = 4. In Llama-3.1-8B every score is a sum of 128 products (head_dim = 128).',
      ko: 'q = (1, 2), k = (3, 0.5)의 점수는 1·3 + 2·0.5 = 4입니다. Llama-3.1-8B에서는 점수 하나가 곱 128개의 합입니다(head_dim = 128).',
    },
    related: ['qkv', 'scaling', 'softmax'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'scaling',
    name: { en: '√d_k scaling', ko: '√d_k 스케일링' },
    aliases: { en: ['√d_k', 'sqrt(d_k)', 'scaled dot-product', 'scaled dot-product attention'], ko: ['√d_k로 나누기', '루트 d_k 스케일링'] },
    definition: {
      en: 'Dividing the dot-product scores by √d_k before softmax. Without it, scores grow with the head dimension, softmax saturates to nearly one-hot weights and the gradients vanish.',
      ko: '소프트맥스 전에 내적 점수를 √d_k로 나누는 것입니다. 그러지 않으면 헤드 차원이 클수록 점수가 너무 커져 소프트맥스가 거의 원-핫으로 포화되고 그라디언트 소실이 발생합니다.',
    },
    formula: 'scaled(i, j) = qᵢ · kⱼ / √d_k',
    example: {
      // Gemma-2: domain-facts.md ("scales by query_pre_attn_scalar, not √head_dim").
      en: 'GPT-2 heads have d_k = 64, so scores are divided by √64 = 8; Llama-3.1-8B heads have d_k = 128 and divide by √128 ≈ 11.31. Gemma-2 is an exception: it uses query_pre_attn_scalar instead of d_k.',
      ko: 'GPT-2의 헤드는 d_k = 64이므로 점수를 √64 = 8로 나누고, Llama-3.1-8B는 d_k = 128이라 √128 ≈ 11.31로 나눕니다. 예외로 Gemma-2는 d_k 대신 query_pre_attn_scalar를 씁니다.',
    },
    related: ['dot-product', 'softmax', 'vanishing-gradient'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'softmax',
    name: { en: 'Softmax', ko: '소프트맥스' },
    aliases: { en: ['softmax function'], ko: ['소프트맥스 함수'] },
    definition: {
      en: 'Turns a vector of scores into probabilities that are positive and sum to 1, giving larger scores exponentially more weight. Attention uses it to turn scores into weights; decoding uses it to turn logits into next-token probabilities.',
      ko: '점수 벡터를 양수이면서 합이 1인 확률로 바꾸며, 큰 점수에 지수적으로 더 큰 비중을 줍니다. 어텐션에서는 점수를 가중치로, 디코딩에서는 로짓을 다음 토큰 확률로 바꿉니다.',
    },
    formula: 'softmax(z)ᵢ = e^zᵢ / Σⱼ e^zⱼ',
    example: {
      en: 'Scores (2, 1, 0) become (0.665, 0.245, 0.090): e² ≈ 7.389, e¹ ≈ 2.718 and e⁰ = 1, each divided by their sum 11.107.',
      ko: '점수 (2, 1, 0)은 (0.665, 0.245, 0.090)이 됩니다. e² ≈ 7.389, e¹ ≈ 2.718, e⁰ = 1을 각각 그 합 11.107로 나눈 값입니다.',
    },
    related: ['scaling', 'weighted-sum', 'temperature', 'vanishing-gradient'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'weighted-sum',
    name: { en: 'Weighted sum', ko: '가중합' },
    aliases: { en: ['attention-weighted sum'], ko: ['가중 평균'] },
    definition: {
      en: 'The last step of attention: each value vector is multiplied by its attention weight and the results are added. The weights sum to 1, so the result, the context vector, is a weighted average of the values.',
      ko: '어텐션의 마지막 단계로, 각 밸류 벡터에 어텐션 가중치를 곱해 모두 더합니다. 가중치의 합이 1이므로 밸류들의 가중 평균이며, 그 결과가 맥락 벡터입니다.',
    },
    formula: 'oᵢ = Σⱼ aᵢⱼ · vⱼ',
    example: {
      en: 'Weights (0.665, 0.245, 0.090) over the values (1, 0), (0, 1) and (1, 1) give (0.665 + 0.090, 0.245 + 0.090) = (0.755, 0.335).',
      ko: '가중치 (0.665, 0.245, 0.090)을 밸류 (1, 0), (0, 1), (1, 1)에 적용하면 (0.665 + 0.090, 0.245 + 0.090) = (0.755, 0.335)입니다.',
    },
    related: ['softmax', 'context-vector', 'qkv'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'context-vector',
    name: { en: 'Context vector', ko: '맥락 벡터' },
    aliases: { en: ['attention output'], ko: ['문맥 벡터', '컨텍스트 벡터'] },
    definition: {
      en: 'The output of attention for one token: the weighted sum of the values, carrying information from the tokens it attended to. Each head produces one; they are concatenated and projected back to the hidden size.',
      ko: '한 토큰에 대한 어텐션의 출력으로, 주목한 토큰들의 정보를 담은 밸류의 가중합입니다. 헤드마다 하나씩 만들어지며, 이어 붙인 뒤 은닉 크기로 다시 사영됩니다.',
    },
    formula: 'headₕ = softmax(Qₕ·Kₕᵀ / √d_k) · Vₕ;  output = Concat(head₁, …, head_H) · W_O',
    example: {
      en: 'In Llama-3.1-8B each of the 32 heads yields a 128-dim context vector per token; concatenated they form 32 × 128 = 4096 dims, which o_proj (4096 × 4096) maps back to the hidden state.',
      ko: 'Llama-3.1-8B에서는 헤드 32개가 토큰마다 128차원 맥락 벡터를 하나씩 만들고, 이를 이어 붙인 32 × 128 = 4096차원을 o_proj(4096 × 4096)가 은닉 상태로 되돌립니다.',
    },
    related: ['weighted-sum', 'self-attention', 'mha'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'vanishing-gradient',
    name: { en: 'Vanishing gradient', ko: '그라디언트 소실' },
    aliases: { en: ['vanishing gradient problem', 'gradient vanishing'], ko: ['기울기 소실', '그래디언트 소실', '경사 소실'] },
    definition: {
      en: 'Gradients that shrink towards zero as they flow backwards through a network, so the weights that produce them barely learn. In attention it happens when unscaled scores saturate the softmax.',
      ko: '역전파 과정에서 그라디언트가 0에 가깝게 작아져 해당 가중치가 거의 학습되지 않는 현상입니다. 어텐션에서는 스케일링하지 않은 큰 점수가 소프트맥스를 포화시킬 때 발생합니다.',
    },
    formula: '∂pᵢ/∂zᵢ = pᵢ · (1 − pᵢ) → 0 as pᵢ → 1',
    example: {
      en: 'For two scores (2, 0) softmax gives p = 0.881 and the gradient p(1 − p) = 0.105; for (20, 0) it is p(1 − p) ≈ 2.1 × 10⁻⁹, so learning all but stops.',
      ko: '점수 두 개 (2, 0)이면 소프트맥스는 p = 0.881, 그라디언트 p(1 − p) = 0.105입니다. (20, 0)이면 p(1 − p) ≈ 2.1 × 10⁻⁹로 학습이 사실상 멈춥니다.',
    },
    related: ['scaling', 'softmax'],
    chapter: 'architecture',
    panel: null,
  },
  {
    id: 'encoder-only',
    name: { en: 'Encoder-only', ko: '인코더 전용' },
    aliases: { en: ['BERT', 'encoder-only model', 'encoder-only Transformer'], ko: ['인코더 전용 모델', '인코더 온리'] },
    definition: {
      en: 'A Transformer that keeps only the encoder stack: every token attends to every other token in both directions. Suited to understanding tasks such as classification and extracting meaning, not to generating text.',
      ko: '인코더만 쌓은 Transformer로, 모든 토큰이 양방향으로 서로를 보며 문맥을 이해합니다. 분류나 의미 추출 같은 이해 작업에 적합하며 텍스트 생성에는 쓰이지 않습니다.',
    },
    formula: null,
    example: {
      // Devlin et al. 2019, "BERT", section 3 (BERT-base) and 3.1 (15% masking).
      en: 'BERT-base: 12 layers, hidden size 768, 12 heads, 110M parameters, pre-trained by predicting the 15% of tokens that were masked out.',
      ko: 'BERT-base: 12층, 은닉 크기 768, 헤드 12개, 파라미터 110M(1억 1천만)이며, 가려 둔 15%의 토큰을 맞히는 방식으로 사전 학습했습니다.',
    },
    related: ['transformer', 'decoder-only', 'encoder-decoder', 'self-attention'],
    chapter: 'architecture',
    panel: null,
  },
  {
    id: 'decoder-only',
    name: { en: 'Decoder-only', ko: '디코더 전용' },
    aliases: { en: ['GPT', 'decoder-only model', 'decoder-only Transformer'], ko: ['디코더 전용 모델', '디코더 온리'] },
    definition: {
      en: 'A Transformer that keeps only the decoder stack: a causal mask lets each token see only itself and earlier tokens, and the model learns to predict the next token. The standard design of generative LLMs.',
      ko: '디코더만 쌓은 Transformer로, 인과 마스크 때문에 각 토큰은 자신과 이전 토큰만 보고 다음 토큰을 생성합니다. 생성형 AI의 표준 구조입니다.',
    },
    formula: null,
    example: {
      en: 'GPT-2 (124M) is decoder-only with 12 layers, hidden size 768 and 12 heads; so are Llama-3.1-8B (32 layers, hidden size 4096) and Mistral-7B.',
      ko: 'GPT-2(124M)는 12층, 은닉 크기 768, 헤드 12개인 디코더 전용 모델이며, Llama-3.1-8B(32층, 은닉 크기 4096)와 Mistral-7B도 마찬가지입니다.',
    },
    related: ['causal-mask', 'transformer', 'encoder-only', 'encoder-decoder', 'kv-cache'],
    chapter: 'architecture',
    panel: 'attention',
  },
  {
    id: 'encoder-decoder',
    name: { en: 'Encoder-Decoder', ko: '인코더-디코더' },
    aliases: { en: ['T5', 'encoder-decoder model', 'seq2seq', 'sequence-to-sequence'], ko: ['인코더-디코더 모델', '시퀀스-투-시퀀스'] },
    definition: {
      en: "A Transformer with two stacks: the encoder reads the whole input in both directions, and the decoder generates the output token by token while attending to the encoder's output (cross-attention). Used for translation and summarization.",
      ko: '입력과 출력을 분리한 두 스택의 Transformer입니다. 인코더가 입력 전체를 양방향으로 읽고, 디코더가 크로스 어텐션으로 인코더 출력을 참고하며 출력을 한 토큰씩 생성합니다. 번역이나 요약에 활용됩니다.',
    },
    formula: null,
    example: {
      // Raffel et al. 2020, "Exploring the Limits of Transfer Learning" (T5), section 3.1.1.
      en: 'T5-base: 12 encoder and 12 decoder layers, hidden size 768, 12 heads, about 220M parameters.',
      ko: 'T5-base: 인코더 12층과 디코더 12층, 은닉 크기 768, 헤드 12개, 파라미터 약 220M(2억 2천만)입니다.',
    },
    related: ['transformer', 'encoder-only', 'decoder-only'],
    chapter: 'architecture',
    panel: null,
  },
  {
    id: 'causal-mask',
    name: { en: 'Causal mask', ko: '인과 마스크' },
    aliases: { en: ['causal masking', 'causal attention mask', 'look-ahead mask'], ko: ['인과적 마스킹', '코절 마스크'] },
    definition: {
      en: 'A mask added to the attention scores that sets the score of every later token to −∞, so after softmax each token attends only to itself and earlier tokens. It lets a decoder train on all positions at once without seeing the future.',
      ko: '어텐션 점수에 더하는 마스크로, 뒤에 오는 토큰의 점수를 모두 −∞로 만들어 소프트맥스 후 각 토큰이 자신과 이전 토큰에만 주목하게 합니다. 덕분에 디코더는 미래를 보지 않고 모든 위치를 한꺼번에 학습합니다.',
    },
    formula: 'Mᵢⱼ = 0 if j ≤ i,  −∞ if j > i',
    example: {
      en: 'With 4 tokens, token 1 sees 1 token and token 4 sees all 4: 10 of the 16 scores survive (4 · 5 / 2) and the attention heatmap is lower-triangular.',
      ko: '토큰이 4개이면 1번 토큰은 1개, 4번 토큰은 4개 모두를 봅니다. 점수 16개 중 10개(4 · 5 / 2)만 남아 어텐션 히트맵이 아래 삼각형 모양이 됩니다.',
    },
    related: ['decoder-only', 'self-attention', 'softmax'],
    chapter: 'architecture',
    panel: 'attention',
  },
];
