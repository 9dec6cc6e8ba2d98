/**
 * Annotations of a sequence: the ground-truth boxes at keyframes, as an annotator would draw them, and
 * the boxes a person detector would propose.
 */
import type { Box } from './figure.js';
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
 * What a person detector with a 0.3 score threshold would report at each keyframe: most people found
 * with slightly wrong boxes and high scores, an occasional miss, and a few false positives with low
 * scores.
 */
export function proposals(scene: SequenceScene, gt: readonly KeyframeAnnotation[]): Map<number, ProposalBox[]> {
  const { width, height } = scene.geometry;
  const rng = new Rng(scene.seed, 'proposals', scene.name);
  const out = new Map<number, ProposalBox[]>();
  const round1 = (v: number): number => Math.round(v * 10) / 10;
  for (const kf of gt) {
    const list: ProposalBox[] = [];
    for (const b of kf.boxes) {
      if (rng.chance(0.02)) continue; // missed
      const j = 0.05;
      const x0 = clamp(b.x + rng.normal() * j * b.w, 0, width - 1);
      const y0 = clamp(b.y + rng.normal() * j * b.h, 0, height - 1);
      const x1 = clamp(b.x + b.w + rng.normal() * j * b.w, x0 + 1, width);
      const y1 = clamp(b.y + b.h + rng.normal() * j * b.h, y0 + 1, height);
      const score = clamp(0.97 - Math.abs(rng.normal()) * 0.12, 0.31, 0.999);
      list.push({ x: round1(x0), y: round1(y0), w: round1(x1 - x0), h: round1(y1 - y0), score: Math.round(score * 1000) / 1000 });
    }
    while (rng.chance(0.12)) {
      const h = rng.uniform(0.15, 0.5) * height;
      const w = h * rng.uniform(0.3, 0.6);
      const x0 = rng.uniform(0, Math.max(1, width - w));
      const y0 = rng.uniform(0, Math.max(1, height - h));
      const score = rng.uniform(0.3, 0.6);
      list.push({ x: round1(x0), y: round1(y0), w: round1(Math.min(w, width - x0)), h: round1(Math.min(h, height - y0)), score: Math.round(score * 1000) / 1000 });
    }
    out.set(kf.frame, list);
  }
  return out;
}
