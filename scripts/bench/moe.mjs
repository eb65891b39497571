// Benchmarks one decode step of a Qwen3-30B-A3B-shaped mixture of experts streamed from disk (issue 15, on issue 14's
// memory budget). The benchmark writes a GGUF with Qwen3-30B-A3B's shapes (its config.json, the KV panel's preset:
// hidden 2048, 32 query / 4 KV heads of 128, 128 experts of width 768, top-8, vocabulary 151,936, 48 layers) in
// Q4_K_M's type mix, random data, to a temporary directory (deleted after), loads it under a memory budget that keeps
// everything but the experts resident (the experts are ~16 GB of the ~17.5 GB file), feeds a short prompt through the
// KV-cached decoder (src/core/decode generate), and times the single-token steps after it: each reads from disk only
// the experts the router chose — 8 of 128 per layer — which streamReadStats() counts.
// Type mix: llama.cpp src/llama-quant.cpp (llama_tensor_get_type_impl, LLAMA_FTYPE_MOSTLY_Q4_K_M): Q4_K by default;
// Q6_K for output.weight, for attn_v in the use_more_bits layers (first and last eighth, every third between) and for
// ffn_down(_exps) in the same layers; ffn_gate_inp (the router) and norms stay F32 (tensor_allows_quantization).
// Layout: ggml docs/gguf.md (version 3); experts stacked as ffn_{gate,up,down}_exps, ne = [in, out, 128]
// (convert_hf_to_gguf.py Qwen3MoeModel). Routing: transformers modeling_qwen3_moe.py (runtime.ts `moe`).
// Env: LLM_LENS_BENCH_QUICK=1 → 2 layers; BENCH_MOE_LAYERS (default 48), BENCH_MOE_PROMPT (prompt tokens, default 8),
// BENCH_MOE_STEPS (decode steps timed, default 3), BENCH_MOE_BUDGET_MIB (default: the non-expert weights + the run reserve).
// Prints `name: value unit` lines. Run after `node scripts/build.mjs`.
import { createRequire } from 'node:module';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const quick = process.env.LLM_LENS_BENCH_QUICK === '1';
const LAYERS = Number(process.env.BENCH_MOE_LAYERS ?? (quick ? 2 : 48));
const PROMPT = Number(process.env.BENCH_MOE_PROMPT ?? 8);
const STEPS = Number(process.env.BENCH_MOE_STEPS ?? 3);
const MiB = 2 ** 20;
const GiB = 2 ** 30;

const preset = core.modelPresets().find((p) => p.id === 'qwen3-30b-a3b');
if (!preset) throw new Error('no qwen3-30b-a3b preset');
const hf = preset.config;
const c = {
  hidden: hf.hidden_size, heads: hf.num_attention_heads, kvHeads: hf.num_key_value_heads, headDim: hf.head_dim,
  experts: hf.num_experts, topK: hf.num_experts_per_tok, expertWidth: hf.moe_intermediate_size, vocab: hf.vocab_size,
  dense: hf.intermediate_size, allLayers: hf.num_hidden_layers,
};
const name = `moe qwen3-30b-a3b-shape (${LAYERS} of ${c.allLayers} layers, Q4_K_M mix, streamed)`;

const TYPES = { f32: { id: 0, block: 1, bytes: 4 }, q4_k: { id: 12, block: 256, bytes: 144 }, q6_k: { id: 14, block: 256, bytes: 210 } };
// llama-quant.cpp use_more_bits(i_layer, n_layers), with the file's real layer count (48) so the mix is Qwen3-30B-A3B's.
const useMoreBits = (i, n) => i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;

function tensors() {
  const h = c.hidden, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim, E = c.experts, m = c.expertWidth;
  const out = [{ name: 'token_embd.weight', dims: [h, c.vocab], type: 'q4_k' }];
  for (let l = 0; l < LAYERS; l++) {
    const p = `blk.${l}.`;
    const more = useMoreBits(l, c.allLayers);
    out.push(
      { name: p + 'attn_norm.weight', dims: [h], type: 'f32', value: 'ones' },
      { name: p + 'attn_q.weight', dims: [h, q], type: 'q4_k' },
      { name: p + 'attn_k.weight', dims: [h, kv], type: 'q4_k' },
      { name: p + 'attn_v.weight', dims: [h, kv], type: more ? 'q6_k' : 'q4_k' },
      { name: p + 'attn_output.weight', dims: [q, h], type: 'q4_k' },
      { name: p + 'attn_q_norm.weight', dims: [c.headDim], type: 'f32', value: 'ones' },
      { name: p + 'attn_k_norm.weight', dims: [c.headDim], type: 'f32', value: 'ones' },
      { name: p + 'ffn_norm.weight', dims: [h], type: 'f32', value: 'ones' },
      { name: p + 'ffn_gate_inp.weight', dims: [h, E], type: 'f32', value: 'random' },
      { name: p + 'ffn_gate_exps.weight', dims: [h, m, E], type: 'q4_k' },
      { name: p + 'ffn_up_exps.weight', dims: [h, m, E], type: 'q4_k' },
      { name: p + 'ffn_down_exps.weight', dims: [m, h, E], type: more ? 'q6_k' : 'q4_k' },
    );
  }
  out.push({ name: 'output_norm.weight', dims: [h], type: 'f32', value: 'ones' }, { name: 'output.weight', dims: [h, c.vocab], type: 'q6_k' });
  for (const t of out) t.bytes = (t.dims.reduce((a, b) => a * b, 1) / TYPES[t.type].block) * TYPES[t.type].bytes;
  return out;
}

/**
 * 4 MiB of whole random blocks of a quantized type, centred on 0. Q4_K: every 6-bit scale and min 21 (twelve scale
 * bytes 0x55 unpack to sc = m = 21 in ggml-quants.c get_scale_min_k4), d = 2^-11, dmin = 7.5·d, so a weight is
 * d·21·(q − 7.5) (uncentred blocks share one direction that sends every token to the same experts). Q6_K is
 * centred by its layout (q − 32), with random scales in −16…15 and d = 2^-11.
 */
function pattern(type) {
  const bb = TYPES[type].bytes;
  const buf = Buffer.alloc(Math.floor((4 * MiB) / bb) * bb);
  randomFillSync(buf);
  for (let b = 0; b < buf.length; b += bb) {
    if (type === 'q4_k') {
      buf.writeUInt16LE(0x1000, b);
      buf.writeUInt16LE(0x1b80, b + 2);
      buf.fill(0x55, b + 4, b + 16);
    } else {
      for (let s = 0; s < 16; s++) buf[b + 192 + s] = ((buf[b + 192 + s] % 32) - 16) & 0xff;
      buf.writeUInt16LE(0x1000, b + 208);
    }
  }
  return buf;
}

/** Writes the GGUF (header, then each tensor's data at its aligned offset) and returns the tensor list. */
function writeModel(path) {
  const ts = tensors();
  const str = (s) => { const b = Buffer.from(s); const n = Buffer.alloc(8); n.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([n, b]); };
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const f32 = (v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); return b; };
  const a = 'qwen3moe';
  const kvs = [
    ['general.architecture', 8, str(a)], ['general.file_type', 4, u32(15)],
    [`${a}.block_count`, 4, u32(LAYERS)], [`${a}.context_length`, 4, u32(hf.max_position_embeddings)],
    [`${a}.embedding_length`, 4, u32(c.hidden)], [`${a}.feed_forward_length`, 4, u32(c.dense)],
    [`${a}.attention.head_count`, 4, u32(c.heads)], [`${a}.attention.head_count_kv`, 4, u32(c.kvHeads)],
    [`${a}.attention.key_length`, 4, u32(c.headDim)], [`${a}.attention.value_length`, 4, u32(c.headDim)],
    [`${a}.rope.freq_base`, 6, f32(1e6)], [`${a}.attention.layer_norm_rms_epsilon`, 6, f32(1e-6)],
    [`${a}.expert_count`, 4, u32(c.experts)], [`${a}.expert_used_count`, 4, u32(c.topK)],
    [`${a}.expert_feed_forward_length`, 4, u32(c.expertWidth)],
  ];
  const parts = [Buffer.from('GGUF'), u32(3), u64(ts.length), u64(kvs.length)];
  for (const [k, type, v] of kvs) parts.push(str(k), u32(type), v);
  let offset = 0;
  for (const t of ts) {
    t.offset = offset;
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(TYPES[t.type].id), u64(offset));
    offset += Math.ceil(t.bytes / 32) * 32;
  }
  let header = Buffer.concat(parts);
  header = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    const patterns = { q4_k: pattern('q4_k'), q6_k: pattern('q6_k') };
    for (const t of ts) {
      let pos = header.length + t.offset;
      if (t.type === 'f32') {
        const v = new Float32Array(t.bytes / 4);
        // The router's logits spread tokens over the experts; norms are 1.
        if (t.value === 'random') for (let i = 0; i < v.length; i++) v[i] = Math.random() - 0.5;
        else v.fill(1);
        writeSync(fd, new Uint8Array(v.buffer), 0, t.bytes, pos);
        continue;
      }
      const p = patterns[t.type];
      // Each tensor starts at a different whole block of the pattern, so experts and layers differ.
      let from = (Math.floor(Math.random() * (p.length / TYPES[t.type].bytes)) * TYPES[t.type].bytes);
      for (let left = t.bytes; left > 0; ) {
        const n = Math.min(left, p.length - from);
        writeSync(fd, p, from, n, pos);
        pos += n; left -= n; from = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
  return ts;
}

const cpuMs = (u) => (u.user + u.system) / 1000;

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-bench-moe-'));
const path = join(dir, 'qwen3-30b-a3b-shape-Q4_K_M.gguf');
try {
  let t0 = performance.now();
  const ts = writeModel(path);
  const fileBytes = statSync(path).size;
  console.log(`${name} write: ${((performance.now() - t0) / 1000).toFixed(1)} s (${(fileBytes / GiB).toFixed(2)} GiB)`);
  const expertTensorBytes = ts.filter((t) => t.name.includes('_exps')).reduce((s, t) => s + t.bytes, 0);
  const otherBytes = ts.filter((t) => !t.name.includes('_exps')).reduce((s, t) => s + (t.type === 'f32' ? t.dims.reduce((a, b) => a * b, 1) * 4 : t.bytes), 0);
  // The budget keeps everything but the experts: their bytes plus the run reserve (a quarter of the budget), rounded up.
  const budget = process.env.BENCH_MOE_BUDGET_MIB ? Number(process.env.BENCH_MOE_BUDGET_MIB) * MiB : Math.ceil(((otherBytes + 16 * MiB) * 4) / 3 / (64 * MiB)) * 64 * MiB;

  t0 = performance.now();
  const model = await core.loadModel(path, { maxResidentBytes: budget });
  const loadMs = performance.now() - t0;
  const streamedExpertLayers = model.weights.layers.filter((l) => l.experts?.[0]?.gate.stream).length;
  console.log(`${name} load under a ${(budget / MiB).toFixed(0)} MiB budget: ${(loadMs / 1000).toFixed(1)} s; resident ${(model.residentBytes / MiB).toFixed(0)} MiB, streamed ${(model.streamedBytes / GiB).toFixed(2)} GiB; experts on disk in ${streamedExpertLayers} of ${LAYERS} layers`);

  const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 7919 + 13) % c.vocab);
  // As the model session process does: the matrix products on every core.
  const threads = availableParallelism();
  core.useMatmulThreads(threads);
  const marks = [];
  const mark = () => marks.push({ t: performance.now(), cpu: process.cpuUsage(), reads: core.streamReadStats() });
  mark();
  const gen = await core.generate(model, prompt, { strategy: 'greedy', maxNewTokens: STEPS + 1, onStep: mark });
  const span = (i) => ({ ms: marks[i + 1].t - marks[i].t, cpuMs: cpuMs(marks[i + 1].cpu) - cpuMs(marks[i].cpu), bytes: marks[i + 1].reads.bytes - marks[i].reads.bytes, expertBytes: marks[i + 1].reads.expertBytes - marks[i].reads.expertBytes });
  const prefill = span(0);
  console.log(`${name} prefill ${PROMPT} tokens (through generate, greedy, ${threads} matmul threads): ${(prefill.ms / 1000).toFixed(1)} s (process CPU ${(prefill.cpuMs / 1000).toFixed(1)} s); expert weights read ${(prefill.expertBytes / GiB).toFixed(2)} GiB of ${(expertTensorBytes / GiB).toFixed(2)} GiB`);
  const steps = Array.from({ length: gen.tokenIds.length - 1 }, (_, i) => span(i + 1));
  if (steps.length === 0) throw new Error('generate stopped after the first token');
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  // One expert of a layer: gate and up (Q4_K) and down (Q4_K, or Q6_K in the use_more_bits layers).
  const sliceBytes = (l) => (2 * c.expertWidth * c.hidden * 144) / 256 + (c.hidden * c.expertWidth * (useMoreBits(l, c.allLayers) ? 210 : 144)) / 256;
  let chosenBytes = 0;
  for (let l = 0; l < LAYERS; l++) if (model.weights.layers[l].experts?.[0]?.gate.stream) chosenBytes += c.topK * sliceBytes(l);
  console.log(`${name} decode step (1 token after ${PROMPT}+ cached positions, generate, median of ${steps.length}): ${median(steps.map((s) => s.ms)).toFixed(0)} ms (each: ${steps.map((s) => s.ms.toFixed(0)).join(', ')} ms; process CPU ${steps.map((s) => s.cpuMs.toFixed(0)).join(', ')} ms; load average ${loadavg()[0].toFixed(1)} on ${threads} cores)`);
  console.log(`${name} decode step expert weights read: ${(median(steps.map((s) => s.expertBytes)) / MiB).toFixed(1)} MiB per step (${steps.map((s) => (s.expertBytes / MiB).toFixed(1)).join(', ')}) = ${c.topK} of ${c.experts} experts × ${streamedExpertLayers} layers (${(chosenBytes / MiB).toFixed(1)} MiB expected), of ${(expertTensorBytes / MiB).toFixed(0)} MiB of experts on disk (${((100 * median(steps.map((s) => s.expertBytes))) / expertTensorBytes).toFixed(2)}%)`);
  console.log(`${name} decode step other bytes read from disk: ${(median(steps.map((s) => s.bytes - s.expertBytes)) / 1024).toFixed(1)} KiB per step`);
} finally {
  core.useMatmulThreads(1);
  rmSync(dir, { recursive: true, force: true });
}
