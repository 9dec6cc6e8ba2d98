/**
 * Two model-free references computed from the test split alone, to put a recipe's figures in context:
 *
 *  - random: every class of every box scored with a seeded uniform number in [0, 1) — what a model
 *    that learned nothing reaches with these boxes (chance, given the boxes' localisation);
 *  - oracle "who acts, not what": score 1 on every class for a box that is a person doing some action
 *    (its best-IoU ground-truth person on the keyframe overlaps it at IoU >= 0.5 and has at least one
 *    non-None label), 0 on every class otherwise (people labelled None only, false-positive boxes).
 *    A model that has learned who acts and nothing about what reaches about this.
 *
 * The boxes are those a recipe's test classifies: the person detector's proposals of every keyframe (or
 * the ground-truth boxes), normalised by the frame size exactly as `evaluateDetector` reports them. Ties
 * (the oracle's scores are all 0 or 1) are ordered by the evaluator as the official one orders them.
 */
import { keyframesOf, type Dataset } from '../data/dataset.js';
import { videosOfSplit } from '../data/samples.js';
import { boxIou, type Box } from '../data/box-iou.js';
import { Rng } from '../data/rng.js';
import type { DetectionBox } from '../eval/index.js';
import { UserError } from '../util/errors.js';

/** A box to score, in normalised coordinates, at an AVA timestamp. */
export interface ScoredBox {
  videoId: string;
  timestamp: number;
  box: Box;
}

/** A ground-truth person: normalised box, and whether any of its labels is an action (not None). */
export interface Person {
  videoId: string;
  timestamp: number;
  box: Box;
  acts: boolean;
}

/** IoU a box needs with an acting person for the oracle to say "acts" (the evaluator's match threshold). */
export const ORACLE_IOU = 0.5;

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/** The boxes a test classifies and the labelled people of a split, normalised as the evaluation rows are. */
export function referenceInputs(ds: Dataset, split: string, which: 'proposals' | 'gt'): { boxes: ScoredBox[]; persons: Person[] } {
  const boxes: ScoredBox[] = [];
  const persons: Person[] = [];
  for (const v of videosOfSplit(ds, split)) {
    const size = v.frameSize;
    if (!size) throw new UserError(`${v.annotations}: frame size of video '${v.name}' unknown; give "width" and "height" in dataset.json`);
    const norm = (b: readonly number[]): Box => [clip01(b[0]! / size.width), clip01(b[1]! / size.height), clip01(b[2]! / size.width), clip01(b[3]! / size.height)];
    for (const k of keyframesOf(v)) {
      for (const g of k.gt) persons.push({ videoId: v.name, timestamp: k.avaTimestamp, box: norm(g.box), acts: g.labels.some((l) => l > 0) });
      for (const p of which === 'gt' ? k.gt : k.proposals) boxes.push({ videoId: v.name, timestamp: k.avaTimestamp, box: norm(p.box) });
    }
  }
  return { boxes, persons };
}

function rowsOf(b: ScoredBox, classIds: readonly number[], score: (classId: number) => number): DetectionBox[] {
  const [x1, y1, x2, y2] = b.box;
  return classIds.map((actionId) => ({ videoId: b.videoId, timestamp: b.timestamp, x1, y1, x2, y2, actionId, score: score(actionId) }));
}

/** Seeded uniform scores for every class of every box (a box's scores depend on the seed and its position in the list). */
export function randomDetections(boxes: readonly ScoredBox[], classIds: readonly number[], seed: number): DetectionBox[] {
  const rng = new Rng(seed, 'random-reference');
  return boxes.flatMap((b) => rowsOf(b, classIds, () => rng.next()));
}

/** 1 on every class for a box on an acting person, else 0 (see the module comment). */
export function oracleDetections(boxes: readonly ScoredBox[], persons: readonly Person[], classIds: readonly number[]): DetectionBox[] {
  const byFrame = new Map<string, Person[]>();
  for (const p of persons) {
    const key = `${p.videoId}\u0000${Math.trunc(p.timestamp)}`;
    const list = byFrame.get(key);
    if (list) list.push(p);
    else byFrame.set(key, [p]);
  }
  return boxes.flatMap((b) => {
    let best: Person | null = null;
    let bestIou = -1;
    for (const p of byFrame.get(`${b.videoId}\u0000${Math.trunc(b.timestamp)}`) ?? []) {
      const iou = boxIou(b.box, p.box);
      if (iou > bestIou) {
        best = p;
        bestIou = iou;
      }
    }
    const acts = best !== null && bestIou >= ORACLE_IOU && best.acts;
    return rowsOf(b, classIds, () => (acts ? 1 : 0));
  });
}
