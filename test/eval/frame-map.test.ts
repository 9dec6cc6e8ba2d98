/**
 * Hand-worked cases for the frame mAP rules, on in-memory rows (the library API). Each expected value
 * is worked out in the comment beside it from the official evaluator's rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLabelMap } from '../../src/data/labelmap.js';
import { boxTableFromRows, evaluateFrameMAP, type DetectionBox, type FrameMapOptions, type GroundTruthBox } from '../../src/eval/index.js';

const labels = makeLabelMap([
  [1, 'handshake'],
  [2, 'hug'],
  [3, 'kick'],
]);

type Box = [number, number, number, number];
const FULL: Box = [0, 0, 1, 1];
const LEFT: Box = [0, 0, 0.4, 0.4];
const RIGHT: Box = [0.6, 0.6, 1, 1];

function g(videoId: string, timestamp: number, box: Box, actionId: number, personId = 0): GroundTruthBox {
  return { videoId, timestamp, x1: box[0], y1: box[1], x2: box[2], y2: box[3], actionId, personId };
}
function d(videoId: string, timestamp: number, box: Box, actionId: number, score: number): DetectionBox {
  return { videoId, timestamp, x1: box[0], y1: box[1], x2: box[2], y2: box[3], actionId, score };
}
function run(gt: GroundTruthBox[], det: DetectionBox[], opts: FrameMapOptions = {}) {
  return evaluateFrameMAP(boxTableFromRows(gt), boxTableFromRows(det), labels, opts);
}
function ap(report: ReturnType<typeof run>, name: string): number | null {
  return report.pooled.classes.find((c) => c.name === name)!.ap;
}

test('perfect predictions score 1 for every class with ground truth', () => {
  const gt = [g('v', 1, LEFT, 1), g('v', 1, RIGHT, 2), g('v', 2, FULL, 3)];
  const r = run(gt, gt.map((x) => d(x.videoId, x.timestamp, [x.x1, x.y1, x.x2, x.y2], x.actionId, 0.9)));
  assert.equal(r.pooled.mAP, 1);
  assert.deepEqual(r.pooled.classes.map((c) => c.ap), [1, 1, 1]);
  assert.equal(r.pooled.keyframes, 2);
});

test('empty predictions: classes with ground truth score 0, the mean is 0', () => {
  const r = run([g('v', 1, LEFT, 1), g('v', 1, RIGHT, 2)], []);
  assert.deepEqual(r.pooled.classes.map((c) => c.ap), [0, 0, null]);
  assert.equal(r.pooled.mAP, 0);
});

test('a class without ground truth is null and left out of the mean; one with ground truth and no detections is 0', () => {
  // handshake: 1 TP -> 1; hug: no detections -> 0; kick: detections but no ground truth -> null
  const r = run([g('v', 1, LEFT, 1), g('v', 1, RIGHT, 2)], [d('v', 1, LEFT, 1, 0.9), d('v', 1, RIGHT, 3, 0.8)]);
  assert.equal(ap(r, 'handshake'), 1);
  assert.equal(ap(r, 'hug'), 0);
  assert.equal(ap(r, 'kick'), null);
  assert.equal(r.pooled.mAP, 0.5);
});

test('no ground truth at all: every AP and the mAP are null', () => {
  const r = run([], [d('v', 1, LEFT, 1, 0.9)]);
  assert.equal(r.pooled.mAP, null);
  assert.equal(r.allMAP, null);
});

test('duplicates of one box: the second match of a matched box is a false positive', () => {
  // ranked: TP (0.9), FP (0.8): precision [1, .5], recall [1, 1] -> AP 1
  assert.equal(ap(run([g('v', 1, LEFT, 1)], [d('v', 1, LEFT, 1, 0.9), d('v', 1, LEFT, 1, 0.8)]), 'handshake'), 1);
  // two identical ground-truth boxes: both detections pick the first (highest IoU, first of equals),
  // so the second is a FP although the other box is free (the official rule): recall .5 -> AP .5
  assert.equal(ap(run([g('v', 1, LEFT, 1), g('v', 1, LEFT, 1, 1)], [d('v', 1, LEFT, 1, 0.9), d('v', 1, LEFT, 1, 0.8)]), 'handshake'), 0.5);
  // one detection, two identical ground-truth boxes: recall 1/2 at precision 1 -> AP 0.5
  assert.equal(ap(run([g('v', 1, LEFT, 1), g('v', 1, LEFT, 1, 1)], [d('v', 1, LEFT, 1, 0.9)]), 'handshake'), 0.5);
});

test('IoU just above, exactly at and just below 0.5', () => {
  // ground truth area 1; a detection [0,0,w,1] inside it has IoU w
  const one = (w: number) => ap(run([g('v', 1, FULL, 1)], [d('v', 1, [0, 0, w, 1], 1, 0.9)]), 'handshake');
  assert.equal(one(0.51), 1);
  assert.equal(one(0.5), 1, 'IoU >= 0.5 is a match');
  assert.equal(one(0.49), 0);
  // the areas have no +1: [0,0,0.5,0.5] vs [0,0,0.5,1] is 0.25 / 0.5 = 0.5 exactly
  assert.equal(ap(run([g('v', 1, [0, 0, 0.5, 1], 1)], [d('v', 1, [0, 0, 0.5, 0.5], 1, 0.9)]), 'handshake'), 1);
  assert.equal(run([g('v', 1, FULL, 1)], [d('v', 1, [0, 0, 0.5, 1], 1, 0.9)], { iouThreshold: 0.75 }).pooled.mAP, 0);
});

test('a detection is compared only with the ground-truth box of highest IoU', () => {
  // GT A = [0,0,.5,1] (matched first by a 0.9 detection), GT B = [.5,0,1,1].
  // Detection [0,0,.7,1]: IoU with A = .5/.7 = .714, with B = .2/1 = .2 -> A, already matched -> FP,
  // even though B is free. Ranked TP, FP: recall [.5,.5] precision [1,.5] -> AP .5
  const gt = [g('v', 1, [0, 0, 0.5, 1], 1), g('v', 1, [0.5, 0, 1, 1], 1, 1)];
  const r = run(gt, [d('v', 1, [0, 0, 0.5, 1], 1, 0.9), d('v', 1, [0, 0, 0.7, 1], 1, 0.8)]);
  assert.equal(ap(r, 'handshake'), 0.5);
});

test('multi-label boxes: one box with two actions is one ground truth per action', () => {
  const gt = [g('v', 1, LEFT, 1), g('v', 1, LEFT, 2)];
  const r = run(gt, [d('v', 1, LEFT, 1, 0.6), d('v', 1, LEFT, 2, 0.7)]);
  assert.equal(ap(r, 'handshake'), 1);
  assert.equal(ap(r, 'hug'), 1);
  // a detection of the wrong class does not match
  assert.equal(ap(run(gt, [d('v', 1, LEFT, 3, 0.7), d('v', 1, LEFT, 1, 0.6)]), 'hug'), 0);
});

test('excluded timestamps drop ground truth and detections of those frames', () => {
  const gt = [g('v', 1, LEFT, 1), g('v', 2, LEFT, 1)];
  const det = [d('v', 1, LEFT, 1, 0.9), d('v', 2, RIGHT, 1, 0.95)];
  // without exclusion: FP (0.95) then TP (0.9) over 2 GT: precision [0, .5], recall [0, .5] -> AP .25
  assert.equal(ap(run(gt, det), 'handshake'), 0.25);
  const r = run(gt, det, { excluded: [{ videoId: 'v', timestamp: 2 }] });
  assert.equal(ap(r, 'handshake'), 1);
  assert.equal(r.pooled.keyframes, 1);
});

test('detections on frames absent from the ground truth are false positives', () => {
  // FP at 0.95 (frame 7 has no GT), TP at 0.9: precision [0, .5], recall [0, 1] -> AP .5
  const r = run([g('v', 1, LEFT, 1)], [d('v', 7, LEFT, 1, 0.95), d('v', 1, LEFT, 1, 0.9)]);
  assert.equal(ap(r, 'handshake'), 0.5);
  // ... also on videos absent from the ground truth (pooled only; no per-video block for them)
  const r2 = run([g('v', 1, LEFT, 1)], [d('other', 1, LEFT, 1, 0.95), d('v', 1, LEFT, 1, 0.9)]);
  assert.equal(ap(r2, 'handshake'), 0.5);
  assert.deepEqual(r2.videos.map((v) => v.videoId), ['v']);
  assert.equal(r2.videos[0]!.mAP, 1);
});

test('at most 50 detections per frame, the highest scores across classes; --max-per-frame 0 lifts it', () => {
  const gt = [g('v', 1, LEFT, 1)];
  const noise = Array.from({ length: 50 }, (_, i) => d('v', 1, RIGHT, 1 + (i % 3), 0.9));
  // the true positive scores below 50 others: cut -> AP 0
  assert.equal(ap(run(gt, [...noise, d('v', 1, LEFT, 1, 0.5)]), 'handshake'), 0);
  // uncapped: 17 handshake FPs at 0.9 then the TP: precision 1/18 at recall 1 -> AP 1/18
  assert.equal(ap(run(gt, [...noise, d('v', 1, LEFT, 1, 0.5)], { maxPerFrame: 0 }), 'handshake'), 1 / 18);
  // a higher score replaces the lowest: kept -> AP 1
  assert.equal(ap(run(gt, [...noise, d('v', 1, LEFT, 1, 0.95)]), 'handshake'), 1);
  // a tie with the lowest kept score does not replace it (strictly greater only)
  assert.equal(ap(run(gt, [...noise, d('v', 1, LEFT, 1, 0.9)]), 'handshake'), 0);
  // the cap is per frame: the same detections spread over two frames all count
  const spread = noise.map((x, i) => ({ ...x, timestamp: 1 + (i % 2) }));
  assert.equal(ap(run(gt, [...spread, d('v', 1, LEFT, 1, 0.5)]), 'handshake'), 1 / 18);
});

test('degenerate predicted boxes are dropped, after the per-frame cap', () => {
  const gt = [g('v', 1, LEFT, 1)];
  // zero-width and negative-height boxes at a higher score would be FPs: dropped -> AP 1
  assert.equal(ap(run(gt, [d('v', 1, [0.2, 0.2, 0.2, 0.6], 1, 0.99), d('v', 1, [0.1, 0.5, 0.3, 0.4], 1, 0.98), d('v', 1, LEFT, 1, 0.9)]), 'handshake'), 1);
  // as in the official reader, they still take places among the 50 kept per frame
  const degenerate = Array.from({ length: 50 }, () => d('v', 1, [0.5, 0.5, 0.5, 0.9], 1, 0.99));
  assert.equal(ap(run(gt, [...degenerate, d('v', 1, LEFT, 1, 0.9)]), 'handshake'), 0);
  const r = run(gt, [...degenerate, d('v', 1, LEFT, 1, 0.9)], { maxPerFrame: 0 });
  assert.equal(ap(r, 'handshake'), 1);
  assert.equal(r.pooled.classes[0]!.detections, 1);
});

test('classes not in the label map are dropped before anything else', () => {
  // action 9 is not in the map: its 60 detections neither count nor take places among the 50
  const gt = [g('v', 1, LEFT, 1), g('v', 1, RIGHT, 9)];
  const det = [...Array.from({ length: 60 }, () => d('v', 1, RIGHT, 9, 0.99)), d('v', 1, LEFT, 1, 0.5)];
  const r = run(gt, det);
  assert.equal(ap(r, 'handshake'), 1);
  assert.equal(r.pooled.mAP, 1);
});

test('--score-thr drops detections below it before the cap', () => {
  const gt = [g('v', 1, LEFT, 1)];
  const det = [d('v', 1, RIGHT, 1, 0.2), d('v', 1, LEFT, 1, 0.5), d('v', 1, RIGHT, 1, 0.95)];
  assert.equal(ap(run(gt, det), 'handshake'), 0.5);
  assert.equal(ap(run(gt, det, { scoreThreshold: 0.3 }), 'handshake'), 0.5);
  assert.equal(ap(run(gt, det.slice(0, 2), { scoreThreshold: 0.3 }), 'handshake'), 1);
  assert.equal(ap(run(gt, det, { scoreThreshold: 0.96 }), 'handshake'), 0);
});

test('ties in score are broken as numpy argsort breaks them', () => {
  // one class, 1 GT on each of 2 frames; frame 1: TP at .5; frame 2: FP at .5 then (per-frame order)
  // nothing else. Scores [.5 (TP), .5 (FP)]: np.argsort -> [0, 1], reversed -> FP first:
  // precision [0, .5], recall [0, .5] -> AP .25 (a stable descending sort would give TP first, .5)
  const gt = [g('v', 1, LEFT, 1), g('v', 2, LEFT, 1)];
  const r = run(gt, [d('v', 1, LEFT, 1, 0.5), d('v', 2, RIGHT, 1, 0.5)]);
  assert.equal(ap(r, 'handshake'), 0.25);
});

test('per video: each video evaluated alone; all_mAP is the mean of the per-video mAPs', () => {
  const gt = [g('a', 1, LEFT, 1), g('a', 1, RIGHT, 2), g('b', 5, LEFT, 1)];
  const det = [d('a', 1, LEFT, 1, 0.9), d('a', 1, RIGHT, 2, 0.8), d('b', 5, RIGHT, 1, 0.95), d('b', 5, LEFT, 1, 0.7)];
  const r = run(gt, det);
  assert.deepEqual(r.videos.map((v) => [v.videoId, v.keyframes, v.mAP]), [
    ['a', 1, 1],
    ['b', 1, 0.5],
  ]);
  assert.equal(r.allMAP, 0.75);
  // pooled handshake: .9 TP, .95 FP, .7 TP over 2 GT: FP, TP, TP -> precision [0,.5,.667], recall [0,.5,1]
  // envelope [.667,.667,.667] -> AP 2/3; hug 1 -> mAP 5/6
  assert.ok(Math.abs(ap(r, 'handshake')! - 2 / 3) < 1e-15);
  assert.ok(Math.abs(r.pooled.mAP! - 5 / 6) < 1e-15);
  assert.equal(run(gt, det, { perVideo: false }).videos.length, 0);
});

test('timestamps are integer seconds: 902.7 in memory is frame 902', () => {
  const r = run([g('v', 902, LEFT, 1)], [d('v', 902.7, LEFT, 1, 0.9)]);
  assert.equal(r.pooled.mAP, 1);
});

test('the in-memory API gives what the file API gives on the same rows', async () => {
  const { readAvaBoxCsv, evaluateFiles } = await import('../../src/eval/index.js');
  const { readLabelMap } = await import('../../src/data/labelmap.js');
  const { join } = await import('node:path');
  const { fixtures } = await import('../helpers.js');
  const dir = join(fixtures, 'eval', 'oracle', 'case05');
  const files = { groundTruth: join(dir, 'gt.csv'), detections: join(dir, 'det.csv'), labelMap: join(dir, 'labelmap.pbtxt') };
  const fromFiles = evaluateFiles(files);
  const toRows = (path: string, isDet: boolean): (GroundTruthBox | DetectionBox)[] => {
    const t = readAvaBoxCsv(path, isDet ? 'detections' : 'ground truth');
    return Array.from({ length: t.length }, (_, r) => {
      const base = { videoId: t.videoIds[t.video[r]!]!, timestamp: t.timestamp[r]!, x1: t.x1[r]!, y1: t.y1[r]!, x2: t.x2[r]!, y2: t.y2[r]!, actionId: t.action[r]! };
      return isDet ? { ...base, score: t.score[r]! } : { ...base, personId: t.score[r]! };
    });
  };
  const inMemory = evaluateFrameMAP(boxTableFromRows(toRows(files.groundTruth, false)), boxTableFromRows(toRows(files.detections, true)), readLabelMap(files.labelMap));
  assert.deepEqual(inMemory, fromFiles);
});
