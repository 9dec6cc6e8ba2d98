/**
 * `npm run bench -- detect [--frames N] [--boxes K]`
 *
 * How `stad detect` should draw its boxes, labels and scores on the frames of the annotated MP4, on
 * 768x576 frames (vtest.avi's size) with K labelled boxes held for N frames (one prediction, boxes held
 * until the next, as detect draws them). Three ways, each making the same N RGB frames ready to pipe:
 *
 *   sharp-composite   sharp composites the prediction's SVG overlay onto every frame (raw in, raw out)
 *   overlay-blend     the SVG is rasterised once (sharp) and its covered pixels blended per frame in JS
 *                     (what detect does: src/detect/draw.ts)
 *   ffmpeg-drawbox    no drawing in Node: ffmpeg's drawbox + drawtext filters draw the same boxes and
 *                     labels in the encoder's filter graph (timed as the encode with the filters minus
 *                     the encode without them)
 *
 * The two Node ways are timed alone; the ffmpeg way through the difference of two encodes of the same
 * frames (libx264 veryfast, as detect encodes). Prints a table, then one JSON line. About 1 minute on
 * an idle 2-core machine with the defaults.
 */
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { blendOverlay, overlaySvg, renderOverlay, labelsOf } from '../../src/detect/draw.js';
import type { ClassifiedBox } from '../../src/detect/classify.js';

const W = 768;
const H = 576;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function frames(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => {
    const d = new Uint8Array(W * H * 3);
    for (let p = 0; p < d.length; p += 97) d[p] = (p + k) & 255;
    return d;
  });
}

function boxes(k: number): ClassifiedBox[] {
  return Array.from({ length: k }, (_, i) => {
    const x = 0.05 + (0.9 * i) / Math.max(1, k);
    return { box: [x, 0.3, x + 0.06, 0.75], personScore: 0.9, scores: [Number.NaN, 0.8, 0.3, 0.6] };
  });
}

async function encode(input: Uint8Array[], filter: string | null): Promise<number> {
  const t0 = performance.now();
  const p = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-framerate', '10', '-i', 'pipe:0', ...(filter ? ['-vf', filter] : []), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-f', 'null', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  for (const f of input) if (!p.stdin.write(f)) await new Promise((r) => p.stdin.once('drain', r));
  p.stdin.end();
  await new Promise((r) => p.on('close', r));
  return (performance.now() - t0) / 1000;
}

function drawboxFilter(bs: readonly ClassifiedBox[], classes: readonly string[]): string {
  const parts: string[] = [];
  for (const b of bs) {
    const [x1, y1, x2, y2] = [b.box[0] * W, b.box[1] * H, b.box[2] * W, b.box[3] * H].map(Math.round) as [number, number, number, number];
    parts.push(`drawbox=x=${x1}:y=${y1}:w=${x2 - x1}:h=${y2 - y1}:color=red:t=3`);
    labelsOf(b, classes, 0.5).forEach((l, i) => parts.push(`drawtext=text='${l.text}':x=${x1 + 2}:y=${Math.max(0, y1 - 18 * (i + 1))}:fontsize=16:fontcolor=black:box=1:boxcolor=red@0.75`));
  }
  return parts.join(',');
}

async function main(): Promise<void> {
  const n = arg('frames', 200);
  const k = arg('boxes', 8);
  const classes = ['None', 'walk', 'wave', 'talk'];
  const bs = boxes(k);
  const svg = overlaySvg(bs, { width: W, height: H }, classes, 0.5);
  const base = frames(n);

  let t0 = performance.now();
  const composited: Uint8Array[] = [];
  for (const f of base) {
    const out = await sharp(f, { raw: { width: W, height: H, channels: 3 } }).composite([{ input: Buffer.from(svg) }]).removeAlpha().raw().toBuffer();
    composited.push(out);
  }
  const sharpS = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const overlay = await renderOverlay(svg, { width: W, height: H });
  const blended = base.map((f) => new Uint8Array(f));
  for (const f of blended) blendOverlay({ width: W, height: H, data: f }, overlay);
  const blendS = (performance.now() - t0) / 1000;

  const plainEnc = await encode(base, null);
  const drawEnc = await encode(base, drawboxFilter(bs, classes));
  const ffmpegS = Math.max(0, drawEnc - plainEnc);

  const rows = [
    ['sharp-composite', sharpS],
    ['overlay-blend', blendS],
    ['ffmpeg-drawbox', ffmpegS],
  ] as const;
  console.log(`drawing ${k} labelled boxes on ${n} frames of ${W}x${H} (encode alone: ${plainEnc.toFixed(2)} s, ${(n / plainEnc).toFixed(0)} fps)`);
  for (const [name, s] of rows) console.log(`${name.padEnd(16)} ${s.toFixed(3)} s  ${((1000 * s) / n).toFixed(2)} ms/frame`);
  console.log(JSON.stringify({ bench: 'detect', frames: n, boxes: k, width: W, height: H, msPerFrame: Object.fromEntries(rows.map(([name, s]) => [name, Math.round((1e5 * s) / n) / 100])), encodeFps: Math.round((10 * n) / plainEnc) / 10 }));
}

await main();
