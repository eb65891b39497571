// The weight matrix of a linear layer as it is stored: float32, or the raw bytes of a 16-bit or quantized type.

/** Storage types of a weight matrix (ggml's names for the quantized block types). */
export type WeightType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q5_0' | 'q4_k' | 'q5_k' | 'q6_k';
/** A linear layer's weight: rows = out features, cols = in features, row-major; a quantized row is whole blocks. */
export interface WeightMatrix { readonly type: WeightType; readonly rows: number; readonly cols: number; readonly data: Float32Array | Uint8Array; }
