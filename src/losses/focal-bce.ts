/**
 * `focal_bce`: the reference's focal binary cross-entropy (the loss that, with the logit BatchNorm,
 * lifts the reference dataset's mAP from 0.565 to 0.798; see DESIGN.md):
 *
 *   loss = - w_pos * y * (1 - p)^gamma * log(p)  -  (1 - y) * p^gamma * log(1 - p),  p = sigmoid(x)
 *
 * with gamma = 2 and w_pos = 1 in the reference. Unlike RetinaNet's form (sigmoid-focal.ts) there is no
 * alpha: negatives keep weight 1. gamma 0 and w_pos 1 give bce exactly.
 */
import { z } from 'zod';
import type { ElementwiseLoss } from './types.js';
import { focalTerms } from './focal-terms.js';

export const FocalBceOptionsSchema = z
  .object({
    name: z.literal('focal_bce'),
    gamma: z.number().min(0).default(2).describe('focusing exponent: (1 - p)^gamma on positives, p^gamma on negatives (2, the reference; 0 gives bce)'),
    posWeight: z.number().gt(0).default(1).describe('w_pos, the weight of the positive term (1, the reference)'),
  })
  .strict();

export type FocalBceOptions = z.infer<typeof FocalBceOptionsSchema>;

export function focalBce(o: Pick<FocalBceOptions, 'gamma' | 'posWeight'>): ElementwiseLoss {
  return (logits, targets) => focalTerms(logits, targets, { gamma: o.gamma, posWeight: o.posWeight, negWeight: 1 });
}
