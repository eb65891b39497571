import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionShape, KvCacheError } from '../../src/core/kvcache/shape';
import { kvCacheBytes, weightBytes } from '../../src/core/kvcache/bytes';
import { modelPresets } from '../../src/core/kvcache/presets';
import { attentionKind, attentionVariants, defaultGqaKvHeads, gqaKvHeadChoices, kvHeadOf } from '../../src/core/kvcache/variants';
import { elementTypes, gpuSizes, maxContextForBudget } from '../../src/core/kvcache/budget';
import { chartTokenAxis, kvCacheReport } from '../../src/core/kvcache/report';
import { formatBinaryBytes, markdownTable } from '../../src/core/kvcache/format';

const KiB = 1024;
const GiB = 1024 ** 3;

function preset(id: string) {
  const found = modelPresets().find((p) => p.id === id);
  assert.ok(found, id);
  return found;
}

test('kind of each table model: Mistral is GQA (not MQA), Falcon-7B MQA, Phi-3.5 MHA, DeepSeek-V3 MLA', () => {
  const kinds = Object.fromEntries(modelPresets().map((p) => [p.id, attentionKind(p.shape)]));
  assert.equal(kinds['mistral-7b-v0.1'], 'GQA');
  assert.equal(kinds['llama-3.1-8b'], 'GQA');
  assert.equal(kinds['falcon-7b'], 'MQA');
  assert.equal(kinds['phi-3.5-mini'], 'MHA');
  assert.equal(kinds.gpt2, 'MHA');
  assert.equal(kinds['deepseek-v3'], 'MLA');
});

test('GQA group counts are the divisors strictly between 1 and the query heads', () => {
  assert.deepEqual(gqaKvHeadChoices(32), [2, 4, 8, 16]);
  assert.deepEqual(gqaKvHeadChoices(12), [2, 3, 4, 6]);
  assert.deepEqual(gqaKvHeadChoices(28), [2, 4, 7, 14]);
  assert.deepEqual(gqaKvHeadChoices(71), [], '71 is prime: Falcon-7B can only be MHA or MQA');
  assert.deepEqual(gqaKvHeadChoices(2), []);
  assert.deepEqual(gqaKvHeadChoices(1), []);
  assert.throws(() => gqaKvHeadChoices(0), KvCacheError);
});

test('variants of Llama-3.1-8B: MHA 512 KiB, GQA-8 128 KiB (the model), MQA 16 KiB per token', () => {
  const variants = attentionVariants(preset('llama-3.1-8b').shape);
  assert.deepEqual(variants.map((v) => [v.kind, v.shape.kvHeads, v.isModel]), [['MHA', 32, false], ['GQA', 8, true], ['MQA', 1, false]]);
  assert.deepEqual(variants.map((v) => kvCacheBytes(v.shape, { seqLen: 1, bytesPerElement: 2 })), [512 * KiB, 128 * KiB, 16 * KiB]);
  const gqa4 = attentionVariants(preset('llama-3.1-8b').shape, 4);
  assert.deepEqual(gqa4.map((v) => [v.kind, v.shape.kvHeads, v.isModel]), [['MHA', 32, false], ['GQA', 4, false], ['MQA', 1, false]]);
  assert.throws(() => attentionVariants(preset('llama-3.1-8b').shape, 5), (e: unknown) => e instanceof KvCacheError && e.field === 'gqaKvHeads' && /2, 4, 8, 16/.test(e.message));
  assert.throws(() => attentionVariants(preset('llama-3.1-8b').shape, 32), KvCacheError);
});

test('variants of models that are not GQA', () => {
  const falcon = attentionVariants(preset('falcon-7b').shape);
  assert.deepEqual(falcon.map((v) => [v.kind, v.shape.kvHeads, v.isModel]), [['MHA', 71, false], ['MQA', 1, true]]);
  // Falcon-7B as MHA would cache 71x more: the "71x" bug of domain-facts.md.
  assert.equal(kvCacheBytes(falcon[0].shape, { seqLen: 1, bytesPerElement: 2 }), 71 * 8 * KiB);
  const gpt2 = attentionVariants(preset('gpt2').shape);
  assert.deepEqual(gpt2.map((v) => [v.kind, v.shape.kvHeads, v.isModel]), [['MHA', 12, true], ['GQA', 3, false], ['MQA', 1, false]]);
  const ds = attentionVariants(preset('deepseek-v3').shape);
  assert.deepEqual(ds.map((v) => [v.kind, v.shape.kvHeads, v.isModel, v.shape.mla !== undefined]), [
    ['MHA', 128, false, false], ['GQA', 32, false, false], ['MQA', 1, false, false], ['MLA', 128, true, true],
  ]);
  assert.deepEqual(ds.map((v) => kvCacheBytes(v.shape, { seqLen: 1, bytesPerElement: 2 })), [
    2 * 61 * 128 * 128 * 2, 2 * 61 * 32 * 128 * 2, 2 * 61 * 1 * 128 * 2, 576 * 2 * 61,
  ]);
  assert.equal(defaultGqaKvHeads(preset('qwen2.5-7b').shape), 4);
  assert.equal(defaultGqaKvHeads(preset('falcon-7b').shape), null);
});

test('sliding windows carry over to every variant, and variants are independent copies', () => {
  const gemma = preset('gemma-2-9b').shape;
  const variants = attentionVariants(gemma);
  for (const v of variants) {
    assert.equal(v.shape.slidingWindow, 4096);
    assert.deepEqual(v.shape.slidingWindowLayers, gemma.slidingWindowLayers);
    assert.notEqual(v.shape.slidingWindowLayers, gemma.slidingWindowLayers);
  }
});

test('query head -> KV head maps group consecutive query heads', () => {
  assert.deepEqual(kvHeadOf(8, 2), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(kvHeadOf(4, 4), [0, 1, 2, 3]);
  assert.deepEqual(kvHeadOf(4, 1), [0, 0, 0, 0]);
  const llama = kvHeadOf(32, 8);
  assert.equal(llama[3], 0);
  assert.equal(llama[4], 1);
  assert.equal(llama[31], 7);
  assert.throws(() => kvHeadOf(32, 5), KvCacheError);
});

test('longest context on a GPU: Llama-3.1-8B bf16 on 24 GiB with bf16 weights', () => {
  const p = preset('llama-3.1-8b');
  const weights = weightBytes(p.parameters, 2);
  assert.equal(weights, 16_060_522_496);
  const fit = maxContextForBudget(p.shape, { budgetBytes: 24 * GiB, bytesPerElement: 2, weightsBytes: weights });
  // (25,769,803,776 − 16,060,522,496) / 131,072 = 74,075.9 -> 74,075 tokens.
  assert.deepEqual(fit, { kind: 'bounded', maxTokens: 74_075 });
  // Batch 4 shares the room: a quarter of the tokens each.
  assert.deepEqual(maxContextForBudget(p.shape, { budgetBytes: 24 * GiB, batch: 4, bytesPerElement: 2, weightsBytes: weights }), { kind: 'bounded', maxTokens: 18_518 });
  // Without weights, 80 GiB of bf16 cache holds 640 Ki tokens exactly.
  assert.deepEqual(maxContextForBudget(p.shape, { budgetBytes: 80 * GiB, bytesPerElement: 2 }), { kind: 'bounded', maxTokens: 655_360 });
});

test('longest context: weights that do not fit, windows that cap the cache', () => {
  const llama70 = preset('llama-3.1-70b');
  assert.deepEqual(maxContextForBudget(llama70.shape, { budgetBytes: 24 * GiB, bytesPerElement: 2, weightsBytes: weightBytes(llama70.parameters, 2) }), { kind: 'none', maxTokens: 0 });
  const mistral = preset('mistral-7b-v0.1');
  // Every layer slides: 512 MiB of cache at most, so any length fits next to 14.5 GB of weights.
  assert.deepEqual(maxContextForBudget(mistral.shape, { budgetBytes: 24 * GiB, bytesPerElement: 2, weightsBytes: weightBytes(mistral.parameters, 2) }).kind, 'unbounded');
  // ...but not in 256 MiB: 2048 tokens of 128 KiB.
  assert.deepEqual(maxContextForBudget(mistral.shape, { budgetBytes: 256 * 1024 * 1024, bytesPerElement: 2 }), { kind: 'bounded', maxTokens: 2048 });
  // Gemma-2-9B: past 4096 tokens only the 21 full layers grow, 21 · 8192 B per token.
  const gemma = preset('gemma-2-9b');
  const room = 24 * GiB - weightBytes(gemma.parameters, 2);
  const expected = Math.floor((room - 21 * 4096 * 8192) / (21 * 8192));
  assert.deepEqual(maxContextForBudget(gemma.shape, { budgetBytes: 24 * GiB, bytesPerElement: 2, weightsBytes: weightBytes(gemma.parameters, 2) }), { kind: 'bounded', maxTokens: expected });
  assert.equal(expected, 38_258); // 6,581,748,736 / 172,032 = 38,258.86
});

test('longest context is exactly the last length that fits (brute-force cross-check, int4 rounding included)', () => {
  const shapes: AttentionShape[] = [
    { layers: 3, queryHeads: 4, kvHeads: 2, headDim: 3 },
    { layers: 5, queryHeads: 6, kvHeads: 3, headDim: 1, slidingWindow: 7, slidingWindowLayers: [0, 2] },
    { layers: 2, queryHeads: 2, kvHeads: 2, headDim: 2, mla: { kvLoraRank: 2, ropeHeadDim: 1 } },
    { layers: 4, queryHeads: 4, kvHeads: 1, headDim: 5, slidingWindow: 9 },
  ];
  for (const shape of shapes) {
    for (const bytesPerElement of [0.5, 1, 2]) {
      for (let budget = 0; budget < 400; budget += 7) {
        for (const weightsBytes of [0, 5]) {
          const fit = maxContextForBudget(shape, { budgetBytes: budget, bytesPerElement, weightsBytes, batch: 2 });
          const fits = (n: number) => weightsBytes + kvCacheBytes(shape, { seqLen: n, batch: 2, bytesPerElement }) <= budget;
          if (weightsBytes > budget) assert.equal(fit.kind, 'none');
          else if (fit.kind === 'unbounded') assert.ok(fits(100_000));
          else {
            assert.equal(fit.kind, 'bounded');
            assert.ok(fits(fit.maxTokens), `${JSON.stringify(shape)} budget ${budget}`);
            assert.ok(!fits(fit.maxTokens + 1), `${JSON.stringify(shape)} budget ${budget}`);
          }
        }
      }
    }
  }
});

test('GPU sizes and element types the panel offers', () => {
  assert.deepEqual(gpuSizes().map((g) => g.bytes / GiB), [24, 48, 80, 141]);
  assert.deepEqual(elementTypes().map((e) => [e.id, e.bytesPerElement]), [['fp32', 4], ['bf16', 2], ['fp8', 1], ['int8', 1], ['int4', 0.5]]);
});

test('the chart axis is ascending integers from 1 to the maximum, with the window included', () => {
  const axis = chartTokenAxis(1 << 20, 100, [4096, 0, 1 << 30]);
  assert.equal(axis[0], 1);
  assert.equal(axis[axis.length - 1], 1 << 20);
  assert.ok(axis.includes(4096));
  for (let i = 1; i < axis.length; i++) assert.ok(axis[i] > axis[i - 1] && Number.isInteger(axis[i]));
  assert.ok(axis.length > 80 && axis.length <= 101);
});

test('the report: every number the panel shows for Gemma-2-9B at 32K tokens, batch 2', () => {
  const p = preset('gemma-2-9b');
  const report = kvCacheReport({
    shape: p.shape, parameters: p.parameters, seqLen: 32768, batch: 2, kvBytesPerElement: 2, weightsBytesPerElement: 2,
    budgets: gpuSizes().map((g) => g.bytes), chartMaxTokens: 1 << 20,
  });
  assert.equal(report.weightsBytes, 18_483_411_968);
  assert.deepEqual(report.gqaChoices, [2, 4, 8]);
  assert.deepEqual(report.variants.map((v) => [v.kind, v.isModel]), [['MHA', false], ['GQA', true], ['MQA', false]]);
  const gqa = report.variants[1];
  // 8192 B per layer-token; 21 layers hold 32768, 21 hold 4096; two sequences.
  assert.equal(gqa.kvBytes, 8192 * (21 * 32768 + 21 * 4096) * 2);
  assert.equal(gqa.totalBytes, gqa.kvBytes + 18_483_411_968);
  assert.equal(gqa.bytesPerToken, 336 * KiB);
  assert.equal(gqa.breakdown.bytes, gqa.kvBytes);
  assert.equal(gqa.fits.length, 4);
  assert.equal(gqa.series.length, report.chartTokens.length);
  assert.ok(report.chartTokens.includes(4096));
  for (const v of report.variants) {
    for (let i = 1; i < v.series.length; i++) assert.ok(v.series[i] >= v.series[i - 1], 'memory never falls as context grows');
    assert.equal(v.series[report.chartTokens.indexOf(4096)], kvCacheBytes(v.shape, { seqLen: 4096, batch: 2, bytesPerElement: 2 }));
  }
  assert.deepEqual(gqa.kvHeadOf, kvHeadOf(16, 8));
  // MHA needs twice the GQA cache, MQA an eighth.
  assert.equal(report.variants[0].kvBytes, 2 * gqa.kvBytes);
  assert.equal(report.variants[2].kvBytes, gqa.kvBytes / 8);
});

test('the report rejects bad input with a field name instead of producing NaN', () => {
  const p = preset('llama-3.1-8b');
  const base = { shape: p.shape, parameters: p.parameters, seqLen: 1024, batch: 1, kvBytesPerElement: 2, weightsBytesPerElement: 2, budgets: [24 * GiB], chartMaxTokens: 1 << 20 };
  const field = (change: Record<string, unknown>) => {
    try {
      kvCacheReport({ ...base, ...change } as typeof base);
    } catch (error) {
      assert.ok(error instanceof KvCacheError);
      return error.field;
    }
    return 'no error';
  };
  assert.equal(field({ seqLen: Number.NaN }), 'seqLen');
  assert.equal(field({ batch: 0 }), 'batch');
  assert.equal(field({ kvBytesPerElement: -1 }), 'bytesPerElement');
  assert.equal(field({ weightsBytesPerElement: 0 }), 'bytesPerElement');
  assert.equal(field({ parameters: -3 }), 'parameters');
  assert.equal(field({ gqaKvHeads: 3 }), 'gqaKvHeads');
  assert.equal(field({ shape: { ...p.shape, kvHeads: 7 } }), 'kvHeads');
  assert.equal(field({ chartMaxTokens: 0 }), 'chartMaxTokens');
  assert.equal(field({}), 'no error');
  // Unknown parameter count: weights are left out rather than guessed.
  assert.equal(kvCacheReport({ ...base, parameters: 0 }).weightsBytes, 0);
});

test('a large batch ends the chart where its bytes stop being exact; the numbers asked for stay exact', () => {
  const p = preset('llama-3.1-8b');
  const base = { shape: p.shape, parameters: p.parameters, seqLen: 131072, kvBytesPerElement: 2, weightsBytesPerElement: 2, budgets: [24 * GiB], chartMaxTokens: 1 << 20 };
  // Batch 1: the chart runs to 1M tokens.
  const one = kvCacheReport({ ...base, batch: 1 });
  assert.equal(one.chartTokens.at(-1), 1 << 20);
  // Batch 100,000: MHA at 1M tokens would be 512 KiB · 2^20 · 100,000 ≈ 5.6e16 B, past 2^53 − 1 ≈ 9.0e15.
  const many = kvCacheReport({ ...base, batch: 100_000 });
  // GQA at 131,072 tokens: 128 KiB · 131,072 · 100,000 = 1,717,986,918,400,000 B, exact.
  assert.equal(many.variants[1].kvBytes, 131072 * 131072 * 100_000);
  const last = many.chartTokens.at(-1) ?? 0;
  assert.ok(last >= 131072 && last < 1 << 20, `the chart ends at ${last} tokens`);
  for (const v of many.variants) {
    assert.equal(v.series.length, many.chartTokens.length);
    for (const bytes of v.series) assert.ok(Number.isSafeInteger(bytes));
  }
  // The first point cut off would not have been exact for MHA (512 KiB per token).
  const next = one.chartTokens[one.chartTokens.indexOf(last) + 1];
  assert.ok(512 * KiB * next * 100_000 > Number.MAX_SAFE_INTEGER);
  // When even the context asked for passes 2^53 − 1 bytes, the report refuses with the 'result' field.
  assert.throws(() => kvCacheReport({ ...base, batch: 1_000_000 }), (e: unknown) => e instanceof KvCacheError && e.field === 'result');
});

test('binary units', () => {
  assert.equal(formatBinaryBytes(0), '0 B');
  assert.equal(formatBinaryBytes(512), '512 B');
  assert.equal(formatBinaryBytes(1024), '1 KiB');
  assert.equal(formatBinaryBytes(131072), '128 KiB');
  assert.equal(formatBinaryBytes(70272), '68.63 KiB');
  assert.equal(formatBinaryBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBinaryBytes(16 * GiB), '16 GiB');
  assert.equal(formatBinaryBytes(18_483_411_968), '17.21 GiB');
  assert.equal(formatBinaryBytes(1024 ** 4 * 3.5), '3.5 TiB');
  assert.equal(formatBinaryBytes(1024 * 1024 - 1), '1 MiB', 'never "1024 KiB"');
  assert.equal(formatBinaryBytes(1536, 0), '2 KiB');
});

test('Markdown tables escape pipes and keep one row per line', () => {
  const table = markdownTable(['Variant', 'KV cache'], [['GQA | 8', '128 KiB'], ['MQA\nx', '16 KiB']], [false, true]);
  assert.equal(table, '| Variant | KV cache |\n| --- | ---: |\n| GQA \\| 8 | 128 KiB |\n| MQA x | 16 KiB |');
});
