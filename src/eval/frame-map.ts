/**
 * AVA frame mAP@0.5IoU, computed exactly as the official ActivityNet evaluator
 * (`get_ava_performance.py`, AVA v2.1/v2.2 protocol, on the PASCAL VOC evaluator of the TensorFlow
 * object detection API), pooled over all videos and per video.
 *
 * The rules, in the order the official code applies them:
 *  1. A frame is (video id, integer second); `0902` and `902` are one frame.
 *  2. Rows whose action id is not in the label map are dropped (ground truth and detections).
 *     (Extension: `scoreThreshold` drops detections scoring below it here, as if absent from the file.)
 *  3. Per frame, rows are kept and ordered by a heap of (score, action, y1, x1, y2, x2) tuples: for
 *     detections at most `maxPerFrame` (50) of the highest scores across all classes; ground truth
 *     uncapped, its 8th column (person id) playing the score's part in that ordering.
 *  4. Excluded frames are dropped from both.
 *  5. Per frame, detections with y1 >= y2 or x1 >= x2 are dropped (after the cap).
 *  6. Per frame and class, detections in that order are compared with that class's ground-truth boxes
 *     of the frame: the box of highest IoU (first of equals) is a match if IoU >= 0.5 and it is not
 *     matched yet (true positive); otherwise a false positive. Detections on frames without ground
 *     truth are false positives. IoU = inter / (area1 + area2 - inter), areas without a +1.
 *  7. Per class, AP over its detections in (frame order of first appearance in the detection file,
 *     then per-frame order), ranked by numpy's argsort (see orderings.ts, ap.ts); 0 with ground truth
 *     and no detections; null (NaN) without ground truth, and left out of the mean.
 * Ground-truth boxes are never difficult or group-of in AVA, so those VOC rules never apply.
 *
 * Per video, the result is what the official evaluator gives on the two files restricted to that
 * video's rows; all_mAP is the mean of the non-null per-video mAPs.
 */
import type { LabelMap } from '../data/labelmap.js';
import { UserError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { averagePrecision, nanMean } from './ap.js';
import type { AvaBoxTable, FrameRef } from '../data/ava.js';
import { heapTopK } from './orderings.js';

export interface FrameMapOptions {
  /** IoU needed for a match (default 0.5). */
  iouThreshold?: number;
  /** At most this many detections per frame, highest scores across classes (default 50; 0 = no cap). */
  maxPerFrame?: number;
  /** Drop detections with a score below this before anything else (default: keep all). */
  scoreThreshold?: number;
  /** Frames left out of the evaluation entirely. */
  excluded?: readonly FrameRef[];
  /** Also evaluate each ground-truth video on its own (default true). */
  perVideo?: boolean;
  onProgress?: ProgressCallback;
}

export interface ClassResult {
  id: number;
  name: string;
  /** AP@IoU, or null when the class has no ground truth in the evaluated frames. */
  ap: number | null;
  /** Ground-truth boxes of this class in the evaluated frames. */
  groundTruth: number;
  /** Detections of this class that were evaluated (after cap, exclusions and invalid boxes). */
  detections: number;
}

export interface MapResult {
  /** Mean of the non-null class APs; null when no class has ground truth. */
  mAP: number | null;
  /** One entry per label-map class, in label-map order. */
  classes: ClassResult[];
  /** Evaluated ground-truth keyframes (distinct frames, exclusions removed). */
  keyframes: number;
}

export interface VideoResult extends MapResult {
  videoId: string;
}

export interface FrameMapReport {
  iouThreshold: number;
  /** All videos together (the official evaluator on the whole files). */
  pooled: MapResult;
  /** Each ground-truth video alone, in order of first appearance in the ground truth (empty when perVideo is false). */
  videos: VideoResult[];
  /** Mean of the non-null per-video mAPs (null when there are none or perVideo is false). */
  allMAP: number | null;
}

/** Growable Int32 column. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(cap = 1024) {
    this.data = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const b = new Int32Array(this.data.length * 2);
      b.set(this.data);
      this.data = b;
    }
    this.data[this.length++] = v;
  }
}

/** Action id -> dense class index (label-map order), -1 when not in the map. */
function classLookup(labelMap: LabelMap): (action: number) => number {
  let maxId = 0;
  for (const id of labelMap.ids) maxId = Math.max(maxId, id);
  if (maxId <= 1 << 20) {
    const table = new Int32Array(maxId + 1).fill(-1);
    labelMap.ids.forEach((id, k) => (table[id] = k));
    return (a) => (a >= 0 && a <= maxId ? table[a]! : -1);
  }
  const m = new Map<number, number>();
  labelMap.ids.forEach((id, k) => m.set(id, k));
  return (a) => m.get(a) ?? -1;
}

/**
 * Evaluates detections against ground truth. Both are AVA box tables (from `readAvaBoxCsv` or
 * `boxTableFromRows`); the label map decides which classes count.
 */
export function evaluateFrameMAP(gt: AvaBoxTable, det: AvaBoxTable, labelMap: LabelMap, options: FrameMapOptions = {}): FrameMapReport {
  const m = matchDetections(gt, det, labelMap, options);
  return apReport(m, labelMap, options);
}

/**
 * Rules 1-6: every evaluated detection with its true/false-positive flag, and the ground-truth counts
 * per frame and class. Matching never looks across frames, so a bootstrap that resamples frames can
 * reuse these flags (src/compare/bootstrap.ts) instead of matching again.
 */
export interface FrameMatches {
  numClasses: number;
  /** Ground-truth videos first (in their order), then detection-only ones. */
  videoNames: string[];
  numGtVideos: number;
  /** Per frame: its video index, its integer second, whether it is excluded. */
  frameVideo: Int32Array;
  frameTimestamp: Int32Array;
  frameExcluded: Uint8Array;
  /** Per frame and class (frame * numClasses + class): ground-truth boxes (0 for excluded frames). */
  frameGt: Int32Array;
  /** Evaluated detections in the official concatenation order: class, frame, score, true positive. */
  numEmitted: number;
  emitClass: Int32Array;
  emitFrame: Int32Array;
  emitScore: Float64Array;
  emitTp: Uint8Array;
}

export function matchDetections(gt: AvaBoxTable, det: AvaBoxTable, labelMap: LabelMap, options: FrameMapOptions = {}): FrameMatches {
  const iouThr = options.iouThreshold ?? 0.5;
  const cap = options.maxPerFrame ?? 50;
  const scoreThr = options.scoreThreshold;
  if (!(iouThr >= 0 && iouThr <= 1)) throw new UserError(`IoU threshold must be in [0, 1], got ${iouThr}`);
  if (!Number.isInteger(cap) || cap < 0) throw new UserError(`max detections per frame must be a non-negative integer, got ${cap}`);
  if (scoreThr !== undefined && Number.isNaN(scoreThr)) throw new UserError('score threshold must be a number');
  if (labelMap.ids.length === 0) throw new UserError('label map has no classes');
  const numClasses = labelMap.ids.length;
  const classOf = classLookup(labelMap);

  // Videos: ground-truth videos first (in their order), then detection-only ones.
  const videoIndex = new Map<string, number>();
  const videoNames: string[] = [];
  const internVideo = (s: string): number => {
    let v = videoIndex.get(s);
    if (v === undefined) {
      v = videoNames.length;
      videoNames.push(s);
      videoIndex.set(s, v);
    }
    return v;
  };
  const gtVideo = Int32Array.from(gt.videoIds, internVideo);
  const numGtVideos = videoNames.length;
  const detVideo = Int32Array.from(det.videoIds, internVideo);

  const excludedByVideo = new Map<string, Set<number>>();
  for (const e of options.excluded ?? []) {
    let s = excludedByVideo.get(e.videoId);
    if (!s) excludedByVideo.set(e.videoId, (s = new Set()));
    s.add(e.timestamp);
  }

  // Frames: per video, integer second -> frame id.
  const framesOfVideo: Map<number, number>[] = [];
  const frameVideo = new IntList();
  const frameExcluded: number[] = [];
  const frameTimestamp: number[] = [];
  const frameOf = (v: number, ts: number): number => {
    let m = framesOfVideo[v];
    if (!m) framesOfVideo[v] = m = new Map();
    let f = m.get(ts);
    if (f === undefined) {
      f = frameVideo.length;
      frameVideo.push(v);
      frameExcluded.push(excludedByVideo.get(videoNames[v]!)?.has(ts) ? 1 : 0);
      frameTimestamp.push(ts);
      m.set(ts, f);
    }
    return f;
  };

  // Rule 2 (and the score threshold): assign kept rows to frames.
  const gtFrame = new Int32Array(gt.length);
  for (let r = 0; r < gt.length; r++) {
    gtFrame[r] = classOf(gt.action[r]!) < 0 ? -1 : frameOf(gtVideo[gt.video[r]!]!, gt.timestamp[r]!);
  }
  const detFrame = new Int32Array(det.length);
  const detFrameOrder = new IntList();
  let seen = new Uint8Array(Math.max(1024, frameVideo.length * 2));
  for (let r = 0; r < det.length; r++) {
    if (classOf(det.action[r]!) < 0 || (scoreThr !== undefined && det.score[r]! < scoreThr)) {
      detFrame[r] = -1;
      continue;
    }
    const f = frameOf(detVideo[det.video[r]!]!, det.timestamp[r]!);
    detFrame[r] = f;
    if (f >= seen.length) {
      const b = new Uint8Array(seen.length * 2 + f);
      b.set(seen);
      seen = b;
    }
    if (!seen[f]) {
      seen[f] = 1;
      detFrameOrder.push(f);
    }
  }
  const numFrames = frameVideo.length;
  options.onProgress?.({ done: 1, total: 3, info: 'frames grouped' });

  // Rows grouped by frame, file order within a frame (counting sort).
  const group = (frameOfRow: Int32Array): { start: Int32Array; rows: Int32Array } => {
    const start = new Int32Array(numFrames + 1);
    for (let r = 0; r < frameOfRow.length; r++) if (frameOfRow[r]! >= 0) start[frameOfRow[r]! + 1]++;
    for (let f = 0; f < numFrames; f++) start[f + 1] += start[f]!;
    const fill = start.slice(0, numFrames);
    const rows = new Int32Array(start[numFrames]!);
    for (let r = 0; r < frameOfRow.length; r++) if (frameOfRow[r]! >= 0) rows[fill[frameOfRow[r]!]!++] = r;
    return { start, rows };
  };
  const gtGroups = group(gtFrame);
  const detGroups = group(detFrame);

  // Rule 3 for ground truth: order each frame's boxes as the official reader does; count them.
  let maxRows = 0;
  for (let f = 0; f < numFrames; f++) {
    maxRows = Math.max(maxRows, gtGroups.start[f + 1]! - gtGroups.start[f]!, detGroups.start[f + 1]! - detGroups.start[f]!);
  }
  const scratch = new Int32Array(maxRows);
  const gtClass = new Int32Array(gt.length);
  for (let f = 0; f < numFrames; f++) {
    const s = gtGroups.start[f]!;
    const e = gtGroups.start[f + 1]!;
    if (e === s || frameExcluded[f]) continue;
    const slice = gtGroups.rows.subarray(s, e);
    heapTopK(gt, slice, 0, scratch);
    slice.set(scratch.subarray(0, e - s));
    for (let k = s; k < e; k++) {
      const r = gtGroups.rows[k]!;
      gtClass[r] = classOf(gt.action[r]!);
    }
  }

  // Rules 3-6 for detections: per frame in order of first appearance, mark true/false positives.
  const matched = new Uint8Array(gt.length);
  // one entry per evaluated detection, in the order the official evaluator concatenates them
  const emitClass = new Int32Array(det.length);
  const emitFrame = new Int32Array(det.length);
  const emitScore = new Float64Array(det.length);
  const emitTp = new Uint8Array(det.length);
  let numEmitted = 0;
  const gy1 = gt.y1;
  const gx1 = gt.x1;
  const gy2 = gt.y2;
  const gx2 = gt.x2;
  for (let k = 0; k < detFrameOrder.length; k++) {
    const f = detFrameOrder.data[k]!;
    if (frameExcluded[f]) continue;
    const s = detGroups.start[f]!;
    const n = heapTopK(det, detGroups.rows.subarray(s, detGroups.start[f + 1]!), cap, scratch);
    const gs = gtGroups.start[f]!;
    const ge = gtGroups.start[f + 1]!;
    for (let i = 0; i < n; i++) {
      const r = scratch[i]!;
      const dy1 = det.y1[r]!;
      const dx1 = det.x1[r]!;
      const dy2 = det.y2[r]!;
      const dx2 = det.x2[r]!;
      if (!(dy1 < dy2 && dx1 < dx2)) continue;
      const c = classOf(det.action[r]!);
      const area1 = (dy2 - dy1) * (dx2 - dx1);
      let best = -1;
      let bestIou = 0;
      for (let q = gs; q < ge; q++) {
        const g = gtGroups.rows[q]!;
        if (gtClass[g] !== c) continue;
        const ih = Math.max(0, Math.min(dy2, gy2[g]!) - Math.max(dy1, gy1[g]!));
        const iw = Math.max(0, Math.min(dx2, gx2[g]!) - Math.max(dx1, gx1[g]!));
        const inter = ih * iw;
        const area2 = (gy2[g]! - gy1[g]!) * (gx2[g]! - gx1[g]!);
        const iou = inter / (area1 + area2 - inter);
        // np.argmax: first maximum; a NaN counts as the maximum and stops the search
        if (best < 0) {
          best = g;
          bestIou = iou;
          if (iou !== iou) break;
        } else if (!(iou <= bestIou)) {
          best = g;
          bestIou = iou;
          if (iou !== iou) break;
        }
      }
      let tp = 0;
      if (best >= 0 && bestIou >= iouThr && !matched[best]) {
        tp = 1;
        matched[best] = 1;
      }
      emitClass[numEmitted] = c;
      emitFrame[numEmitted] = f;
      emitScore[numEmitted] = det.score[r]!;
      emitTp[numEmitted] = tp;
      numEmitted++;
    }
  }
  options.onProgress?.({ done: 2, total: 3, info: 'detections matched' });
  const frameGt = new Int32Array(numFrames * numClasses);
  for (let f = 0; f < numFrames; f++) {
    if (frameExcluded[f]) continue;
    for (let k = gtGroups.start[f]!; k < gtGroups.start[f + 1]!; k++) frameGt[f * numClasses + gtClass[gtGroups.rows[k]!]!]++;
  }
  return {
    numClasses,
    videoNames,
    numGtVideos,
    frameVideo: frameVideo.data.slice(0, numFrames),
    frameTimestamp: Int32Array.from(frameTimestamp),
    frameExcluded: Uint8Array.from(frameExcluded),
    frameGt,
    numEmitted,
    emitClass: emitClass.subarray(0, numEmitted),
    emitFrame: emitFrame.subarray(0, numEmitted),
    emitScore: emitScore.subarray(0, numEmitted),
    emitTp: emitTp.subarray(0, numEmitted),
  };
}

/** Rule 7 on matched detections: AP per class, pooled and per ground-truth video. */
function apReport(m: FrameMatches, labelMap: LabelMap, options: FrameMapOptions): FrameMapReport {
  const iouThr = options.iouThreshold ?? 0.5;
  const perVideo = options.perVideo ?? true;
  const { numClasses, videoNames, numGtVideos, numEmitted, emitClass, emitScore, emitTp } = m;
  const emitVideo = Int32Array.from(m.emitFrame, (f) => m.frameVideo[f]!);
  const numGtPooled = new Int32Array(numClasses);
  const numGtVideo = new Int32Array(perVideo ? numGtVideos * numClasses : 0);
  const keyframesVideo = new Int32Array(numGtVideos);
  let keyframesPooled = 0;
  for (let f = 0; f < m.frameVideo.length; f++) {
    const v = m.frameVideo[f]!;
    let any = false;
    for (let c = 0; c < numClasses; c++) {
      const n = m.frameGt[f * numClasses + c]!;
      if (n === 0) continue;
      any = true;
      numGtPooled[c] += n;
      if (perVideo) numGtVideo[v * numClasses + c] += n;
    }
    if (any) {
      keyframesPooled++;
      keyframesVideo[v]++;
    }
  }

  // Rule 7: per class (and per video and class), AP over the detections in emission order.
  const scoreBuf = new Float64Array(numEmitted);
  const tpBuf = new Uint8Array(numEmitted);
  const apOf = (indices: Int32Array, from: number, to: number, numGt: number): number | null => {
    if (numGt === 0) return null;
    for (let k = from; k < to; k++) {
      const e = indices[k]!;
      scoreBuf[k - from] = emitScore[e]!;
      tpBuf[k - from] = emitTp[e]!;
    }
    return averagePrecision(scoreBuf.subarray(0, to - from), tpBuf.subarray(0, to - from), numGt);
  };
  // stable counting sort of the emitted detections by key
  const byKey = (keys: Int32Array, numKeys: number): { start: Int32Array; order: Int32Array } => {
    const start = new Int32Array(numKeys + 1);
    for (let e = 0; e < numEmitted; e++) start[keys[e]! + 1]++;
    for (let k = 0; k < numKeys; k++) start[k + 1] += start[k]!;
    const fill = start.slice(0, numKeys);
    const order = new Int32Array(numEmitted);
    for (let e = 0; e < numEmitted; e++) order[fill[keys[e]!]!++] = e;
    return { start, order };
  };
  const makeResult = (apByClass: (number | null)[], gtCounts: (c: number) => number, detCounts: (c: number) => number, keyframes: number): MapResult => {
    // np.nanmean runs over class indices 0..max_id-1; ids outside the map are NaN there
    let maxId = 0;
    for (const id of labelMap.ids) maxId = Math.max(maxId, id);
    let mAP: number | null;
    if (maxId <= 1 << 20) {
      const byId: (number | null)[] = new Array<number | null>(maxId).fill(null);
      labelMap.ids.forEach((id, c) => (byId[id - 1] = apByClass[c]!));
      mAP = nanMean(byId);
    } else mAP = nanMean(apByClass);
    return {
      mAP,
      classes: labelMap.ids.map((id, c) => ({ id, name: labelMap.names.get(id) ?? String(id), ap: apByClass[c]!, groundTruth: gtCounts(c), detections: detCounts(c) })),
      keyframes,
    };
  };

  const pooledGroups = byKey(emitClass, numClasses);
  const pooledAp: (number | null)[] = [];
  for (let c = 0; c < numClasses; c++) pooledAp.push(apOf(pooledGroups.order, pooledGroups.start[c]!, pooledGroups.start[c + 1]!, numGtPooled[c]!));
  const pooled = makeResult(
    pooledAp,
    (c) => numGtPooled[c]!,
    (c) => pooledGroups.start[c + 1]! - pooledGroups.start[c]!,
    keyframesPooled,
  );

  const videos: VideoResult[] = [];
  if (perVideo) {
    const numVideos = videoNames.length;
    const videoClass = new Int32Array(numEmitted);
    for (let e = 0; e < numEmitted; e++) videoClass[e] = emitVideo[e]! * numClasses + emitClass[e]!;
    const vg = byKey(videoClass, numVideos * numClasses);
    for (let v = 0; v < numGtVideos; v++) {
      const ap: (number | null)[] = [];
      for (let c = 0; c < numClasses; c++) {
        const key = v * numClasses + c;
        ap.push(apOf(vg.order, vg.start[key]!, vg.start[key + 1]!, numGtVideo[key]!));
      }
      const res = makeResult(
        ap,
        (c) => numGtVideo[v * numClasses + c]!,
        (c) => vg.start[v * numClasses + c + 1]! - vg.start[v * numClasses + c]!,
        keyframesVideo[v]!,
      );
      videos.push({ videoId: videoNames[v]!, ...res });
    }
  }
  const videoMaps = videos.map((v) => v.mAP).filter((m): m is number => m !== null);
  const allMAP = videoMaps.length ? videoMaps.reduce((a, b) => a + b, 0) / videoMaps.length : null;
  options.onProgress?.({ done: 3, total: 3, info: 'done' });
  return { iouThreshold: iouThr, pooled, videos, allMAP };
}
