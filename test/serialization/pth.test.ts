import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, tempDir } from '../helpers.js';
import { UserError } from '../../src/util/errors.js';
import { gatherContiguous, PthArchive, readPthStateDict } from '../../src/serialization/pth.js';
import { PickleObject, unpickle } from '../../src/serialization/pickle.js';
import type { RawTensor } from '../../src/serialization/safetensors.js';

const dir = join(fixtures, 'ckpt');
interface Expected {
  dtype: string;
  shape: number[];
  values: (number | boolean)[];
  sha256: string;
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { files: Record<string, Record<string, Expected>> };

/** Decodes raw little-endian bytes to JS numbers (float16 widened exactly). */
function values(t: RawTensor): (number | boolean)[] {
  const b = Buffer.from(t.data);
  const out: (number | boolean)[] = [];
  for (let i = 0; i < t.data.length; ) {
    switch (t.dtype) {
      case 'F32':
        out.push(b.readFloatLE(i));
        i += 4;
        break;
      case 'F16': {
        const h = b.readUInt16LE(i);
        const sign = h & 0x8000 ? -1 : 1;
        const exp = (h >> 10) & 0x1f;
        const frac = h & 0x3ff;
        out.push(exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15));
        i += 2;
        break;
      }
      case 'I64':
        out.push(Number(b.readBigInt64LE(i)));
        i += 8;
        break;
      case 'BOOL':
        out.push(b[i] !== 0);
        i += 1;
        break;
      default:
        throw new Error(`no decoder for ${t.dtype}`);
    }
  }
  return out;
}

function assertMatchesExpected(file: string, tensors: Record<string, RawTensor>): void {
  const want = expected.files[file]!;
  assert.deepEqual(Object.keys(tensors), Object.keys(want), 'names, in file order');
  for (const [name, e] of Object.entries(want)) {
    const t = tensors[name]!;
    assert.equal(t.dtype, e.dtype, name);
    assert.deepEqual(t.shape, e.shape, name);
    assert.deepEqual(values(t), e.values, name);
    assert.equal(createHash('sha256').update(t.data).digest('hex'), e.sha256, `${name}: bytes`);
  }
}

test('reads an mmaction2 checkpoint: state_dict values exact, incl. transposed, offset, f16, i64, bool', () => {
  const sd = readPthStateDict(join(dir, 'mmaction2_tiny.pth'));
  assert.equal(sd.container, 'state_dict');
  assert.deepEqual(sd.topLevelKeys, ['meta', 'state_dict', 'optimizer']);
  assertMatchesExpected('mmaction2_tiny.pth', sd.tensors);
  // The transposed weight really was non-contiguous in the file and came out in row-major order.
  const w = sd.tensors['backbone.slow_path.layer1.0.conv1.conv.weight']!;
  assert.deepEqual(w.shape, [8, 6, 1, 1, 1]);
});

test('reads a PySlowFast checkpoint (model_state)', () => {
  const sd = readPthStateDict(join(dir, 'pyslowfast_tiny.pth'));
  assert.equal(sd.container, 'model_state');
  assert.deepEqual(sd.topLevelKeys, ['epoch', 'model_state', 'optimizer_state', 'cfg']);
  assertMatchesExpected('pyslowfast_tiny.pth', sd.tensors);
});

test('reads a bare state dict pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL)', () => {
  const sd = readPthStateDict(join(dir, 'plain_proto4.pth'));
  assert.equal(sd.container, 'root');
  assertMatchesExpected('plain_proto4.pth', sd.tensors);
});

test('meta objects from other globals stay inert records, never called; strict mode refuses them', () => {
  const archive = new PthArchive(join(dir, 'mmaction2_tiny.pth'));
  try {
    const root = archive.root as Map<unknown, unknown>;
    const hook = (root.get('meta') as Map<unknown, unknown>).get('hook_msgs') as Map<unknown, unknown>;
    const score = hook.get('best_score');
    assert.ok(score instanceof PickleObject);
    assert.equal(score.describe(), 'numpy.core.multiarray.scalar(...)');
  } finally {
    archive.close();
  }
  assert.throws(() => readPthStateDict(join(dir, 'mmaction2_tiny.pth'), { strictGlobals: true }), /refusing pickle global numpy\.core\.multiarray\.scalar/);
  // A checkpoint without foreign globals reads the same in strict mode.
  assertMatchesExpected('pyslowfast_tiny.pth', readPthStateDict(join(dir, 'pyslowfast_tiny.pth'), { strictGlobals: true }).tensors);
});

test('refuses os.system inside a state dict, without running it', () => {
  const marker = '/tmp/stad-pwned';
  const before = existsSync(marker);
  assert.throws(
    () => readPthStateDict(join(dir, 'evil_reduce.pth')),
    (e: unknown) => e instanceof UserError && /state_dict\.w: refusing: expected a tensor, got posix\.system\(\.\.\.\)|state_dict\.w: refusing: expected a tensor, got os\.system\(\.\.\.\)/.test(e.message),
  );
  assert.throws(() => readPthStateDict(join(dir, 'evil_reduce.pth'), { strictGlobals: true }), /refusing pickle global (posix|os)\.system/);
  assert.equal(existsSync(marker), before);
});

test('refuses the INST opcode with its name and position', () => {
  assert.throws(() => readPthStateDict(join(dir, 'evil_inst.pth')), /data\.pkl: pickle byte 41 \(INST\): refusing pickle opcode 0x69 \(INST\)/);
});

test('rejects a truncated or corrupted archive with a UserError naming the file', () => {
  const { dir: tmp, cleanup } = tempDir();
  try {
    const good = readFileSync(join(dir, 'mmaction2_tiny.pth'));
    const cut = join(tmp, 'cut.pth');
    writeFileSync(cut, good.subarray(0, good.length - 100));
    assert.throws(() => readPthStateDict(cut), (e: unknown) => e instanceof UserError && e.message.startsWith(cut));
    // Flip one byte inside a storage: the CRC check catches it.
    const flipped = Buffer.from(good);
    const at = flipped.indexOf(Buffer.from('mmaction2_tiny/data/0')) + 200;
    flipped[at] = flipped[at]! ^ 0xff;
    const bad = join(tmp, 'flipped.pth');
    writeFileSync(bad, flipped);
    assert.throws(() => readPthStateDict(bad), /CRC-32 mismatch|corrupt/);
    const notZip = join(tmp, 'legacy.pth');
    writeFileSync(notZip, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]));
    assert.throws(() => readPthStateDict(notZip), /not a zip-format PyTorch checkpoint/);
  } finally {
    cleanup();
  }
});

test('gatherContiguous resolves transposes, offsets and broadcast (stride 0) views', () => {
  const src = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).buffer);
  const f = (u: Uint8Array): number[] => [...new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength))];
  assert.deepEqual(f(gatherContiguous(src, 4, 0, [3, 4], [4, 1])), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(f(gatherContiguous(src, 4, 0, [4, 3], [1, 4])), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual(f(gatherContiguous(src, 4, 5, [2, 2], [3, 1])), [5, 6, 8, 9]);
  assert.deepEqual(f(gatherContiguous(src, 4, 2, [2, 3], [0, 1])), [2, 3, 4, 2, 3, 4]);
  assert.deepEqual(f(gatherContiguous(src, 4, 7, [], [])), [7]);
  assert.deepEqual(f(gatherContiguous(src, 4, 0, [0, 3], [3, 1])), []);
});

test('the pickle interpreter refuses truncation, unknown opcodes and stack abuse', () => {
  const opts = { file: 'x.pkl' };
  assert.equal(unpickle(new Uint8Array([0x80, 0x02, 0x4b, 0x07, 0x2e]), opts), 7);
  assert.equal(unpickle(new Uint8Array([0x80, 0x02, 0x8a, 0x02, 0xff, 0x7f, 0x2e]), opts), 0x7fff);
  assert.equal(unpickle(new Uint8Array([0x80, 0x02, 0x8a, 0x01, 0xff, 0x2e]), opts), -1);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x58, 0xff, 0, 0, 0, 0x61]), opts), /x\.pkl: pickle byte 2 \(BINUNICODE\): needs 255 bytes/);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x82, 0x01, 0x2e]), opts), /refusing pickle opcode 0x82 \(EXT1\)/);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0xff]), opts), /refusing pickle opcode 0xff \(unknown\)/);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x61, 0x2e]), opts), /stack underflow/);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x68, 0x05, 0x2e]), opts), /memo key 5 was never stored/);
  assert.throws(() => unpickle(new Uint8Array([0x80, 0x02, 0x4b, 0x01]), opts), /needs 1 bytes but the pickle ends/);
});

test('a huge APPENDS batch is handled without overflowing the call stack', () => {
  const n = 300_000;
  const body = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) (body[2 * i] = 0x4b), (body[2 * i + 1] = i & 0xff);
  const pkl = Buffer.concat([Buffer.from([0x80, 0x02, 0x5d, 0x28]), body, Buffer.from([0x65, 0x2e])]);
  const v = unpickle(new Uint8Array(pkl), { file: 'big.pkl' }) as number[];
  assert.equal(v.length, n);
  assert.equal(v[n - 1], (n - 1) & 0xff);
});

test('reads a deflated archive with the "archive/" prefix of newer PyTorch (same tensors)', () => {
  const sd = readPthStateDict(join(dir, 'mmaction2_tiny_deflated.pth'));
  assert.equal(sd.container, 'state_dict');
  assertMatchesExpected('mmaction2_tiny.pth', sd.tensors);
});
