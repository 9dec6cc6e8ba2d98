/** The demo's one ETA (src/demo/eta.ts) on a fake clock: a-priori costs, ratios learnt per kind, re-planning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoClock, type DemoStep } from '../../src/demo/eta.js';

function fakeClock(steps: DemoStep[]): { clock: DemoClock; advance: (s: number) => void } {
  let t = 100;
  return { clock: new DemoClock(steps, () => t), advance: (s) => void (t += s) };
}

const steps: DemoStep[] = [
  { id: 'dataset', kind: 'dataset', label: 'd', estimate: 10 },
  { id: 'train:a:0', kind: 'train', label: 'ta', estimate: 100 },
  { id: 'test:a:0', kind: 'test', label: 'sa', estimate: 5 },
  { id: 'train:b:0', kind: 'train', label: 'tb', estimate: 100 },
  { id: 'test:b:0', kind: 'test', label: 'sb', estimate: 5 },
  { id: 'report', kind: 'report', label: 'r', estimate: 8 },
];

test('before anything is measured the ETA is the sum of the a-priori costs', () => {
  const { clock } = fakeClock(steps);
  assert.equal(clock.remaining(), 228);
  assert.deepEqual(clock.position(), { index: 1, count: 6 });
});

test('a finished step sets the ratio of its kind, and of kinds not yet seen', () => {
  const { clock, advance } = fakeClock(steps);
  clock.start('dataset');
  advance(20);
  clock.finish();
  assert.equal(clock.ratio('dataset'), 2);
  assert.equal(clock.ratio('train'), 2);
  assert.equal(clock.remaining(), 2 * 218);
  assert.equal(clock.elapsed(), 20);
  assert.deepEqual(clock.position(), { index: 2, count: 6 });

  // the running training's own projection replaces the prior once a tenth of it is done
  clock.start('train:a:0');
  advance(10);
  clock.update(1000, 0.05);
  assert.equal(clock.remaining(), 2 * 218 - 10);
  clock.update(30, 0.25);
  // train ratio from the live step: (10 + 30) / 100; other kinds use the dataset's and the live step's together
  assert.equal(clock.ratio('train'), 0.4);
  const other = (20 + 40) / (10 + 100);
  assert.ok(Math.abs(clock.remaining() - (30 + 100 * 0.4 + 10 * other + 8 * other)) < 1e-9);
  advance(30);
  clock.finish();
  assert.equal(clock.ratio('train'), 0.4);
});

test('replan replaces the steps from one on; skip drops one', () => {
  const { clock } = fakeClock(steps);
  clock.replan('train:b:0', [{ id: 'report', kind: 'report', label: 'r', estimate: 8 }]);
  assert.deepEqual(clock.planned.map((s) => s.id), ['dataset', 'train:a:0', 'test:a:0', 'report']);
  clock.skip('test:a:0');
  assert.equal(clock.remaining(), 118);
  assert.throws(() => clock.start('nope'), RangeError);
});
