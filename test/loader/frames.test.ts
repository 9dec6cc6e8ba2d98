import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { ImageFolderSource, VideoFileSource } from '../../src/data/frames.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

const W = 64;
const H = 48;
let dir: string;
let cleanup: () => void;

/** Frame n is a flat grey of level 20 + 10 n (so frames can be told apart after lossy coding). */
async function writeFrames(folder: string, count: number, first = 1): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (let n = first; n < first + count; n++) {
    const level = 20 + 10 * (n - first);
    const raw = Buffer.alloc(W * H * 3, level);
    await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(join(folder, `vid_${String(n).padStart(5, '0')}.png`));
  }
}

before(async () => {
  ({ dir, cleanup } = tempDir());
  await writeFrames(join(dir, 'vid'), 12);
});
after(() => cleanup());

for (const decoder of ['sharp', 'torch'] as const) {
  test(`an image folder numbers frames by their file names and decodes at the requested size (${decoder})`, async () => {
    const src = ImageFolderSource.fromFolder(join(dir, 'vid'), 'vid', decoder);
    assert.deepEqual(await src.frameRange(), { first: 1, last: 12 });
    assert.deepEqual(await src.size(), { width: W, height: H });
    const frames = await src.read([3, 3, 5], { width: 32, height: 24 });
    assert.equal(frames.length, 3);
    assert.equal(frames[0]!.width, 32);
    assert.equal(frames[0]!.data.length, 32 * 24 * 3);
    assert.equal(frames[0]!.data[0], 40); // frame 3 -> level 20 + 10 * 2
    assert.equal(frames[2]!.data[100], 60);
  });
}

test('a missing frame is a UserError naming the video and the frame', async () => {
  const src = ImageFolderSource.fromFolder(join(dir, 'vid'), 'vid');
  await assert.rejects(src.read([13]), (e: unknown) => e instanceof UserError && /frame 13 of video 'vid' is missing/.test((e as Error).message));
});

test('a corrupt JPEG is a UserError naming the file, the video and the frame', async () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'bad_00001.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  for (const decoder of ['sharp', 'torch'] as const) {
    const src = ImageFolderSource.fromFolder(bad, 'bad', decoder);
    await assert.rejects(src.read([1]), (e: unknown) => e instanceof UserError && /bad_00001\.jpg: cannot decode frame 1 of video 'bad'/.test((e as Error).message));
  }
});

test('a folder without frames is a UserError', () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  assert.throws(() => ImageFolderSource.fromFolder(empty, 'empty'), /no numbered \.jpg or \.png frames/);
});

test('a video file seeks to the clip: decoded frames match the encoded ones', async () => {
  const file = join(dir, 'vid.mp4');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-framerate', '15', '-start_number', '1', '-i', join(dir, 'vid', 'vid_%05d.png'), '-c:v', 'libx264', '-g', '4', '-pix_fmt', 'yuv420p', '-crf', '10', file]);
  assert.equal(r.status, 0, r.stderr?.toString());
  const src = new VideoFileSource(file, 'vid');
  assert.deepEqual(await src.frameRange(), { first: 0, last: 11 });
  assert.equal(await src.fps(), 15);
  // Frame k of the video is image k + 1: level 20 + 10 k. Seek into the middle (past a keyframe).
  const frames = await src.read([6, 7, 9, 9]);
  const levels = frames.map((f) => f.data[(H / 2) * W * 3 + (W / 2) * 3]!);
  assert.deepEqual(
    levels.map((l, i) => Math.abs(l - [80, 90, 110, 110][i]!) <= 3),
    [true, true, true, true],
    `levels ${levels.join(', ')}`,
  );
  await assert.rejects(src.read([12]), /has no frame 12/);
});
