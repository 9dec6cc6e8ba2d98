/**
 * Annotations of a sequence: the ground-truth boxes at keyframes, as an annotator would draw them, and
 * the boxes a person detector would propose.
 */
import type { Box } from './figure.js';
import { boxIou, type Box as Box4 } from '../box-iou.js';
import { Rng } from '../rng.js';
import { coveredBounds } from './raster.js';
import type { SequenceScene } from './scene.js';
import { figuresAt, strideFrames, visibleFraction } from './scene.js';

/** A rectangle in integer pixels (top-left corner, width, height), inside the frame. */
export interface PixelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelledBox extends PixelBox {
  /** Option ids of the action attribute; [] is None. */
  labels: string[];
  /** Which figure (track id) the box belongs to. */
  person: number;
}

export interface ProposalBox extends PixelBox {
  score: number;
}

export interface KeyframeAnnotation {
  /** 0-based frame index in the sequence (the file name carries frame + 1). */
  frame: number;
  boxes: LabelledBox[];
}

/** Unlabelled passers-by are annotated when at least this much of them is in the frame. */
const MIN_VISIBLE = 0.6;

/** The tight integer box of a figure, clipped to the frame. */
export function toPixelBox(b: Box, width: number, height: number): PixelBox {
  const x0 = Math.max(0, Math.floor(b.x0));
  const y0 = Math.max(0, Math.floor(b.y0));
  const x1 = Math.min(width, Math.ceil(b.x1));
  const y1 = Math.min(height, Math.ceil(b.y1));
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/**
 * Ground truth: at every stride frame, a box for each person sufficiently in view, labelled with the
 * action they take part in (or None). Stride frames with no box are not keyframes and are left out.
 */
export function groundTruth(scene: SequenceScene): KeyframeAnnotation[] {
  const { width, height } = scene.geometry;
  const out: KeyframeAnnotation[] = [];
  const planned = new Set<number>();
  for (const t of scene.tracks) for (const f of t.labels.keys()) planned.add(f);
  for (const frame of strideFrames(scene)) {
    const boxes: LabelledBox[] = [];
    for (const fig of figuresAt(scene, frame)) {
      const labels = fig.track.labels.get(frame);
      const vis = visibleFraction(fig.box, width, height);
      if (labels !== undefined) {
        // The planner keeps interactions inside the frame; anything else would break the counts.
        if (vis < 0.97) throw new Error(`synth: ${scene.name} frame ${frame}: a labelled figure is only ${vis.toFixed(2)} in view`);
      } else if (vis < MIN_VISIBLE) {
        continue;
      }
      let pb = toPixelBox(fig.box, width, height);
      if (vis < 1) {
        // Partly out of frame: the box hugs the visible pixels, as an annotator would draw it.
        const cb = coveredBounds(fig.capsules, width, height);
        if (!cb) continue;
        pb = { x: cb[0], y: cb[1], w: cb[2] - cb[0], h: cb[3] - cb[1] };
      }
      if (pb.w < 3 || pb.h < 6) continue;
      boxes.push({ ...pb, labels: labels ?? [], person: fig.track.id });
    }
    if (boxes.length > 0) out.push({ frame, boxes });
    planned.delete(frame);
  }
  if (planned.size > 0) throw new Error(`synth: ${scene.name}: labelled keyframes outside the sequence: ${[...planned].join(', ')}`);
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The simulated person detector. In the reference workflow the annotators label the detector's own
 * boxes, so most proposals coincide with the ground truth (IoU >= 0.9, where the 0.9 assigner makes
 * them positives); localisation error has a long tail, larger where people overlap or are cut by the
 * frame edge, as a real detector's has. Tuned so that about 90 % of the proposals on a person reach
 * IoU 0.9 (at scale 1: 86 % of all proposals; the histogram is in the dataset's README.txt).
 */
const DETECTOR = {
  /** Reported detections score at least this (the detector's threshold): weaker ones are dropped. */
  scoreThreshold: 0.3,
  /** Chance that a person in clear view is not detected at all. */
  missRate: 0.015,
  /** The same for a person overlapped by another or cut by the frame edge. */
  hardMissRate: 0.05,
  /** A person counts as overlapped when another box covers this share of their box. */
  overlapCover: 0.3,
  /**
   * Each edge moves by N(0, sigma) times the box side, sigma drawn per detection as
   * median * exp(spread * N(0, 1)): log-normal, so most boxes are tight and a few are far off.
   */
  sigmaMedian: 0.008,
  sigmaSpread: 0.8,
  /** Sigma multiplier for overlapped or cut people. */
  hardSigma: 2,
  /** Score of a perfect box, how fast it falls with 1 - IoU, its noise, and the penalty for hard cases. */
  scoreTop: 0.995,
  scorePerIouLoss: 1,
  scoreNoise: 0.04,
  hardScorePenalty: 0.08,
  /** Chance of (another) false positive on a keyframe, and its score range. */
  falsePositiveRate: 0.12,
  falsePositiveScore: [0.3, 0.6] as const,
};

/** The largest share of `b` covered by another box of the keyframe. */
function coveredByOthers(b: PixelBox, others: readonly PixelBox[]): number {
  let most = 0;
  for (const o of others) {
    if (o === b) continue;
    const iw = Math.min(b.x + b.w, o.x + o.w) - Math.max(b.x, o.x);
    const ih = Math.min(b.y + b.h, o.y + o.h) - Math.max(b.y, o.y);
    if (iw > 0 && ih > 0) most = Math.max(most, (iw * ih) / (b.w * b.h));
  }
  return most;
}

/** [x1, y1, x2, y2] of a pixel box. */
export function corners(b: PixelBox): Box4 {
  return [b.x, b.y, b.x + b.w, b.y + b.h];
}

/**
 * What the simulated person detector reports at each keyframe (see DETECTOR): most people found with
 * tight boxes and high scores, a tail of looser boxes with lower scores, an occasional miss (more
 * often for overlapped or cut people), and a few false positives with low scores.
 */
export function proposals(scene: SequenceScene, gt: readonly KeyframeAnnotation[]): Map<number, ProposalBox[]> {
  const { width, height } = scene.geometry;
  const d = DETECTOR;
  const rng = new Rng(scene.seed, 'proposals', scene.name);
  const out = new Map<number, ProposalBox[]>();
  const round1 = (v: number): number => Math.round(v * 10) / 10;
  const round3 = (v: number): number => Math.round(v * 1000) / 1000;
  for (const kf of gt) {
    const list: ProposalBox[] = [];
    for (const b of kf.boxes) {
      const cut = b.x === 0 || b.y === 0 || b.x + b.w === width || b.y + b.h === height;
      const hard = cut || coveredByOthers(b, kf.boxes) >= d.overlapCover;
      if (rng.chance(hard ? d.hardMissRate : d.missRate)) continue;
      const sigma = d.sigmaMedian * Math.exp(d.sigmaSpread * rng.normal()) * (hard ? d.hardSigma : 1);
      const x0 = round1(clamp(b.x + rng.normal() * sigma * b.w, 0, width - 1));
      const y0 = round1(clamp(b.y + rng.normal() * sigma * b.h, 0, height - 1));
      const x1 = round1(clamp(b.x + b.w + rng.normal() * sigma * b.w, x0 + 1, width));
      const y1 = round1(clamp(b.y + b.h + rng.normal() * sigma * b.h, y0 + 1, height));
      const iou = boxIou(corners(b), [x0, y0, x1, y1]);
      const score = d.scoreTop - d.scorePerIouLoss * (1 - iou) - d.scoreNoise * Math.abs(rng.normal()) - (hard ? d.hardScorePenalty : 0);
      if (score < d.scoreThreshold) continue; // too unsure to report: a miss
      list.push({ x: x0, y: y0, w: round1(x1 - x0), h: round1(y1 - y0), score: round3(score) });
    }
    while (rng.chance(d.falsePositiveRate)) {
      const h = rng.uniform(0.15, 0.5) * height;
      const w = h * rng.uniform(0.3, 0.6);
      const x0 = rng.uniform(0, Math.max(1, width - w));
      const y0 = rng.uniform(0, Math.max(1, height - h));
      const score = rng.uniform(d.falsePositiveScore[0], d.falsePositiveScore[1]);
      list.push({ x: round1(x0), y: round1(y0), w: round1(Math.min(w, width - x0)), h: round1(Math.min(h, height - y0)), score: round3(score) });
    }
    out.set(kf.frame, list);
  }
  return out;
}
