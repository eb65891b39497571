import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionShape, KvCacheError } from '../../src/core/kvcache/shape';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { pagedKv, pipelineStages, prefixSharing, servingPlan, tensorParallelKv } from '../../src/core/kvcache/serving';
import { shapeFromHfConfig } from '../../src/core/kvcache/hfConfig';

// Llama-3.1-8B: 32 layers, 8 KV heads of 128 → 2 × 8 × 128 × 32 × 2 bytes = 131,072 bytes per token (bf16).
const LLAMA_8B: AttentionShape = { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 };
const PER_TOKEN = 131_072;

test('tensor parallel: 8 KV heads split over 2 GPUs; over 16 GPUs each head is held twice', () => {
  const tp2 = tensorParallelKv(LLAMA_8B, 2, { seqLen: 1000, bytesPerElement: 2 });
  assert.equal(tp2.bytesSingleGpu, 1000 * PER_TOKEN);
  assert.equal(tp2.kvHeadsPerGpu, 4);
  assert.equal(tp2.copiesPerHead, 1);
  assert.equal(tp2.bytesPerGpu, 1000 * PER_TOKEN / 2);
  const tp16 = tensorParallelKv(LLAMA_8B, 16, { seqLen: 1000, bytesPerElement: 2 });
  assert.equal(tp16.kvHeadsPerGpu, 1);
  assert.equal(tp16.copiesPerHead, 2);
  // One head per GPU: 2 × 1 × 128 × 32 layers × 2 bytes × 1000 tokens.
  assert.equal(tp16.bytesPerGpu, 16_384_000);
  assert.equal(tp16.bytesAllGpus, 2 * tp16.bytesSingleGpu);
  assert.throws(() => tensorParallelKv(LLAMA_8B, 3, { seqLen: 1, bytesPerElement: 2 }), (e: unknown) => e instanceof KvCacheError && e.field === 'degree' && /8 KV heads/.test(e.message));
});

test('tensor parallel: an MLA latent is whole on every GPU; OpenELM splits each layer\'s heads', () => {
  const mla: AttentionShape = { layers: 61, queryHeads: 128, kvHeads: 128, headDim: 128, mla: { kvLoraRank: 512, ropeHeadDim: 64 } };
  const tp = tensorParallelKv(mla, 8, { seqLen: 100, bytesPerElement: 2 });
  assert.equal(tp.bytesPerGpu, tp.bytesSingleGpu);
  assert.equal(tp.copiesPerHead, 8);
  const perLayer: AttentionShape = { layers: 2, queryHeads: 8, kvHeads: 2, headDim: 4, kvHeadsPerLayer: [2, 4] };
  // TP 2: 1 + 2 heads per GPU → 3 × 2 × 4 × 1 byte per token.
  assert.equal(tensorParallelKv(perLayer, 2, { seqLen: 1, bytesPerElement: 1 }).bytesPerGpu, 24);
});

test('pipeline stages: 32 layers in 3 stages are 11, 11, 10 and their caches add up', () => {
  const stages = pipelineStages(LLAMA_8B, 3, { seqLen: 1000, bytesPerElement: 2 });
  assert.deepEqual(stages.map((s) => s.endLayer - s.firstLayer), [11, 11, 10]);
  assert.equal(stages[0].kvBytes, 11 * 1000 * 4096);
  assert.equal(stages.reduce((sum, s) => sum + s.kvBytes, 0), kvCacheBytes(LLAMA_8B, { seqLen: 1000, bytesPerElement: 2 }));
  assert.throws(() => pipelineStages(LLAMA_8B, 33, { seqLen: 1, bytesPerElement: 2 }), /33 pipeline stages/);
});

test('pipeline stages of Jamba: each half holds 2 attention layers and 14 Mamba states', () => {
  const jamba = shapeFromHfConfig({
    model_type: 'jamba', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
    attn_layer_period: 8, attn_layer_offset: 4, mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2,
  });
  const [a, b] = pipelineStages(jamba, 2, { seqLen: 10, batch: 2, bytesPerElement: 2 });
  assert.equal(a.kvBytes, 2 * 4096 * 10 * 2);
  assert.equal(b.kvBytes, a.kvBytes);
  // 14 Mamba layers × 163,840 elements × 2 bytes × batch 2.
  assert.equal(a.stateBytes, 14 * 163_840 * 2 * 2);
  assert.equal(a.stateBytes + b.stateBytes, 2 * (jamba.stateBytesPerSequence ?? 0));
});

test('paged attention: 1000 tokens in 16-token blocks waste 8 token slots per layer', () => {
  const paged = pagedKv(LLAMA_8B, 16, { seqLen: 1000, batch: 2, bytesPerElement: 2 });
  assert.equal(paged.wastedTokensFull, 8);
  assert.equal(paged.wastedBytes, 2 * 8 * PER_TOKEN);
  assert.equal(paged.allocatedBytes, 2 * 1008 * PER_TOKEN);
  assert.equal(pagedKv(LLAMA_8B, 16, { seqLen: 1024, bytesPerElement: 2 }).wastedBytes, 0);
  // Past a 4096-token window (a whole number of blocks) every layer's blocks are full.
  const sliding = pagedKv({ ...LLAMA_8B, slidingWindow: 4096 }, 16, { seqLen: 5000, bytesPerElement: 2 });
  assert.equal(sliding.wastedBytes, 0);
});

test('prefix sharing: a 1000-token system prompt shared across 4 sequences in 16-token blocks', () => {
  const shared = prefixSharing(LLAMA_8B, 1000, { seqLen: 1200, batch: 4, bytesPerElement: 2, blockSize: 16 });
  assert.equal(shared.sharedTokens, 992); // 62 whole blocks
  assert.equal(shared.bytesWithoutSharing, 4 * 1200 * PER_TOKEN);
  assert.equal(shared.bytesWithSharing, (992 + 4 * 208) * PER_TOKEN);
  assert.equal(shared.saved, 3 * 992 * PER_TOKEN);
  assert.throws(() => prefixSharing(LLAMA_8B, 1300, { seqLen: 1200, bytesPerElement: 2 }), /longer than the sequence/);
});

test('serving plan: Llama-3.1-8B on 2 GPUs, 16-token blocks, 4 sequences of 1000 tokens against 24 GiB (by hand)', () => {
  const plan = servingPlan({ shape: LLAMA_8B, degree: 2, blockSize: 16, seqLen: 1000, sequences: 4, bytesPerElement: 2, weightsBytes: 16_000_000_000, gpuMemoryBytes: 24 * 2 ** 30 });
  // 4 KV heads per GPU: 2 × 4 × 128 × 32 layers × 2 bytes = 65,536 bytes per token; 1000 tokens take 63 blocks = 1008 slots.
  assert.equal(plan.tensorParallel.kvHeadsPerGpu, 4);
  assert.equal(plan.paged.usedBytes, 65_536 * 1000 * 4);
  assert.equal(plan.paged.allocatedBytes, 264_241_152);
  assert.equal(plan.paged.wastedTokensFull, 8);
  assert.equal(plan.weightsPerGpu, 8_000_000_000);
  assert.equal(plan.statePerGpu, 0);
  assert.equal(plan.totalPerGpu, 8_264_241_152);
  assert.equal(plan.headroom, 17_505_562_624);
  // (24 GiB − 8 GB of weights) ÷ (65,536 × 1008 bytes per sequence) = 268.99…
  assert.equal(plan.maxSequences, 268);
  const noGpu = servingPlan({ shape: LLAMA_8B, degree: 1, blockSize: 1, seqLen: 10, sequences: 1, bytesPerElement: 2, weightsBytes: 0 });
  assert.equal(noGpu.headroom, undefined);
  assert.equal(noGpu.paged.wastedBytes, 0);
  assert.equal(noGpu.totalPerGpu, 10 * PER_TOKEN);
});

test('serving plan: TP 16 over 8 KV heads replicates each head twice; bad numbers name their field', () => {
  const plan = servingPlan({ shape: LLAMA_8B, degree: 16, blockSize: 16, seqLen: 1000, sequences: 4, bytesPerElement: 2, weightsBytes: 16_000_000_000 });
  assert.equal(plan.tensorParallel.kvHeadsPerGpu, 1);
  assert.equal(plan.tensorParallel.copiesPerHead, 2);
  // One head per GPU: 2 × 1 × 128 × 32 × 2 = 16,384 bytes per token slot, 1008 slots, 4 sequences.
  assert.equal(plan.paged.allocatedBytes, 66_060_288);
  assert.equal(plan.weightsPerGpu, 1_000_000_000);
  const field = (f: string) => (e: unknown) => e instanceof KvCacheError && e.field === f;
  const base = { shape: LLAMA_8B, degree: 2, blockSize: 16, seqLen: 10, sequences: 1, bytesPerElement: 2, weightsBytes: 0 };
  assert.throws(() => servingPlan({ ...base, degree: 3 }), field('degree'));
  assert.throws(() => servingPlan({ ...base, blockSize: 0 }), field('blockSize'));
  assert.throws(() => servingPlan({ ...base, sequences: 0 }), field('sequences'));
  assert.throws(() => servingPlan({ ...base, gpuMemoryBytes: -1 }), field('gpuMemoryBytes'));
  assert.throws(() => servingPlan({ ...base, weightsBytes: 1.5 }), field('weightsBytes'));
});

test('serving plan of Jamba: the Mamba state is split across the GPUs with the heads, and counted per sequence', () => {
  const jamba = shapeFromHfConfig({
    model_type: 'jamba', num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
    attn_layer_period: 8, attn_layer_offset: 4, mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2,
  });
  const plan = servingPlan({ shape: jamba, degree: 2, blockSize: 16, seqLen: 16, sequences: 3, bytesPerElement: 2, weightsBytes: 0, gpuMemoryBytes: 2 ** 30 });
  // 28 Mamba layers × 163,840 elements × 2 bytes per sequence, half on each GPU, 3 sequences.
  assert.equal(plan.statePerGpu, (28 * 163_840 * 2 / 2) * 3);
  // 4 attention layers × 2 × 4 heads × 128 × 2 bytes × 16 tokens × 3 sequences, no waste at 16 tokens.
  assert.equal(plan.paged.allocatedBytes, 4 * 2 * 4 * 128 * 2 * 16 * 3);
  assert.equal(plan.totalPerGpu, plan.statePerGpu + plan.paged.allocatedBytes);
  assert.equal(plan.maxSequences, Math.floor(2 ** 30 / (28 * 163_840 + 4 * 2 * 4 * 128 * 2 * 16)));
});
