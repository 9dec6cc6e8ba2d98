/**
 * Training targets for the RoI head, as mmaction2 makes them for AVA (MaxIoUAssignerAVA with
 * pos_iou_thr = neg_iou_thr = min_pos_iou = 0.9, then RandomSampler with num 32, pos_fraction 1,
 * add_gt_as_proposals): plain numbers in, plain numbers out (detector.ts turns them into tensors).
 *
 * Per clip:
 * 1. Each proposal is matched to the ground-truth box it overlaps most. IoU >= 0.9: a positive that
 *    inherits all of that box's labels; below: a negative (no label). Then each ground-truth box whose
 *    best proposal reaches 0.9 claims every proposal with exactly that IoU (mmdet's low-quality
 *    matching with gt_max_assign_all; it can only change which box a positive copies).
 * 2. The ground-truth boxes themselves are added in front, each a positive with its own labels.
 * 3. Up to `numSamples` boxes are kept: positives first (a random subset if there are more than
 *    numSamples * posFraction), then random negatives to fill the rest.
 *
 * Labels are class ids, 0 being the background / "None" class: it is never a training target (the
 * loss sees classes 1..numClasses-1). A box whose labels are all dropped is a negative.
 */

// Box ([x1, y1, x2, y2] in input pixels) and boxIou live in data/, whose proposal statistics need the
// same IoU; re-exported here for the models' users.
import { boxIou, type Box } from '../data/box-iou.js';
export type { Box };
export { boxIou };

export interface ClipBoxes {
  gtBoxes: readonly Box[];
  /** Class ids of each ground-truth box (multi-label), in [0, numClasses). */
  gtLabels: readonly (readonly number[])[];
  proposals: readonly Box[];
}

export interface AssignOptions {
  numClasses: number;
  /** A proposal overlapping a ground-truth box by at least this much inherits its labels (0.9). */
  posIouThr?: number;
  /** Below this (against every ground-truth box) a proposal is a negative (0.9). */
  negIouThr?: number;
  /** Low-quality matching: a box's best proposal is positive from this IoU (0.9). */
  minPosIou?: number;
  /** Boxes kept per clip (32). */
  numSamples?: number;
  /** Share of numSamples positives may take (1). */
  posFraction?: number;
  /** Add the ground-truth boxes as proposals (true). */
  addGtAsProposals?: boolean;
  /** Uniform random numbers in [0, 1) for sampling (default Math.random; pass a seeded one in tests). */
  random?: () => number;
}

export interface AssignedClip {
  boxes: Box[];
  /** Multi-hot over all numClasses (class 0 included, always 0 here). */
  labels: number[][];
  /** Whether each box inherited labels from a ground-truth box (1-based index in gtIndex, 0 if not). */
  gtIndex: number[];
}

function multiHot(labels: readonly number[], numClasses: number, where: string): number[] {
  const v = new Array<number>(numClasses).fill(0);
  for (const c of labels) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`${where}: class id ${c} is not in [0, ${numClasses})`);
    if (c > 0) v[c] = 1;
  }
  return v;
}

/** k distinct random items of xs (in random order), or xs itself when it has at most k. */
function sample<T>(xs: readonly T[], k: number, random: () => number): T[] {
  if (xs.length <= k) return [...xs];
  const a = [...xs];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/** Assigns and samples the boxes of one clip (see the file comment). */
export function assignClip(clip: ClipBoxes, o: AssignOptions): AssignedClip {
  const posThr = o.posIouThr ?? 0.9;
  const negThr = o.negIouThr ?? 0.9;
  const minPos = o.minPosIou ?? 0.9;
  const num = o.numSamples ?? 32;
  const posFraction = o.posFraction ?? 1;
  const random = o.random ?? Math.random;
  const { gtBoxes, proposals } = clip;
  if (clip.gtLabels.length !== gtBoxes.length) throw new RangeError(`${gtBoxes.length} ground-truth boxes but ${clip.gtLabels.length} label lists`);
  const gtHot = clip.gtLabels.map((l, i) => multiHot(l, o.numClasses, `ground-truth box ${i}`));

  // 1. proposals against ground truth: -1 don't care, 0 negative, g + 1 matched to box g
  const assigned = new Array<number>(proposals.length).fill(gtBoxes.length === 0 ? 0 : -1);
  if (gtBoxes.length > 0 && proposals.length > 0) {
    const iou = gtBoxes.map((g) => proposals.map((p) => boxIou(g, p))); // [G][P]
    for (let p = 0; p < proposals.length; p++) {
      let best = 0;
      for (let g = 1; g < gtBoxes.length; g++) if (iou[g]![p]! > iou[best]![p]!) best = g;
      const m = iou[best]![p]!;
      if (m < negThr) assigned[p] = 0;
      if (m >= posThr) assigned[p] = best + 1;
    }
    for (let g = 0; g < gtBoxes.length; g++) {
      const gMax = Math.max(...iou[g]!);
      if (gMax >= minPos) for (let p = 0; p < proposals.length; p++) if (iou[g]![p] === gMax) assigned[p] = g + 1;
    }
  }

  // 2. ground truth as proposals, in front
  const boxes: Box[] = [...(o.addGtAsProposals ?? true ? gtBoxes : []), ...proposals];
  const gtIndex = [...(o.addGtAsProposals ?? true ? gtBoxes.map((_, g) => g + 1) : []), ...assigned];

  // 3. sampling
  const all = gtIndex.map((_, i) => i);
  const pos = sample(all.filter((i) => gtIndex[i]! > 0), Math.floor(num * posFraction), random);
  const neg = sample(all.filter((i) => gtIndex[i] === 0), num - pos.length, random);
  const keep = [...pos, ...neg];
  const zero = () => new Array<number>(o.numClasses).fill(0);
  return {
    boxes: keep.map((i) => boxes[i]!),
    labels: keep.map((i) => (gtIndex[i]! > 0 ? [...gtHot[gtIndex[i]! - 1]!] : zero())),
    gtIndex: keep.map((i) => Math.max(gtIndex[i]!, 0)),
  };
}
