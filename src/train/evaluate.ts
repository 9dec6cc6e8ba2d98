/**
 * Runs a detector over one split of a dataset and evaluates it: AVA frame mAP@0.5IoU per video and
 * pooled, as `stad convert via3-to-ava` + `stad eval` would compute it on the written files. Used by
 * `stad test` and, each epoch, by the training loop's validation.
 *
 * Per keyframe (one clip each, test-time geometry: short side resized, no crop, no flip), the boxes
 * classified are the person detector's proposals (default) or the ground-truth boxes. Every class but
 * the background of every box becomes one detection row: the box mapped back to source pixels,
 * normalised by the frame size and clipped to [0, 1], at the keyframe's AVA timestamp (the frame index
 * for image projects, seconds for video projects, as convert writes them), scored with the sigmoid of
 * the class logit. A keyframe with no boxes gives no rows.
 *
 * The ground truth is built in memory by the same code that writes convert's `<split>.csv`
 * (`groundTruthRowsOfVideo`), and the label map is convert's (`labelMapOfClasses`).
 */
import { keyframesOf, type Dataset } from '../data/dataset.js';
import { samplesOfVideo, videosOfSplit } from '../data/samples.js';
import { groundTruthRowsOfVideo, labelMapOfClasses } from '../data/convert.js';
import { ClipLoader, type ClipSample, type LoadedClip } from '../data/loader.js';
import { clipsToTensor } from '../data/collate.js';
import type { ClipSpec } from '../data/clip.js';
import { untransformBoxes, type Box } from '../data/transforms.js';
import { noGrad, tensor, tidy, type Device, type Tensor } from '../torch/index.js';
import type { ActionDetector } from '../models/detector.js';
import { evaluateFrameMAP, boxTableFromRows, type DetectionBox, type FrameMapReport, type GroundTruthBox } from '../eval/index.js';
import type { LabelMap } from '../data/labelmap.js';
import type { ProgressCallback } from '../util/progress.js';
import { UserError } from '../util/errors.js';
import { forwardIn, type AmpMode } from './precision.js';

export interface EvaluateOptions {
  /** Which boxes to classify: the person detector's proposals (default) or the ground-truth boxes. */
  boxes: 'proposals' | 'gt';
  /** Clips per forward pass. */
  batchSize: number;
  /** Test-time short side in pixels (the model config's input.size). */
  testShortSide: number;
  /** Frames per clip and their spacing (the model config's input.frames / input.frameInterval). */
  clip: ClipSpec;
  /** Loader threads decoding frames (default: the loader's, cores - 1). */
  numWorkers?: number;
  /** Where the detector's parameters are (default cpu). */
  device?: Device;
  /**
   * The forward pass's precision: 'bf16' runs it under autocast as a run trained with `amp: bf16` did
   * (the logits come back as float32, so the sigmoid and the scores are float32); default 'none'.
   */
  amp?: AmpMode;
  /** Called after each batch: done/total in keyframes. */
  onProgress?: ProgressCallback;
  /**
   * Distributed validation: this rank classifies its contiguous share of the keyframes, `gather`
   * returns every rank's detections in rank order (so in the split's order), and every rank scores them.
   */
  shard?: { rank: number; worldSize: number; gather: (local: DetectionBox[]) => DetectionBox[] };
}

export interface EvaluationResult {
  /** Per video (in the split's order) and pooled; `allMAP` is the mean of the per-video mAPs. */
  report: FrameMapReport;
  /**
   * AVA detection rows (normalised coordinates), every class (1..numClasses-1, the label map's ids)
   * of every classified box. The rows of one box are consecutive, classes ascending; boxes follow the
   * split's keyframe order (videos in split order, keyframes in time order).
   */
  detections: DetectionBox[];
}

/** The ground truth of a split as AVA rows, as convert writes them (rows without an action left out). */
export function groundTruthOfSplit(dataset: Dataset, split: string): GroundTruthBox[] {
  const rows: GroundTruthBox[] = [];
  for (const v of videosOfSplit(dataset, split)) {
    for (const r of groundTruthRowsOfVideo(v)) {
      // An empty action id (a box with no option ticked) is in no label map: the evaluator drops it.
      if (r.actionId === null) continue;
      rows.push({ videoId: r.videoId, timestamp: r.timestamp, x1: r.box[0], y1: r.box[1], x2: r.box[2], y2: r.box[3], actionId: r.actionId, ...(r.personId !== null ? { personId: r.personId } : {}) });
    }
  }
  return rows;
}

/** The split's samples, each with the AVA timestamp its detections are reported at. */
function samplesWithTimestamps(dataset: Dataset, split: string): { samples: ClipSample[]; timestamps: number[] } {
  const samples: ClipSample[] = [];
  const timestamps: number[] = [];
  for (const v of videosOfSplit(dataset, split)) {
    const ss = samplesOfVideo(v);
    const ks = keyframesOf(v); // the same keyframes, in the same order, as samplesOfVideo's
    ss.forEach((s, i) => {
      samples.push(s);
      timestamps.push(ks[i]!.avaTimestamp);
    });
  }
  return { samples, timestamps };
}

/** Boxes of one loaded clip to classify, in clip pixels. */
function boxesToClassify(clip: LoadedClip, which: EvaluateOptions['boxes']): Box[] {
  return which === 'gt' ? clip.boxes : clip.proposals.map((p) => p.box);
}

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Classifies every keyframe's boxes of `split` and evaluates the detections against the split's
 * ground truth. The detector runs in eval mode without autograd (its previous modes are restored after)
 * and every tensor it creates is freed.
 */
export async function evaluateDetector(det: ActionDetector, dataset: Dataset, split: string, o: EvaluateOptions): Promise<EvaluationResult> {
  const labelMap: LabelMap = checkClasses(det, dataset);
  const all = samplesWithTimestamps(dataset, split);
  const [from, to] = o.shard ? shareOf(all.samples.length, o.shard) : [0, all.samples.length];
  const samples = all.samples.slice(from, to);
  const timestamps = all.timestamps.slice(from, to);
  const gt = groundTruthOfSplit(dataset, split);
  const frameSizes = new Map(videosOfSplit(dataset, split).flatMap((v) => (v.frameSize ? [[v.name, v.frameSize] as const] : [])));
  const numClasses = det.numClasses;
  const device = o.device ?? 'cpu';
  const detections: DetectionBox[] = [];

  const loader = new ClipLoader(samples, {
    clip: o.clip,
    batchSize: o.batchSize,
    mode: 'test',
    testShortSide: o.testShortSide,
    numWorkers: o.numWorkers,
    shuffle: false,
  });
  // Every submodule's own mode, so that a caller's mixed modes (e.g. frozen BatchNorms) come back as they were.
  const modes = [...det.namedModules()].map(([, m]) => [m, m.training] as const);
  det.eval();
  let done = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const perClip = batch.clips.map((c) => boxesToClassify(c, o.boxes));
      const k = perClip.reduce((n, b) => n + b.length, 0);
      if (k > 0) {
        const roiData = new Float32Array(k * 5);
        let r = 0;
        perClip.forEach((boxes, n) => {
          for (const b of boxes) roiData.set([n, b[0], b[1], b[2], b[3]], 5 * r++);
        });
        const scores = tidy(() => {
          const clips = clipsToTensor(batch, device); // [N, 3, T, H, W]
          batch.release(); // clips holds a copy
          const rois = tensor(roiData, { shape: [k, 5], device }); // [K, 5] (batchIndex, x1, y1, x2, y2)
          return scoresOf(det, clips, rois, o.amp ?? 'none').toFloat32Array(); // [K, numClasses]
        });
        r = 0;
        batch.clips.forEach((c, n) => {
          const ts = timestamps[c.index]!;
          // The frame size convert normalises the ground truth by (dataset.json's, else the probed one).
          const { width: W, height: H } = frameSizes.get(c.video) ?? c.sourceSize;
          for (const b of untransformBoxes(perClip[n]!, c.sourceSize, c.plan)) {
            const [x1, y1, x2, y2] = [clip01(b[0] / W), clip01(b[1] / H), clip01(b[2] / W), clip01(b[3] / H)];
            for (let cls = 1; cls < numClasses; cls++) {
              detections.push({ videoId: c.video, timestamp: ts, x1, y1, x2, y2, actionId: cls, score: scores[r * numClasses + cls]! });
            }
            r++;
          }
        });
      }
      done += batch.clips.length;
      o.onProgress?.({ done, total: samples.length, info: split });
    }
  } finally {
    for (const [m, training] of modes) m.training = training;
    await loader.close();
  }
  const every = o.shard ? o.shard.gather(detections) : detections;
  const report = evaluateFrameMAP(boxTableFromRows(gt, 'ground truth'), boxTableFromRows(every, 'detections'), labelMap, { perVideo: true });
  return { report, detections: every };
}

/** Rank r's contiguous share [from, to) of n items. */
function shareOf(n: number, s: { rank: number; worldSize: number }): [number, number] {
  return [Math.floor((s.rank * n) / s.worldSize), Math.floor(((s.rank + 1) * n) / s.worldSize)];
}

/**
 * Scores in [0, 1] of every class of every box, without autograd: `det.predict` in float32; under bf16,
 * the forward pass under autocast and the sigmoid on its float32 logits (so that the scores, which the
 * evaluation ranks, keep float32's resolution near 0 and 1).
 */
function scoresOf(det: ActionDetector, clips: Tensor, rois: Tensor, amp: AmpMode): Tensor {
  if (amp === 'none') return det.predict(clips, rois);
  return noGrad(() => forwardIn(amp, clips.device, () => det.forward(clips, rois)).sigmoid()); // [K, numClasses] float32
}

/** The dataset's label map, after checking that the detector has one output per dataset class. */
function checkClasses(det: ActionDetector, dataset: Dataset): LabelMap {
  if (dataset.classes.length < 2) throw new UserError(`${dataset.root}: no project has an action attribute with classes; nothing to evaluate`);
  if (det.numClasses !== dataset.classes.length) {
    throw new UserError(`${dataset.root}: the dataset has ${dataset.classes.length} classes (${dataset.classes.join(', ')}) but the model has ${det.numClasses} outputs`);
  }
  return labelMapOfClasses(dataset.classes);
}
