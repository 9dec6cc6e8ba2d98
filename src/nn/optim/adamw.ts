/**
 * AdamW (Loshchilov & Hutter, decoupled weight decay), with PyTorch's update rule:
 *   p *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
import { Tensor, zerosLike, scalar } from '../../torch/index.js';
import { Optimizer, type ParamsInput, type OptimizerState } from './optimizer.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamW extends Optimizer<AdamWOptions> {
  /**
   * Steps taken by each parameter: a parameter without a gradient in some step falls behind the
   * others, so its bias correction must use its own count (as torch.optim does). Kept here as numbers
   * and mirrored in the state as 'step' (a 0-d CPU tensor) so that it travels with stateDict().
   */
  private readonly steps = new Map<Tensor, number>();
  protected override readonly scalarStateNames: ReadonlySet<string> = new Set(['step']);

  constructor(params: ParamsInput<AdamWOptions>, o: Partial<AdamWOptions> & { lr: number }) {
    super(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...o });
  }

  protected update(p: Tensor, grad: Tensor, o: AdamWOptions, state: Map<string, Tensor>): void {
    const step = (this.steps.get(p) ?? 0) + 1;
    this.steps.set(p, step);
    (state.get('step') ?? this.setState(state, 'step', scalar(0, { dtype: 'float64' }))).fill_(step);
    if (o.weightDecay !== 0) p.mul_(1 - o.lr * o.weightDecay);
    const m = state.get('exp_avg') ?? this.setState(state, 'exp_avg', zerosLike(p));
    const v = state.get('exp_avg_sq') ?? this.setState(state, 'exp_avg_sq', zerosLike(p));
    m.lerp_(grad, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(grad, grad, 1 - o.beta2);
    const bc1 = 1 - o.beta1 ** step;
    const bc2 = 1 - o.beta2 ** step;
    const denom = v.sqrt().div_(Math.sqrt(bc2)).add_(o.eps);
    p.addcdiv_(m, denom, -o.lr / bc1);
  }

  override loadStateDict(s: OptimizerState): void {
    super.loadStateDict(s);
    this.steps.clear();
    for (const [p, st] of this.state) {
      const step = st.get('step');
      if (step) this.steps.set(p, step.item());
      // A state without per-parameter steps: every parameter is taken to have stepped every time.
      else if (st.has('exp_avg')) this.steps.set(p, s.step);
    }
  }

  override dispose(): void {
    super.dispose();
    this.steps.clear();
  }
}
