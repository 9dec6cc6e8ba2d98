/**
 * What the ranks of a data-parallel job must decide alike before a training step, in one collective
 * per step instead of one per decision: each collective is a point where every rank waits for the
 * slowest and for the wake-ups of Gloo's threads, which on a busy machine costs milliseconds apiece
 * (bench/RESULTS.md `## dist`). All three decisions are sums of small integers (exact in float64):
 * - whether every rank has RoIs (a step that one rank cannot take, every rank skips);
 * - the RoIs in the loss over all ranks (each rank's loss is weighted by its share);
 * - whether a stop was asked of any rank after the previous step (SIGINT: the ranks stop together).
 * A non-finite loss needs no decision here: its rank's gradients go NaN and the averaged gradients with
 * them, so every rank skips that step on the gradient norm (src/train/loop.ts).
 */
import type { Targets } from '../models/index.js';
import type { DataParallel } from './data-parallel.js';

export interface StepAgreement {
  everyRankHasRois: boolean;
  /** The sum over ranks of the RoIs that take part in the loss. */
  lossRois: number;
  stop: boolean;
}

export function agreeOnStep(dp: DataParallel, mine: { rois: number; lossRois: number; stop: boolean }): StepAgreement {
  const [withoutRois, lossRois, stops] = dp.sumOver([mine.rois === 0 ? 1 : 0, mine.lossRois, mine.stop ? 1 : 0]) as [number, number, number];
  return { everyRankHasRois: withoutRois === 0, lossRois, stop: stops > 0 };
}

/** The RoIs of a batch that take part in the loss (the rows of `lossMask`), known before the forward pass. */
export function lossRows(t: Pick<Targets, 'lossMask'>): number {
  return t.lossMask.sum().item();
}
