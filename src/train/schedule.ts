/**
 * The run's learning rate per iteration. The config speaks in epochs (warm-up epochs, milestones), as
 * the reference does; an epoch's length in batches is only known per epoch (repeat factor sampling
 * changes it slightly), so the position is measured in fractional epochs (epoch + batch / batches) and
 * handed to nn's `learningRateAt` on a fixed grid. A pure function of the position: resuming needs
 * nothing but the epoch and batch.
 */
import { learningRateAt } from '../nn/index.js';
import type { LRScheduleOptions } from '../nn/index.js';
import type { ScheduleConfig } from './config.js';

/** Grid points per epoch: fine enough that a step of 1/batches epoch lands exactly for any batch count that divides it, and close otherwise. */
const GRID = 1 << 20;

/** lr at batch `batch` of `batchesInEpoch` in epoch `epoch` (all 0-based). */
export function scheduledLR(s: ScheduleConfig, baseLR: number, epochs: number, epoch: number, batch: number, batchesInEpoch: number): number {
  const position = epoch + batch / Math.max(1, batchesInEpoch); // in epochs
  const decay: LRScheduleOptions['decay'] =
    s.decay.kind === 'step'
      ? { kind: 'multistep', milestones: s.decay.milestones.map((m) => Math.round(m * GRID)), gamma: s.decay.gamma }
      : s.decay.kind === 'cosine'
        ? { kind: 'cosine', minLR: s.decay.minLR }
        : { kind: 'constant' };
  return learningRateAt(Math.round(position * GRID), {
    baseLR,
    totalIters: Math.round(epochs * GRID),
    warmupIters: Math.round(s.warmupEpochs * GRID),
    warmupFactor: s.warmupFactor,
    decay,
  });
}
