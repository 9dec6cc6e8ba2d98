/**
 * Property-based tests (fast-check) over the readers of files a user hands stad: VIA3 projects,
 * dataset.json, AVA CSVs, label maps, safetensors and .pth zips. Mutated, truncated and random inputs and
 * hostile keys are each read or rejected with a UserError: never another error type (an internal error),
 * never a hang. A few hundred cases each by default; STAD_FUZZ_RUNS=5000 for a longer run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fixtures, tempDir } from '../helpers.js';
import { parseVia3 } from '../../src/data/via3/read.js';
import { datasetFileSchema } from '../../src/data/dataset.js';
import { readJsonFile } from '../../src/data/json-file.js';
import { readAvaDetections, readAvaGroundTruth } from '../../src/data/ava.js';
import { parseLabelMap } from '../../src/data/labelmap.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/serialization/safetensors.js';
import { readPthStateDict } from '../../src/serialization/pth.js';
import { isUserError } from '../../src/util/errors.js';

const RUNS = Number(process.env.STAD_FUZZ_RUNS ?? 200);
const HOSTILE = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '../../x', '', '\u0000', '1e400', '-1'];

/** Calls `read`; passes when it returns or throws a UserError, and fails with the input otherwise. */
function readOrReject(read: () => unknown): void {
  try {
    read();
  } catch (e) {
    if (!isUserError(e)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? String(e)}`);
  }
}

/** Byte-level mutations of a valid file: truncation, flipped and inserted bytes. */
function mutated(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      cut: fc.integer({ min: 0, max: seed.length }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { maxLength: 6 }),
      truncate: fc.boolean(),
    })
    .map(({ cut, edits, truncate }) => {
      let b = Array.from(truncate ? seed.subarray(0, cut) : seed);
      for (const [pos, byte, insert] of edits) {
        if (b.length === 0) b = [byte];
        const p = pos % b.length;
        if (insert) b.splice(p, 0, byte);
        else b[p] = byte;
      }
      return new Uint8Array(b);
    });
}

/** A JSON value with some object keys replaced by hostile ones (deep). */
function withHostileKeys(value: unknown, pick: () => string | null): unknown {
  if (Array.isArray(value)) return value.map((v) => withHostileKeys(v, pick));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([k, v]) => [pick() ?? k, withHostileKeys(v, pick)] as const);
  // JSON text, so that "__proto__" is an own key as JSON.parse makes it.
  return JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`) as unknown;
}

function hostileJson(seed: unknown): fc.Arbitrary<string> {
  return fc.array(fc.oneof(fc.constant(null), fc.constantFrom(...HOSTILE)), { minLength: 1, maxLength: 64 }).map((choices) => {
    let i = 0;
    return JSON.stringify(withHostileKeys(seed, () => choices[i++ % choices.length] ?? null));
  });
}

const via3Dir = join(fixtures, 'data', 'video-style', 'annotations', 'train');
const via3Seed = readFileSync(join(via3Dir, readdirSync(via3Dir).filter((f) => f.endsWith('.json')).sort()[0]!));

test('fuzz: VIA3 projects (mutated bytes, hostile keys, random JSON)', () => {
  fc.assert(fc.property(mutated(via3Seed), (b) => readOrReject(() => parseVia3(Buffer.from(b).toString('utf8'), 'p.json'))), { numRuns: RUNS });
  const seed = JSON.parse(via3Seed.toString('utf8')) as unknown;
  fc.assert(fc.property(hostileJson(seed), (text) => readOrReject(() => parseVia3(text, 'p.json'))), { numRuns: RUNS });
  fc.assert(fc.property(fc.jsonValue(), (v) => readOrReject(() => parseVia3(JSON.stringify(v) ?? '', 'p.json'))), { numRuns: RUNS });
});

test('fuzz: dataset.json, AVA CSVs and label maps read from files', () => {
  const t = tempDir();
  try {
    const ds = join(t.dir, 'dataset.json');
    const dsSeed = { name: 'x', fps: 10, width: 32, height: 24, splits: { train: ['a', { name: 'b', annotations: 'b.json', video: 'b.mp4' }], test: ['c'] } };
    fc.assert(
      fc.property(fc.oneof(hostileJson(dsSeed), mutated(Buffer.from(JSON.stringify(dsSeed))).map((b) => Buffer.from(b).toString('latin1'))), (text) => {
        writeFileSync(ds, text);
        readOrReject(() => readJsonFile(ds, datasetFileSchema));
      }),
      { numRuns: RUNS },
    );
    const csv = join(t.dir, 'a.csv');
    const csvSeed = Buffer.from('\ufeffv1,0902,0.1,0.2,0.5,0.6,12,0\r\n\nv1,0903,0.1,0.2,0.5,0.6,,1\n"__proto__",3,0,0,1,1,1,2\n');
    fc.assert(
      fc.property(mutated(csvSeed), (b) => {
        writeFileSync(csv, b);
        readOrReject(() => readAvaGroundTruth(csv));
        readOrReject(() => readAvaDetections(csv));
      }),
      { numRuns: RUNS },
    );
    const lmSeed = Buffer.from('item {\n  name: "walk"\n  id: 1\n}\nitem { name: "__proto__" id: 2 }\n');
    fc.assert(fc.property(mutated(lmSeed), (b) => readOrReject(() => parseLabelMap(Buffer.from(b).toString('utf8'), 'l.pbtxt'))), { numRuns: RUNS });
  } finally {
    t.cleanup();
  }
});

test('fuzz: safetensors (mutated bytes and hostile tensor names) and .pth zips (mutated bytes)', () => {
  const tensors = Object.create(null) as Parameters<typeof encodeSafetensors>[0];
  tensors['__proto__'] = { dtype: 'F32', shape: [2], data: new Uint8Array(8) };
  tensors['w'] = { dtype: 'I64', shape: [1, 1], data: new Uint8Array(8) };
  const st = new Uint8Array(Buffer.concat(encodeSafetensors(tensors, { k: 'v' })));
  fc.assert(fc.property(mutated(st), (b) => readOrReject(() => decodeSafetensors(b, 'x.safetensors'))), { numRuns: RUNS });
  const t = tempDir();
  try {
    const p = join(t.dir, 'x.pth');
    const seed = readFileSync(join(fixtures, 'ckpt', 'mmaction2_tiny_deflated.pth'));
    fc.assert(
      fc.property(mutated(seed), (b) => {
        writeFileSync(p, b);
        readOrReject(() => readPthStateDict(p));
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 2)) },
    );
  } finally {
    t.cleanup();
  }
  assert.ok(true);
});
