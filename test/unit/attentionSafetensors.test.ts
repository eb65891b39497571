import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from '../../src/core/model/formats/safetensorsWriter';
import { MAX_HEADER_BYTES, openSafetensorsFile, parseSafetensors } from '../../src/core/model/formats/safetensors';
import { ModelLoadError, type ModelLoadErrorCode } from '../../src/core/model/errors';
import { rng } from './attentionFixtures';

/** A valid file with three tensors of the three float dtypes (values exact in each). */
function sample(): Uint8Array {
  return encodeSafetensors(
    [
      { name: 'a', shape: [2, 3], data: [1, -2, 0.5, 0.25, -0.125, 3], dtype: 'F32' },
      { name: 'b', shape: [4], data: [1.5, -65504, 6.103515625e-5, 0], dtype: 'F16' },
      { name: 'c', shape: [1, 2], data: [-3.5, 1024], dtype: 'BF16' },
    ],
    { format: 'pt' },
  );
}

/** A file from a header object and a data section of `dataBytes` bytes (no padding, length prefix as given). */
function rawFile(header: unknown, dataBytes: number, declaredLength?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function expectCode(bytes: Uint8Array, code: ModelLoadErrorCode | ModelLoadErrorCode[], what: string): void {
  const codes = Array.isArray(code) ? code : [code];
  assert.throws(
    () => {
      const f = parseSafetensors(bytes, 'test');
      for (const name of f.header.tensors.keys()) f.read(name);
    },
    (e: unknown) => e instanceof ModelLoadError && codes.includes(e.code),
    what,
  );
}

test('round trip: F32, F16 and BF16 values and metadata come back exactly', () => {
  const f = parseSafetensors(sample());
  assert.deepEqual(f.header.metadata, { format: 'pt' });
  assert.deepEqual([...f.read('a')], [1, -2, 0.5, 0.25, -0.125, 3]);
  assert.deepEqual([...f.read('b')], [1.5, -65504, 6.103515625e-5, 0]);
  assert.deepEqual([...f.read('c')], [-3.5, 1024]);
  assert.deepEqual(f.header.tensors.get('a')?.shape, [2, 3]);
  // Data section starts 8-byte aligned, as the reference writer pads it.
  assert.equal(f.header.dataStart % 8, 0);
});

test('F16/BF16 rounding: nearest-even, overflow to infinity, subnormals, NaN stays NaN', () => {
  const values = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -25 * 3, NaN, -0, 1 / 3];
  const f = parseSafetensors(encodeSafetensors([
    { name: 'h', shape: [values.length], data: values, dtype: 'F16' },
    { name: 'b', shape: [3], data: [1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN], dtype: 'BF16' },
  ]));
  const h = f.read('h');
  assert.equal(h[0], 1); // tie → even mantissa
  assert.equal(h[1], 1 + 2 * 2 ** -10); // tie → even (up)
  assert.equal(h[2], Infinity);
  assert.equal(h[3], 2 ** -23); // 1.5 subnormal steps: a tie, rounded to the even 2 steps
  assert.ok(Number.isNaN(h[4]));
  assert.ok(Object.is(h[5], -0));
  assert.ok(Math.abs(h[6] - 1 / 3) < 2 ** -11);
  const b = f.read('b');
  assert.equal(b[0], 1);
  assert.equal(b[1], 1 + 2 * 2 ** -7);
  assert.ok(Number.isNaN(b[2]));
});

test('crafted hostile headers get the right typed error', () => {
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, ModelLoadErrorCode | ModelLoadErrorCode[]][] = [
    ['empty file', new Uint8Array(0), 'truncated'],
    ['7 bytes', new Uint8Array(7), 'truncated'],
    ['length 2^63', rawFile(ok, 8, 1n << 63n), 'headerTooLarge'],
    ['length just over the cap', rawFile(ok, 8, BigInt(MAX_HEADER_BYTES + 1)), 'headerTooLarge'],
    ['length past end of file', rawFile(ok, 8, 5000n), 'truncated'],
    ['length 0', rawFile(ok, 8, 0n), 'headerInvalid'],
    ['not JSON', rawFile('{"x": nope}', 0), 'headerInvalid'],
    ['JSON array', rawFile('[1,2]', 0), 'headerInvalid'],
    ['does not start with {', rawFile(' {}', 0), 'headerInvalid'],
    ['invalid UTF-8', rawFile(Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), 0), 'headerInvalid'],
    ['entry not an object', rawFile({ x: 5 }, 0), 'headerInvalid'],
    ['metadata not strings', rawFile({ __metadata__: { a: 1 } }, 0), 'headerInvalid'],
    ['unknown dtype', rawFile({ x: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), 'dtype'],
    ['integer dtype read as weights', rawFile({ x: { dtype: 'I32', shape: [2], data_offsets: [0, 8] } }, 8), 'dtype'],
    ['negative shape', rawFile({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), 'shape'],
    ['fractional shape', rawFile({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }, 6), 'shape'],
    ['string shape', rawFile({ x: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, 8), 'shape'],
    ['shape product overflow', rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0], data_offsets: [0, 0] } }, 0), 'shape'],
    ['huge shape, small offsets', rawFile({ x: { dtype: 'F32', shape: [1e9], data_offsets: [0, 8] } }, 8), 'shape'],
    ['shape × dtype ≠ byte length', rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'shape'],
    ['offsets past the data section', rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), 'truncated'],
    ['negative offset', rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [-4, -4] } }, 0), 'offsets'],
    ['end before begin', rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8), 'offsets'],
    ['offsets missing', rawFile({ x: { dtype: 'F32', shape: [2] } }, 8), 'offsets'],
    ['overlap', rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), 'offsets'],
    ['hole between tensors', rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, y: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), 'offsets'],
    ['trailing bytes after the last tensor', rawFile(ok, 12), 'offsets'],
    ['duplicate key hides a hole', rawFile('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), 'offsets'],
  ];
  for (const [what, bytes, code] of cases) expectCode(bytes, code, what);
  // A zero-element tensor and an empty header are valid.
  assert.equal(parseSafetensors(rawFile({ x: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } }, 0)).read('x').length, 0);
  assert.equal(parseSafetensors(rawFile({}, 0)).header.tensors.size, 0);
});

test('every truncation of a valid file is a typed error', () => {
  const full = sample();
  for (let n = 0; n < full.length; n++) expectCode(full.subarray(0, n), ['truncated', 'headerInvalid', 'offsets'], `truncated to ${n} bytes`);
});

test('hundreds of random mutations: typed error or a valid parse, allocation bounded by the file size', () => {
  const full = sample();
  const r = rng(1234);
  const headerLen = new DataView(full.buffer).getUint32(0, true);
  let errors = 0;
  for (let trial = 0; trial < 600; trial++) {
    const m = full.slice();
    const flips = 1 + Math.floor(r() * 4);
    for (let f = 0; f < flips; f++) {
      // Mostly hit the length prefix and the JSON header, where validation matters.
      const pos = r() < 0.15 ? Math.floor(r() * 8) : 8 + Math.floor(r() * headerLen);
      m[pos] = r() < 0.5 ? Math.floor(r() * 256) : '{}[]",:0123456789-.eE '.charCodeAt(Math.floor(r() * 22));
    }
    try {
      const f = parseSafetensors(m, 'fuzz');
      let allocated = 0;
      for (const name of f.header.tensors.keys()) {
        try {
          allocated += f.read(name).byteLength;
        } catch (e) {
          assert.ok(e instanceof ModelLoadError, `trial ${trial}: ${String(e)}`);
        }
      }
      assert.ok(allocated <= 2 * m.length, `trial ${trial}: decoded ${allocated} bytes from a ${m.length}-byte file`);
    } catch (e) {
      assert.ok(e instanceof ModelLoadError, `trial ${trial}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 300, `most mutations must be rejected (${errors})`);
});

test('files on disk: the same validation through openSafetensorsFile, and a missing file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lens-st-'));
  try {
    const full = sample();
    writeFileSync(join(dir, 'ok.safetensors'), full);
    const f = await openSafetensorsFile(join(dir, 'ok.safetensors'));
    assert.deepEqual([...(await f.read('c'))], [-3.5, 1024]);
    assert.deepEqual([...(await f.read('a'))], [1, -2, 0.5, 0.25, -0.125, 3]);
    await f.close();
    for (const n of [0, 5, 8, 20, full.length - 1]) {
      writeFileSync(join(dir, 'cut.safetensors'), full.subarray(0, n));
      await assert.rejects(openSafetensorsFile(join(dir, 'cut.safetensors')), ModelLoadError);
    }
    // A declared 100 MB header in a tiny file must fail before allocating it.
    writeFileSync(join(dir, 'big.safetensors'), rawFile({}, 0, BigInt(MAX_HEADER_BYTES)));
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(openSafetensorsFile(join(dir, 'big.safetensors')), (e: unknown) => e instanceof ModelLoadError && e.code === 'truncated');
    assert.ok(process.memoryUsage().arrayBuffers - before < 10_000_000);
    await assert.rejects(openSafetensorsFile(join(dir, 'missing.safetensors')), (e: unknown) => e instanceof ModelLoadError && e.code === 'notFound');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
