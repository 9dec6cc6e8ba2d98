// stad detect on a live stream: OpenCV's street video vtest.avi (768x576, 10 fps) sent by ffmpeg at its
// real rate as MPEG-TS over loopback UDP, with the person boxes of test/fixtures/detect/vtest_proposal.json
// (a VIA3 image project: its keyframes count frames from the first one received) and the generated
// fixture's tiny checkpoint, so that predictions keep up on a loaded 2-core machine.
//
// The sender transcodes to H.264 with a keyframe every second: vtest.avi's MS-MPEG4v3 cannot be carried
// in MPEG-TS (`-c copy` sends it as a data stream, which is what the last test checks), and a receiver
// that joins mid-stream starts decoding at the next keyframe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, repoRoot, tempDir } from '../helpers.js';
import { makeDetectFixture, hasFfmpeg } from './fixture.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const hasX264 = (): boolean => spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout?.includes('libx264') ?? false;
const skip = !hasFfmpeg() ? 'ffmpeg is not installed' : !existsSync(VTEST) ? `${VTEST} is absent (Debian package opencv-doc)` : !hasX264() ? 'ffmpeg has no libx264 encoder' : false;
const BOXES = join(fixtures, 'detect', 'vtest_proposal.json');
let tmp: { dir: string; cleanup: () => void };
let checkpoint: string;

before(() => {
  tmp = tempDir('stad-live-');
  if (!skip) checkpoint = makeDetectFixture(tmp.dir).checkpoint;
});
after(() => tmp.cleanup());

/** Waits until `pred()` holds, polling; fails after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (p.exitCode !== null ? resolve(p.exitCode) : p.on('exit', (code) => resolve(code))));
}

interface Live {
  detect: ChildProcess;
  sender: ChildProcess;
  out: string;
  stderr: () => string;
  /** The JSON lines written so far. */
  lines: () => { video: string; frame: number; boxes: unknown[] }[];
}

/**
 * Starts `stad detect` on a UDP port and, once it says it is reading, streams the first `seconds` of
 * vtest.avi there at the real rate (`codec`: ffmpeg's video options; `rate`: its read rate option;
 * packets sent before ffmpeg binds the port are lost, and decoding starts at the next keyframe).
 */
async function streamVtest(name: string, seconds: number, extra: string[] = [], codec = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10'], rate = ['-re']): Promise<Live> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const out = join(tmp.dir, name);
  const detect = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'detect', `udp://127.0.0.1:${port}`, '--checkpoint', checkpoint, '--boxes', BOXES, '-o', out, '--status-every', '1', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  detect.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await until(() => /^reading /m.test(stderr) || detect.exitCode !== null, 120_000, 'stad detect to start');
  const sender = spawn('ffmpeg', ['-v', 'error', ...rate, '-i', VTEST, '-t', String(seconds), '-an', ...codec, '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], { stdio: 'ignore' });
  const jsonl = join(out, 'detections.jsonl');
  const lines = (): { video: string; frame: number; boxes: unknown[] }[] => {
    if (!existsSync(jsonl)) return [];
    const text = readFileSync(jsonl, 'utf8');
    // Only complete lines: a line is written with one write call, but it may be read half-way.
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { video: string; frame: number; boxes: unknown[] });
  };
  return { detect, sender, out, stderr: () => stderr, lines };
}

test('stad detect on a live UDP stream: detections arrive while it plays, the run ends when the stream stops', { skip, timeout: 180_000 }, async () => {
  const { detect, sender, out, stderr, lines } = await streamVtest('live-out', 20, ['--input-timeout', '3']);
  try {
    await until(() => lines().length > 0 || detect.exitCode !== null, 60_000, 'the first detections');
    assert.equal(sender.exitCode, null, `the first detections came only after the stream ended\n${stderr()}`);
    assert.equal(detect.exitCode, null, stderr());
    const code = await exited(detect);
    assert.equal(code, 0, stderr());
    assert.match(stderr(), /^live \d+ s: in [\d.]+ fps, predictions [\d.]+\/s/m);
    // The last line: why it ended, what came in, what was dropped.
    const last = stderr().trim().split('\n').pop()!;
    const m = /^no frame for 3 s: the stream ended: (\d+) frames in [\d.]+ s, (\d+) predictions \((\d+) points skipped\), (\d+) frames dropped/.exec(last);
    assert.ok(m, last);
    const [frames, predictions, , dropped] = m.slice(1).map(Number) as [number, number, number, number];
    // 20 s at 10 fps; the first seconds are lost while ffmpeg starts, binds the port, waits for a
    // keyframe and probes the stream (about 8 s on a loaded 2-core machine).
    assert.ok(frames >= 40 && frames <= 210, `${frames} frames`);
    assert.ok(dropped < frames, `${dropped} dropped of ${frames}`);
    const got = lines();
    assert.equal(got.length, predictions);
    assert.ok(got.length >= 5, `${got.length} predictions`);
    assert.ok(got.every((l) => l.video === 'vtest'));
    const frameNos = got.map((l) => l.frame);
    assert.deepEqual(frameNos, [...new Set(frameNos)].sort((a, b) => a - b), 'predictions in frame order, each once');
    assert.ok(got.some((l) => l.boxes.length > 0));
    const json = JSON.parse(readFileSync(join(out, 'detections.json'), 'utf8')) as { frames: number; width: number; height: number; fps: number; predictions: unknown[] };
    assert.deepEqual([json.width, json.height, json.fps, json.frames, json.predictions.length], [768, 576, 10, frames, predictions]);
    assert.ok(existsSync(join(out, 'detections.csv')));
  } finally {
    sender.kill('SIGKILL');
    detect.kill('SIGKILL');
  }
});

test('stad detect on a live UDP stream stops cleanly on SIGINT', { skip, timeout: 180_000 }, async () => {
  const { detect, sender, out, stderr, lines } = await streamVtest('sigint-out', 60);
  try {
    await until(() => lines().length > 0 || detect.exitCode !== null, 60_000, 'the first detections');
    detect.kill('SIGINT');
    const code = await exited(detect);
    assert.equal(code, 0, stderr());
    assert.match(stderr(), /^stopped: \d+ frames in [\d.]+ s, \d+ predictions \(\d+ points skipped\), \d+ frames dropped/m);
    assert.equal(sender.exitCode, null, 'the stream was still playing');
    const json = JSON.parse(readFileSync(join(out, 'detections.json'), 'utf8')) as { predictions: unknown[] };
    assert.equal(json.predictions.length, lines().length);
    assert.ok(existsSync(join(out, 'detections.csv')));
  } finally {
    sender.kill('SIGKILL');
    detect.kill('SIGKILL');
  }
});

test('a stream without a video track ffmpeg can decode is one clear line, exit code 2, nothing written', { skip, timeout: 180_000 }, async () => {
  // MS-MPEG4v3 copied into MPEG-TS arrives as a data stream, which ffmpeg probes up to its probe size
  // (5 MB, more than a minute of this video at its real rate): sent at 8 times the rate, the whole file.
  const { detect, sender, out, stderr } = await streamVtest('novideo-out', 80, [], ['-c', 'copy'], ['-readrate', '8']);
  try {
    const code = await exited(detect);
    assert.equal(code, 2, stderr());
    const last = stderr().trim().split('\n').pop()!;
    assert.match(last, /^stad: udp:\/\/127\.0\.0\.1:\d+: the stream has no video track that ffmpeg can decode \(ffmpeg: Stream map '0:v:0' matches no streams\)$/);
    assert.equal(existsSync(out), false);
  } finally {
    sender.kill('SIGKILL');
    detect.kill('SIGKILL');
  }
});
