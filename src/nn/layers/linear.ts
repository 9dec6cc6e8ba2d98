/** Fully connected layer (torch.nn.Linear). */
import { Tensor, empty } from '../../torch/index.js';
import { Module } from '../module.js';
import { defaultLayerInit_ } from '../init.js';

export class Linear extends Module {
  private readonly hasBias: boolean;

  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    this.hasBias = o.bias ?? true;
    const w = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    const b = this.hasBias ? this.registerParameter('bias', empty([outFeatures])) : null;
    defaultLayerInit_(w, b);
  }

  get weight(): Tensor {
    return this.tensorNamed('weight');
  }
  get bias(): Tensor | null {
    return this.hasBias ? this.tensorNamed('bias') : null;
  }

  /** [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    return x.linear(this.weight, this.bias);
  }
}
