// The numbers in the glossary's examples, recomputed from independent references: the model table of
// ../shared/docs/domain-facts.md (copied below), plain arithmetic, and the gpt-tokenizer package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { glossaryEntry } from '../../src/core/glossary/glossary';
import type { GlossaryEntry } from '../../src/core/glossary/types';

/** The part of a gpt-tokenizer encoding used here. */
interface Encoding {
  encode(text: string): number[];
  decode(ids: number[]): string;
}
// gpt-tokenizer exposes its encodings only through package "exports", which this tsconfig's resolution
// does not read: load them at run time and type the two methods used.
const requireHere = createRequire(__filename);
const cl100k = requireHere('gpt-tokenizer/encoding/cl100k_base') as Encoding;
const o200k = requireHere('gpt-tokenizer/encoding/o200k_base') as Encoding;

interface ModelRow {
  layers: number;
  hidden: number;
  queryHeads: number;
  kvHeads: number;
  headDim: number;
  kind: string;
}

// domain-facts.md, "KV cache" table (sources: mlc-llm model_preset.py, transformers configuration_falcon.py,
// DeepSeek-V3 config_671B.json).
const MODELS: Record<string, ModelRow> = {
  'GPT-2': { layers: 12, hidden: 768, queryHeads: 12, kvHeads: 12, headDim: 64, kind: 'MHA' },
  'Llama-3.1-8B': { layers: 32, hidden: 4096, queryHeads: 32, kvHeads: 8, headDim: 128, kind: 'GQA' },
  'Mistral-7B-v0.1': { layers: 32, hidden: 4096, queryHeads: 32, kvHeads: 8, headDim: 128, kind: 'GQA' },
  'Mixtral-8x7B': { layers: 32, hidden: 4096, queryHeads: 32, kvHeads: 8, headDim: 128, kind: 'GQA' },
  'Falcon-7B': { layers: 32, hidden: 4544, queryHeads: 71, kvHeads: 1, headDim: 64, kind: 'MQA' },
};
const DEEPSEEK_V3 = { layers: 61, queryHeads: 128, kvLoraRank: 512, ropeDim: 64 };
const MISTRAL_SLIDING_WINDOW = 4096;
const BF16 = 2;

function entry(id: string): GlossaryEntry {
  const e = glossaryEntry(id);
  assert.ok(e, id);
  return e;
}

/** Asserts that both the English and the Korean example state `text`. */
function states(id: string, ...texts: string[]): void {
  const e = entry(id);
  for (const text of texts) {
    assert.ok(e.example.en.includes(text), `${id} (en) should state '${text}': ${e.example.en}`);
    assert.ok(e.example.ko.includes(text), `${id} (ko) should state '${text}': ${e.example.ko}`);
  }
}

const fixed = (x: number, digits = 3): string => x.toFixed(digits);
const thousands = (x: number): string => x.toLocaleString('en-US');
const kvPerToken = (m: ModelRow): number => 2 * m.layers * m.kvHeads * m.headDim * BF16;
const softmax = (z: number[]): number[] => {
  const e = z.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const vec = (xs: number[], digits = 3): string => `(${xs.map((x) => fixed(x, digits)).join(', ')})`;

test('KV-cache figures match the model table', () => {
  const llama = MODELS['Llama-3.1-8B'];
  const gpt2 = MODELS['GPT-2'];
  const falcon = MODELS['Falcon-7B'];
  assert.equal(kvPerToken(llama) / 1024, 128);
  states('kv-cache', `2 · ${llama.layers} · ${llama.kvHeads} · ${llama.headDim} · 2 B`, `${kvPerToken(llama) / 1024} KiB`);
  states('kv-cache', '8,192', `${(kvPerToken(llama) * 8192) / 2 ** 30} GiB`);
  states('mha', `2 · ${gpt2.layers} · ${gpt2.kvHeads} · ${gpt2.headDim} · 2 B`, `${kvPerToken(gpt2) / 1024} KiB`);
  assert.equal(gpt2.kvHeads, gpt2.queryHeads, 'GPT-2 is MHA');
  states('mqa', `${falcon.queryHeads}`, `2 · ${falcon.layers} · ${falcon.kvHeads} · ${falcon.headDim} · 2 B`, `${kvPerToken(falcon) / 1024} KiB`);
  assert.equal(falcon.kind, 'MQA');
  const mhaLlama = { ...llama, kvHeads: llama.queryHeads };
  states('gqa', `${kvPerToken(llama) / 1024} KiB`, `${kvPerToken(mhaLlama) / 1024} KiB`, `${llama.queryHeads}/${llama.kvHeads}`);
  assert.ok(entry('gqa').example.en.includes(`${llama.queryHeads} query heads share ${llama.kvHeads} KV heads`));
  assert.ok(entry('gqa').example.en.includes(`${llama.queryHeads / llama.kvHeads} query heads per KV head`));
  const mla = DEEPSEEK_V3.layers * (DEEPSEEK_V3.kvLoraRank + DEEPSEEK_V3.ropeDim) * BF16;
  states('mla', thousands(mla), `${fixed(mla / 1024, 1)} KiB`, `${DEEPSEEK_V3.queryHeads}`);
  states('context-window', thousands(131072), `${(kvPerToken(llama) * 131072) / 2 ** 30} GiB`, thousands(MISTRAL_SLIDING_WINDOW));
});

test('Mistral-7B is described as GQA, never as MQA', () => {
  assert.equal(MODELS['Mistral-7B-v0.1'].kind, 'GQA');
  assert.ok(entry('gqa').example.en.includes('Mistral-7B'));
  assert.ok(entry('gqa').example.en.includes('it is GQA, not MQA'));
  assert.ok(!entry('mqa').example.en.includes('Mistral') && !entry('mqa').definition.en.includes('Mistral'));
});

test('head and width arithmetic matches the model table', () => {
  const llama = MODELS['Llama-3.1-8B'];
  const gpt2 = MODELS['GPT-2'];
  assert.equal(gpt2.queryHeads * gpt2.headDim, gpt2.hidden);
  states('self-attention', `${gpt2.queryHeads} × ${gpt2.headDim} = ${gpt2.hidden}`, `${gpt2.layers * gpt2.queryHeads}`);
  states('qkv', `${llama.hidden} × ${llama.queryHeads * llama.headDim}`, `${llama.hidden} × ${llama.kvHeads * llama.headDim}`);
  states('context-vector', `${llama.queryHeads} × ${llama.headDim} = ${llama.hidden}`);
  states('transformer', `${gpt2.layers}`, `${gpt2.hidden}`, `${llama.layers}`, `${llama.hidden}`);
  states('decoder-only', `${gpt2.layers}`, `${gpt2.hidden}`, `${llama.layers}`, `${llama.hidden}`);
  states('dot-product', `head_dim = ${llama.headDim}`);
  states('scaling', `√${gpt2.headDim} = ${Math.sqrt(gpt2.headDim)}`, `√${llama.headDim} ≈ ${fixed(Math.sqrt(llama.headDim), 2)}`);
  states('rmsnorm', `${llama.layers}`);
  states('gating-network', `${MODELS['Mixtral-8x7B'].hidden} × 8`);
  const swiglu = 3 * llama.hidden * 14336;
  states('swiglu', `3 × ${llama.hidden} × 14,336 ≈ ${Math.round(swiglu / 1e6)}M`);
});

test('worked arithmetic in the examples is right', () => {
  const p = softmax([2, 1, 0]);
  states('softmax', vec(p), fixed(Math.exp(2)), fixed(Math.exp(1)), fixed(Math.exp(2) + Math.exp(1) + 1));
  const w = p.map((x) => Number(fixed(x)));
  states('weighted-sum', vec([w[0] + w[2], w[1] + w[2]]));
  states('dot-product', `1·3 + 2·0.5 = ${1 * 3 + 2 * 0.5}`);
  const p2 = sigmoid(2);
  states('vanishing-gradient', `p = ${fixed(p2)}`, `p(1 − p) = ${fixed(p2 * (1 - p2))}`);
  const tiny = sigmoid(20) * (1 - sigmoid(20));
  assert.equal(tiny.toExponential(1), '2.1e-9');
  states('vanishing-gradient', '2.1 × 10⁻⁹');
  assert.ok(entry('causal-mask').example.en.includes(`${(4 * 5) / 2} of the ${4 * 4} scores`));
  assert.ok(entry('causal-mask').example.ko.includes(`${4 * 4}개 중 ${(4 * 5) / 2}개`));
  states('layernorm', '3.5', '0.25', '(−1, 1)');
  const rms = Math.sqrt((9 + 16) / 2);
  states('rmsnorm', `${(9 + 16) / 2}`, fixed(rms), vec([3 / rms, 4 / rms]));
  states('layernorm', vec([3 / rms, 4 / rms]));
  const silu = (z: number): number => z * sigmoid(z);
  states('swiglu', `silu(1) ≈ ${fixed(silu(1))}`, `silu(−1) ≈ ${fixed(silu(-1)).replace('-', '−')}`);
  states('relu', `ReLU(−2) = ${Math.max(0, -2)}`, `ReLU(3) = ${Math.max(0, 3)}`);
  const slowest = 10000 ** (-126 / 128);
  assert.equal(slowest.toExponential(1), '1.2e-4');
  states('rope', '10,000^(−126/128) ≈ 1.2 × 10⁻⁴', `${Math.round((2 * Math.PI) / slowest / 1000)},000`);
  states('positional-embedding', `${thousands(1024)}`, `${thousands(1024 * 768)}`);
  const top2 = softmax([2, 1]);
  states('top-k-routing', fixed(top2[0]), fixed(top2[1]));
  const rm = sigmoid(2 - 0.5);
  states('reward-model', `σ(1.5) = ${fixed(rm)}`, `−ln ${fixed(rm)} = ${fixed(-Math.log(rm))}`);
  states('ppo', `${Math.min(Math.max(1.5, 1 - 0.2), 1 + 0.2)}`);
  const dpo = sigmoid(0.1 * (2 - -1));
  states('dpo', `σ(0.3) = −ln ${fixed(dpo)} = ${fixed(-Math.log(dpo))}`);
  const r = [1, 0, 0, 1];
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
  const adv = r.map((x) => (x - mean) / std);
  states('grpo', `${mean}`, `${std}`, `(${adv.map((a) => (a > 0 ? `+${a}` : `−${-a}`)).join(', ')})`);
  states('greedy-search', `0.5 × 0.4 = ${fixed(0.5 * 0.4, 2)}`, `0.4 × 0.9 = ${fixed(0.4 * 0.9, 2)}`);
  states('beam-search', `0.4 × 0.9 = ${fixed(0.4 * 0.9, 2)}`, fixed(0.5 * 0.4, 2));
  const probs = [0.5, 0.3, 0.15, 0.05];
  const kept = probs.slice(0, 3);
  const mass = kept.reduce((a, b) => a + b, 0);
  assert.ok(probs[0] + probs[1] < 0.9 && mass >= 0.9, 'three tokens are the smallest nucleus for p = 0.9');
  states('nucleus-sampling', fixed(mass, 2), vec(kept.map((x) => x / mass)));
  const k2 = probs[0] + probs[1];
  states('top-k-sampling', `(${fixed(probs[0] / k2)}, ${fixed(probs[1] / k2)}, 0, 0)`);
  states('temperature', vec(softmax([2, 1, 0])), vec(softmax([4, 2, 0])), vec(softmax([1, 0.5, 0])));
  states('sycophancy', `${17 * 24}`);
  assert.ok(15e12 / 8192 > 1.8e9);
  states('pre-training', '8,192', '1.8 × 10⁹');
});

test('the BPE example is a valid run of most-frequent-pair merges', () => {
  // Each step: the named pair is among the most frequent adjacent pairs, and replacing it gives the next string.
  const steps: [string, string, string][] = [
    ['aaabdaaabac', 'aa', 'Z'],
    ['ZabdZabac', 'ab', 'Y'],
    ['ZYdZYac', 'ZY', 'X'],
  ];
  for (const [text, pair, symbol] of steps) {
    const counts = new Map<string, number>();
    for (let i = 0; i + 1 < text.length; i++) counts.set(text.slice(i, i + 2), (counts.get(text.slice(i, i + 2)) ?? 0) + 1);
    assert.equal(counts.get(pair), Math.max(...counts.values()), `${pair} is most frequent in ${text}`);
    const next = text.split(pair).join(symbol);
    states('bpe', `'${text}'`, `'${next}'`);
  }
  states('bpe', '11', '5');
  assert.equal('XdXac'.length, 5);
});

test('tokenizer examples match gpt-tokenizer (cl100k_base, o200k_base)', () => {
  const pieces = (enc: Encoding, text: string): string[] => enc.encode(text).map((id) => enc.decode([id]));
  const hello = 'Hello world';
  states('tokenizer', `[${cl100k.encode(hello).join(', ')}]`, `[${o200k.encode(hello).join(', ')}]`);
  assert.deepEqual(pieces(cl100k, 'tokenization'), ['token', 'ization']);
  assert.deepEqual(pieces(o200k, 'tokenization'), ['token', 'ization']);
  assert.deepEqual(pieces(cl100k, ' unbelievably'), [' unbelie', 'vably']);
  assert.equal(o200k.encode(' unbelievably').length, 1);
  states('subword', "'token' + 'ization'", "' unbelie' + 'vably'");
  states('tokenization', `${cl100k.encode('안녕하세요').length}`, `${o200k.encode('안녕하세요').length}`);
  assert.deepEqual(pieces(o200k, '안녕하세요'), ['안', '녕하세요']);
  const ratio = cl100k.encode('안녕하세요'.normalize('NFD')).length / cl100k.encode('안녕하세요').length;
  assert.ok(ratio >= 6 && ratio <= 9, `NFD/NFC ratio ${ratio}`);
  // '언어' in cl100k: '언' is two byte-level pieces, '어' one token.
  const eon = cl100k.encode('언어');
  assert.equal(eon.length, 3);
  assert.equal(cl100k.encode('언').length, 2);
  assert.equal(cl100k.encode('어').length, 1);
  assert.ok(entry('oov').example.en.includes(`becomes ${eon.length} tokens`));
  assert.ok(entry('oov').example.ko.includes(`토큰 ${eon.length}개`));
});

test('164 of the 11,172 Hangul syllables are one cl100k_base token, alone or after a space', () => {
  let single = 0;
  for (let c = 0xac00; c <= 0xd7a3; c++) {
    const s = String.fromCharCode(c);
    if (cl100k.encode(s).length === 1 || cl100k.encode(` ${s}`).length === 1) single++;
  }
  assert.equal(single, 164);
  states('oov', '164', '11,172');
});
