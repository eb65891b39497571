import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionShape, KvCacheError } from '../../src/core/kvcache/shape';
import { kvCacheBytes } from '../../src/core/kvcache/bytes';
import { attentionFlops, decodeRoofline, gpuSpecs, keysSeen, prefillFlops, speedTable } from '../../src/core/kvcache/roofline';

const TOY: AttentionShape = { layers: 2, queryHeads: 2, kvHeads: 1, headDim: 4 };

test('keys seen by a causal prompt: all, a sliding window, or within chunks', () => {
  assert.equal(keysSeen(3, null), 1 + 2 + 3);
  assert.equal(keysSeen(3, 2), 1 + 2 + 2);
  assert.equal(keysSeen(3, 2, 'chunked'), 1 + 2 + 1);
  assert.equal(keysSeen(5, 2, 'chunked'), 1 + 2 + 1 + 2 + 1);
});

test('prefill FLOPs = 2 × active parameters × tokens + attention FLOPs (hand-computed toy)', () => {
  // Attention: 6 (query, key) pairs × 4 · 2 heads · 4 dims = 32 FLOPs each, × 2 layers = 384.
  assert.deepEqual(prefillFlops(TOY, 100, 3), { linear: 600, attention: 384, total: 984 });
  // A 2-token window on layer 1 only: 6 + 5 pairs.
  assert.equal(attentionFlops({ ...TOY, slidingWindow: 2, slidingWindowLayers: [1] }, 0, 3), 32 * 11);
  // Layers without KV (state-space) add no attention FLOPs.
  assert.equal(attentionFlops({ ...TOY, kvLayers: [0] }, 0, 3), 32 * 6);
});

test('decode roofline: bandwidth ÷ bytes per token, and the batch where compute catches up (toy)', () => {
  const r = decodeRoofline({ shape: TOY, activeParameters: 1000, weightBytesPerParameter: 2, kvBytesPerSequence: 1000, context: 0, bandwidth: 1000, flops: 1000 });
  assert.equal(r.weightBytes, 2000);
  assert.equal(r.bytesPerToken, 3000);
  assert.equal(r.decodeTokensPerSecond, 1000 / 3000);
  // 2 · 1000 + attention of 1 token seeing 1 key on 2 layers (64).
  assert.equal(r.decodeFlopsPerToken, 2064);
  // Memory time 2 + b seconds, compute time 2.064·b: equal at b = 2 / 1.064.
  assert.ok(Math.abs((r.computeBoundBatch ?? 0) - 2 / 1.064) < 1e-12);
  // 3000 KV bytes per sequence take 3 s to read but only 2.064 s to compute: never compute-bound.
  const heavy = { shape: TOY, activeParameters: 1000, weightBytesPerParameter: 2, kvBytesPerSequence: 3000, context: 0, bandwidth: 1000, flops: 1000 };
  assert.equal(decodeRoofline(heavy).computeBoundBatch, null);
  assert.throws(() => decodeRoofline({ ...heavy, bandwidth: 0 }), (e: unknown) => e instanceof KvCacheError && e.field === 'bandwidth');
});

test('Llama-3.1-8B on an H100 SXM: ≈ 202 tokens/s at 4K; decode never turns compute-bound there', () => {
  const h100 = gpuSpecs().find((g) => g.id === 'h100-sxm');
  assert.ok(h100);
  const shape: AttentionShape = { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 };
  const active = 8_030_261_248;
  const kv = kvCacheBytes(shape, { seqLen: 4096, bytesPerElement: 2 });
  const r = decodeRoofline({ shape, activeParameters: active, weightBytesPerParameter: 2, kvBytesPerSequence: kv, context: 4096, bandwidth: h100.bandwidth, flops: h100.bf16Flops });
  // 16,060,522,496 weight bytes + 536,870,912 KV bytes; 3.35e12 / 16,597,393,408 = 201.84.
  assert.equal(r.bytesPerToken, 16_597_393_408);
  assert.ok(Math.abs(r.decodeTokensPerSecond - 201.8389) < 1e-3);
  // Each sequence's KV read (160 µs) outlasts its FLOPs (18 µs): batching never reaches the compute roof.
  assert.equal(r.computeBoundBatch, null);
  // With an empty cache the crossover is FLOPS / bandwidth × (2 bytes ÷ 2 FLOPs per parameter) ≈ 295.
  const short = decodeRoofline({ shape, activeParameters: active, weightBytesPerParameter: 2, kvBytesPerSequence: 0, context: 0, bandwidth: h100.bandwidth, flops: h100.bf16Flops });
  assert.ok(Math.abs((short.computeBoundBatch ?? 0) - 989.5e12 / 3.35e12) < 0.01);
});

test('every GPU in the table names its source; dense BF16 is half the sparse datasheet figure for H100', () => {
  for (const gpu of gpuSpecs()) {
    assert.match(gpu.source, /https:\/\//);
    assert.ok(gpu.bandwidth > 0 && gpu.bf16Flops > 0 && gpu.memoryBytes > 0);
  }
  assert.equal(gpuSpecs().find((g) => g.id === 'h100-sxm')?.bf16Flops, 989.5e12);
});

test('the speed table: FP8 peak for 1-byte weights where the GPU has FP8, BF16 otherwise', () => {
  const shape: AttentionShape = { layers: 32, queryHeads: 32, kvHeads: 8, headDim: 128 };
  const rows = speedTable(shape, 8_030_261_248, 1, 4096, 536_870_912);
  const a100 = rows.find((r) => r.gpu.id === 'a100-80gb-sxm');
  const h100 = rows.find((r) => r.gpu.id === 'h100-sxm');
  assert.equal(a100?.flopsType, 'bf16');
  assert.equal(h100?.flopsType, 'fp8');
  assert.equal(h100?.flops, 1979e12);
  // 1 byte per weight: 8,030,261,248 + 536,870,912 bytes per token; 2.039e12 / 8,567,132,160 = 238.0.
  assert.ok(Math.abs((a100?.decodeTokensPerSecond ?? 0) - 2.039e12 / 8_567_132_160) < 1e-9);
  assert.equal(a100?.bytesPerToken, 8_567_132_160);
});
