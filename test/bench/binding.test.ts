// The pure parts of bench/binding: the FLOP count of the conv3d step, the statistics, and the ABBA
// order that interleaves stad and PyTorch. (The measurements themselves are the benchmark's job.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv3dStepFlops, median, range, sideOrder } from '../../bench/binding/cases.js';

test('conv3d step FLOPs: forward 2*out*Cin*k^3, backward twice that', () => {
  // 1x1x1x1x1 input, 1x1x1x1x1 kernel: one multiply-add forward = 2 FLOPs, times 3 with backward.
  assert.equal(conv3dStepFlops([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), 6);
  // The benchmark's case: 2*64*8*56*56 outputs, 64*27 multiply-adds each.
  const forward = 2 * (2 * 64 * 8 * 56 * 56) * (64 * 27);
  assert.equal(conv3dStepFlops(), 3 * forward);
  assert.ok(Math.abs(conv3dStepFlops() / 1e9 - 33.29) < 0.01);
});

test('median of odd and even counts, without reordering the input', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
  assert.deepEqual(range([3, -1, 7]), [-1, 7]);
});

test('sideOrder alternates ABBA so that each side goes first equally often', () => {
  const orders = [0, 1, 2, 3].map((r) => sideOrder(r).join(','));
  assert.deepEqual(orders, ['stad,torch', 'torch,stad', 'torch,stad', 'stad,torch']);
  assert.deepEqual(sideOrder(4), sideOrder(0));
});
