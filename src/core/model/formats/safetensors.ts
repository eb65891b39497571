// Reads safetensors files with the header fully validated before any tensor memory is allocated, so a
// corrupt or hostile file ends in a ModelLoadError, never a crash, a hang or an unbounded allocation.
// Format: https://github.com/huggingface/safetensors (README, "Format"): u64 LE header size N, N bytes of
// UTF-8 JSON starting with '{' (may be padded with spaces), then the byte buffer, which "needs to be
// entirely indexed, and cannot contain holes".
import { open } from 'node:fs/promises';
import { decodeBF16, decodeF16, decodeF32 } from '../../tensor/dtypes';
import { ModelLoadError } from '../errors';

/** Largest JSON header we accept (the reference implementation caps it at 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the format defines. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  U16: 2, I16: 2, F16: 2, BF16: 2,
  U32: 4, I32: 4, F32: 4,
  U64: 8, I64: 8, F64: 8,
};

/** One tensor's entry in a validated header; offsets are relative to the start of the data section. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Number of elements (product of the shape). */
  count: number;
  begin: number;
  end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** Size in bytes of the JSON header (without the 8-byte length prefix). */
  headerBytes: number;
  /** Absolute file offset where the data section starts. */
  dataStart: number;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

function invalid(what: string, source: string): ModelLoadError {
  return new ModelLoadError('headerInvalid', `${source}: invalid safetensors header: ${what}`);
}

/**
 * Reads and bounds the 8-byte header length. `fileSize` is the whole file's size.
 * Returns the JSON header size N, guaranteed ≤ MAX_HEADER_BYTES and ≤ fileSize - 8.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (prefix.length < 8 || fileSize < 8) {
    throw new ModelLoadError('truncated', `${source}: ${fileSize} bytes is too short to be a safetensors file (needs an 8-byte header length)`);
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    throw new ModelLoadError('headerTooLarge', `${source}: the declared header length ${high * 2 ** 32 + low} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (low > fileSize - 8) {
    throw new ModelLoadError('truncated', `${source}: the declared header length ${low} runs past the end of the ${fileSize}-byte file`);
  }
  if (low < 2) throw invalid(`a header of ${low} bytes cannot hold a JSON object`, source);
  return low;
}

/**
 * Validates the JSON header bytes against the format's rules. `dataBytes` is the size of the data section
 * (file size - 8 - header length): every tensor must lie inside it, tensors must not overlap, and together
 * they must cover it with no holes.
 */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw invalid('not valid UTF-8', source);
  }
  if (!text.startsWith('{')) throw invalid('it does not start with "{"', source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalid(`JSON parse error (${(e as Error).message})`, source);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('not a JSON object', source);

  const tensors = new Map<string, TensorInfo>();
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid('__metadata__ is not an object', source);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalid(`__metadata__.${k} is not a string`, source);
        metadata[k] = v;
      }
      continue;
    }
    tensors.set(name, parseEntry(name, entry, dataBytes, source));
  }

  // Sorted by position, the tensors must tile [0, dataBytes) exactly.
  const ordered = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of ordered) {
    if (t.begin < cursor) {
      throw new ModelLoadError('offsets', `${source}: tensor "${t.name}" [${t.begin}, ${t.end}) overlaps the previous tensor (which ends at ${cursor})`);
    }
    if (t.begin > cursor) {
      throw new ModelLoadError('offsets', `${source}: the data section has a hole of ${t.begin - cursor} bytes before tensor "${t.name}"`);
    }
    cursor = t.end;
  }
  if (cursor !== dataBytes) {
    throw new ModelLoadError(
      cursor < dataBytes ? 'offsets' : 'truncated',
      `${source}: the tensors cover ${cursor} bytes but the data section holds ${dataBytes}`,
    );
  }
  return { headerBytes: headerBytes.length, dataStart: 8 + headerBytes.length, tensors, metadata };
}

function parseEntry(name: string, entry: unknown, dataBytes: number, source: string): TensorInfo {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`entry "${name}" is not an object`, source);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new ModelLoadError('dtype', `${source}: tensor "${name}" has unknown dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
  }
  if (!Array.isArray(shape)) throw new ModelLoadError('shape', `${source}: tensor "${name}" has no shape array`);
  let count = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ModelLoadError('shape', `${source}: tensor "${name}" has shape entry ${JSON.stringify(d)}, not a non-negative integer`);
    }
    count *= d;
    // Stop before the product loses integer precision; the byte-length check below bounds it by the file.
    if (count > 2 ** 48) throw new ModelLoadError('shape', `${source}: tensor "${name}" shape [${shape.join(', ')}] is impossibly large`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) throw new ModelLoadError('offsets', `${source}: tensor "${name}" needs data_offsets [begin, end]`);
  const [begin, end] = offsets as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
    throw new ModelLoadError('offsets', `${source}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  if (end > dataBytes) {
    throw new ModelLoadError('truncated', `${source}: tensor "${name}" ends at byte ${end} of a ${dataBytes}-byte data section`);
  }
  const expected = count * DTYPE_BYTES[dtype];
  if (end - begin !== expected) {
    throw new ModelLoadError('shape', `${source}: tensor "${name}" (${dtype} [${shape.join(', ')}]) needs ${expected} bytes but its offsets span ${end - begin}`);
  }
  return { name, dtype, shape: (shape as number[]).slice(), count, begin, end };
}

/** Converts a tensor's raw bytes (F32, F16 or BF16) to float32 values. */
export function decodeTensor(info: TensorInfo, bytes: Uint8Array, source: string): Float32Array {
  const out = new Float32Array(info.count);
  if (info.dtype === 'F32') decodeF32(bytes, out);
  else if (info.dtype === 'F16') decodeF16(bytes, out);
  else if (info.dtype === 'BF16') decodeBF16(bytes, out);
  else {
    throw new ModelLoadError('dtype', `${source}: tensor "${info.name}" is ${info.dtype}; only F32, F16 and BF16 weights can be used`);
  }
  return out;
}

/** An in-memory safetensors file, validated: header plus lazy float access to each tensor. */
export interface SafetensorsBuffer {
  header: SafetensorsHeader;
  /** Float32 values of one tensor (F32, F16 or BF16), or a ModelLoadError. */
  read(name: string): Float32Array;
}

/** Validates safetensors bytes held in memory (used by tests and for small files). */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsBuffer {
  const n = readHeaderLength(bytes, bytes.length, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  return {
    header,
    read(name: string): Float32Array {
      const info = header.tensors.get(name);
      if (!info) throw new ModelLoadError('missingTensor', `${source}: no tensor named "${name}"`);
      return decodeTensor(info, bytes.subarray(header.dataStart + info.begin, header.dataStart + info.end), source);
    },
  };
}

/** An open safetensors file on disk: the validated header, and reads of single tensors. */
export interface SafetensorsFile {
  path: string;
  fileSize: number;
  header: SafetensorsHeader;
  /** Reads one tensor from disk as float32 (allocation bounded by the validated byte range). */
  read(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Opens a safetensors file and validates its header; tensors are read on demand. */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'notFound' : 'io';
    throw new ModelLoadError(code, `${path}: cannot open (${(e as Error).message})`);
  }
  const fh = handle;
  try {
    const fileSize = (await fh.stat()).size;
    const prefix = new Uint8Array(8);
    await readFully(fh, prefix, 0, path);
    const n = readHeaderLength(prefix, fileSize, path);
    const headerBuf = new Uint8Array(n);
    await readFully(fh, headerBuf, 8, path);
    const header = parseHeader(headerBuf, fileSize - 8 - n, path);
    return {
      path,
      fileSize,
      header,
      async read(name: string): Promise<Float32Array> {
        const info = header.tensors.get(name);
        if (!info) throw new ModelLoadError('missingTensor', `${path}: no tensor named "${name}"`);
        if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') return decodeTensor(info, new Uint8Array(0), path);
        if (info.dtype === 'F32') {
          // Read straight into the result's memory: no second copy of large weights.
          const out = new Float32Array(info.count);
          await readFully(fh, new Uint8Array(out.buffer), header.dataStart + info.begin, path);
          return out;
        }
        const raw = new Uint8Array(info.end - info.begin);
        await readFully(fh, raw, header.dataStart + info.begin, path);
        return decodeTensor(info, raw, path);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

type Handle = Awaited<ReturnType<typeof open>>;

/** Fills `target` from `position`, in chunks (one read is capped near 2 GiB), or throws 'truncated'. */
async function readFully(fh: Handle, target: Uint8Array, position: number, source: string): Promise<void> {
  const chunk = 1 << 30;
  let done = 0;
  while (done < target.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(target, done, Math.min(chunk, target.length - done), position + done));
    } catch (e) {
      throw new ModelLoadError('io', `${source}: read failed (${(e as Error).message})`);
    }
    if (bytesRead === 0) throw new ModelLoadError('truncated', `${source}: the file ended early (changed while reading?)`);
    done += bytesRead;
  }
}
