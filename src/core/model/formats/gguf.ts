// A bounded GGUF reader (ggml docs/gguf.md, versions 2 and 3, little-endian): header, metadata key-values
// (arrays included), tensor infos (dimensions innermost first), data at the aligned data offset + each
// tensor's offset. Every count and length is checked against the file size and a cap before anything is
// allocated, so a hostile file ends in a ModelLoadError, never in a hang or an out-of-memory. Tensor data is
// read lazily with positioned reads: inspecting a 5 GB file reads only its header.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelLoadError } from '../errors';
import { blockTypeById, ggmlTypeName } from '../../tensor/quant/blockTypes';
import type { WeightMatrix, WeightType } from '../../tensor/weights';

/** A metadata value: numbers (64-bit ones as bigint when beyond 2^53), strings, booleans, arrays of them. */
export type GgufValue = string | number | bigint | boolean | GgufValue[] | GgufSkippedArray;

/** An array left unread (header-only inspection skips long arrays such as the vocabulary). */
export interface GgufSkippedArray {
  readonly skipped: true;
  readonly itemType: number;
  readonly length: number;
}

/** One tensor as the header describes it. */
export interface GgufTensorInfo {
  readonly name: string;
  /** ggml's ne: innermost (contiguous) dimension first. An HF [out, in] weight has dims [in, out]. */
  readonly dims: readonly number[];
  readonly typeId: number;
  /** ggml's name of the type (Q4_K, IQ2_XS, MXFP4, "type 77" when unknown). */
  readonly typeName: string;
  /** The storage type when LLM Lens can read it. */
  readonly type?: WeightType;
  readonly elements: number;
  /** Data bytes (known for supported types). */
  readonly bytes?: number;
  /** Absolute byte position of the data in its file. */
  readonly position: number;
  /** Index of the shard file holding it (0 for an unsplit file). */
  readonly shard: number;
}

/** The parsed header of one GGUF file. */
export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute position of the tensor data section. */
  readonly dataOffset: number;
  readonly fileBytes: number;
}

/** Options of header parsing. */
export interface GgufHeaderOptions {
  /** Arrays longer than this are skipped rather than read (metadata-only inspection); default: read all. */
  skipArraysLongerThan?: number;
}

/** The most header bytes read (vocabularies of 256k tokens with merges take ~10 MiB). */
export const MAX_GGUF_HEADER_BYTES = 128 * 2 ** 20;
/** The most metadata array elements in total (a 256k vocabulary with scores, types and merges is ~1M). */
export const MAX_GGUF_ARRAY_ELEMENTS = 8_000_000;
const MAX_TENSORS = 1_000_000;
/** GGML_MAX_DIMS. */
const MAX_DIMS = 4;
const MAX_NESTING = 4;
const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

// Metadata value types (gguf.md, gguf_metadata_value_type).
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
const FIXED_SIZE: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Thrown inside the parser when the buffer holds less than the file: the caller reads more and retries. */
class NeedMore {
  constructor(readonly bytes: number) {}
}

const utf8 = new TextDecoder('utf-8');

/** Sequential little-endian reads over a prefix of the file, bounded by the file size. */
class Cursor {
  pos = 0;
  private readonly view: DataView;
  arrayElements = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly fileBytes: number,
    private readonly path: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(code: 'headerInvalid' | 'headerTooLarge' | 'truncated' | 'shape' | 'offsets' | 'dtype', message: string): ModelLoadError {
    return new ModelLoadError(code, `${this.path}: ${message}`);
  }

  need(n: number): void {
    const end = this.pos + n;
    if (end <= this.buf.length) return;
    if (end > this.fileBytes) throw this.fail('truncated', `the file ends at byte ${this.fileBytes}, inside its header (at byte ${this.pos}, ${n} more bytes expected)`);
    if (end > MAX_GGUF_HEADER_BYTES) throw this.fail('headerTooLarge', `the header passes ${MAX_GGUF_HEADER_BYTES} bytes`);
    throw new NeedMore(end);
  }

  remaining(): number {
    return this.fileBytes - this.pos;
  }

  u8(): number { this.need(1); return this.buf[this.pos++]; }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(): number { this.need(4); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
  big64(signed: boolean): bigint { this.need(8); const v = signed ? this.view.getBigInt64(this.pos, true) : this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }

  /** A u64 that must be a safe integer no larger than `max` (what it counts must fit in the file). */
  count(what: string, max: number): number {
    const v = this.big64(false);
    if (v > BigInt(max)) throw this.fail('headerTooLarge', `${what} is ${v}, more than the file can hold (at most ${max})`);
    return Number(v);
  }

  str(what: string, maxBytes = Number.MAX_SAFE_INTEGER): string {
    const len = this.count(`the length of ${what}`, Math.min(this.remaining() - 8, maxBytes));
    this.need(len);
    const s = utf8.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

function readValue(c: Cursor, type: number, what: string, opts: GgufHeaderOptions, depth: number): GgufValue {
  switch (type) {
    case T.U8: return c.u8();
    case T.I8: return (c.u8() << 24) >> 24;
    case T.U16: return c.u16();
    case T.I16: return (c.u16() << 16) >> 16;
    case T.U32: return c.u32();
    case T.I32: return c.i32();
    case T.F32: return c.f32();
    case T.F64: return c.f64();
    case T.BOOL: {
      const b = c.u8();
      if (b > 1) throw c.fail('headerInvalid', `${what}: a boolean byte of ${b} (only 0 and 1 are valid)`);
      return b === 1;
    }
    case T.STRING: return c.str(what);
    case T.U64:
    case T.I64: {
      const v = c.big64(type === T.I64);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case T.ARRAY: {
      if (depth >= MAX_NESTING) throw c.fail('headerInvalid', `${what}: arrays nested deeper than ${MAX_NESTING}`);
      const itemType = c.u32();
      if (itemType > T.F64) throw c.fail('headerInvalid', `${what}: array of unknown value type ${itemType}`);
      // Every element takes at least its fixed size (a string or array at least its 8- or 12-byte prefix).
      const minSize = FIXED_SIZE[itemType] ?? (itemType === T.STRING ? 8 : 12);
      const length = c.count(`the length of array ${what}`, Math.floor((c.remaining() - 8) / minSize));
      if (opts.skipArraysLongerThan !== undefined && length > opts.skipArraysLongerThan) {
        if (FIXED_SIZE[itemType] !== undefined) c.skip(length * minSize);
        else for (let i = 0; i < length; i++) skipValue(c, itemType, what, depth + 1);
        return { skipped: true, itemType, length };
      }
      c.arrayElements += length;
      if (c.arrayElements > MAX_GGUF_ARRAY_ELEMENTS) throw c.fail('headerTooLarge', `the metadata arrays hold more than ${MAX_GGUF_ARRAY_ELEMENTS} elements`);
      const out: GgufValue[] = new Array<GgufValue>(length);
      for (let i = 0; i < length; i++) out[i] = readValue(c, itemType, what, opts, depth + 1);
      return out;
    }
    default:
      throw c.fail('headerInvalid', `${what}: unknown metadata value type ${type}`);
  }
}

function skipValue(c: Cursor, type: number, what: string, depth: number): void {
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) return c.skip(fixed);
  if (type === T.STRING) return c.skip(c.count(`the length of a string in ${what}`, c.remaining() - 8));
  if (type !== T.ARRAY) throw c.fail('headerInvalid', `${what}: unknown metadata value type ${type}`);
  if (depth >= MAX_NESTING) throw c.fail('headerInvalid', `${what}: arrays nested deeper than ${MAX_NESTING}`);
  const itemType = c.u32();
  if (itemType > T.F64) throw c.fail('headerInvalid', `${what}: array of unknown value type ${itemType}`);
  const minSize = FIXED_SIZE[itemType] ?? (itemType === T.STRING ? 8 : 12);
  const length = c.count(`the length of array ${what}`, Math.floor((c.remaining() - 8) / minSize));
  if (FIXED_SIZE[itemType] !== undefined) c.skip(length * minSize);
  else for (let i = 0; i < length; i++) skipValue(c, itemType, what, depth + 1);
}

/** Parses a GGUF header from `buf` (a prefix of a `fileBytes`-byte file). Throws NeedMore or ModelLoadError. */
function parseHeader(buf: Uint8Array, fileBytes: number, path: string, shard: number, opts: GgufHeaderOptions): GgufHeader {
  const c = new Cursor(buf, fileBytes, path);
  if (fileBytes < 4 || c.u32() !== MAGIC) throw c.fail('headerInvalid', 'not a GGUF file (the first bytes are not "GGUF")');
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    // A big-endian file shows its version byte-swapped (gguf.md: version 3 added big-endian files).
    const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
    if (swapped === 2 || swapped === 3) throw c.fail('headerInvalid', 'a big-endian GGUF file; only little-endian files are supported');
    throw c.fail('headerInvalid', `GGUF version ${version} is not supported (versions 2 and 3 are)`);
  }
  const tensorCount = c.count('the tensor count', Math.min(MAX_TENSORS, Math.floor(c.remaining() / 24)));
  const kvCount = c.count('the metadata count', Math.floor(c.remaining() / 13));
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.str(`metadata key #${i}`, 65535);
    if (metadata.has(key)) throw c.fail('headerInvalid', `metadata key "${key}" appears twice`);
    const type = c.u32();
    metadata.set(key, readValue(c, type, `metadata "${key}"`, opts, 0));
  }
  const alignValue = metadata.get('general.alignment') ?? 32;
  if (typeof alignValue !== 'number' || !Number.isInteger(alignValue) || alignValue <= 0 || alignValue % 8 !== 0 || alignValue > 2 ** 20) {
    throw c.fail('headerInvalid', `general.alignment ${String(alignValue)} is not a positive multiple of 8`);
  }
  const alignment = alignValue;
  const infos: { name: string; dims: number[]; typeId: number; offset: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = c.str(`tensor name #${i}`, 1024);
    if (names.has(name)) throw c.fail('headerInvalid', `tensor "${name}" appears twice`);
    names.add(name);
    const nDims = c.u32();
    if (nDims === 0 || nDims > MAX_DIMS) throw c.fail('shape', `tensor "${name}" has ${nDims} dimensions (1 to ${MAX_DIMS} are valid)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = c.big64(false);
      if (v < 1n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw c.fail('shape', `tensor "${name}" has dimension ${d} of ${v}`);
      dims.push(Number(v));
    }
    const typeId = c.u32();
    const offset = c.big64(false);
    if (offset > BigInt(fileBytes)) throw c.fail('offsets', `tensor "${name}" starts at data offset ${offset}, past the end of the ${fileBytes}-byte file`);
    infos.push({ name, dims, typeId, offset: Number(offset) });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors: GgufTensorInfo[] = [];
  for (const info of infos) {
    let elements = 1;
    for (const d of info.dims) {
      elements *= d;
      if (elements > Number.MAX_SAFE_INTEGER) throw c.fail('shape', `tensor "${info.name}" has more than 2^53 elements`);
    }
    const block = blockTypeById(info.typeId);
    const position = dataOffset + info.offset;
    if (info.offset % alignment !== 0) throw c.fail('offsets', `tensor "${info.name}" has offset ${info.offset}, not a multiple of the alignment ${alignment}`);
    let bytes: number | undefined;
    if (block) {
      if (info.dims[0] % block.blockSize !== 0) throw c.fail('shape', `tensor "${info.name}" (${block.name}) has rows of ${info.dims[0]} weights, not whole blocks of ${block.blockSize}`);
      bytes = (elements / block.blockSize) * block.blockBytes;
      if (position > fileBytes) throw c.fail('offsets', `tensor "${info.name}" starts at byte ${position}, past the end of the ${fileBytes}-byte file`);
      if (position + bytes > fileBytes) throw c.fail('truncated', `tensor "${info.name}" needs bytes ${position}..${position + bytes}, the file ends at ${fileBytes}`);
    }
    tensors.push({ name: info.name, dims: info.dims, typeId: info.typeId, typeName: ggmlTypeName(info.typeId), type: block?.type, elements, bytes, position, shard });
  }
  // Data regions must not overlap (a hostile file could alias one tensor's bytes as another's).
  const sorted = tensors.filter((t) => t.bytes !== undefined).sort((a, b) => a.position - b.position);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.position + (prev.bytes ?? 0) > sorted[i].position) throw c.fail('offsets', `tensors "${prev.name}" and "${sorted[i].name}" overlap`);
  }
  return { version, metadata, tensors, alignment, dataOffset, fileBytes };
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ModelLoadError('notFound', `${path}: not a file`);
    return s.size;
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError('notFound', `${path}: no such file`);
  }
}

async function readAt(fh: FileHandle, path: string, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(into, done, into.length - done, position + done));
    } catch (e) {
      throw new ModelLoadError('io', `${path}: cannot read (${(e as Error).message})`);
    }
    if (n === 0) throw new ModelLoadError('truncated', `${path}: the file ended at byte ${position + done} (it shrank while being read?)`);
    done += n;
  }
}

/** Reads and parses the header of one GGUF file, reading only as many bytes as the header takes. */
async function readHeaderFrom(fh: FileHandle, path: string, size: number, shard: number, opts: GgufHeaderOptions): Promise<GgufHeader> {
  let want = Math.min(size, 1 << 20);
  for (;;) {
    const buf = new Uint8Array(want);
    await readAt(fh, path, buf, 0);
    try {
      return parseHeader(buf, size, path, shard, opts);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      want = Math.min(size, MAX_GGUF_HEADER_BYTES, Math.max(e.bytes, want * 2));
    }
  }
}

/** Reads the header (metadata and tensor infos) of a GGUF file without touching its tensor data. */
export async function readGgufHeader(path: string, options: GgufHeaderOptions = {}): Promise<GgufHeader> {
  const size = await fileSize(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ModelLoadError('io', `${path}: cannot open (${(e as Error).message})`);
  }
  try {
    return await readHeaderFrom(fh, path, size, 0, options);
  } finally {
    await fh.close();
  }
}

/** Whether the file starts with the GGUF magic (Ollama's blobs have no extension). Never throws. */
export async function isGgufFile(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const b = new Uint8Array(4);
      const { bytesRead } = await fh.read(b, 0, 4, 0);
      return bytesRead === 4 && b[0] === 0x47 && b[1] === 0x47 && b[2] === 0x55 && b[3] === 0x46;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

/** The shard paths of a split GGUF (`name-00001-of-00003.gguf`), or just `path`. */
export function ggufShardPaths(path: string): string[] {
  const m = SPLIT_NAME.exec(basename(path));
  if (!m) return [path];
  const count = Number(m[3]);
  if (count < 1) return [path];
  return Array.from({ length: count }, (_, i) => join(dirname(path), `${m[1]}-${String(i + 1).padStart(5, '0')}-of-${m[3]}.gguf`));
}

/** An open GGUF model (all shards of a split one): metadata, tensor infos and lazy tensor reads. */
export interface GgufFile {
  /** The shard files, first to last. */
  readonly paths: readonly string[];
  readonly version: number;
  /** The first shard's metadata (the others carry only split.*). */
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  /** Total bytes of all shards. */
  readonly fileBytes: number;
  /** A tensor's raw data bytes; ModelLoadError ('dtype') when its type is not one LLM Lens reads. */
  readBytes(name: string): Promise<Uint8Array>;
  /** A 2-D tensor as a weight matrix (rows = dims[1], cols = dims[0]); a 1-D one as 1 × n. f32 data becomes a Float32Array. */
  readWeight(name: string): Promise<WeightMatrix>;
  close(): Promise<void>;
}

/** Opens a GGUF file, and every shard when it is part of a split GGUF. Throws ModelLoadError on any problem. */
export async function openGguf(path: string, options: GgufHeaderOptions = {}): Promise<GgufFile> {
  const paths = ggufShardPaths(path);
  const handles: FileHandle[] = [];
  const headers: GgufHeader[] = [];
  try {
    for (let i = 0; i < paths.length; i++) {
      const size = await fileSize(paths[i]);
      let fh: FileHandle;
      try {
        fh = await open(paths[i], 'r');
      } catch (e) {
        throw new ModelLoadError('io', `${paths[i]}: cannot open (${(e as Error).message})`);
      }
      handles.push(fh);
      headers.push(await readHeaderFrom(fh, paths[i], size, i, options));
    }
  } catch (e) {
    await Promise.all(handles.map((h) => h.close()));
    throw e;
  }
  const first = headers[0];
  const splitCount = first.metadata.get('split.count');
  if (paths.length > 1 && splitCount !== undefined && splitCount !== paths.length) {
    await Promise.all(handles.map((h) => h.close()));
    throw new ModelLoadError('index', `${paths[0]}: split.count is ${String(splitCount)} but the file name says ${paths.length} shards`);
  }
  const tensors = new Map<string, GgufTensorInfo>();
  for (const h of headers) {
    for (const t of h.tensors) {
      if (tensors.has(t.name)) {
        await Promise.all(handles.map((x) => x.close()));
        throw new ModelLoadError('index', `${paths[t.shard]}: tensor "${t.name}" also appears in ${paths[tensors.get(t.name)?.shard ?? 0]}`);
      }
      tensors.set(t.name, t);
    }
  }
  const info = (name: string): GgufTensorInfo => {
    const t = tensors.get(name);
    if (!t) throw new ModelLoadError('missingTensor', `${paths[0]}: no tensor "${name}"`);
    if (!t.type || t.bytes === undefined) throw new ModelLoadError('dtype', `${paths[t.shard]}: tensor "${name}" is of type ${t.typeName} (ggml type id ${t.typeId}), which LLM Lens cannot read (supported: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K)`);
    return t;
  };
  return {
    paths,
    version: first.version,
    metadata: first.metadata,
    tensors,
    fileBytes: headers.reduce((s, h) => s + h.fileBytes, 0),
    async readBytes(name) {
      const t = info(name);
      const out = new Uint8Array(t.bytes ?? 0);
      await readAt(handles[t.shard], paths[t.shard], out, t.position);
      return out;
    },
    async readWeight(name) {
      const t = info(name);
      if (t.dims.length > 2) throw new ModelLoadError('tensorShape', `${paths[t.shard]}: tensor "${name}" has ${t.dims.length} dimensions, a weight matrix 1 or 2`);
      const cols = t.dims[0];
      const rows = t.dims.length === 2 ? t.dims[1] : 1;
      const type = t.type as WeightType;
      if (type === 'f32') {
        // Read straight into the Float32Array's own bytes: no second copy.
        const data = new Float32Array(t.elements);
        await readAt(handles[t.shard], paths[t.shard], new Uint8Array(data.buffer), t.position);
        return { type, rows, cols, data };
      }
      const data = new Uint8Array(t.bytes ?? 0);
      await readAt(handles[t.shard], paths[t.shard], data, t.position);
      return { type, rows, cols, data };
    },
    async close() {
      await Promise.all(handles.map((h) => h.close()));
    },
  };
}

/** A metadata value as a number, if it is one. */
export function metaNumber(meta: ReadonlyMap<string, GgufValue>, key: string): number | undefined {
  const v = meta.get(key);
  return typeof v === 'number' ? v : undefined;
}

/** A metadata value as a string, if it is one. */
export function metaString(meta: ReadonlyMap<string, GgufValue>, key: string): string | undefined {
  const v = meta.get(key);
  return typeof v === 'string' ? v : undefined;
}
