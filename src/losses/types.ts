/**
 * What every loss shares. A loss is defined over the non-background classes only: the detector's
 * class 0 ("None") is dropped before the loss (`lossInputs` in models/detector.ts), as in the reference.
 *
 *   logits  [M, C]  raw scores of the M boxes that take part in the loss, C = numClasses - 1
 *   targets [M, C]  multi-hot float32 (1: the box shows the class)
 *
 * Each loss file gives the *elementwise* loss [M, C] (computed in log space, so that logits of +-100
 * give finite values and gradients); `buildLoss` in index.ts applies the per-class weights and the
 * reduction, which are the same for every loss.
 */
import type { Tensor } from '../torch/index.js';

/** Facts about the training split that some losses and the class weights need. */
export interface LossContext {
  /** Boxes showing each non-background class in the training split: C numbers. */
  classCounts: readonly number[];
  /** Labelled boxes in the training split (the denominator of a class prior). */
  numBoxes: number;
}

/** logits [M, C], targets [M, C] -> elementwise loss [M, C]. */
export type ElementwiseLoss = (logits: Tensor, targets: Tensor) => Tensor;
