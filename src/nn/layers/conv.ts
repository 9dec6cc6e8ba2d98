/** Convolutions (torch.nn.Conv2d / Conv3d). */
import { Tensor, empty, expandTuple, type IntOrTuple } from '../../torch/index.js';
import { Module } from '../module.js';
import { defaultLayerInit_ } from '../init.js';

export interface ConvLayerOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
  /** Default true, as PyTorch (mmaction2's ConvModule turns it off before a BatchNorm). */
  bias?: boolean;
}

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;
  private readonly hasBias: boolean;

  constructor(dims: 2 | 3, inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvLayerOptions) {
    super();
    const groups = o.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`channels (${inChannels} -> ${outChannels}) must be divisible by groups (${groups})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = expandTuple(kernelSize, dims, 'kernelSize');
    this.stride = expandTuple(o.stride ?? 1, dims, 'stride');
    this.padding = expandTuple(o.padding ?? 0, dims, 'padding');
    this.dilation = expandTuple(o.dilation ?? 1, dims, 'dilation');
    this.groups = groups;
    const w = this.registerParameter('weight', empty([outChannels, inChannels / groups, ...this.kernelSize]));
    this.hasBias = o.bias ?? true;
    const b = this.hasBias ? this.registerParameter('bias', empty([outChannels])) : null;
    defaultLayerInit_(w, b);
  }

  get weight(): Tensor {
    return this.tensorNamed('weight');
  }

  get bias(): Tensor | null {
    return this.hasBias ? this.tensorNamed('bias') : null;
  }

  protected convOptions() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, bias: this.bias };
  }
}

export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, o);
  }
  /** [N, C_in, H, W] -> [N, C_out, H', W'] */
  forward(x: Tensor): Tensor {
    return x.conv2d(this.weight, this.convOptions());
  }
}

export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, o: ConvLayerOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, o);
  }
  /** [N, C_in, T, H, W] -> [N, C_out, T', H', W'] */
  forward(x: Tensor): Tensor {
    return x.conv3d(this.weight, this.convOptions());
  }
}
