/**
 * `sigmoid_focal`: RetinaNet's alpha-balanced focal loss (Lin et al., "Focal Loss for Dense Object
 * Detection", ICCV 2017), per class with a sigmoid:
 *
 *   loss = - alpha * y * (1 - p)^gamma * log(p)  -  (1 - alpha) * (1 - y) * p^gamma * log(1 - p)
 *
 * alpha = 0.25, gamma = 2 as in the paper (tuned there for ~100k negative anchors per image; an RoI
 * head sees few negatives, which is why the reference's focal_bce drops alpha). alpha 0.5 and gamma 0
 * give bce / 2.
 */
import { z } from 'zod';
import type { ElementwiseLoss } from './types.js';
import { focalTerms } from './focal-terms.js';

export const SigmoidFocalOptionsSchema = z
  .object({
    name: z.literal('sigmoid_focal'),
    alpha: z.number().min(0).max(1).default(0.25).describe('weight of the positive term; negatives get 1 - alpha (0.25, RetinaNet)'),
    gamma: z.number().min(0).default(2).describe('focusing exponent: (1 - p)^gamma on positives, p^gamma on negatives (2, RetinaNet)'),
  })
  .strict();

export type SigmoidFocalOptions = z.infer<typeof SigmoidFocalOptionsSchema>;

export function sigmoidFocal(o: Pick<SigmoidFocalOptions, 'alpha' | 'gamma'>): ElementwiseLoss {
  return (logits, targets) => focalTerms(logits, targets, { gamma: o.gamma, posWeight: o.alpha, negWeight: 1 - o.alpha });
}
