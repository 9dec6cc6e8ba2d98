import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleClipFrames } from '../../src/data/clip.js';
import { planTrain, planTest, transformBoxes, untransformBoxes, renderClip, rescaleShortSide, type Box, type GeometryPlan } from '../../src/data/transforms.js';
import { Rng } from '../../src/data/rng.js';
import { repeatFactors, epochOrder } from '../../src/data/sampler.js';
import type { RGBFrame } from '../../src/data/frames.js';

test('clips are centred on the keyframe and repeat edge frames (mmaction2 SampleAVAFrames)', () => {
  assert.deepEqual(sampleClipFrames(10, { clipLen: 4, frameInterval: 2 }, { first: 0, last: 100 }), [6, 8, 10, 12]);
  assert.deepEqual(sampleClipFrames(10, { clipLen: 5, frameInterval: 1 }, { first: 0, last: 100 }), [8, 9, 10, 11, 12]);
  assert.deepEqual(sampleClipFrames(2, { clipLen: 4, frameInterval: 2 }, { first: 1, last: 5 }), [1, 1, 2, 4]);
  assert.deepEqual(sampleClipFrames(5, { clipLen: 4, frameInterval: 2 }, { first: 1, last: 5 }), [1, 3, 5, 5]);
});

test('rescaling keeps the aspect ratio', () => {
  assert.deepEqual(rescaleShortSide({ width: 160, height: 120 }, 240), { width: 320, height: 240 });
  assert.deepEqual(rescaleShortSide({ width: 90, height: 160 }, 45), { width: 45, height: 80 });
});

/** A frame with a white rectangle [x1, y1, x2) x [y1, y2) on black. */
function drawnFrame(w: number, h: number, b: Box): RGBFrame {
  const data = new Uint8Array(w * h * 3);
  for (let y = b[1]; y < b[3]; y++) for (let x = b[0]; x < b[2]; x++) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, data };
}

/** Resize (nearest) of a drawn frame, standing in for the decoder's resize. */
function resizeNearest(f: RGBFrame, w: number, h: number): RGBFrame {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(f.width - 1, Math.floor(((x + 0.5) * f.width) / w));
      const sy = Math.min(f.height - 1, Math.floor(((y + 0.5) * f.height) / h));
      data.set(f.data.subarray((sy * f.width + sx) * 3, (sy * f.width + sx) * 3 + 3), (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}

test('boxes stay on the drawn rectangle through rescale, crop and flip', () => {
  const src = { width: 80, height: 60 };
  const box: Box = [50, 10, 70, 40];
  const frame = drawnFrame(src.width, src.height, box);
  const norm = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
  let flips = 0;
  for (let seed = 0; seed < 12; seed++) {
    const plan = planTrain(src, [box], { shortSideRange: [90, 120], cropSize: 80, flipRatio: 0.5, colorJitter: 0, minBoxVisible: 1, cropTries: 50 }, new Rng(seed));
    if (plan.flip) flips++;
    const [moved] = transformBoxes([box], src, plan);
    assert.ok(moved, `box lost for seed ${seed}`);
    const resized = resizeNearest(frame, plan.resize.width, plan.resize.height);
    const out = renderClip([resized], plan, norm); // [3, 1, H, W]
    const { width: W, height: H } = plan.crop;
    const at = (x: number, y: number) => out[y * W + x]!;
    const [x1, y1, x2, y2] = moved!;
    // Well inside the moved box: white; well outside it: black.
    assert.equal(at(Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2)), 255, `seed ${seed}: centre of the moved box`);
    assert.equal(at(Math.ceil(x1) + 1, Math.ceil(y1) + 1), 255, `seed ${seed}: inside the top-left corner`);
    assert.equal(at(Math.floor(x2) - 2, Math.floor(y2) - 2), 255, `seed ${seed}: inside the bottom-right corner`);
    if (x1 >= 3) assert.equal(at(Math.floor(x1) - 3, Math.floor((y1 + y2) / 2)), 0, `seed ${seed}: left of the box`);
    if (x2 <= W - 4) assert.equal(at(Math.ceil(x2) + 2, Math.floor((y1 + y2) / 2)), 0, `seed ${seed}: right of the box`);
    if (y2 <= H - 4) assert.equal(at(Math.floor((x1 + x2) / 2), Math.ceil(y2) + 2), 0, `seed ${seed}: below the box`);
  }
  assert.ok(flips > 0 && flips < 12, `flip ratio 0.5 should flip some of 12 clips, flipped ${flips}`);
});

test('a box cropped out of view is dropped; test mode only resizes', () => {
  const plan: GeometryPlan = { resize: { width: 100, height: 100 }, crop: { x: 50, y: 0, width: 50, height: 50 }, flip: false, jitter: { brightness: 1, contrast: 1, saturation: 1 } };
  const [inside, outside] = transformBoxes([[60, 10, 80, 20], [0, 0, 40, 40]], { width: 100, height: 100 }, plan);
  assert.deepEqual(inside, [10, 10, 30, 20]);
  assert.equal(outside, null);
  const t = planTest({ width: 160, height: 120 }, 240);
  assert.deepEqual(t.crop, { x: 0, y: 0, width: 320, height: 240 });
  assert.equal(t.flip, false);
  assert.deepEqual(transformBoxes([[10, 20, 30, 40]], { width: 160, height: 120 }, t), [[20, 40, 60, 80]]);
});

test('untransformBoxes maps boxes in view back to source pixels, through rescale, crop and flip', () => {
  const src = { width: 160, height: 120 };
  const boxes: Box[] = [[40, 30, 100, 90], [70.5, 20.25, 90.75, 60]];
  for (const plan of [
    planTest(src, 48),
    { resize: { width: 320, height: 240 }, crop: { x: 17, y: 9, width: 256, height: 200 }, flip: true, jitter: { brightness: 1, contrast: 1, saturation: 1 } },
  ] as GeometryPlan[]) {
    const moved = transformBoxes(boxes, src, plan) as Box[];
    const back = untransformBoxes(moved, src, plan);
    back.forEach((b, i) => b.forEach((v, k) => assert.ok(Math.abs(v - boxes[i]![k]!) < 1e-9, `${JSON.stringify(plan)}: ${b} vs ${boxes[i]}`)));
  }
});

test('normalisation uses the mean and std per channel, channel-major', () => {
  const f: RGBFrame = { width: 1, height: 1, data: new Uint8Array([100, 150, 200]) };
  const plan = planTest({ width: 1, height: 1 }, 1);
  const out = renderClip([f, f], plan, { mean: [100, 100, 100], std: [1, 2, 4] });
  assert.deepEqual([...out], [0, 0, 25, 25, 25, 25]);
});

test('repeat factors follow LVIS: max over classes of max(1, sqrt(t / f_c))', () => {
  // 4 clips: class 1 in all (f = 1), class 2 in one (f = 0.25); t = 0.5.
  const r = repeatFactors([[1], [1], [1, 2], [1]], 0.5);
  assert.deepEqual(r.map((x) => Number(x.toFixed(6))), [1, 1, Number(Math.sqrt(2).toFixed(6)), 1]);
  // Over many epochs the rare clip is visited sqrt(2) times on average.
  let visits = 0;
  for (let e = 0; e < 400; e++) visits += epochOrder(4, e, { shuffle: true, seed: 3, repeat: r }).filter((i) => i === 2).length;
  assert.ok(Math.abs(visits / 400 - Math.SQRT2) < 0.08, `mean visits ${visits / 400}`);
  // Same seed and epoch: same order; another epoch: another order.
  assert.deepEqual(epochOrder(50, 1, { shuffle: true, seed: 7 }), epochOrder(50, 1, { shuffle: true, seed: 7 }));
  assert.notDeepEqual(epochOrder(50, 1, { shuffle: true, seed: 7 }), epochOrder(50, 2, { shuffle: true, seed: 7 }));
});
