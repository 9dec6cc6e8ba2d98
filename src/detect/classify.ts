/**
 * Classifies the person boxes of one clip, exactly as `stad test` does for one keyframe
 * (src/train/evaluate.ts): boxes moved into the clip's pixels by the test-time plan (boxes that leave
 * the view dropped), one forward pass, boxes moved back, normalised by the frame size and clipped to
 * [0, 1], scores the sigmoid of each class logit.
 */
import { IMAGENET_NORMALIZATION, renderClip, transformBoxes, untransformBoxes, type Box, type GeometryPlan } from '../data/transforms.js';
import type { RGBFrame, Size } from '../data/frames.js';
import { tensor, tidy, type Device } from '../torch/index.js';
import type { ActionDetector } from '../models/detector.js';

export interface ClassifiedBox {
  /** [x1, y1, x2, y2] normalised to the frame and clipped to [0, 1]. */
  box: [number, number, number, number];
  /** The person detector's (or boxes file's) score. */
  personScore: number;
  /** Score of every class, index = class id (index 0, the background, is NaN: never reported). */
  scores: number[];
}

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * `frames` are the clip's frames at `plan.resize` ([T] of [H, W, 3]), `boxes` in source pixels.
 * Runs the detector without autograd; every tensor is freed before it returns.
 */
export function classifyClip(det: ActionDetector, frames: readonly RGBFrame[], src: Size, plan: GeometryPlan, boxes: readonly Box[], personScores: readonly number[], device: Device): ClassifiedBox[] {
  const moved = transformBoxes(boxes, src, plan);
  const kept: { box: Box; score: number }[] = [];
  moved.forEach((b, i) => {
    if (b) kept.push({ box: b, score: personScores[i] ?? 1 });
  });
  if (kept.length === 0) return [];
  const data = renderClip(frames, plan, IMAGENET_NORMALIZATION); // [3, T, H, W]
  const roiData = new Float32Array(kept.length * 5);
  kept.forEach((k, r) => roiData.set([0, k.box[0], k.box[1], k.box[2], k.box[3]], 5 * r));
  const n = det.numClasses;
  const scores = tidy(() => {
    const clip = tensor(data, { shape: [1, 3, frames.length, plan.crop.height, plan.crop.width], device }); // [1, 3, T, H, W]
    const rois = tensor(roiData, { shape: [kept.length, 5], device }); // [K, 5] (batchIndex, x1, y1, x2, y2)
    return det.predict(clip, rois).toFloat32Array(); // [K, numClasses]
  });
  const { width: W, height: H } = src;
  return untransformBoxes(
    kept.map((k) => k.box),
    src,
    plan,
  ).map((b, r) => ({
    box: [clip01(b[0] / W), clip01(b[1] / H), clip01(b[2] / W), clip01(b[3] / H)],
    personScore: kept[r]!.score,
    scores: Array.from({ length: n }, (_, c) => (c === 0 ? Number.NaN : scores[r * n + c]!)),
  }));
}
