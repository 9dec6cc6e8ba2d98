/**
 * `bce`: binary cross-entropy with logits, one independent sigmoid per class (mmaction2's default for
 * AVA's multi-label head; the baseline every other loss is compared with):
 *
 *   loss = - y * log(sigmoid(x)) - (1 - y) * log(1 - sigmoid(x))
 *
 * libtorch's binary_cross_entropy_with_logits computes it in log space (max(x, 0) - x*y + log1p(e^-|x|)).
 */
import { z } from 'zod';
import { binaryCrossEntropyWithLogits } from '../torch/index.js';
import type { ElementwiseLoss } from './types.js';

export const BceOptionsSchema = z.object({ name: z.literal('bce') }).strict();

export type BceOptions = z.infer<typeof BceOptionsSchema>;

export function bce(): ElementwiseLoss {
  return (logits, targets) => binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' });
}
