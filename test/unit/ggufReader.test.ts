// The GGUF reader: a written file reads back (metadata of every type, tensors at their offsets, split files),
// and hostile files end in a typed ModelLoadError quickly and without large allocations.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelLoadError, type ModelLoadErrorCode } from '../../src/core/model/errors';
import { ggufShardPaths, isGgufFile, openGguf, readGgufHeader } from '../../src/core/model/formats/gguf';
import { dequantizeRows } from '../../src/core/tensor/quant/dequantize';
import { GgufBytes, meta, writeGguf } from '../support/ggufWriter';
import { quantize } from '../support/quantize';

const dir = mkdtempSync(join(tmpdir(), 'llm-lens-gguf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array, name = `f${n++}.gguf`): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const values = Float32Array.from({ length: 64 * 3 }, (_, i) => Math.sin(i) / 4);
const norm = Float32Array.from({ length: 64 }, (_, i) => 1 + i / 100);

function sample(): Uint8Array {
  return writeGguf({
    metadata: [
      ['general.architecture', meta.str('llama')],
      ['test.u8', { t: 'u8', v: 200 }],
      ['test.i8', { t: 'i8', v: -5 }],
      ['test.i16', { t: 'i16', v: -300 }],
      ['test.u64', { t: 'u64', v: 2n ** 40n }],
      ['test.big', { t: 'u64', v: 2n ** 60n }],
      ['test.i64', { t: 'i64', v: -7 }],
      ['test.f64', { t: 'f64', v: 0.1 }],
      ['test.bool', meta.bool(true)],
      ['test.strs', meta.strs(['a', 'ü', ''])],
      ['test.f32s', meta.f32s([0.5, -1])],
    ],
    tensors: [
      { name: 'w.q8', dims: [64, 3], type: 'q8_0', values },
      { name: 'norm', dims: [64], type: 'f32', values: norm },
    ],
  });
}

async function rejects(path: string, code: ModelLoadErrorCode | ModelLoadErrorCode[], pattern?: RegExp): Promise<void> {
  const codes = Array.isArray(code) ? code : [code];
  const before = process.memoryUsage().rss;
  const started = Date.now();
  await assert.rejects(openGguf(path), (e: unknown) => {
    assert.ok(e instanceof ModelLoadError, `not a ModelLoadError: ${String(e)}`);
    assert.ok(codes.includes(e.code), `code ${e.code}, expected ${codes.join('/')}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
  assert.ok(Date.now() - started < 2000, 'rejected quickly');
  assert.ok(process.memoryUsage().rss - before < 200 * 2 ** 20, 'no large allocation');
}

describe('GGUF reader', () => {
  it('reads metadata of every value type and tensors at their offsets', async () => {
    const p = file(sample());
    assert.equal(await isGgufFile(p), true);
    const g = await openGguf(p);
    try {
      const m = g.metadata;
      assert.equal(g.version, 3);
      assert.deepEqual(
        ['general.architecture', 'test.u8', 'test.i8', 'test.i16', 'test.u64', 'test.big', 'test.i64', 'test.bool', 'test.strs', 'test.f32s'].map((k) => m.get(k)),
        ['llama', 200, -5, -300, 2 ** 40, 2n ** 60n, -7, true, ['a', 'ü', ''], [0.5, -1]],
      );
      assert.equal(m.get('test.f64'), 0.1);
      const t = g.tensors.get('w.q8');
      assert.deepEqual([t?.dims, t?.typeName, t?.type, t?.bytes], [[64, 3], 'Q8_0', 'q8_0', 3 * 2 * 34]);
      const w = await g.readWeight('w.q8');
      assert.deepEqual([w.rows, w.cols, w.type], [3, 64, 'q8_0']);
      assert.deepEqual(w.data, quantize('q8_0', values));
      const nw = await g.readWeight('norm');
      assert.ok(nw.data instanceof Float32Array);
      assert.deepEqual(nw.data, norm);
      assert.deepEqual(dequantizeRows(w, 1, 1).length, 64);
    } finally {
      await g.close();
    }
  });

  it('reads only the header, and can skip long arrays', async () => {
    const h = await readGgufHeader(file(sample()), { skipArraysLongerThan: 2 });
    assert.deepEqual(h.metadata.get('test.strs'), { skipped: true, itemType: 8, length: 3 });
    assert.deepEqual(h.metadata.get('test.f32s'), [0.5, -1]);
    assert.equal(h.tensors.length, 2);
  });

  it('honours general.alignment and version 2', async () => {
    const bytes = writeGguf({ version: 2, alignment: 64, metadata: [['general.alignment', meta.u32(64)]], tensors: [{ name: 'a', dims: [32], type: 'f32', values: values.subarray(0, 32) }, { name: 'b', dims: [32], type: 'f16', values: values.subarray(32, 64) }] });
    const g = await openGguf(file(bytes));
    try {
      assert.equal(g.tensors.get('b')?.position ?? 0 % 64, g.tensors.get('b')?.position);
      assert.equal((g.tensors.get('b')?.position ?? 1) % 64, 0);
      const b = await g.readWeight('b');
      assert.ok(Math.abs(dequantizeRows(b, 0, 1)[3] - values[35]) < 1e-3);
    } finally {
      await g.close();
    }
  });

  it('opens every shard of a split GGUF from the first', async () => {
    const shard = (i: number, tensors: { name: string; dims: number[]; type: 'f32'; values: Float32Array }[]): Uint8Array =>
      writeGguf({ metadata: [['split.no', { t: 'u16', v: i }], ['split.count', { t: 'u16', v: 2 }], ...(i === 0 ? [['general.architecture', meta.str('llama')] as [string, ReturnType<typeof meta.str>]] : [])], tensors });
    const first = file(shard(0, [{ name: 'a', dims: [32], type: 'f32', values: values.subarray(0, 32) }]), 'm-00001-of-00002.gguf');
    file(shard(1, [{ name: 'b', dims: [32], type: 'f32', values: values.subarray(32, 64) }]), 'm-00002-of-00002.gguf');
    assert.deepEqual(ggufShardPaths(first).map((p) => p.slice(dir.length + 1)), ['m-00001-of-00002.gguf', 'm-00002-of-00002.gguf']);
    const g = await openGguf(first);
    try {
      assert.equal(g.metadata.get('general.architecture'), 'llama');
      assert.deepEqual((await g.readWeight('b')).data, values.subarray(32, 64));
      assert.equal(g.tensors.get('b')?.shard, 1);
    } finally {
      await g.close();
    }
  });
});

describe('large files', () => {
  it('opening a 5 GB GGUF reads its header only (a sparse file: no disk, no memory)', async () => {
    // One F32 tensor of 1024 × 1,310,720 (5 GiB) whose data is a hole in a sparse file.
    const h = new GgufBytes().u32(0x46554747).u32(3).u64(1).u64(1).kv('general.architecture', meta.str('llama')).str('big').u32(2).u64(1024).u64(1_310_720).u32(0).u64(0).pad(32);
    const p = file(h.bytes(), 'big.gguf');
    truncateSync(p, h.length + 5 * 2 ** 30);
    const before = process.memoryUsage().rss;
    const g = await openGguf(p);
    try {
      assert.equal(g.tensors.get('big')?.bytes, 5 * 2 ** 30);
      assert.equal(g.fileBytes, h.length + 5 * 2 ** 30);
    } finally {
      await g.close();
    }
    assert.ok(process.memoryUsage().rss - before < 64 * 2 ** 20, 'header-only reads');
  });
});

describe('hostile GGUF files', () => {
  const header = (version = 3, tensors: number | bigint = 0, kvs: number | bigint = 0): GgufBytes => new GgufBytes().u32(0x46554747).u32(version).u64(tensors).u64(kvs);

  it('bad magic, bad version, big-endian', async () => {
    await rejects(file(new TextEncoder().encode('GGML and then some bytes')), 'headerInvalid', /not a GGUF file/);
    await rejects(file(new Uint8Array(2)), 'headerInvalid');
    await rejects(file(header(1).bytes()), 'headerInvalid', /version 1/);
    await rejects(file(header(0x03000000).bytes()), 'headerInvalid', /big-endian/);
    assert.equal(await isGgufFile(file(new Uint8Array(2))), false);
  });

  it('huge counts and string lengths', async () => {
    await rejects(file(header(3, 2n ** 63n, 0).bytes()), 'headerTooLarge', /tensor count/);
    await rejects(file(header(3, 0, 2n ** 40n).bytes()), 'headerTooLarge', /metadata count/);
    await rejects(file(header(3, 0, 1).u64(2n ** 62n).bytes()), 'headerTooLarge', /length of metadata key/);
    await rejects(file(header(3, 0, 1).str('k').u32(8).u64(2n ** 50n).raw(new Uint8Array(64)).bytes()), 'headerTooLarge', /length of metadata "k"/);
    await rejects(file(header(3, 0, 1).str('k').u32(9).u32(4).u64(2n ** 50n).raw(new Uint8Array(64)).bytes()), 'headerTooLarge', /length of array/);
    // An array of 1M empty strings fits in 8 MB but would cost far more as JS strings: capped by elements.
    const many = header(3, 0, 1).str('k').u32(9).u32(8).u64(9_000_000);
    many.raw(new Uint8Array(9_000_000 * 8));
    await rejects(file(many.bytes()), 'headerTooLarge', /elements/);
  });

  it('bad metadata value types, booleans, nesting', async () => {
    await rejects(file(header(3, 0, 1).str('k').u32(13).bytes()), 'headerInvalid', /unknown metadata value type 13/);
    await rejects(file(header(3, 0, 1).str('k').u32(7).u8(2).bytes()), 'headerInvalid', /boolean/);
    const nested = header(3, 0, 1).str('k').u32(9);
    for (let i = 0; i < 6; i++) nested.u32(9).u64(1); // an array of one array of one array …
    nested.u32(0).u64(0);
    await rejects(file(nested.bytes()), 'headerInvalid', /nested/);
    await rejects(file(header(3, 0, 2).kv('a', meta.u32(1)).kv('a', meta.u32(2)).bytes()), 'headerInvalid', /twice/);
    await rejects(file(header(3, 0, 1).kv('general.alignment', meta.u32(12)).bytes()), 'headerInvalid', /alignment/);
  });

  const tensorFile = (dims: (number | bigint)[], typeId: number, offset: number | bigint, dataBytes: number, extra?: (b: GgufBytes) => void): Uint8Array => {
    const b = header(3, extra ? 2 : 1, 0).str('t').u32(dims.length);
    for (const d of dims) b.u64(d);
    b.u32(typeId).u64(offset);
    extra?.(b);
    b.pad(32);
    return b.raw(new Uint8Array(dataBytes)).bytes();
  };

  it('offsets past the end, misaligned, overlapping; truncation', async () => {
    await rejects(file(tensorFile([32], 0, 2n ** 60n, 128)), 'offsets', /past the end/);
    await rejects(file(tensorFile([32], 0, 64, 128)), 'truncated', /needs bytes/);
    await rejects(file(tensorFile([32], 0, 4, 256)), 'offsets', /alignment/);
    await rejects(file(tensorFile([32], 0, 0, 256, (b) => b.str('u').u32(1).u64(32).u32(0).u64(64))), 'offsets', /overlap/);
    // Every prefix of a valid file is refused with a typed error.
    const good = sample();
    for (const cut of [3, 10, 30, 100, 200, good.length - 300, good.length - 1]) {
      await rejects(file(good.subarray(0, cut)), ['truncated', 'headerInvalid', 'headerTooLarge', 'offsets']);
    }
  });

  it('unknown types are named; too many dimensions; impossible shapes', async () => {
    const mxfp4 = file(tensorFile([32], 39, 0, 64));
    const g = await openGguf(mxfp4); // opening lists it: discovery must be able to say which type it is
    try {
      assert.equal(g.tensors.get('t')?.typeName, 'MXFP4');
      await assert.rejects(g.readWeight('t'), (e: unknown) => e instanceof ModelLoadError && e.code === 'dtype' && /MXFP4 \(ggml type id 39\)/.test(e.message));
    } finally {
      await g.close();
    }
    const odd = await openGguf(file(tensorFile([32], 77, 0, 64)));
    try {
      await assert.rejects(odd.readWeight('t'), /type 77 \(ggml type id 77\)/);
    } finally {
      await odd.close();
    }
    await rejects(file(tensorFile([1, 1, 1, 1, 1], 0, 0, 64)), 'shape', /5 dimensions/);
    await rejects(file(tensorFile([0], 0, 0, 64)), 'shape');
    await rejects(file(tensorFile([2n ** 40n, 2n ** 40n], 0, 0, 64)), 'shape', /2\^53/);
    await rejects(file(tensorFile([100], 12, 0, 256)), 'shape', /whole blocks of 256/);
  });
});
