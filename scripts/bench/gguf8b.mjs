// Benchmarks a GGUF with Llama-3.1-8B's shapes in Q4_K_M's type mix (issue 14): random blocks (a repeated
// 1 MiB pattern of valid Q4_K / Q6_K blocks, ~4.9 GB) written to /tmp and deleted after. Reports the write and
// load times, resident memory against the file size (target ≤ 1.15×), tokens/s and GFLOP/s of one forward pass
// over a short prompt (extrapolated to 128 tokens: target ≤ 90 s), then the same with a 1 GiB budget (streamed).
// Then decoding (issue 17) on the resident model: new tokens with the KV cache (one position per step, matrix-vector
// products over all ~4.9 GB of weights), s/token as the median step and the weight bytes read per second.
// Tokens: LLM_LENS_GGUF8B_TOKENS (default 16; LLM_LENS_BENCH_QUICK=1: 4; 128 for the target);
// LLM_LENS_GGUF8B_DECODE new tokens (default 16; quick: 4; 0 skips). LLM_LENS_GGUF8B_RESIDENT=0 skips the resident
// load (it holds ~4.9 GB); LLM_LENS_GGUF8B_STREAMED=0 skips the 1 GiB budget run. LLM_LENS_GGUF8B_THREADS (default
// 2). Run after `node scripts/build.mjs`.
// Type mix: llama.cpp src/llama-quant.cpp (llama_tensor_get_type for LLAMA_FTYPE_MOSTLY_Q4_K_M): Q4_K
// everywhere, Q6_K for output.weight and for attn_v / ffn_down in the "use_more_bits" layers (the first and
// last eighth and every third layer between); norms F32. GGUF layout: ggml docs/gguf.md (version 3).
import { createRequire } from 'node:module';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('../../dist/core/index.js');

const quick = process.env.LLM_LENS_BENCH_QUICK === '1';
const T = Number(process.env.LLM_LENS_GGUF8B_TOKENS ?? (quick ? 4 : 16));
const withResident = process.env.LLM_LENS_GGUF8B_RESIDENT !== '0';
const withStreamed = process.env.LLM_LENS_GGUF8B_STREAMED !== '0';
const decodeTokens = Number(process.env.LLM_LENS_GGUF8B_DECODE ?? (quick ? 4 : 16));
const threads = Number(process.env.LLM_LENS_GGUF8B_THREADS ?? 2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const c = { layers: 32, hidden: 4096, heads: 32, kvHeads: 8, inter: 14336, vocab: 128256 };
const GiB = 2 ** 30;

const TYPES = { f32: { id: 0, block: 1, bytes: 4 }, q4_k: { id: 12, block: 256, bytes: 144 }, q6_k: { id: 14, block: 256, bytes: 210 } };
const useMoreBits = (i, n) => i < n / 8 || i >= (7 * n) / 8 || (i - Math.floor(n / 8)) % 3 === 2;

function tensors() {
  const kv = c.kvHeads * (c.hidden / c.heads);
  const out = [{ name: 'token_embd.weight', dims: [c.hidden, c.vocab], type: 'q4_k' }];
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    const more = useMoreBits(l, c.layers);
    out.push(
      { name: p + 'attn_norm.weight', dims: [c.hidden], type: 'f32' },
      { name: p + 'attn_q.weight', dims: [c.hidden, c.hidden], type: 'q4_k' },
      { name: p + 'attn_k.weight', dims: [c.hidden, kv], type: 'q4_k' },
      { name: p + 'attn_v.weight', dims: [c.hidden, kv], type: more ? 'q6_k' : 'q4_k' },
      { name: p + 'attn_output.weight', dims: [c.hidden, c.hidden], type: 'q4_k' },
      { name: p + 'ffn_norm.weight', dims: [c.hidden], type: 'f32' },
      { name: p + 'ffn_gate.weight', dims: [c.hidden, c.inter], type: 'q4_k' },
      { name: p + 'ffn_up.weight', dims: [c.hidden, c.inter], type: 'q4_k' },
      { name: p + 'ffn_down.weight', dims: [c.inter, c.hidden], type: more ? 'q6_k' : 'q4_k' },
    );
  }
  out.push({ name: 'output_norm.weight', dims: [c.hidden], type: 'f32' }, { name: 'output.weight', dims: [c.hidden, c.vocab], type: 'q6_k' });
  for (const t of out) t.bytes = (t.dims.reduce((a, b) => a * b, 1) / TYPES[t.type].block) * TYPES[t.type].bytes;
  return out;
}

/** A 1 MiB-ish chunk of whole random blocks of `type` with small, finite f16 scales. */
function pattern(type) {
  let seed = 0x12345678 ^ TYPES[type].id;
  const rand = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
  if (type === 'f32') return Buffer.from(new Float32Array(262144).fill(1).buffer);
  const bb = TYPES[type].bytes;
  const buf = Buffer.alloc(Math.floor(2 ** 20 / bb) * bb);
  for (let i = 0; i < buf.length; i++) buf[i] = rand() & 0xff;
  for (let b = 0; b < buf.length; b += bb) {
    // f16 0x1400 ≈ 9.8e-4 (d) and 0x1000 ≈ 4.9e-4 (dmin): weights of a few hundredths, as trained models have.
    if (type === 'q4_k') { buf.writeUInt16LE(0x1400, b); buf.writeUInt16LE(0x1000, b + 2); }
    else { buf.writeUInt16LE(0x1400, b + 208); for (let s = 0; s < 16; s++) buf[b + 192 + s] = (rand() % 32) - 16 & 0xff; }
  }
  return buf;
}

function writeModel(path) {
  const ts = tensors();
  const parts = [];
  const str = (s) => { const b = Buffer.from(s); const n = Buffer.alloc(8); n.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([n, b]); };
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const f32 = (v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); return b; };
  const kvs = [
    ['general.architecture', 8, str('llama')], ['general.file_type', 4, u32(15)],
    ['llama.block_count', 4, u32(c.layers)], ['llama.embedding_length', 4, u32(c.hidden)], ['llama.feed_forward_length', 4, u32(c.inter)],
    ['llama.attention.head_count', 4, u32(c.heads)], ['llama.attention.head_count_kv', 4, u32(c.kvHeads)], ['llama.context_length', 4, u32(131072)],
    ['llama.attention.layer_norm_rms_epsilon', 6, f32(1e-5)], ['llama.rope.freq_base', 6, f32(500000)],
  ];
  parts.push(Buffer.from('GGUF'), u32(3), u64(ts.length), u64(kvs.length));
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
  writeSync(fd, header);
  const patterns = { f32: pattern('f32'), q4_k: pattern('q4_k'), q6_k: pattern('q6_k') };
  for (const t of ts) {
    const p = patterns[t.type];
    let pos = header.length + t.offset;
    for (let left = t.bytes; left > 0; ) {
      const n = Math.min(left, p.length);
      writeSync(fd, p, 0, n, pos);
      pos += n; left -= n;
    }
  }
  closeSync(fd);
  return ts;
}

/** FLOPs of one forward pass over T tokens (every projection, attention over the causal half, the last row's logits). */
function flops(tokens) {
  const d = c.hidden / c.heads, kv = c.kvHeads * d;
  const perLayer = 2 * tokens * c.hidden * (c.hidden + 2 * kv) + 2 * tokens * c.hidden * c.hidden + 2 * tokens * c.hidden * c.inter * 3 + 2 * c.heads * d * tokens * (tokens + 1);
  return c.layers * perLayer + 2 * c.hidden * c.vocab;
}

async function measure(label, path, budget, decode = 0) {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await core.loadModel(path, { maxResidentBytes: budget });
  const loadMs = performance.now() - t0;
  const grown = process.memoryUsage().rss - rss0;
  console.log(`${label}: loaded in ${(loadMs / 1000).toFixed(1)} s; residentBytes ${(model.residentBytes / GiB).toFixed(2)} GiB = ${(model.residentBytes / model.fileBytes).toFixed(3)}× the ${(model.fileBytes / GiB).toFixed(2)} GiB file (target ≤ 1.15×), streamed ${(model.streamedBytes / GiB).toFixed(2)} GiB; process RSS grew ${(grown / GiB).toFixed(2)} GiB`);
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % c.vocab);
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  await core.forward(model, ids, { logits: 'last' });
  const s = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c0);
  const gflops = flops(T) / s / 1e9;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(`${label}: ${T} tokens in ${s.toFixed(1)} s (process CPU ${cpuS.toFixed(1)} s): ${(T / s).toFixed(2)} tokens/s, ${gflops.toFixed(2)} GFLOP/s (${(flops(T) / cpuS / 1e9).toFixed(2)} GFLOP/s per CPU-second) on ${core.matmulThreads()} thread(s); 128 tokens at this rate ≈ ${(flops(128) / gflops / 1e9).toFixed(0)} s (target ≤ 90 s, ${(flops(128) / 1e12).toFixed(2)} TFLOP)`);
  if (decode > 0) {
    // Decoding with the cache: the time between consecutive steps is one position's forward pass (the first
    // step also holds the prompt's).
    const stamps = [];
    const d0 = process.cpuUsage();
    const g0 = performance.now();
    const gen = await core.generate(model, ids.slice(0, 4), { strategy: 'greedy', maxNewTokens: decode + 1, stopTokenIds: [], onStep: () => stamps.push([performance.now(), process.cpuUsage(d0)]) });
    const total = (performance.now() - g0) / 1000;
    const steps = [], cpuSteps = [];
    for (let i = 1; i < stamps.length; i++) {
      steps.push((stamps[i][0] - stamps[i - 1][0]) / 1000);
      const a = stamps[i - 1][1], b = stamps[i][1];
      cpuSteps.push((b.user + b.system - a.user - a.system) / 1e6);
    }
    const per = median(steps);
    console.log(`${label}: decoding ${gen.tokenIds.length} tokens after a 4-token prompt with the KV cache in ${total.toFixed(1)} s: ${per.toFixed(2)} s/token (median of ${steps.length} steps; process CPU ${median(cpuSteps).toFixed(2)} s/token), ${(model.fileBytes / per / 1e9).toFixed(2)} GB/s of weights; all steps [${steps.map((v) => v.toFixed(2)).join(', ')}] s`);
  }
}

const path = join(tmpdir(), `llm-lens-bench-8b-${process.pid}.gguf`);
try {
  const t0 = performance.now();
  writeModel(path);
  console.log(`wrote ${(statSync(path).size / 1e9).toFixed(2)} GB (Llama-3.1-8B shapes, Q4_K_M mix) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  core.useMatmulThreads(threads);
  if (withResident) await measure('resident', path, 12 * GiB, decodeTokens);
  if (withStreamed) await measure('1 GiB budget (streamed)', path, GiB);
} finally {
  core.useMatmulThreads(1);
  rmSync(path, { force: true });
}
