/**
 * `asymmetric`: the asymmetric loss, ASL (Ridnik et al., "Asymmetric Loss For Multi-Label
 * Classification", ICCV 2021). Positives and negatives get their own focusing exponents, and the
 * negatives' probability is shifted down by a margin, which discards easy negatives entirely (p <= clip)
 * and, the paper argues, also rejects negatives that are likely mislabelled:
 *
 *   loss = - y * (1 - p)^gammaPos * log(p)  -  (1 - y) * p_m^gammaNeg * log(1 - p_m)
 *   p = sigmoid(x),  p_m = max(p - clip, 0)
 *
 * gammaPos 0, gammaNeg 4, clip 0.05 are the paper's defaults for multi-label data; gammas 0 and clip 0
 * give bce. In log space, finite at logits of +-100:
 *   log p = logsigmoid(x),  (1 - p)^gammaPos = exp(gammaPos * logsigmoid(-x)),
 *   log(1 - p_m) = log(min(sigmoid(-x) + clip, 1))   (>= log(clip): finite; logsigmoid(-x) when clip is 0),
 *   p_m^gammaNeg = exp(gammaNeg * logsigmoid(x)) when clip is 0; else (p - clip)^gammaNeg where p > clip
 *   and 0 elsewhere (see marginPow).
 */
import { z } from 'zod';
import { tidy, where, type Tensor } from '../torch/index.js';
import type { ElementwiseLoss } from './types.js';

export const AsymmetricOptionsSchema = z
  .object({
    name: z.literal('asymmetric'),
    gammaPos: z.number().min(0).default(0).describe('focusing exponent of the positives, (1 - p)^gammaPos (0, ASL)'),
    gammaNeg: z.number().min(0).default(4).describe('focusing exponent of the negatives, p_m^gammaNeg (4, ASL)'),
    clip: z.number().min(0).lt(1).default(0.05).describe('probability margin: negatives use p_m = max(p - clip, 0), so those with p <= clip cost nothing (0.05, ASL; 0 turns it off)'),
  })
  .strict();

export type AsymmetricOptions = z.infer<typeof AsymmetricOptionsSchema>;

export function asymmetric(o: Pick<AsymmetricOptions, 'gammaPos' | 'gammaNeg' | 'clip'>): ElementwiseLoss {
  return (logits, targets) =>
    tidy(() => {
      const logP = logits.logsigmoid(); // log p
      const pos = o.gammaPos === 0 ? logP : logits.neg().logsigmoid().mul(o.gammaPos).exp().mul(logP); // (1 - p)^gammaPos log p
      let neg: Tensor; // p_m^gammaNeg log(1 - p_m)
      if (o.clip === 0) {
        const logQ = logits.neg().logsigmoid();
        neg = o.gammaNeg === 0 ? logQ : logP.mul(o.gammaNeg).exp().mul(logQ);
      } else {
        const logQm = logits.neg().sigmoid().add(o.clip).clamp(null, 1).log(); // log(1 - p_m)
        neg = o.gammaNeg === 0 ? logQm : marginPow(logits.sigmoid(), o.clip, o.gammaNeg).mul(logQm);
      }
      return targets.mul(pos).add(targets.rsub(1).mul(neg)).neg();
    });
}

/**
 * max(p - clip, 0)^gamma with a finite gradient everywhere, for any gamma > 0. A plain
 * where(p > clip, (p - clip)^gamma, 0) is NaN in backward where the margin clamps: where() hands the
 * unused branch a zero gradient, but pow's backward multiplies it by gamma * (p - clip)^(gamma - 1),
 * NaN at a negative base for a fractional gamma, and 0 * NaN = NaN. So the base is replaced by 1 where
 * it would be clamped (a finite derivative there), and the result by 0. (relu(p - clip)^gamma happens
 * to work too, because libtorch's relu backward selects rather than multiplies; this form does not
 * depend on that.)
 */
function marginPow(p: Tensor, clip: number, gamma: number): Tensor {
  return tidy(() => {
    const kept = p.gt(clip); // [M, C] bool
    const base = where(kept, p.sub(clip), 1);
    return where(kept, base.pow(gamma), 0);
  });
}
