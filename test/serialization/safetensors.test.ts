import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { UserError } from '../../src/util/errors.js';
import {
  checkSafetensorsAgainst,
  decodeSafetensors,
  encodeSafetensors,
  listMismatches,
  readSafetensors,
  readSafetensorsHeader,
  summarizeMismatches,
  writeSafetensors,
  type RawTensor,
} from '../../src/serialization/safetensors.js';

function f32(shape: number[], values: number[]): RawTensor {
  return { dtype: 'F32', shape, data: new Uint8Array(new Float32Array(values).buffer) };
}

function sampleTensors(): Record<string, RawTensor> {
  const big = new Float32Array(3 * 4 * 5).map((_, i) => Math.sin(i) * 1e3);
  big[7] = Number.NaN;
  big[8] = -0;
  big[9] = Number.POSITIVE_INFINITY;
  return {
    'backbone.slow_path.conv1.conv.weight': { dtype: 'F32', shape: [3, 4, 5], data: new Uint8Array(big.buffer) },
    'backbone.slow_path.conv1.bn.num_batches_tracked': { dtype: 'I64', shape: [], data: new Uint8Array(new BigInt64Array([123456789012n]).buffer) },
    'half': { dtype: 'F16', shape: [3], data: new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b]) },
    'mask': { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    'empty': { dtype: 'F64', shape: [0, 3], data: new Uint8Array(0) },
    'u8': { dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

test('encodes the documented layout: u64 header length, space-padded JSON, data by decreasing element size', () => {
  const bytes = concat(encodeSafetensors({ b: f32([1], [1]), a: { dtype: 'U8', shape: [2], data: new Uint8Array([7, 8]) } }, { k: 'v' }));
  const header = '{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}';
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const expected = Buffer.concat([Buffer.from(new BigUint64Array([BigInt(padded.length)]).buffer), Buffer.from(padded), Buffer.from(new Float32Array([1]).buffer), Buffer.from([7, 8])]);
  assert.deepEqual(Buffer.from(bytes), expected);
  assert.equal((8 + padded.length) % 8, 0);
});

test('round trip through a file is bit-identical (NaN, -0, Inf, int64, f16, bool, empty)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const tensors = sampleTensors();
    const meta = { config: JSON.stringify({ a: 1, b: [1, 2] }), format: 'stad' };
    const p1 = join(dir, 'a.safetensors');
    writeSafetensors(p1, tensors, meta);
    const back = readSafetensors(p1);
    // A null-prototype object (names come from the file): compare its entries.
    assert.deepEqual({ ...back.metadata }, meta);
    assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.tensors[name]!;
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.deepEqual(Buffer.from(b.data), Buffer.from(t.data), name);
    }
    // Writing what was read gives the same file, byte for byte.
    const p2 = join(dir, 'b.safetensors');
    writeSafetensors(p2, back.tensors, back.metadata);
    assert.deepEqual(readFileSync(p2), readFileSync(p1));
    // No temporary files are left behind by the atomic write.
    assert.deepEqual(readdirSync(dir).sort(), ['a.safetensors', 'b.safetensors']);
    // The header-only reader agrees.
    const h = readSafetensorsHeader(p1);
    assert.deepEqual(h.tensors['half']!.shape, [3]);
    assert.equal(h.tensors['backbone.slow_path.conv1.bn.num_batches_tracked']!.dtype, 'I64');
  } finally {
    cleanup();
  }
});

test('every tensor starts at an offset aligned to its element size', () => {
  const bytes = concat(encodeSafetensors(sampleTensors()));
  const h = decodeSafetensors(bytes);
  const dataStart = 8 + Number(Buffer.from(bytes).readBigUInt64LE(0));
  for (const t of Object.values(h.tensors)) {
    const size = { F64: 8, F32: 4, I64: 8, F16: 2, U8: 1, BOOL: 1 }[t.dtype as string] ?? 1;
    assert.equal((t.data.byteOffset - bytes.byteOffset - dataStart) % size, 0);
    assert.equal(t.data.byteOffset % size, 0);
  }
});

test('refuses to write data whose size does not match dtype and shape', () => {
  assert.throws(() => encodeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Uint8Array(7) } }), /7 bytes of data for F32 \[2\], expected 8/);
});

/** Builds a file from a header object and a data section, bypassing the writer's checks. */
function rawFile(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, data]));
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'bad.safetensors');
    writeFileSync(p, bytes);
    assert.throws(
      () => readSafetensors(p),
      (e: unknown) => {
        assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
        assert.ok(e.message.startsWith(p), `message should name the file: ${e.message}`);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      },
    );
  } finally {
    cleanup();
  }
}

test('rejects a truncated file', () => {
  const good = concat(encodeSafetensors(sampleTensors()));
  rejects(good.subarray(0, good.length - 3), /tensor "backbone\.slow_path\.conv1\.conv\.weight"|runs past the end|belong to no tensor/);
  rejects(good.subarray(0, 5), /too short/);
  rejects(good.subarray(0, 40), /header length: says \d+ bytes but the file has only 32/);
});

test('rejects a header length larger than the file or absurdly large', () => {
  const header = { x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
  rejects(rawFile(header, new Uint8Array(4), 1000n), /header length: says 1000 bytes/);
  rejects(rawFile(header, new Uint8Array(4), 1n << 62n), /over the 100000000-byte limit/);
});

test('rejects overlapping offsets, gaps and trailing bytes', () => {
  rejects(
    rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
    /tensor "b"\.data_offsets: \[4, 12\] overlaps tensor "a"/,
  );
  rejects(
    rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
    /tensor "b"\.data_offsets: gap of 4 bytes/,
  );
  rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)), /2 bytes belong to no tensor/);
  rejects(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)), /end 0 is before begin 4/);
});

test('rejects an unknown dtype, a bad shape and a shape/size mismatch', () => {
  rejects(rawFile({ w: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w"\.dtype: unsupported dtype "F31" \(stad reads F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL\)/);
  // A code of the format that no stad tensor type holds is refused up front, not loaded as bytes.
  rejects(rawFile({ w: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w"\.dtype: unsupported dtype "U32"/);
  rejects(rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w"\.shape\.0/);
  rejects(rawFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)), /tensor "w": F32 \[2, 3\] needs 24 bytes but data_offsets \[0, 20\] hold 20/);
  rejects(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, new Uint8Array(4)), /tensor "w"/);
});

test('rejects bad JSON, non-string metadata and a non-safetensors file', () => {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(5n);
  rejects(new Uint8Array(Buffer.concat([len, Buffer.from('{"a":')])), /header: invalid JSON/);
  rejects(rawFile({ __metadata__: { epoch: 3 } }, new Uint8Array(0)), /__metadata__: expected an object of string values/);
  rejects(new Uint8Array(Buffer.from('PK\x03\x04 this is a zip file, not safetensors')), /header length|too short|header/);
});

test('listMismatches reports missing, unexpected, wrong shape and wrong dtype', () => {
  const expected = {
    'a.weight': { dtype: 'F32' as const, shape: [4, 3] },
    'a.bias': { dtype: 'F32' as const, shape: [4] },
    'bn.num_batches_tracked': { dtype: 'I64' as const, shape: [] },
    'fc.weight': { dtype: 'F32' as const, shape: [7, 16] },
  };
  const actual = {
    'a.weight': { dtype: 'F32' as const, shape: [4, 3] },
    'bn.num_batches_tracked': { dtype: 'F32' as const, shape: [] },
    'fc.weight': { dtype: 'F32' as const, shape: [81, 16] },
    'cls_head.fc.weight': { dtype: 'F32' as const, shape: [400, 16] },
  };
  const m = listMismatches(expected, actual);
  assert.deepEqual(
    m.map((x) => `${x.kind}:${x.name}`),
    ['missing:a.bias', 'dtype:bn.num_batches_tracked', 'unexpected:cls_head.fc.weight', 'shape:fc.weight'],
  );
  const line = summarizeMismatches(m, 2);
  assert.match(line, /^1 missing, 1 dtype, 1 unexpected, 1 shape: a\.bias: missing \(expected F32 \[4\]\); bn\.num_batches_tracked: dtype F32, expected I64; and 2 more$/);
  assert.equal(listMismatches(expected, expected).length, 0);
});

test('checkSafetensorsAgainst throws one UserError naming the file and the mismatches', () => {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'ck.safetensors');
    writeSafetensors(p, { 'fc.weight': f32([2, 2], [1, 2, 3, 4]) });
    checkSafetensorsAgainst(p, { 'fc.weight': { dtype: 'F32', shape: [2, 2] } });
    assert.throws(() => checkSafetensorsAgainst(p, {}), /1 unexpected: fc\.weight: unexpected \(F32 \[2, 2\]\), not in the model/);
    checkSafetensorsAgainst(p, {}, (name) => name.startsWith('fc.')); // ignored names are not unexpected
    assert.throws(
      () => checkSafetensorsAgainst(p, { 'fc.weight': { dtype: 'F32', shape: [7, 2] }, 'fc.bias': { dtype: 'F32', shape: [7] } }),
      (e: unknown) => e instanceof UserError && e.message.startsWith(p) && /fc\.bias: missing/.test(e.message) && /fc\.weight: shape F32 \[2, 2\], expected F32 \[7, 2\]/.test(e.message),
    );
  } finally {
    cleanup();
  }
});
