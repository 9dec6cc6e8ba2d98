/**
 * learningRateAt against a hand computation and against the sequences of torch.optim.lr_scheduler
 * (test/fixtures/nn/schedule.json): LinearLR + MultiStepLR stepped together each iteration
 * (ChainedScheduler, as mmengine steps its param_schedulers), and LinearLR followed by
 * CosineAnnealingLR(T_max = total - warmup) handed over at the end of the warm-up (SequentialLR, as
 * mmengine's CosineAnnealingLR with begin = warmup, end = total).
 *
 * Conventions: learningRateAt(i) is the rate used by iteration i (0-based), i.e. the lr a PyTorch
 * optimiser holds after i calls of scheduler.step(). One difference: past totalIters, PyTorch's
 * CosineAnnealingLR keeps following the cosine (it climbs back up after T_max), stad stays at minLR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, type LRScheduleOptions } from '../../src/nn/index.js';
import { readGolden, assertValuesClose } from './golden.js';

interface ScheduleCase {
  baseLR: number;
  totalIters: number;
  warmupIters: number;
  warmupFactor?: number;
  milestones?: number[];
  gamma?: number;
  minLR?: number;
  lrs: number[];
}

const golden = readGolden<Record<string, ScheduleCase>>('schedule.json');

function options(c: ScheduleCase): LRScheduleOptions {
  return {
    baseLR: c.baseLR,
    totalIters: c.totalIters,
    warmupIters: c.warmupIters,
    ...(c.warmupFactor === undefined ? {} : { warmupFactor: c.warmupFactor }),
    decay: c.milestones ? { kind: 'multistep', milestones: c.milestones, gamma: c.gamma! } : { kind: 'cosine', minLR: c.minLR! },
  };
}

for (const [name, c] of Object.entries(golden)) {
  test(`${name}: learningRateAt gives torch.optim.lr_scheduler's sequence over ${c.totalIters} iterations`, () => {
    const o = options(c);
    const ours = c.lrs.map((_, i) => learningRateAt(i, o));
    assertValuesClose(ours, c.lrs, name, 1e-9);
  });
}

test('warm-up and multi-step by hand', () => {
  const o: LRScheduleOptions = { baseLR: 0.1, totalIters: 10, warmupIters: 4, warmupFactor: 0.25, decay: { kind: 'multistep', milestones: [6, 8], gamma: 0.5 } };
  // Warm-up factor 0.25 + 0.75 * i / 4; milestones halve the rate from iteration 6 and again from 8.
  const expected = [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025];
  assertValuesClose(expected.map((_, i) => learningRateAt(i, o)), expected, 'warmup + multistep', 1e-12);
  // A milestone inside the warm-up multiplies with the warm-up factor.
  const early: LRScheduleOptions = { baseLR: 1, totalIters: 10, warmupIters: 4, decay: { kind: 'multistep', milestones: [2] } };
  assertValuesClose([learningRateAt(1, early), learningRateAt(2, early), learningRateAt(4, early)], [0.325, 0.055, 0.1], 'defaults: factor 0.1, gamma 0.1', 1e-12);
});

test('warm-up and cosine by hand', () => {
  const o: LRScheduleOptions = { baseLR: 1, totalIters: 12, warmupIters: 4, warmupFactor: 0.5, decay: { kind: 'cosine', minLR: 0.2 } };
  // The cosine spans iterations 4..12: halfway (8) it is at the midpoint of 1 and 0.2.
  const byHand = [
    [0, 0.5],
    [2, 0.75],
    [4, 1],
    [6, 0.2 + 0.4 * (1 + Math.cos(Math.PI / 4))],
    [8, 0.6],
    [10, 0.2 + 0.4 * (1 + Math.cos((3 * Math.PI) / 4))],
    [12, 0.2],
    [40, 0.2], // stays at minLR after the end (PyTorch's cosine would climb back)
  ] as const;
  assertValuesClose(byHand.map(([i]) => learningRateAt(i, o)), byHand.map(([, v]) => v), 'warmup + cosine', 1e-12);
});

test('no decay: the base rate after the warm-up', () => {
  const o: LRScheduleOptions = { baseLR: 0.3, totalIters: 100, warmupIters: 10 };
  assert.equal(learningRateAt(0, o), 0.03);
  assert.equal(learningRateAt(10, o), 0.3);
  assert.equal(learningRateAt(99, o), 0.3);
  assert.equal(learningRateAt(5, { baseLR: 0.3, totalIters: 100 }), 0.3);
});
