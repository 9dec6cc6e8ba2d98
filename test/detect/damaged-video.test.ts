/**
 * `stad detect` with a person detector on a video whose last packet does not decode (an MJPEG AVI cut
 * inside its last frame's header): the packet count, the frame count ffprobe's header pass gives, is one
 * more than the frames a decode yields. Found by the video fuzz (test/hardening/fuzz-video.ts): the
 * prediction point planned on that frame failed the whole run with "boxes at frame N, past the video's
 * last frame" although there was no boxes file. The run must end normally with every decoded frame.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { runDetect } from '../../src/detect/detect-run.js';
import { videoFacts } from '../../src/detect/run-file.js';
import type { PersonBox, PersonDetector, RgbFrame } from '../../src/proposals/person-detector.js';
import { makeDetectFixture, hasFfmpeg, type DetectFixture } from './fixture.js';

const skip = hasFfmpeg() ? false : 'ffmpeg is not installed';
let tmp: { dir: string; cleanup: () => void };
let fx: DetectFixture;

before(() => {
  tmp = tempDir('stad-detect-damaged-');
  if (!skip) fx = makeDetectFixture(tmp.dir);
});
after(() => tmp.cleanup());

class OneBox implements PersonDetector {
  readonly name = 'one box';
  async detect(frames: readonly RgbFrame[]): Promise<PersonBox[][]> {
    return frames.map(() => [{ x1: 0.1, y1: 0.1, x2: 0.6, y2: 0.9, score: 0.8 }]);
  }
  dispose(): void {}
}

/** Frames of a full sequential decode. */
function decodedFrames(file: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

test('stad detect on a video whose last frame does not decode: every decoded frame, no error for the missing one', { skip }, async (t) => {
  const full = join(tmp.dir, 'full.avi');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=5', '-frames:v', '40', '-c:v', 'mjpeg', '-q:v', '8', full]);
  assert.equal(r.status, 0, String(r.stderr));
  const bytes = readFileSync(full);
  // the last JPEG's start of image; cut inside its quantisation table (a header no decoder can finish)
  const soi = bytes.lastIndexOf(Buffer.from([0xff, 0xd8, 0xff]));
  assert.ok(soi > 0);
  const video = join(tmp.dir, 'clipA.avi');
  writeFileSync(video, bytes.subarray(0, soi + 24));
  const frames = decodedFrames(video);
  const facts = videoFacts(video);
  assert.ok(frames >= 38 && frames <= 40, `decoded ${frames}`);
  // the case under test: one more packet than frames (Debian 12's ffmpeg 5.1); said, not required
  t.diagnostic(`packets ${facts.numFrames}, decoded frames ${frames}`);
  const points = [0, 13, 26, 39].filter((f) => f < frames);
  const out = join(tmp.dir, 'out');
  const res = await runDetect({ input: video, checkpoint: fx.checkpoint, out, detector: new OneBox(), predictEvery: 13, scoreThreshold: 0.5, contactSheet: false, device: 'cpu', inputTimeout: 5, statusEvery: 5 });
  assert.equal(res.kind, 'file');
  const json = JSON.parse(readFileSync(join(out, 'detections.json'), 'utf8')) as { frames: number; predictions: { frame: number }[] };
  assert.equal(json.frames, frames, `packets ${facts.numFrames}, frames ${frames}`);
  assert.deepEqual(json.predictions.map((p) => p.frame), points);
});
