/** Parameter-free layers: activations, dropout, pooling, identity. */
import { Tensor, type IntOrTuple, type PoolOptions } from '../../torch/index.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Zeroes elements with probability p in training and scales the rest by 1/(1-p); identity in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return x.dropout(this.p, this.training);
  }
}

export class MaxPool3d extends Module {
  constructor(readonly kernelSize: IntOrTuple, readonly options: PoolOptions = {}) {
    super();
  }
  /** [N, C, T, H, W] */
  forward(x: Tensor): Tensor {
    return x.maxPool3d(this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: IntOrTuple) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.adaptiveAvgPool3d(this.outputSize);
  }
}

export class AdaptiveMaxPool3d extends Module {
  constructor(readonly outputSize: IntOrTuple) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.adaptiveMaxPool3d(this.outputSize);
  }
}
