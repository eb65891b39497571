// Writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data).
// Used by the tests (random models) and the training script (the embedded model); the extension never
// writes to the user's files with it.
import { writeFile } from 'node:fs/promises';
import { floatToBF16Bits, floatToHalfBits } from '../../tensor/dtypes';

/** The float formats this writer can store. */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

/** One tensor to write: row-major values, converted to `dtype` (default F32) with round-to-nearest-even. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | readonly number[];
  dtype?: WritableDtype;
}

/** Encodes tensors (in the given order, packed without gaps) and optional string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name) || t.name === '__metadata__') throw new Error(`safetensors writer: duplicate or reserved name ${t.name}`);
    seen.add(t.name);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors writer: ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
    const bytes = count * (t.dtype === 'F16' || t.dtype === 'BF16' ? 2 : 4);
    header[t.name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (what the reference writer does).
  while ((Buffer.byteLength(json) + 8) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i];
      if (dtype === 'F32') {
        view.setFloat32(p, v, true);
        p += 4;
      } else {
        view.setUint16(p, dtype === 'F16' ? floatToHalfBits(v) : floatToBF16Bits(v), true);
        p += 2;
      }
    }
  }
  return out;
}

/** Writes tensors to a safetensors file at `path` (for tests and the training script). */
export async function writeSafetensorsFile(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  await writeFile(path, encodeSafetensors(tensors, metadata));
}
