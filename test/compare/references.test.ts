/** The model-free references: the who-acts oracle on a hand-made case, the random scores' shape and seeding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleDetections, randomDetections, type Person, type ScoredBox } from '../../src/compare/references.js';
import { boxTableFromRows, evaluateFrameMAP, type GroundTruthBox } from '../../src/eval/index.js';
import { makeLabelMap } from '../../src/data/labelmap.js';

const labelMap = makeLabelMap([
  [1, 'a'],
  [2, 'b'],
]);
// frame 1: P1 does 'a', P2 is labelled None; frame 2: P3 does 'b'
const persons: Person[] = [
  { videoId: 'v', timestamp: 1, box: [0, 0, 0.4, 0.4], acts: true },
  { videoId: 'v', timestamp: 1, box: [0.5, 0.5, 0.9, 0.9], acts: false },
  { videoId: 'v', timestamp: 2, box: [0, 0, 0.4, 0.4], acts: true },
];
const gt: GroundTruthBox[] = [
  { videoId: 'v', timestamp: 1, x1: 0, y1: 0, x2: 0.4, y2: 0.4, actionId: 1, personId: 0 },
  { videoId: 'v', timestamp: 2, x1: 0, y1: 0, x2: 0.4, y2: 0.4, actionId: 2, personId: 0 },
];
// proposals: on P1, on P2, a false positive on nobody, on P3
const boxes: ScoredBox[] = [
  { videoId: 'v', timestamp: 1, box: [0.01, 0.01, 0.41, 0.4] },
  { videoId: 'v', timestamp: 1, box: [0.5, 0.52, 0.9, 0.9] },
  { videoId: 'v', timestamp: 1, box: [0, 0.6, 0.2, 0.95] },
  { videoId: 'v', timestamp: 2, box: [0, 0.02, 0.39, 0.4] },
];

test('oracle: 1 on every class for boxes on acting people, 0 for None-only people and false positives', () => {
  const rows = oracleDetections(boxes, persons, labelMap.ids);
  assert.equal(rows.length, boxes.length * 2);
  assert.deepEqual(
    rows.map((r) => r.score),
    [1, 1, 0, 0, 0, 0, 1, 1],
  );
  assert.deepEqual(rows.map((r) => r.actionId), [1, 2, 1, 2, 1, 2, 1, 2]);
});

test('oracle mAP on the hand-made case: who acts is known, what is not', () => {
  const report = evaluateFrameMAP(boxTableFromRows(gt), boxTableFromRows(oracleDetections(boxes, persons, labelMap.ids)), labelMap);
  // Class a: P1's box (true positive) and P3's box (a false positive for 'a') both score 1; the
  // evaluator ranks equal scores as numpy's argsort does (the later detection first), so the false
  // positive comes first: precision 0 then 1/2 at recall 1 -> AP 0.5. Class b: P3's true positive is
  // that later detection and comes first -> AP 1. mAP = 0.75; a perfect classifier would reach 1.
  assert.equal(report.pooled.classes[0]!.ap, 0.5);
  assert.equal(report.pooled.classes[1]!.ap, 1);
  assert.equal(report.pooled.mAP, 0.75);
});

test('oracle: a box overlapping an acting person below IoU 0.5 is not "acting"', () => {
  const off: ScoredBox[] = [{ videoId: 'v', timestamp: 1, box: [0.2, 0.2, 0.6, 0.6] }];
  assert.deepEqual(oracleDetections(off, persons, labelMap.ids).map((r) => r.score), [0, 0]);
});

test('random: one row per class per box, scores in [0, 1), the same for a seed, different across seeds', () => {
  const a = randomDetections(boxes, labelMap.ids, 0);
  assert.equal(a.length, 8);
  assert.ok(a.every((r) => r.score >= 0 && r.score < 1));
  assert.deepEqual(randomDetections(boxes, labelMap.ids, 0), a);
  assert.notDeepEqual(randomDetections(boxes, labelMap.ids, 1).map((r) => r.score), a.map((r) => r.score));
});
