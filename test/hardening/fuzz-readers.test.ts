/**
 * Property-based tests (fast-check) over the readers of files a user hands stad: VIA3 projects,
 * dataset.json, AVA CSVs, label maps, run configs, safetensors and .pth zips. Mutated, truncated and
 * random inputs and hostile keys are each read or rejected with a one-line UserError: never another
 * error type (an internal error), never a hang. Video files too (fuzz-video.ts): truncated and mutated
 * videos of several codecs through every entry point that opens one. A few hundred cases each by default;
 * STAD_FUZZ_RUNS=5000 for a longer run. The last test prints the counts (fuzz-tally.ts);
 * STAD_FUZZ_SUMMARY=<file> writes them as the Markdown table of bench/RESULTS.md.
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
import { findConfigFile, loadRunConfig } from '../../src/train/config.js';
import { FuzzTally } from './fuzz-tally.js';
import { mutated } from './fuzz-mutations.js';
import { fuzzVideoFiles, makeVideoSeeds } from './fuzz-video.js';

const RUNS = Number(process.env.STAD_FUZZ_RUNS ?? 200);
// Each video input spawns ffmpeg and ffprobe six times (about 1.5 s of CPU in all): a tenth as many, 20
// by default (STAD_FUZZ_VIDEO_RUNS sets it apart).
const VIDEO_RUNS = Number(process.env.STAD_FUZZ_VIDEO_RUNS ?? Math.max(10, Math.floor(RUNS / 10)));
const HOSTILE = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '../../x', '', '\u0000', '1e400', '-1'];

const tally = new FuzzTally();

/**
 * Calls `read`; passes when it returns or throws a one-line UserError, and fails with the input
 * otherwise. Counts the outcome under `reader` and `kind` (the kind of input).
 */
function readOrReject(reader: string, kind: string, read: () => unknown): void {
  try {
    read();
  } catch (e) {
    const failure = !isUserError(e) ? `not a UserError: ${(e as Error)?.stack ?? String(e)}` : e.message.includes('\n') ? `a UserError of more than one line: ${JSON.stringify(e.message)}` : null;
    tally.add(reader, kind, failure === null ? 'rejected' : 'failed');
    if (failure !== null) throw new Error(failure);
    return;
  }
  tally.add(reader, kind, 'read');
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
  const via3 = 'VIA3 project';
  fc.assert(fc.property(mutated(via3Seed), (m) => readOrReject(via3, m.kind, () => parseVia3(Buffer.from(m.bytes).toString('utf8'), 'p.json'))), { numRuns: RUNS });
  const seed = JSON.parse(via3Seed.toString('utf8')) as unknown;
  fc.assert(fc.property(hostileJson(seed), (text) => readOrReject(via3, 'hostile keys', () => parseVia3(text, 'p.json'))), { numRuns: RUNS });
  fc.assert(fc.property(fc.jsonValue(), (v) => readOrReject(via3, 'random JSON', () => parseVia3(JSON.stringify(v) ?? '', 'p.json'))), { numRuns: RUNS });
});

test('fuzz: dataset.json, AVA CSVs and label maps read from files', () => {
  const t = tempDir();
  try {
    const ds = join(t.dir, 'dataset.json');
    const dsSeed = { name: 'x', fps: 10, width: 32, height: 24, splits: { train: ['a', { name: 'b', annotations: 'b.json', video: 'b.mp4' }], test: ['c'] } };
    const dsInputs = fc.oneof(
      hostileJson(dsSeed).map((text) => ({ text, kind: 'hostile keys' })),
      mutated(Buffer.from(JSON.stringify(dsSeed))).map((m) => ({ text: Buffer.from(m.bytes).toString('latin1'), kind: m.kind })),
    );
    fc.assert(
      fc.property(dsInputs, ({ text, kind }) => {
        writeFileSync(ds, text);
        readOrReject('dataset.json', kind, () => readJsonFile(ds, datasetFileSchema));
      }),
      { numRuns: RUNS },
    );
    const csv = join(t.dir, 'a.csv');
    const csvSeed = Buffer.from('\ufeffv1,0902,0.1,0.2,0.5,0.6,12,0\r\n\nv1,0903,0.1,0.2,0.5,0.6,,1\n"__proto__",3,0,0,1,1,1,2\n');
    fc.assert(
      fc.property(mutated(csvSeed), (m) => {
        writeFileSync(csv, m.bytes);
        readOrReject('AVA ground-truth CSV', m.kind, () => readAvaGroundTruth(csv));
        readOrReject('AVA detections CSV', m.kind, () => readAvaDetections(csv));
      }),
      { numRuns: RUNS },
    );
    const lmSeed = Buffer.from('item {\n  name: "walk"\n  id: 1\n}\nitem { name: "__proto__" id: 2 }\n');
    fc.assert(fc.property(mutated(lmSeed), (m) => readOrReject('label map (.pbtxt)', m.kind, () => parseLabelMap(Buffer.from(m.bytes).toString('utf8'), 'l.pbtxt'))), { numRuns: RUNS });
  } finally {
    t.cleanup();
  }
});

test('fuzz: run configs (mutated bytes, hostile keys, random JSON)', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'run.json');
    const seedText = readFileSync(findConfigFile('synth_tiny_bce'));
    const seed = JSON.parse(seedText.toString('utf8')) as unknown;
    const load = (kind: string, text: string | Uint8Array): void => {
      writeFileSync(file, text);
      readOrReject('run config (.json)', kind, () => loadRunConfig(file));
    };
    fc.assert(fc.property(mutated(seedText), (m) => load(m.kind, m.bytes)), { numRuns: RUNS });
    fc.assert(fc.property(hostileJson(seed), (text) => load('hostile keys', text)), { numRuns: RUNS });
    fc.assert(fc.property(fc.jsonValue(), (v) => load('random JSON', JSON.stringify(v) ?? '')), { numRuns: RUNS });
  } finally {
    t.cleanup();
  }
});

test('fuzz: safetensors (mutated bytes and hostile tensor names) and .pth zips (mutated bytes)', () => {
  const tensors = Object.create(null) as Parameters<typeof encodeSafetensors>[0];
  tensors['__proto__'] = { dtype: 'F32', shape: [2], data: new Uint8Array(8) };
  tensors['w'] = { dtype: 'I64', shape: [1, 1], data: new Uint8Array(8) };
  const st = new Uint8Array(Buffer.concat(encodeSafetensors(tensors, { k: 'v' })));
  fc.assert(fc.property(mutated(st), (m) => readOrReject('safetensors', m.kind, () => decodeSafetensors(m.bytes, 'x.safetensors'))), { numRuns: RUNS });
  const t = tempDir();
  try {
    const p = join(t.dir, 'x.pth');
    const seed = readFileSync(join(fixtures, 'ckpt', 'mmaction2_tiny_deflated.pth'));
    fc.assert(
      fc.property(mutated(seed), (m) => {
        writeFileSync(p, m.bytes);
        readOrReject('.pth zip (pickle)', m.kind, () => readPthStateDict(p));
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 2)) },
    );
  } finally {
    t.cleanup();
  }
  assert.ok(true);
});

test('fuzz: video files (truncated, mutated; every entry point that opens a video)', async (t) => {
  const d = tempDir();
  try {
    const { seeds, skipped } = makeVideoSeeds(d.dir);
    for (const s of skipped) t.diagnostic(`seed left out, this ffmpeg cannot encode it: ${s}`);
    assert.ok(seeds.length > 0, 'no seed video could be made (is ffmpeg installed?)');
    await fuzzVideoFiles(seeds, d.dir, tally, VIDEO_RUNS);
  } finally {
    d.cleanup();
  }
});

// last (a file's tests run in order): the counts of every test above, as diagnostics and $STAD_FUZZ_SUMMARY
test('fuzz: the counts', (t) => {
  for (const line of tally.report(RUNS)) t.diagnostic(line);
});
