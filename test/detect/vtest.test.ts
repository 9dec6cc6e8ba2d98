// stad detect on a real street video file (OpenCV's vtest.avi: AVI/DivX, 768x576, 10 fps, 795 frames),
// with the person boxes of test/fixtures/detect/vtest_proposal.json (scripts/vtest-motion-boxes.mjs).
// The same video as a live stream: live.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, runCli, tempDir } from '../helpers.js';
import { readAvaDetections } from '../../src/data/ava.js';
import { makeDetectFixture, hasFfmpeg } from './fixture.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const skip = !hasFfmpeg() ? 'ffmpeg is not installed' : !existsSync(VTEST) ? `${VTEST} is absent (Debian package opencv-doc)` : false;
const BOXES = join(fixtures, 'detect', 'vtest_proposal.json');
let tmp: { dir: string; cleanup: () => void };
let checkpoint: string;

before(() => {
  tmp = tempDir('stad-vtest-');
  // The generated fixture's checkpoint (classes None, walk, wave); its video is not used here.
  if (!skip) checkpoint = makeDetectFixture(tmp.dir).checkpoint;
});
after(() => tmp.cleanup());

test('stad detect on vtest.avi: every frame in the MP4, a prediction at every keyframe of the boxes', { skip }, () => {
  const out = join(tmp.dir, 'vtest-out');
  const r = runCli(['detect', VTEST, '--checkpoint', checkpoint, '--boxes', BOXES, '-o', out, '--contact-sheet']);
  assert.equal(r.code, 0, r.stderr);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', join(out, 'detections.mp4')], { encoding: 'utf8' });
  const s = (JSON.parse(probe.stdout) as { streams: { nb_read_frames: string; width: number; height: number }[] }).streams[0]!;
  assert.deepEqual([Number(s.nb_read_frames), s.width, s.height], [795, 768, 576]);
  const json = JSON.parse(readFileSync(join(out, 'detections.json'), 'utf8')) as { predictions: { boxes: unknown[] }[] };
  const boxes = JSON.parse(readFileSync(BOXES, 'utf8')) as { metadata: Record<string, unknown> };
  assert.equal(json.predictions.length, 100);
  assert.equal(json.predictions.reduce((n, p) => n + p.boxes.length, 0), Object.keys(boxes.metadata).length);
  assert.equal(readAvaDetections(join(out, 'detections.csv')).length, 2 * Object.keys(boxes.metadata).length);
  assert.ok(existsSync(join(out, 'contact_sheet.png')));
});
