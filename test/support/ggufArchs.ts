// The GGUF llama.cpp's converter would write for a round-2 test model (test/unit/archFixtures.ts makeArch): the
// same weights as the safetensors directory, under llama.cpp's names (src/llama-arch.cpp LLM_TENSOR_NAMES) and
// conventions (convert_hf_to_gguf.py): Gemma norms with +1 added, Phi-3's fused attn_qkv and ffn_up (gate then up),
// LongRoPE as rope_factors tensors, experts stacked into ffn_{gate,up,down}_exps (ne = [in, out, experts]), the
// router as ffn_gate_inp, Mixtral as `llama` with expert_count and its Q/K rows permuted (LlamaModel.permute).
import { writeFileSync } from 'node:fs';
import type { WeightType } from '../../src/core/tensor/weights';
import type { ArchRef } from '../unit/archFixtures';
import { permuteRows } from './ggufModels';
import { meta, writeGguf, type MetaValue, type TensorSpec } from './ggufWriter';

type Mat = number[][];

/**
 * Writes `ref` as a GGUF file at `path`, 2-D weights stored as `type` (vectors F32, as llama.cpp keeps norms);
 * `extraMeta` adds metadata (a tokenizer, for a model the panels run).
 */
export function writeArchGguf(ref: ArchRef, path: string, type: WeightType = 'f32', extraMeta: [string, MetaValue][] = []): void {
  const s = ref.spec;
  if (s.kind === 'gemma3mm') throw new Error('write the text model (gemma3) instead');
  const arch = s.kind === 'mixtral' ? 'llama' : s.kind;
  const gemma = s.kind === 'gemma2' || s.kind === 'gemma3';
  const h = s.hidden;
  const tensors: TensorSpec[] = [];
  const flat = (m: Mat): Float32Array => Float32Array.from(m.flat());
  const mat = (name: string, m: Mat, permuteHeads?: number): void => {
    const rows = m.length, cols = m[0].length;
    const values = permuteHeads ? permuteRows(flat(m), rows, cols, permuteHeads) : flat(m);
    tensors.push({ name, dims: [cols, rows], type, values });
  };
  // Every *norm.weight of Gemma gets +1 (Gemma2Model / Gemma3Model.modify_tensors).
  const norm = (name: string, v: number[]): void => {
    tensors.push({ name, dims: [v.length], type: 'f32', values: Float32Array.from(v, (x) => (gemma ? x + 1 : x)) });
  };
  tensors.push({ name: 'token_embd.weight', dims: [h, s.vocab], type, values: flat(ref.embed) });
  ref.layers.forEach((L, l) => {
    const p = `blk.${l}.`;
    norm(`${p}attn_norm.weight`, L.norm1);
    if (s.kind === 'phi3') mat(`${p}attn_qkv.weight`, [...L.q, ...L.k, ...L.v]);
    else {
      const permute = arch === 'llama';
      mat(`${p}attn_q.weight`, L.q, permute ? s.heads : undefined);
      mat(`${p}attn_k.weight`, L.k, permute ? s.kvHeads : undefined);
      mat(`${p}attn_v.weight`, L.v);
    }
    mat(`${p}attn_output.weight`, L.o);
    if (L.qNorm && L.kNorm) {
      norm(`${p}attn_q_norm.weight`, L.qNorm);
      norm(`${p}attn_k_norm.weight`, L.kNorm);
    }
    if (L.postAttn) norm(`${p}post_attention_norm.weight`, L.postAttn);
    norm(`${p}ffn_norm.weight`, L.norm2);
    if (L.postMlp) norm(`${p}post_ffw_norm.weight`, L.postMlp);
    if (L.router && L.experts) {
      const E = L.experts.length;
      const m = L.experts[0].gate.length;
      mat(`${p}ffn_gate_inp.weight`, L.router);
      const stack = (name: string, pick: (e: { gate: Mat; up: Mat; down: Mat }) => Mat, rows: number, cols: number): void => {
        tensors.push({ name, dims: [cols, rows, E], type, values: Float32Array.from(L.experts?.flatMap((e) => pick(e).flat()) ?? []) });
      };
      stack(`${p}ffn_gate_exps.weight`, (e) => e.gate, m, h);
      stack(`${p}ffn_up_exps.weight`, (e) => e.up, m, h);
      stack(`${p}ffn_down_exps.weight`, (e) => e.down, h, m);
    } else if (s.kind === 'phi3') {
      mat(`${p}ffn_up.weight`, [...(L.gate as Mat), ...(L.up as Mat)]);
      mat(`${p}ffn_down.weight`, L.down as Mat);
    } else {
      mat(`${p}ffn_gate.weight`, L.gate as Mat);
      mat(`${p}ffn_up.weight`, L.up as Mat);
      mat(`${p}ffn_down.weight`, L.down as Mat);
    }
  });
  norm('output_norm.weight', ref.finalNorm);
  if (ref.lmHead !== ref.embed) mat('output.weight', ref.lmHead);
  const md: [string, MetaValue][] = [
    ['general.architecture', meta.str(arch)],
    ['general.name', meta.str(`tiny ${s.kind}`)],
    [`${arch}.block_count`, meta.u32(s.layers)],
    [`${arch}.context_length`, meta.u32(s.longrope?.maxPositions ?? 4096)],
    [`${arch}.embedding_length`, meta.u32(h)],
    [`${arch}.feed_forward_length`, meta.u32(s.intermediate)],
    [`${arch}.attention.head_count`, meta.u32(s.heads)],
    [`${arch}.attention.head_count_kv`, meta.u32(s.kvHeads)],
    [`${arch}.attention.key_length`, meta.u32(s.headDim)],
    [`${arch}.attention.value_length`, meta.u32(s.headDim)],
    [`${arch}.rope.freq_base`, meta.f32(s.ropeTheta)],
    [`${arch}.attention.layer_norm_rms_epsilon`, meta.f32(1e-6)],
  ];
  if (s.experts) {
    md.push([`${arch}.expert_count`, meta.u32(s.experts)], [`${arch}.expert_used_count`, meta.u32(s.topK ?? 1)]);
    if (s.kind === 'qwen3moe') md.push([`${arch}.expert_feed_forward_length`, meta.u32(s.moeIntermediate ?? 0)]);
  }
  if (s.slidingWindow !== undefined && s.kind !== 'mixtral') md.push([`${arch}.attention.sliding_window`, meta.u32(s.slidingWindow)]);
  if (s.kind === 'gemma2') {
    md.push([`${arch}.attn_logit_softcapping`, meta.f32(s.attnSoftcap ?? 0)], [`${arch}.final_logit_softcapping`, meta.f32(s.finalSoftcap ?? 0)]);
  }
  if (s.kind === 'gemma3') {
    if (s.linearRope) md.push([`${arch}.rope.scaling.type`, meta.str('linear')], [`${arch}.rope.scaling.factor`, meta.f32(s.linearRope)]);
    if (s.finalSoftcap) md.push([`${arch}.final_logit_softcapping`, meta.f32(s.finalSoftcap)]);
  }
  if (s.longrope) {
    const lr = s.longrope;
    const factor = lr.maxPositions / lr.original;
    md.push(
      [`${arch}.rope.scaling.original_context_length`, meta.u32(lr.original)],
      [`${arch}.rope.scaling.attn_factor`, meta.f32(factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(lr.original)))],
    );
    tensors.push({ name: 'rope_factors_long.weight', dims: [lr.long.length], type: 'f32', values: Float32Array.from(lr.long) });
    tensors.push({ name: 'rope_factors_short.weight', dims: [lr.short.length], type: 'f32', values: Float32Array.from(lr.short) });
  }
  writeFileSync(path, writeGguf({ metadata: [...md, ...extraMeta], tensors }));
}
