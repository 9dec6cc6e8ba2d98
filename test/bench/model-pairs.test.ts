// The pure parts of bench/model: quantiles, the spread of per-round ratios, and how rounds pair up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedRatios, quantile, spread, type StepTime } from '../../bench/model/pairs.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('quantile interpolates linearly between order statistics (numpy default), without reordering', () => {
  const xs = [4, 1, 3, 2];
  close(quantile(xs, 0), 1);
  close(quantile(xs, 1), 4);
  close(quantile(xs, 0.5), 2.5);
  close(quantile(xs, 0.25), 1.75);
  close(quantile(xs, 0.75), 3.25);
  assert.deepEqual(xs, [4, 1, 3, 2]);
  close(quantile([7], 0.25), 7);
  assert.throws(() => quantile([], 0.5), RangeError);
  assert.throws(() => quantile([1], 1.5), RangeError);
});

test('spread: median, quartiles and extremes', () => {
  const s = spread([5, 1, 3, 2, 4]);
  assert.deepEqual(s, { median: 3, q1: 2, q3: 4, min: 1, max: 5, n: 5 });
});

test('pairedRatios divides PyTorch by stad round by round, so a slow round weighs on neither side', () => {
  const step = (wall: number, cpu: number): StepTime => ({ wall, cpu, sys: 0, faults: 0 });
  // Round 2 is slow for both sides (a busy minute): its ratio is still 1.
  const stad = [step(1, 2), step(10, 20), step(1, 2)];
  const torch = [step(1.1, 2.4), step(10, 20), step(1.2, 2.2)];
  const r = pairedRatios(stad, torch);
  close(r.wall.median, 1.1);
  close(r.wall.min, 1);
  close(r.wall.max, 1.2);
  close(r.cpu.median, 1.1);
  close(r.cpu.max, 1.2);
  assert.equal(r.wall.n, 3);
  assert.throws(() => pairedRatios(stad, torch.slice(1)), RangeError);
  assert.throws(() => pairedRatios([], []), RangeError);
});
