/**
 * Frame accuracy of the video frame source on real codecs and containers, B-frame streams included:
 * every frame it returns must be the frame of the same index in a full sequential decode (ffmpeg to raw,
 * every frame, nothing dropped or duplicated). Debian's opencv-doc `Megamind.avi` (Xvid, packed
 * B-frames) is checked when that package is installed; it is not a requirement of the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { VideoFileSource } from '../../src/data/frames.js';
import { tempDir } from '../helpers.js';

const W = 64;
const H = 48;

/** Every frame of a sequential decode, scaled as the source scales. */
function decodeAll(file: string): Uint8Array[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-threads', '1', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', `scale=${W}:${H}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, String(r.stderr));
  const n = W * H * 3;
  const out: Uint8Array[] = [];
  for (let o = 0; o + n <= r.stdout.length; o += n) out.push(new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + o, n));
  return out;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

/** The index of the reference frame closest to `f`. */
function closest(ref: Uint8Array[], f: Uint8Array): number {
  let best = -1;
  let bestD = Infinity;
  ref.forEach((r, i) => {
    const d = meanAbsDiff(r, f);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

async function checkVideo(file: string): Promise<void> {
  const ref = decodeAll(file);
  const src = new VideoFileSource(file);
  const { first, last } = await src.frameRange();
  assert.equal(first, 0);
  assert.equal(last, ref.length - 1, `${file}: frame count`);
  const n = ref.length;
  const clips = [[0, 1, 2, 3], [1], [2], [5, 7, 9, 11], [Math.floor(n / 3), Math.floor(n / 3) + 1], [Math.floor(n / 2)], [n - 4, n - 2], [n - 1]];
  for (const clip of clips) {
    const frames = await src.read(clip, { width: W, height: H });
    clip.forEach((i, k) => {
      // The same decoder on the same frame: equal up to rounding; a neighbouring frame is far off.
      const d = meanAbsDiff(frames[k]!.data, ref[i]!);
      assert.ok(d < 1, `${file}: frame ${i} differs from the sequential decode (mean abs diff ${d.toFixed(2)}; closest is frame ${closest(ref, frames[k]!.data)})`);
    });
  }
}

const CASES: { name: string; args: string[] }[] = [
  { name: 'h264-bframes.mp4', args: ['-c:v', 'libx264', '-bf', '3', '-g', '12', '-pix_fmt', 'yuv420p'] },
  { name: 'h264-bframes.mkv', args: ['-c:v', 'libx264', '-bf', '3', '-g', '12', '-pix_fmt', 'yuv420p'] },
  { name: 'mpeg4-bframes.avi', args: ['-c:v', 'mpeg4', '-bf', '2', '-g', '12', '-q:v', '4'] },
  { name: 'vp9.webm', args: ['-c:v', 'libvpx-vp9', '-g', '12', '-b:v', '200k', '-deadline', 'realtime', '-cpu-used', '8'] },
];

test('the video frame source returns the frames of a sequential decode: h264 with B-frames (mp4, mkv), mpeg4 with B-frames (avi), vp9 (webm)', async (t) => {
  const d = tempDir();
  try {
    for (const c of CASES) {
      const file = join(d.dir, c.name);
      const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', `testsrc2=size=${W * 2}x${H * 2}:rate=25:duration=1.6`, '-threads', '1', ...c.args, file]);
      if (r.status !== 0) {
        t.diagnostic(`skipped ${c.name}: this ffmpeg cannot encode it (${String(r.stderr).trim().split('\n')[0]})`);
        continue;
      }
      await checkVideo(file);
    }
  } finally {
    d.cleanup();
  }
});

test("Debian opencv-doc's Megamind.avi (Xvid, packed B-frames), when installed", async (t) => {
  const r = spawnSync('sh', ['-c', 'dpkg -L opencv-doc 2>/dev/null | grep -i "megamind.avi$" | head -1'], { encoding: 'utf8' });
  const file = r.stdout.trim();
  if (!file || !existsSync(file)) {
    t.skip('opencv-doc is not installed (apt-get install opencv-doc to run this check)');
    return;
  }
  await checkVideo(file);
});
