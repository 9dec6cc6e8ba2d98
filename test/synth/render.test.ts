import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groundTruth, toPixelBox } from '../../src/data/synth/annotate.js';
import { buildScenes } from '../../src/data/synth/plan.js';
import { SequenceRenderer } from '../../src/data/synth/render.js';
import { figuresAt } from '../../src/data/synth/scene.js';
import { drawCapsule, newImage } from '../../src/data/synth/raster.js';

const W = 96;
const H = 72;
const scenes = buildScenes({ scale: 0.05, seed: 3, width: W, height: H, fps: 10, keyframeStride: 10 });

test('each ground-truth box is the tight box of the pixels its figure covers', () => {
  let checked = 0;
  let partial = 0;
  for (const scene of scenes.slice(0, 6)) {
    for (const kf of groundTruth(scene).slice(0, 8)) {
      const figs = figuresAt(scene, kf.frame);
      for (const box of kf.boxes) {
        const fig = figs.find((f) => f.track.id === box.person)!;
        // Draw the figure alone in a distinctive colour on black and find the pixels it touches.
        const img = newImage(W, H);
        for (const c of fig.capsules) drawCapsule(img, { ...c, color: [255, 255, 255] });
        let x0 = W, y0 = H, x1 = -1, y1 = -1;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            if (img.data[(y * W + x) * 3]! >= 64) {
              x0 = Math.min(x0, x);
              y0 = Math.min(y0, y);
              x1 = Math.max(x1, x);
              y1 = Math.max(y1, y);
            }
          }
        }
        assert.ok(x1 >= 0, 'the figure is drawn');
        // Every well-covered pixel lies inside the box, and the box is no more than 1 px loose.
        assert.ok(x0 >= box.x && y0 >= box.y && x1 < box.x + box.w && y1 < box.y + box.h, `pixels [${x0},${y0},${x1},${y1}] inside box ${JSON.stringify(box)}`);
        assert.ok(x0 - box.x <= 1 && y0 - box.y <= 1 && box.x + box.w - 1 - x1 <= 1 && box.y + box.h - 1 - y1 <= 1, `box ${JSON.stringify(box)} tight on [${x0},${y0},${x1},${y1}]`);
        const inFrame = fig.box.x0 >= 0 && fig.box.y0 >= 0 && fig.box.x1 <= W && fig.box.y1 <= H;
        if (inFrame) assert.deepEqual(toPixelBox(fig.box, W, H), { x: box.x, y: box.y, w: box.w, h: box.h });
        else partial++;
        checked++;
      }
    }
  }
  assert.ok(checked > 30, `checked ${checked} boxes`);
  assert.ok(partial > 0, 'some people are partly out of the frame');
});

test('in rendered frames, the pixels inside labelled boxes differ from the background far more than outside', () => {
  let inside = 0, nIn = 0, outside = 0, nOut = 0;
  for (const scene of scenes.slice(0, 5)) {
    const r = new SequenceRenderer(scene);
    for (const kf of groundTruth(scene).slice(0, 10)) {
      const frame = r.render(kf.frame);
      const bg = r.render(kf.frame, { figures: false, noise: false });
      const mask = new Uint8Array(W * H);
      // Outside means away from every figure, boxed or not (a passer-by leaving the frame has no box).
      for (const f of figuresAt(scene, kf.frame)) {
        const b = toPixelBox(f.box, W, H);
        for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) mask[y * W + x] = 2;
      }
      for (const b of kf.boxes) for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) mask[y * W + x] = 1;
      for (let p = 0; p < W * H; p++) {
        let d = 0;
        for (let ch = 0; ch < 3; ch++) d += Math.abs(frame.data[p * 3 + ch]! - bg.data[p * 3 + ch]!);
        if (mask[p] === 1) {
          inside += d;
          nIn++;
        } else if (mask[p] === 0) {
          outside += d;
          nOut++;
        }
      }
    }
  }
  const mIn = inside / nIn;
  const mOut = outside / nOut;
  assert.ok(mOut > 0, 'sensor noise changes the background a little');
  assert.ok(mIn > 3 * mOut, `mean |frame - background| inside boxes ${mIn.toFixed(1)} vs outside ${mOut.toFixed(1)}`);
});

test('frames differ over time (noise and motion) but the background stays put', () => {
  const r = new SequenceRenderer(scenes[0]!);
  const a = r.render(3, { figures: false, noise: false });
  const b = r.render(30, { figures: false, noise: false });
  assert.deepEqual(a.data, b.data);
  const n1 = r.render(3, { figures: false });
  const n2 = r.render(4, { figures: false });
  assert.notDeepEqual(n1.data, n2.data);
});
