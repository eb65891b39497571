// A GGUF writer for tests and benchmarks (ggml docs/gguf.md, version 3, little-endian). `GgufBytes` is the
// low-level byte builder hostile-file tests use to write headers that lie.
import { BLOCK_TYPES } from '../../src/core/tensor/quant/blockTypes';
import type { WeightType } from '../../src/core/tensor/weights';
import { quantize } from './quantize';

/** Metadata value types of gguf.md. */
export const GT = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9, u64: 10, i64: 11, f64: 12 } as const;
type Scalar = Exclude<keyof typeof GT, 'arr'>;

/** A typed metadata value to write. */
export type MetaValue = { t: Scalar; v: number | string | boolean | bigint } | { t: 'arr'; of: Scalar; v: (number | string | boolean | bigint)[] };

/** A tensor to write: dims innermost first (ggml ne), either raw bytes of `typeId` or floats to encode as `type`. */
export type TensorSpec =
  | { name: string; dims: number[]; type: WeightType; values: Float32Array }
  | { name: string; dims: number[]; typeId: number; bytes: Uint8Array };

const textEncoder = new TextEncoder();

/** Appends little-endian values to a growing buffer. */
export class GgufBytes {
  private buf = new Uint8Array(1024);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  /** Reserves n bytes and returns their offset (call it before reading this.dv: it may replace the buffer). */
  private at(n: number): number {
    this.grow(n);
    const p = this.length;
    this.length += n;
    return p;
  }
  u8(v: number): this { const p = this.at(1); this.dv.setUint8(p, v); return this; }
  u16(v: number): this { const p = this.at(2); this.dv.setUint16(p, v, true); return this; }
  u32(v: number): this { const p = this.at(4); this.dv.setUint32(p, v, true); return this; }
  i32(v: number): this { const p = this.at(4); this.dv.setInt32(p, v, true); return this; }
  f32(v: number): this { const p = this.at(4); this.dv.setFloat32(p, v, true); return this; }
  f64(v: number): this { const p = this.at(8); this.dv.setFloat64(p, v, true); return this; }
  u64(v: number | bigint): this { const p = this.at(8); this.dv.setBigUint64(p, BigInt(v), true); return this; }
  i64(v: number | bigint): this { const p = this.at(8); this.dv.setBigInt64(p, BigInt(v), true); return this; }
  raw(b: Uint8Array): this { this.grow(b.length); this.buf.set(b, this.length); this.length += b.length; return this; }
  str(s: string): this { const b = textEncoder.encode(s); return this.u64(b.length).raw(b); }
  pad(alignment: number): this { while (this.length % alignment) this.u8(0); return this; }
  scalar(t: Scalar, v: number | string | boolean | bigint): this {
    switch (t) {
      case 'u8': return this.u8(Number(v));
      case 'i8': return this.u8(Number(v) & 0xff);
      case 'u16': return this.u16(Number(v));
      case 'i16': return this.u16(Number(v) & 0xffff);
      case 'u32': return this.u32(Number(v));
      case 'i32': return this.i32(Number(v));
      case 'f32': return this.f32(Number(v));
      case 'f64': return this.f64(Number(v));
      case 'bool': return this.u8(v ? 1 : 0);
      case 'str': return this.str(String(v));
      case 'u64': return this.u64(typeof v === 'bigint' ? v : Number(v));
      case 'i64': return this.i64(typeof v === 'bigint' ? v : Number(v));
    }
  }
  kv(key: string, value: MetaValue): this {
    this.str(key).u32(GT[value.t]);
    if (value.t !== 'arr') return this.scalar(value.t, value.v);
    this.u32(GT[value.of]).u64(value.v.length);
    for (const item of value.v) this.scalar(value.of, item);
    return this;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Shorthands for metadata values. */
export const meta = {
  str: (v: string): MetaValue => ({ t: 'str', v }),
  u32: (v: number): MetaValue => ({ t: 'u32', v }),
  f32: (v: number): MetaValue => ({ t: 'f32', v }),
  bool: (v: boolean): MetaValue => ({ t: 'bool', v }),
  strs: (v: string[]): MetaValue => ({ t: 'arr', of: 'str', v }),
  f32s: (v: number[]): MetaValue => ({ t: 'arr', of: 'f32', v }),
  i32s: (v: number[]): MetaValue => ({ t: 'arr', of: 'i32', v }),
};

/** Writes a whole GGUF file: header, metadata, tensor infos, aligned data. */
export function writeGguf(opts: { metadata: [string, MetaValue][]; tensors: TensorSpec[]; alignment?: number; version?: number }): Uint8Array {
  const alignment = opts.alignment ?? 32;
  const out = new GgufBytes();
  out.u32(0x46554747).u32(opts.version ?? 3).u64(opts.tensors.length).u64(opts.metadata.length);
  for (const [k, v] of opts.metadata) out.kv(k, v);
  const encoded = opts.tensors.map((t) => ('bytes' in t ? { typeId: t.typeId, bytes: t.bytes } : { typeId: BLOCK_TYPES[t.type].id, bytes: quantize(t.type, t.values) }));
  let offset = 0;
  const offsets: number[] = [];
  opts.tensors.forEach((t, i) => {
    out.str(t.name).u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(encoded[i].typeId).u64(offset);
    offsets.push(offset);
    offset += Math.ceil(encoded[i].bytes.length / alignment) * alignment;
  });
  out.pad(alignment);
  for (const e of encoded) out.raw(e.bytes).pad(alignment);
  return out.bytes();
}
