/**
 * Batch normalisation (torch.nn.BatchNorm1d/2d/3d): per-channel normalisation with running statistics.
 * In training, batch statistics normalise and the running ones are updated with PyTorch's rule
 * (running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance); in eval,
 * the running statistics normalise. `frozen` keeps a layer in eval behaviour and its affine parameters
 * fixed even while the rest of the model trains (mmaction2's `norm_eval`/frozen stages).
 */
import { Tensor, ones, zeros, tensor } from '../../torch/index.js';
import { Module } from '../module.js';

export interface BatchNormLayerOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  private isFrozen = false;

  constructor(private readonly expectedDims: number[], numFeatures: number, o: BatchNormLayerOptions) {
    super();
    this.numFeatures = numFeatures;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    this.affine = o.affine ?? true;
    this.trackRunningStats = o.trackRunningStats ?? true;
    if (this.affine) {
      this.registerParameter('weight', ones([numFeatures]));
      this.registerParameter('bias', zeros([numFeatures]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int64' }));
    }
  }

  get weight(): Tensor | null {
    return this.affine ? this.tensorNamed('weight') : null;
  }
  get bias(): Tensor | null {
    return this.affine ? this.tensorNamed('bias') : null;
  }
  get runningMean(): Tensor | null {
    return this.trackRunningStats ? this.tensorNamed('running_mean') : null;
  }
  get runningVar(): Tensor | null {
    return this.trackRunningStats ? this.tensorNamed('running_var') : null;
  }

  /** Freezes (or unfreezes) the layer: eval-mode statistics and no gradient for weight and bias. */
  freeze(frozen = true): this {
    this.isFrozen = frozen;
    for (const p of this.parameters()) p.requiresGrad = !frozen;
    return this;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  forward(x: Tensor): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new RangeError(`${this.constructor.name} expects a ${this.expectedDims.join(' or ')}-d input, got shape [${x.shape.join(', ')}]`);
    }
    const useBatchStats = (this.training && !this.isFrozen) || !this.trackRunningStats;
    // As torch.nn.functional.batch_norm: one value per channel has no variance, and libtorch would
    // silently turn the running variance into NaN (the n - 1 of the unbiased estimate is 0).
    if (useBatchStats && x.numel() <= x.shape[1]!) {
      throw new RangeError(`${this.constructor.name} expects more than 1 value per channel when training, got input shape [${x.shape.join(', ')}]`);
    }
    if (useBatchStats && this.trackRunningStats && this.training) {
      this.tensorNamed('num_batches_tracked').add_(1);
    }
    return x.batchNorm({
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

/** Over [N, C] or [N, C, L]. The reference recipe normalises the logits with one of these. */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormLayerOptions = {}) {
    super([2, 3], numFeatures, o);
  }
}

/** Over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormLayerOptions = {}) {
    super([4], numFeatures, o);
  }
}

/** Over [N, C, T, H, W]. */
export class BatchNorm3d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormLayerOptions = {}) {
    super([5], numFeatures, o);
  }
}
