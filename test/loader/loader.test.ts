import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ClipLoader, type ClipSample, type ClipBatch } from '../../src/data/loader.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => void;
const samples: ClipSample[] = [];

before(async () => {
  ({ dir, cleanup } = tempDir());
  // Two videos of 10 frames, 40x30, with noise so that crops and flips change the pixels.
  for (const v of ['a', 'b']) {
    const folder = join(dir, v);
    mkdirSync(folder);
    for (let n = 1; n <= 10; n++) {
      const raw = Buffer.alloc(40 * 30 * 3);
      for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + n * 17 + (v === 'b' ? 101 : 0)) % 251;
      await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(join(folder, `${v}_${String(n).padStart(5, '0')}.png`));
    }
    for (const kf of [2, 5, 8]) {
      samples.push({ video: v, source: { kind: 'images', dir: folder }, keyframe: kf, boxes: [[5, 5, 20, 25], [22, 3, 38, 28]], labels: [[1], [2, 3]], proposals: [{ box: [6, 6, 19, 24], score: 0.9 }] });
    }
  }
});
// A portrait video (30x40): batched with the landscape ones, clips are padded.
let portrait: string;
before(async () => {
  portrait = join(dir, 'c');
  mkdirSync(portrait);
  for (let n = 1; n <= 10; n++) {
    const raw = Buffer.alloc(30 * 40 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + n * 13) % 241;
    await sharp(raw, { raw: { width: 30, height: 40, channels: 3 } }).png().toFile(join(portrait, `c_${String(n).padStart(5, '0')}.png`));
  }
});
after(() => cleanup());

async function collect(loader: ClipLoader, epoch: number): Promise<ClipBatch[]> {
  const out: ClipBatch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  await loader.close();
  return out;
}

const trainOpts = {
  clip: { clipLen: 4, frameInterval: 2 },
  batchSize: 4,
  mode: 'train' as const,
  augmentation: { shortSideRange: [30, 40] as [number, number], cropSize: 28, colorJitter: 0.2 },
  seed: 11,
};

test('the loader yields identical batches for the same seed, whatever the worker count', async () => {
  const a = await collect(new ClipLoader(samples, { ...trainOpts, numWorkers: 0 }), 0);
  const b = await collect(new ClipLoader(samples, { ...trainOpts, numWorkers: 2 }), 0);
  assert.equal(a.length, 2); // 6 clips, batch 4: 4 + 2
  assert.deepEqual(a[0]!.shape, [4, 3, 4, 28, 28]);
  assert.deepEqual(a[1]!.shape, [2, 3, 4, 28, 28]);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(a[i]!.clips.map((c) => [c.index, c.boxes, c.labels, c.plan]), b[i]!.clips.map((c) => [c.index, c.boxes, c.labels, c.plan]));
    assert.ok(Buffer.from(a[i]!.data.buffer).equals(Buffer.from(b[i]!.data.buffer)), `batch ${i} pixels differ`);
  }
  // Another epoch shuffles differently.
  const c = await collect(new ClipLoader(samples, { ...trainOpts, numWorkers: 0 }), 1);
  assert.notDeepEqual(a.flatMap((x) => x.clips.map((k) => k.index)), c.flatMap((x) => x.clips.map((k) => k.index)));
  // Every clip is visited once per epoch.
  assert.deepEqual(a.flatMap((x) => x.clips.map((k) => k.index)).sort(), [0, 1, 2, 3, 4, 5]);
});

test('test mode keeps the order and only resizes; labels follow their boxes', async () => {
  const batches = await collect(new ClipLoader(samples, { clip: { clipLen: 2, frameInterval: 1 }, batchSize: 6, mode: 'test', testShortSide: 60, numWorkers: 1 }), 0);
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]!.shape, [6, 3, 2, 60, 80]);
  const clip = batches[0]!.clips[0]!;
  assert.equal(clip.index, 0);
  assert.deepEqual(clip.boxes, [[10, 10, 40, 50], [44, 6, 76, 56]]);
  assert.deepEqual(clip.labels, [[1], [2, 3]]);
  assert.deepEqual(clip.proposals, [{ box: [12, 12, 38, 48], score: 0.9 }]);
});

test('a missing frame surfaces as a UserError from a worker, naming the video and frame', async () => {
  const gap = join(dir, 'gap');
  mkdirSync(gap);
  for (const n of [1, 2, 4, 5]) copyFileSync(join(dir, 'a', `a_0000${n}.png`), join(gap, `gap_0000${n}.png`));
  const bad: ClipSample[] = [{ ...samples[0]!, video: 'gap', source: { kind: 'images', dir: gap }, keyframe: 2 }];
  const loader = new ClipLoader(bad, { clip: { clipLen: 3, frameInterval: 1 }, batchSize: 1, mode: 'test', numWorkers: 1 });
  await assert.rejects(collect(loader, 0), (e: unknown) => e instanceof UserError && /frame 3 of video 'gap' is missing/.test((e as Error).message));
  await loader.close();
  const outside: ClipSample[] = [{ ...samples[0]!, keyframe: 42 }];
  const l2 = new ClipLoader(outside, { clip: { clipLen: 3, frameInterval: 1 }, batchSize: 1, mode: 'test', numWorkers: 1 });
  await assert.rejects(collect(l2, 0), (e: unknown) => e instanceof UserError && /keyframe 42 is outside its frames 1-10/.test((e as Error).message));
  await l2.close();
});

test('a frame that fails to decode in a worker: stop names the clip; skip leaves it out and lays the batch out without it', async () => {
  // a portrait video whose first frame is good (the loader plans the clip from its size) and whose other
  // frames start like a JPEG and then are garbage (both decoders refuse them, in the worker)
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  copyFileSync(join(portrait, 'c_00001.png'), join(broken, 'broken_00001.png'));
  for (let n = 2; n <= 10; n++) writeFileSync(join(broken, `broken_${String(n).padStart(5, '0')}.jpg`), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6]));
  const bad: ClipSample = { video: 'broken', source: { kind: 'images', dir: broken }, keyframe: 4, time: 1.5, boxes: [[2, 2, 20, 30]], labels: [[1]] };
  const opts = { clip: { clipLen: 2, frameInterval: 1 }, batchSize: 2, mode: 'test' as const, testShortSide: 60, numWorkers: 1 };
  // with the bad clip's portrait plan (60 wide, 80 high) the batch would be padded to 80x80
  const stop = new ClipLoader([bad, samples[0]!], { ...opts, onBadClip: 'stop' });
  await assert.rejects(collect(stop, 0), (e: unknown) => e instanceof UserError && /^video 'broken' at 1\.50 s \(keyframe 4\): .*data\.onBadClip 'skip'/.test((e as Error).message));
  await stop.close();
  const skipped: string[] = [];
  const [batch, ...rest] = await collect(new ClipLoader([bad, samples[0]!], { ...opts, onBadClip: 'skip', onSkip: (b) => skipped.push(b.message) }), 0);
  assert.equal(rest.length, 0);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0]!, /^video 'broken' at 1\.50 s \(keyframe 4\): /);
  const [alone] = await collect(new ClipLoader([samples[0]!], opts), 0);
  assert.deepEqual(batch!.shape, [1, 3, 2, 60, 80]);
  assert.deepEqual(batch!.shape, alone!.shape);
  assert.deepEqual(batch!.clips.map((c) => c.index), [1]);
  assert.ok(Buffer.from(batch!.data.buffer, batch!.data.byteOffset, batch!.data.byteLength).equals(Buffer.from(alone!.data.buffer, alone!.data.byteOffset, alone!.data.byteLength)));
  // every clip of a batch bad: an empty batch, not an error
  const [empty] = await collect(new ClipLoader([bad], { ...opts, onBadClip: 'skip' }), 0);
  assert.deepEqual(empty!.clips, []);
  assert.equal(empty!.shape[0], 0);
});

test('released batch buffers are reused, and what a reused buffer held never shows through the padding', async () => {
  const c = (kf: number): ClipSample => ({ video: 'c', source: { kind: 'images', dir: portrait }, keyframe: kf, boxes: [[2, 2, 20, 30]], labels: [[1]] });
  const a = (i: number): ClipSample => samples[i]!; // video 'a', keyframes 2, 5, 8
  // batch 1 [c, a] pads; batch 3 [a, c] pads where batch 1 had pixels; batches 2 and 4 do not pad
  const mixed = [c(2), a(0), a(1), a(2), a(0), c(5), c(5), c(8), c(8), a(1)];
  const opts = { clip: { clipLen: 2, frameInterval: 1 }, batchSize: 2, mode: 'test' as const, testShortSide: 60, prefetch: 0 };
  for (const numWorkers of [0, 1]) {
    const fresh = await collect(new ClipLoader(mixed, { ...opts, numWorkers }), 0); // never released: fresh buffers
    const loader = new ClipLoader(mixed, { ...opts, numWorkers });
    const reused: Float32Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const b of loader.epoch(0)) {
      reused.push(Float32Array.from(b.data));
      buffers.add(b.data.buffer);
      b.release();
      b.release(); // twice is harmless
    }
    await loader.close();
    assert.deepEqual(fresh.map((b) => b.shape), [[2, 3, 2, 80, 80], [2, 3, 2, 60, 80], [2, 3, 2, 80, 80], [2, 3, 2, 80, 60], [2, 3, 2, 80, 80]]);
    assert.ok(buffers.size < fresh.length, `${numWorkers} workers: ${buffers.size} buffers for ${fresh.length} batches`);
    for (let i = 0; i < fresh.length; i++) {
      assert.ok(Buffer.from(fresh[i]!.data.buffer, fresh[i]!.data.byteOffset, fresh[i]!.data.byteLength).equals(Buffer.from(reused[i]!.buffer)), `${numWorkers} workers: batch ${i} differs`);
    }
    // the padding of batch 3's first clip (a landscape clip: rows 60-79) is zero
    const [, , T, H, W] = fresh[2]!.shape;
    for (let ch = 0; ch < 3 * T; ch++) for (let y = 60; y < H; y++) for (let x = 0; x < W; x++) assert.equal(reused[2]![(ch * H + y) * W + x], 0);
  }
});
