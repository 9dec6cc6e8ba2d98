/** Target assignment as mmaction2's AVA recipe: IoU >= 0.9 inherits labels, GT boxes added, 32 per clip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { assignClip, assignTargets, boxIou, lossInputs, type Box } from '../../src/models/index.js';

/** A small seeded generator (Park-Miller) so that sampling is repeatable. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const NC = 5; // classes 0 (None) .. 4
const hot = (...ids: number[]) => Array.from({ length: NC }, (_, c) => (ids.includes(c) && c > 0 ? 1 : 0));

test('IoU exactly 0.9 is a positive that inherits the labels; 0.89 is a negative', () => {
  const gt: Box = [0, 0, 10, 10];
  const at: Box = [0, 0, 10, 9];
  const below: Box = [0, 0, 10, 8.9];
  assert.equal(boxIou(gt, at), 0.9);
  assert.ok(Math.abs(boxIou(gt, below) - 0.89) < 1e-12);
  const r = assignClip({ gtBoxes: [gt], gtLabels: [[2]], proposals: [at, below] }, { numClasses: NC });
  assert.deepEqual(r.boxes, [gt, at, below]); // ground truth first, then positives, then negatives
  assert.deepEqual(r.labels, [hot(2), hot(2), hot()]);
  assert.deepEqual(r.gtIndex, [1, 1, 0]);
});

test('a proposal inherits every label of the ground-truth box it overlaps most', () => {
  const a: Box = [0, 0, 100, 100];
  const b: Box = [200, 0, 300, 100];
  const nearB: Box = [200, 0, 300, 95];
  const r = assignClip({ gtBoxes: [a, b], gtLabels: [[1], [2, 4]], proposals: [nearB] }, { numClasses: NC });
  assert.deepEqual(r.labels, [hot(1), hot(2, 4), hot(2, 4)]);
  assert.deepEqual(r.gtIndex, [1, 2, 2]);
});

test("mmdet's low-quality matching: a box's best proposal (IoU >= 0.9) goes to that box", () => {
  const a: Box = [0, 0, 100, 100];
  const b: Box = [0, 0, 100, 95];
  const p: Box = [0, 0, 100, 98]; // IoU 0.98 with a, 0.969 with b: b's best proposal
  const r = assignClip({ gtBoxes: [a, b], gtLabels: [[1], [3]], proposals: [p] }, { numClasses: NC });
  assert.deepEqual(r.gtIndex, [1, 2, 2]);
  assert.deepEqual(r.labels[2], hot(3));
});

test('at most 32 boxes per clip: random positives beyond 32; negatives fill what positives leave', () => {
  const gt: Box = [0, 0, 100, 100];
  const near: Box[] = Array.from({ length: 50 }, (_, i) => [0, 0, 100, 99.9 - i * 0.1] as Box); // IoU 0.95..0.999
  const far: Box[] = Array.from({ length: 100 }, (_, i) => [200 + i, 0, 300 + i, 100] as Box);
  const many = assignClip({ gtBoxes: [gt], gtLabels: [[1]], proposals: [...near, ...far] }, { numClasses: NC, random: seeded(7) });
  assert.equal(many.boxes.length, 32);
  assert.ok(many.gtIndex.every((g) => g === 1), 'all 32 are positives');
  assert.equal(new Set(many.boxes.map((b) => b.join())).size, 32, 'no box twice');
  const again = assignClip({ gtBoxes: [gt], gtLabels: [[1]], proposals: [...near, ...far] }, { numClasses: NC, random: seeded(7) });
  assert.deepEqual(again, many, 'the same seed gives the same sample');

  const few = assignClip({ gtBoxes: [gt], gtLabels: [[1]], proposals: [near[0]!, ...far] }, { numClasses: NC, random: seeded(3) });
  assert.equal(few.boxes.length, 32);
  assert.deepEqual(few.gtIndex.slice(0, 2), [1, 1]);
  assert.equal(few.gtIndex.filter((g) => g === 0).length, 30);
  assert.ok(few.boxes.slice(2).every((b) => b[0] >= 200));

  const small = assignClip({ gtBoxes: [gt], gtLabels: [[1]], proposals: far.slice(0, 3) }, { numClasses: NC });
  assert.equal(small.boxes.length, 4, 'fewer than 32 boxes: all kept');
});

test('no ground truth: every proposal is a negative; no proposals: the ground truth alone', () => {
  const far: Box[] = [[0, 0, 10, 10], [20, 20, 30, 30]];
  const none = assignClip({ gtBoxes: [], gtLabels: [], proposals: far }, { numClasses: NC });
  assert.deepEqual(none.gtIndex, [0, 0]);
  assert.deepEqual(none.labels, [hot(), hot()]);
  const gtOnly = assignClip({ gtBoxes: far, gtLabels: [[1], [1, 2]], proposals: [] }, { numClasses: NC });
  assert.deepEqual(gtOnly.labels, [hot(1), hot(1, 2)]);
});

test('class 0 (None) is never a target; bad class ids and label counts are refused', () => {
  const r = assignClip({ gtBoxes: [[0, 0, 10, 10]], gtLabels: [[0]], proposals: [] }, { numClasses: NC });
  assert.deepEqual(r.labels, [hot()]);
  assert.throws(() => assignClip({ gtBoxes: [[0, 0, 10, 10]], gtLabels: [[5]], proposals: [] }, { numClasses: NC }), /class id 5 is not in \[0, 5\)/);
  assert.throws(() => assignClip({ gtBoxes: [[0, 0, 10, 10]], gtLabels: [], proposals: [] }, { numClasses: NC }), /1 ground-truth boxes but 0 label lists/);
});

test('assignTargets: rois with batch indices, targets without class 0, loss mask per negatives option', () => {
  torch.tidy(() => {
    const batch = [
      { gtBoxes: [[0, 0, 10, 10]] as Box[], gtLabels: [[1, 3]], proposals: [[50, 50, 60, 60]] as Box[] },
      { gtBoxes: [[5, 5, 15, 15]] as Box[], gtLabels: [[0]], proposals: [[5, 5, 15, 14]] as Box[] },
    ];
    const ign = assignTargets(batch, { numClasses: NC, negatives: 'ignore' });
    assert.deepEqual(ign.rois.shape, [4, 5]);
    assert.deepEqual(ign.rois.tolist(), [
      [0, 0, 0, 10, 10],
      [0, 50, 50, 60, 60],
      [1, 5, 5, 15, 15],
      [1, 5, 5, 15, 14],
    ]);
    assert.deepEqual(ign.targets.tolist(), [[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    assert.equal(ign.lossMask.dtype, 'bool');
    assert.deepEqual(ign.lossMask.toArray(), [1, 0, 0, 0]);
    assert.equal(ign.numPositive, 1);
    const inc = assignTargets(batch, { numClasses: NC, negatives: 'include' });
    assert.deepEqual(inc.lossMask.toArray(), [1, 1, 1, 1]);

    const logits = torch.arange(0, 20, 1, { dtype: 'float32' }).reshape(4, 5);
    const li = lossInputs(logits, ign);
    assert.deepEqual(li.logits.tolist(), [[1, 2, 3, 4]]);
    assert.deepEqual(li.targets.tolist(), [[1, 0, 1, 0]]);
    assert.deepEqual(lossInputs(logits, inc).logits.shape, [4, 4]);
  });
});
