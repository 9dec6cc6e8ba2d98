/**
 * Stochastic gradient descent with momentum, Nesterov momentum and (coupled, L2) weight decay, with
 * PyTorch's update rule:
 *   g = grad + wd * p;  buf = momentum * buf + (1 - dampening) * g  (buf = g at the first step)
 *   g = nesterov ? g + momentum * buf : buf;  p -= lr * g
 */
import { Tensor } from '../../torch/index.js';
import { Optimizer, type ParamsInput } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, o: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...o });
    for (const g of this.groups) {
      if (g.options.nesterov && (g.options.momentum <= 0 || g.options.dampening !== 0)) {
        throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
      }
    }
  }

  protected update(p: Tensor, grad: Tensor, o: SGDOptions, state: Map<string, Tensor>): void {
    let g = grad;
    if (o.weightDecay !== 0) g = g.add(p, o.weightDecay);
    if (o.momentum !== 0) {
      let buf = state.get('momentum_buffer');
      if (!buf) buf = this.setState(state, 'momentum_buffer', g.clone());
      else buf.mul_(o.momentum).add_(g, 1 - o.dampening);
      g = o.nesterov ? g.add(buf, o.momentum) : buf;
    }
    p.add_(g, -o.lr);
  }
}
