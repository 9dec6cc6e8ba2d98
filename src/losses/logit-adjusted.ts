/**
 * `logit_adjusted`: logit adjustment (Menon et al., "Long-tail learning via logit adjustment", ICLR
 * 2021) for the sigmoid head: bce on the adjusted logits
 *
 *   z_c = x_c + tau * a_c,   a_c = log(pi_c / (1 - pi_c)),   pi_c = classCounts[c] / numBoxes
 *
 * a_c is the log-odds of class c's prior in the training split: each class is an independent binary
 * problem here, and the log-odds is the binary counterpart of the paper's log pi_y for a softmax.
 *
 * The sign: the paper's logit-adjusted *loss* ADDS tau * log(prior) to the logits during training;
 * its post-hoc form instead SUBTRACTS it from a plainly trained model's logits at test time. Both
 * lead to the same place: adding a_c (negative for a rare class) during training means the network
 * must raise a rare class's raw logit by tau * |a_c| to pay the same loss, and at test time the raw
 * logits are used (predict() takes the sigmoid of forward()'s logits; nothing here is applied at test
 * time), so rare classes come out boosted relative to frequent ones. Subtracting during training, as
 * the issue's wording had it, would do the opposite and push rare classes further down.
 *
 * A class with no box (or on every box) would have a log-odds of -inf (+inf): the prior is clamped to
 * [1/numBoxes, 1 - 1/numBoxes], as if one box (or all but one) had shown it; so the split needs at
 * least 2 labelled boxes.
 */
import { z } from 'zod';
import { binaryCrossEntropyWithLogits, tensor, tidy } from '../torch/index.js';
import { UserError } from '../util/errors.js';
import type { ElementwiseLoss, LossContext } from './types.js';

export const LogitAdjustedOptionsSchema = z
  .object({
    name: z.literal('logit_adjusted'),
    tau: z.number().min(0).default(1).describe("scale of the adjustment: logits + tau * log(prior / (1 - prior)) in training (1, Menon et al.; 0 gives bce)"),
  })
  .strict();

export type LogitAdjustedOptions = z.infer<typeof LogitAdjustedOptionsSchema>;

/** The log-odds of each class's prior in the training split, clamped so that it is finite. */
export function priorLogOdds(ctx: LossContext): number[] {
  const n = ctx.numBoxes;
  if (!Number.isInteger(n) || n < 2) {
    throw new UserError(`loss logit_adjusted: the class priors need at least 2 labelled boxes in the training split, it has ${n}`);
  }
  return ctx.classCounts.map((count) => {
    const prior = Math.min(Math.max(count / n, 1 / n), 1 - 1 / n);
    return Math.log(prior / (1 - prior));
  });
}

export function logitAdjusted(o: Pick<LogitAdjustedOptions, 'tau'>, ctx: LossContext): ElementwiseLoss {
  const shift = Float64Array.from(priorLogOdds(ctx), (a) => o.tau * a); // [C], in JS doubles once
  return (logits, targets) =>
    tidy(() => {
      const c = logits.shape[1]!;
      if (shift.length !== c) throw new RangeError(`logit_adjusted: ${shift.length} class counts for ${c} classes`);
      const adjusted = logits.add(tensor(shift, { shape: [1, c], dtype: logits.dtype, device: logits.device })); // [M, C]
      return binaryCrossEntropyWithLogits(adjusted, targets, { reduction: 'none' });
    });
}
