/**
 * The focal family's elementwise form, shared by `focal_bce` (the reference) and `sigmoid_focal`
 * (RetinaNet), which differ only in the weights of the two terms:
 *
 *   loss = - wPos * y * (1 - p)^gamma * log(p)  -  wNeg * (1 - y) * p^gamma * log(1 - p),  p = sigmoid(x)
 *
 * Everything is taken in log space so that logits of +-100 give finite values and gradients (the naive
 * log(sigmoid(x)) is log(0) = -inf in float32 from |x| ~ 88 on):
 *   log p = logsigmoid(x),  log(1 - p) = logsigmoid(-x),
 *   (1 - p)^gamma = exp(gamma * logsigmoid(-x)),  p^gamma = exp(gamma * logsigmoid(x)).
 */
import { tidy, type Tensor } from '../torch/index.js';

export interface FocalTermWeights {
  gamma: number;
  /** Weight of the positive term (w_pos, or RetinaNet's alpha). */
  posWeight: number;
  /** Weight of the negative term (1, or RetinaNet's 1 - alpha). */
  negWeight: number;
}

/** logits [M, C], targets [M, C] -> elementwise loss [M, C] */
export function focalTerms(logits: Tensor, targets: Tensor, o: FocalTermWeights): Tensor {
  return tidy(() => {
    const logP = logits.logsigmoid(); // log p
    const logQ = logits.neg().logsigmoid(); // log(1 - p)
    // gamma 0 skips the exp: the factor is exactly 1 then, and bce's values come out bit for bit the same
    const pos = o.gamma === 0 ? logP : logQ.mul(o.gamma).exp().mul(logP); // (1 - p)^gamma log p
    const neg = o.gamma === 0 ? logQ : logP.mul(o.gamma).exp().mul(logQ); // p^gamma log(1 - p)
    const posPart = targets.mul(pos).mul(-o.posWeight);
    const negPart = targets.rsub(1).mul(neg).mul(o.negWeight);
    return posPart.sub(negPart);
  });
}
