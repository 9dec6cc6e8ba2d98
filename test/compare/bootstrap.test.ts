/** The keyframe half-sample + seed resampling: zero differences for identical detections, detected shifts, seeding. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrap, excludesZero, normalQuantile, percentile, standardDeviation } from '../../src/compare/bootstrap.js';
import { boxTableFromRows, evaluateFrameMAP, matchDetections, type DetectionBox, type GroundTruthBox } from '../../src/eval/index.js';
import { makeLabelMap } from '../../src/data/labelmap.js';
import { Rng } from '../../src/data/rng.js';

const labelMap = makeLabelMap([
  [1, 'a'],
  [2, 'b'],
  [3, 'c'],
]);

/** Two videos of 30 keyframes, two people each doing one of three classes. */
function groundTruth(): GroundTruthBox[] {
  const rng = new Rng(7, 'gt');
  const rows: GroundTruthBox[] = [];
  for (const v of ['v1', 'v2']) {
    for (let t = 0; t < 30; t++) {
      rows.push({ videoId: v, timestamp: t, x1: 0, y1: 0, x2: 0.4, y2: 0.4, actionId: rng.int(1, 3), personId: 0 });
      rows.push({ videoId: v, timestamp: t, x1: 0.5, y1: 0.5, x2: 0.9, y2: 0.9, actionId: rng.int(1, 3), personId: 1 });
    }
  }
  return rows;
}

/** Every class of every person's box, scored by `score(isTrue, rng)`. */
function detections(gt: readonly GroundTruthBox[], seed: number, score: (isTrue: boolean, rng: Rng) => number): DetectionBox[] {
  const rng = new Rng(seed, 'det');
  return gt.flatMap((g) => [1, 2, 3].map((c) => ({ videoId: g.videoId, timestamp: g.timestamp, x1: g.x1, y1: g.y1, x2: g.x2, y2: g.y2, actionId: c, score: score(c === g.actionId, rng) })));
}

const noisy = (isTrue: boolean, rng: Rng): number => rng.next() + (isTrue ? 0.3 : 0);

test('identical detections: every paired difference is 0 with the degenerate interval [0, 0], not beyond the noise', () => {
  const gtRows = groundTruth();
  const gt = boxTableFromRows(gtRows);
  const runs = [0, 1, 2].map((s) => matchDetections(gt, boxTableFromRows(detections(gtRows, s, noisy)), labelMap));
  const r = bootstrap(
    [
      { runs, paired: true },
      { runs, paired: true },
    ],
    { resamples: 200, seed: 0 },
  );
  const d = r.differences[1]!;
  for (const i of [d.allMAP, d.pooledMAP, ...d.classAP]) {
    assert.deepEqual(i, { lo: 0, hi: 0 });
    assert.equal(excludesZero(i), false);
  }
  assert.equal(r.differences[0], null);
  assert.deepEqual(r.videos, ['v1', 'v2']);
  // the groups' own intervals are proper and hold the mean over seeds of the full-data figure
  const full = runs.map((_, s) => evaluateFrameMAP(gt, boxTableFromRows(detections(gtRows, s, noisy)), labelMap));
  const meanAll = full.reduce((a, f) => a + f.allMAP!, 0) / full.length;
  const g = r.groups[0]!;
  assert.ok(g.allMAP.lo < meanAll && meanAll < g.allMAP.hi, `${meanAll} in ${JSON.stringify(g.allMAP)}`);
  assert.ok(g.allMAP.hi - g.allMAP.lo > 0.01);
});

test('a monotone shift of every score changes no AP: zero difference', () => {
  const gtRows = groundTruth();
  const gt = boxTableFromRows(gtRows);
  const base = [0, 1].map((s) => matchDetections(gt, boxTableFromRows(detections(gtRows, s, noisy)), labelMap));
  const shifted = [0, 1].map((s) => matchDetections(gt, boxTableFromRows(detections(gtRows, s, noisy).map((d) => ({ ...d, score: 0.5 * d.score + 0.25 }))), labelMap));
  const d = bootstrap([{ runs: base, paired: true }, { runs: shifted, paired: true }], { resamples: 100, seed: 1 }).differences[1]!;
  assert.deepEqual(d.allMAP, { lo: 0, hi: 0 });
});

test('a better recipe (true classes scored higher) is detected: the interval of the difference excludes 0', () => {
  const gtRows = groundTruth();
  const gt = boxTableFromRows(gtRows);
  const weak = [0, 1, 2].map((s) => matchDetections(gt, boxTableFromRows(detections(gtRows, s, noisy)), labelMap));
  const strong = [0, 1, 2].map((s) => matchDetections(gt, boxTableFromRows(detections(gtRows, s + 10, (t, rng) => rng.next() + (t ? 1 : 0))), labelMap));
  const r = bootstrap([{ runs: weak, paired: true }, { runs: strong, paired: true }], { resamples: 300, seed: 2 });
  const d = r.differences[1]!;
  assert.ok(d.allMAP.lo > 0, JSON.stringify(d.allMAP));
  assert.ok(excludesZero(d.pooledMAP));
  for (const c of d.classAP) assert.ok(excludesZero(c), JSON.stringify(c));
  // and the same seed gives the same intervals
  assert.deepEqual(bootstrap([{ runs: weak, paired: true }, { runs: strong, paired: true }], { resamples: 300, seed: 2 }), r);
});

test('percentile interpolates linearly and skips NaN (resamples where a figure is undefined)', () => {
  assert.equal(percentile([1, 2, 3, 4, Number.NaN], 50), 2.5);
  assert.equal(percentile([5], 2.5), 5);
  assert.ok(Number.isNaN(percentile([Number.NaN], 50)));
  assert.equal(excludesZero({ lo: -0.1, hi: 0.2 }), false);
  assert.equal(excludesZero({ lo: 0.01, hi: 0.2 }), true);
});

test('bootstrap refuses a paired group with another number of seeds', () => {
  const gtRows = groundTruth();
  const gt = boxTableFromRows(gtRows);
  const one = [matchDetections(gt, boxTableFromRows(detections(gtRows, 0, noisy)), labelMap)];
  assert.throws(() => bootstrap([{ runs: [...one, ...one], paired: true }, { runs: one, paired: true }], { resamples: 10, seed: 0 }), /as many runs/);
});

test('every interval is centred on the estimate from all keyframes and seeds, also for tied scores (no upward bias from copied frames)', () => {
  const gtRows = groundTruth();
  const gt = boxTableFromRows(gtRows);
  // an oracle-like run: every class of person 0's boxes scores 1, of person 1's 0: large tied blocks that
  // mix true and false positives, where AP depends on the evaluator's order of ties (numpy's unstable sort)
  const tied = gtRows.flatMap((g) => [1, 2, 3].map((c) => ({ videoId: g.videoId, timestamp: g.timestamp, x1: g.x1, y1: g.y1, x2: g.x2, y2: g.y2, actionId: c, score: g.personId === 0 ? 1 : 0 })));
  const dets = [tied, detections(gtRows, 1, noisy)];
  const runs = dets.map((d) => matchDetections(gt, boxTableFromRows(d), labelMap));
  const r = bootstrap([{ runs: [runs[0]!], paired: true }, { runs: [runs[1]!], paired: true }], { resamples: 300, seed: 3 });
  for (const [g, d] of [0, 1].map((i) => [r.groups[i]!, dets[i]!] as const)) {
    const full = evaluateFrameMAP(gt, boxTableFromRows(d), labelMap);
    assert.ok(Math.abs((g.allMAP.lo + g.allMAP.hi) / 2 - full.allMAP!) < 1e-12, `${full.allMAP} centre of ${JSON.stringify(g.allMAP)}`);
    assert.ok(g.allMAP.lo <= full.allMAP! && full.allMAP! <= g.allMAP.hi);
  }
});

test('normalQuantile matches the standard normal table; standardDeviation skips NaN', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.995) - 2.5758293035489) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306167813) < 1e-8);
  assert.throws(() => normalQuantile(1), RangeError);
  assert.equal(standardDeviation([1, 2, 3, Number.NaN]), 1);
  assert.ok(Number.isNaN(standardDeviation([5])));
});
