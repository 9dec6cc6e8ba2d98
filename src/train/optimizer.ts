/**
 * The run's optimiser from its config: SGD or AdamW, with the parameters in two groups when
 * `decayNormAndBias` is false (BatchNorm weights and every bias get no weight decay, as mmaction2's
 * `paramwise_cfg=dict(norm_decay_mult=0, bias_decay_mult=0)`). Group order is fixed (decayed first),
 * so that a saved optimiser state maps back onto the same parameters.
 */
import type { Tensor } from '../torch/index.js';
import { AdamW, BatchNorm1d, BatchNorm2d, BatchNorm3d, SGD, type Module, type Optimizer } from '../nn/index.js';
import type { OptimConfig } from './config.js';

/** Parameters split by whether weight decay applies to them. */
export function decayGroups(model: Module): { decay: Tensor[]; noDecay: Tensor[] } {
  const normParams = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d) for (const p of m.parameters()) normParams.add(p);
  }
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (normParams.has(p) || name === 'bias' || name.endsWith('.bias')) noDecay.push(p);
    else decay.push(p);
  }
  return { decay, noDecay };
}

export function buildOptimizer(model: Module, o: OptimConfig, lr: number): Optimizer<{ lr: number }> {
  const groups = o.decayNormAndBias
    ? [{ params: model.parameters() }]
    : (() => {
        const g = decayGroups(model);
        return [{ params: g.decay }, { params: g.noDecay, options: { weightDecay: 0 } }];
      })();
  switch (o.name) {
    case 'sgd':
      return new SGD(groups, { lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay }) as unknown as Optimizer<{ lr: number }>;
    case 'adamw':
      return new AdamW(groups, { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay }) as unknown as Optimizer<{ lr: number }>;
  }
}
