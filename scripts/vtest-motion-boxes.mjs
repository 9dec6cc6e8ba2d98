#!/usr/bin/env node
// Writes test/fixtures/detect/vtest_proposal.json: person boxes for OpenCV's vtest.avi (Debian's opencv-doc)
// found by background subtraction, so that `stad detect` can be tested and shown on a real street video
// before the built-in person detector is wired in. A dev-time fixture generator, not part of stad:
// the median of 60 frames is the background; pixels far from it are foreground; connected regions of
// foreground large enough to be a pedestrian become boxes, every 8th frame (frame numbers from 1).
//   node scripts/vtest-motion-boxes.mjs [/usr/share/doc/opencv-doc/examples/data/vtest.avi]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { serializeVia3Project } from '../dist/src/data/via3/write.js';

const file = process.argv[2] ?? '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const W = 192, H = 144, S = 4; // a quarter of 768x576
const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 1 << 30 });
if (r.status !== 0) throw new Error(r.stderr.toString());
const n = Math.floor(r.stdout.length / (W * H));
const frame = (i) => r.stdout.subarray(i * W * H, (i + 1) * W * H);
const bg = new Uint8Array(W * H);
const samples = Array.from({ length: 60 }, (_, k) => Math.floor((k * (n - 1)) / 59));
const col = new Uint8Array(samples.length);
for (let p = 0; p < W * H; p++) {
  samples.forEach((s, k) => (col[k] = frame(s)[p]));
  bg[p] = col.sort()[col.length >> 1];
}
const boxes = [];
for (let i = 0; i < n; i += 8) {
  const f = frame(i);
  const fg = new Uint8Array(W * H);
  for (let p = 0; p < W * H; p++) fg[p] = Math.abs(f[p] - bg[p]) > 28 ? 1 : 0;
  // Close small gaps: dilate once (3x3).
  const d = new Uint8Array(W * H);
  for (let y = 1; y < H - 1; y++) for (let x = 1; x < W - 1; x++) {
    let on = 0;
    for (let dy = -1; dy <= 1 && !on; dy++) for (let dx = -1; dx <= 1; dx++) if (fg[(y + dy) * W + x + dx]) { on = 1; break; }
    d[y * W + x] = on;
  }
  const seen = new Uint8Array(W * H);
  for (let p0 = 0; p0 < W * H; p0++) {
    if (!d[p0] || seen[p0]) continue;
    let x1 = W, y1 = H, x2 = 0, y2 = 0, area = 0;
    const stack = [p0];
    seen[p0] = 1;
    while (stack.length) {
      const p = stack.pop();
      const x = p % W, y = (p / W) | 0;
      area++;
      x1 = Math.min(x1, x); x2 = Math.max(x2, x); y1 = Math.min(y1, y); y2 = Math.max(y2, y);
      for (const q of [p - 1, p + 1, p - W, p + W]) if (q >= 0 && q < W * H && d[q] && !seen[q] && Math.abs((q % W) - x) <= 1) { seen[q] = 1; stack.push(q); }
    }
    const bw = x2 - x1 + 1, bh = y2 - y1 + 1;
    if (area < 60 || bh < 12 || bh < 0.8 * bw) continue; // pedestrians are taller than wide
    boxes.push({ frameIndex: i + 1, box: [x1 * S, y1 * S, (x2 + 1) * S, (y2 + 1) * S], labels: [], score: Math.min(1, Math.round((area / (bw * bh)) * 1000) / 1000) });
  }
}
const out = new URL('../test/fixtures/detect/vtest_proposal.json', import.meta.url);
writeFileSync(out, serializeVia3Project(boxes, { style: 'image', videoId: 'vtest', classes: ['None'], projectName: 'vtest motion boxes (scripts/vtest-motion-boxes.mjs)' }) + '\n');
console.log(`${n} frames, ${boxes.length} boxes on ${new Set(boxes.map((b) => b.frameIndex)).size} keyframes -> ${out.pathname}`);
