/**
 * Damaged videos that ffprobe still opens (exit code 0), the classes of bug the video fuzz found
 * (fuzz-video.ts): a header it misreads as a stream of size 0x0, a codec nothing decodes, a file cut
 * inside its first frame. Each must be a one-line UserError where stad opens it, never a frame source of
 * zero frames (`last` -1) or a frame count of NaN. Built from a generated video by editing one atom or
 * cutting at an element found in the file, so that the damage does not depend on the encoder's bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { probeVideo, VideoFileSource } from '../../src/data/frames.js';
import { probeVideo as probeDatasetVideo } from '../../src/data/dataset.js';
import { videoFacts } from '../../src/detect/run-file.js';
import { isUserError } from '../../src/util/errors.js';

function encode(file: string, args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=25:duration=1.2', '-threads', '1', ...args, file]);
  assert.equal(r.status, 0, String(r.stderr));
  return readFileSync(file);
}

/** A one-line UserError naming `file`, from a sync call or a promise. */
/** What f returns, or null when it refuses with a UserError (anything else thrown fails the test). */
function valueOrUserError<T>(f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    return null;
  }
}

async function rejects(what: string, file: string, f: () => unknown, message?: RegExp): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.ok(isUserError(e), `${what}: not a UserError: ${(e as Error).stack}`);
    assert.ok(!e.message.includes('\n') && e.message.includes(file), `${what}: ${JSON.stringify(e.message)}`);
    if (message) assert.match(e.message, message, what);
    return;
  }
  assert.fail(`${what}: read ${file}`);
}

test('an MP4 whose handler atom swallows its neighbour (ffprobe: size 0x0, codec unknown, exit 0) is refused by every entry point', async () => {
  const d = tempDir();
  try {
    const mp4 = Buffer.from(encode(join(d.dir, 'seed.mp4'), ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']));
    const hdlr = mp4.indexOf('hdlr', mp4.indexOf('moov'));
    assert.ok(hdlr > 4);
    mp4.writeUInt32BE(mp4.readUInt32BE(hdlr - 4) + 19, hdlr - 4);
    const file = join(d.dir, 'hdlr.mp4');
    writeFileSync(file, mp4);
    await rejects('probe', file, () => probeVideo(file));
    await rejects('frame source', file, () => new VideoFileSource(file).frameRange());
    await rejects('detect', file, () => videoFacts(file));
    assert.equal(probeDatasetVideo(file), null); // stats and convert: no size, no rate from this file
  } finally {
    d.cleanup();
  }
});

test('an MP4 of a codec nothing decodes (size known, no frame decodes) is refused by the frame source, not a source of zero frames', async () => {
  const d = tempDir();
  try {
    const mp4 = Buffer.from(encode(join(d.dir, 'seed.mp4'), ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']));
    const entry = mp4.indexOf('avc1', mp4.indexOf('stsd'));
    assert.ok(entry > 0);
    mp4.write('zzzz', entry, 'latin1');
    const file = join(d.dir, 'unknown-codec.mp4');
    writeFileSync(file, mp4);
    await rejects('frame source', file, () => new VideoFileSource(file).frameRange(), /no decodable frame|not a readable video|no decodable video stream/);
  } finally {
    d.cleanup();
  }
});

test('an MKV cut inside its first frame: no packet count (null, not NaN), and the frame source refuses it', async () => {
  const d = tempDir();
  try {
    const mkv = encode(join(d.dir, 'seed.mkv'), ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-pix_fmt', 'yuv420p']);
    const cluster = mkv.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75])); // Matroska's Cluster element
    assert.ok(cluster > 0);
    const file = join(d.dir, 'cut.mkv');
    writeFileSync(file, mkv.subarray(0, cluster + 100));
    const info = valueOrUserError(() => probeVideo(file));
    if (info) assert.ok(info.numFrames === null || Number.isInteger(info.numFrames), `numFrames ${info.numFrames}`);
    await rejects('frame source', file, () => new VideoFileSource(file).frameRange());
    const facts = valueOrUserError(() => videoFacts(file));
    if (facts) assert.ok(facts.numFrames === null || Number.isInteger(facts.numFrames), `numFrames ${facts.numFrames}`);
  } finally {
    d.cleanup();
  }
});
