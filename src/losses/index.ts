/**
 * The classification losses of the RoI head, by name, and what they share: per-class weights and the
 * reduction. One file per loss; each adds one line to LOSSES and one schema to LossConfigSchema.
 *
 *   const loss = buildLoss({ name: 'focal_bce', gamma: 2, ... }, { classCounts, numBoxes });
 *   const value = loss(logits, targets); // scalar
 */
import { z } from 'zod';
import { tensor, tidy, type Tensor } from '../torch/index.js';
import { effectiveNumberWeights, inverseFrequencyWeights } from '../data/stats.js';
import { bce, BceOptionsSchema } from './bce.js';
import { focalBce, FocalBceOptionsSchema } from './focal-bce.js';
import { sigmoidFocal, SigmoidFocalOptionsSchema } from './sigmoid-focal.js';
import { asymmetric, AsymmetricOptionsSchema } from './asymmetric.js';
import { logitAdjusted, LogitAdjustedOptionsSchema } from './logit-adjusted.js';
import type { ElementwiseLoss, LossContext } from './types.js';

export type { ElementwiseLoss, LossContext } from './types.js';

/** Options every loss takes, beside its own. */
const CommonOptions = {
  reduction: z.enum(['mean', 'sum']).default('mean').describe("'mean' over all M x C logits (the reference), or 'sum'"),
  classWeights: z
    .enum(['none', 'inverse_freq', 'effective_number'])
    .default('none')
    .describe('per-class weights from the training split, normalised to mean 1: 1/n_c, or Cui et al. 2019 (1-beta)/(1-beta^n_c)'),
  beta: z.number().gt(0).lt(1).default(0.999).describe("effective-number beta (0.999 or 0.9999), with classWeights 'effective_number'"),
};

export const LossConfigSchema = z.discriminatedUnion('name', [
  BceOptionsSchema.extend(CommonOptions),
  FocalBceOptionsSchema.extend(CommonOptions),
  SigmoidFocalOptionsSchema.extend(CommonOptions),
  AsymmetricOptionsSchema.extend(CommonOptions),
  LogitAdjustedOptionsSchema.extend(CommonOptions),
]);

export type LossConfig = z.infer<typeof LossConfigSchema>;
export type LossName = LossConfig['name'];

/** Each loss's elementwise form from its validated options. */
const LOSSES: { [N in LossName]: (o: Extract<LossConfig, { name: N }>, ctx: LossContext) => ElementwiseLoss } = {
  bce: () => bce(),
  focal_bce: (o) => focalBce(o),
  sigmoid_focal: (o) => sigmoidFocal(o),
  asymmetric: (o) => asymmetric(o),
  logit_adjusted: (o, ctx) => logitAdjusted(o, ctx),
};

export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** Per-class weights (C numbers, mean 1 over the classes present), or null for none. */
export function classWeightsFor(config: Pick<LossConfig, 'classWeights' | 'beta'>, counts: readonly number[]): number[] | null {
  switch (config.classWeights) {
    case 'none':
      return null;
    case 'inverse_freq':
      return inverseFrequencyWeights(counts);
    case 'effective_number':
      return effectiveNumberWeights(counts, config.beta);
  }
}

/**
 * The loss as a function of logits [M, C] and multi-hot targets [M, C] -> a scalar. Validates the
 * configuration (throws zod's error; the run config reports it with the file and field).
 */
export function buildLoss(config: z.input<typeof LossConfigSchema>, ctx: LossContext): (logits: Tensor, targets: Tensor) => Tensor {
  const c = LossConfigSchema.parse(config);
  const elementwise = (LOSSES[c.name] as (o: LossConfig, ctx: LossContext) => ElementwiseLoss)(c, ctx);
  const w = classWeightsFor(c, ctx.classCounts);
  return (logits, targets) => {
    if (logits.ndim !== 2 || targets.ndim !== 2 || logits.shape[1] !== targets.shape[1] || logits.shape[0] !== targets.shape[0]) {
      throw new RangeError(`loss: logits [${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must both be [M, C]`);
    }
    if (w && w.length !== logits.shape[1]) throw new RangeError(`loss: ${w.length} class weights for ${logits.shape[1]} classes`);
    return tidy(() => {
      const l = elementwise(logits, targets); // [M, C]
      // the weights take the logits' dtype, so that a float64 gradcheck stays in float64
      const weighted = w ? l.mul(tensor(Float64Array.from(w), { shape: [1, w.length], dtype: logits.dtype, device: logits.device })) : l; // [M, C]
      // A batch whose boxes all drop out of the loss (M = 0) gives 0, not mean's 0/0 = NaN, which would
      // poison every parameter through the optimiser.
      return c.reduction === 'sum' || weighted.numel() === 0 ? weighted.sum() : weighted.mean();
    });
  };
}
