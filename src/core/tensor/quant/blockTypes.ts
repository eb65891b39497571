// ggml's tensor types: id → name, and for the types LLM Lens reads, the block size (weights per block) and
// block bytes. Ids: ggml/include/ggml.h `enum ggml_type`; layouts: ggml/src/ggml-common.h (QK_K = 256).
import type { WeightType } from '../weights';

/** A block type LLM Lens can dequantize. */
export interface BlockType {
  /** ggml's type id (GGML_TYPE_*). */
  readonly id: number;
  readonly type: WeightType;
  /** ggml's upper-case name as llama.cpp prints it (Q4_K, F16 …). */
  readonly name: string;
  /** Weights per block (1 for the float types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

/** Super-block size of the k-quants (ggml-common.h QK_K). */
export const QK_K = 256;

/** The supported types, by WeightType (sizes from ggml-common.h's static_asserts). */
export const BLOCK_TYPES: Readonly<Record<WeightType, BlockType>> = {
  f32: { id: 0, type: 'f32', name: 'F32', blockSize: 1, blockBytes: 4 },
  f16: { id: 1, type: 'f16', name: 'F16', blockSize: 1, blockBytes: 2 },
  q4_0: { id: 2, type: 'q4_0', name: 'Q4_0', blockSize: 32, blockBytes: 2 + 16 }, // {f16 d; u8 qs[16]}
  q5_0: { id: 6, type: 'q5_0', name: 'Q5_0', blockSize: 32, blockBytes: 2 + 4 + 16 }, // {f16 d; u8 qh[4]; u8 qs[16]}
  q8_0: { id: 8, type: 'q8_0', name: 'Q8_0', blockSize: 32, blockBytes: 2 + 32 }, // {f16 d; i8 qs[32]}
  q4_k: { id: 12, type: 'q4_k', name: 'Q4_K', blockSize: QK_K, blockBytes: 4 + 12 + 128 }, // {f16 d, dmin; u8 scales[12]; u8 qs[128]}
  q5_k: { id: 13, type: 'q5_k', name: 'Q5_K', blockSize: QK_K, blockBytes: 4 + 12 + 32 + 128 }, // {f16 d, dmin; scales[12]; qh[32]; qs[128]}
  q6_k: { id: 14, type: 'q6_k', name: 'Q6_K', blockSize: QK_K, blockBytes: 128 + 64 + 16 + 2 }, // {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
  bf16: { id: 30, type: 'bf16', name: 'BF16', blockSize: 1, blockBytes: 2 },
};

/** Every ggml type id LLM Lens knows the name of (ggml.h), so a refusal can name the type. */
const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 31: 'Q4_0_4_4', 32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 34: 'TQ1_0', 35: 'TQ2_0',
  36: 'IQ4_NL_4_4', 37: 'IQ4_NL_4_8', 38: 'IQ4_NL_8_8', 39: 'MXFP4', 40: 'NVFP4', 41: 'Q1_0', 42: 'Q2_0',
};

const BY_ID = new Map<number, BlockType>(Object.values(BLOCK_TYPES).map((b) => [b.id, b]));

/** The supported block type with this ggml id, or undefined. */
export function blockTypeById(id: number): BlockType | undefined {
  return BY_ID.get(id);
}

/** ggml's name for a type id ("IQ2_XS", "MXFP4"), or "type 123" for an id ggml.h does not list. */
export function ggmlTypeName(id: number): string {
  return GGML_TYPE_NAMES[id] ?? `type ${id}`;
}

/** Bytes of one row of `cols` weights; throws RangeError when `cols` is not whole blocks. */
export function rowBytes(type: WeightType, cols: number): number {
  const b = BLOCK_TYPES[type];
  if (cols % b.blockSize !== 0) throw new RangeError(`${b.name} rows must be a multiple of ${b.blockSize} weights (got ${cols})`);
  return (cols / b.blockSize) * b.blockBytes;
}
