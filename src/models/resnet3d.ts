/**
 * 3D ResNet building blocks, as mmaction2's resnet3d.py lays them out (so that its checkpoints load by
 * name): a `ConvModule` (conv3d without bias, BatchNorm3d, optional ReLU; members `conv` and `bn`),
 * the bottleneck (`conv1`/`conv2`/`conv3`, `downsample`) and basic blocks, and the stage builder.
 *
 * Shapes are written [N, C, T, H, W]. "Inflated" blocks have a temporal kernel of 3 (the bottleneck's
 * first 1x1 conv becomes 3x1x1; the basic block's 3x3 convs become 3x3x3); the others are per-frame.
 * Strides follow mmaction2's 'pytorch' style: a bottleneck's spatial stride sits in its 3x3 conv.
 */
import type { Tensor } from '../torch/index.js';
import { Module, Conv3d, BatchNorm3d, Sequential, init, type TensorModule } from '../nn/index.js';

/**
 * Frees the handle of an intermediate result now instead of when the enclosing `tidy` ends, unless it
 * is `input` (a tensor the caller owns, which some steps may hand back unchanged). Autograd holds its
 * own reference to whatever backward needs, so this only lets go of memory nothing uses any more, as
 * PyTorch does when an intermediate loses its last reference: without it every activation of a step
 * would stay alive until the end of the step, through the whole backward pass.
 */
export function releaseIntermediate(t: Tensor, input?: Tensor): void {
  if (t !== input) t.dispose();
}

/** Runs the blocks of a stage (a Sequential of one-tensor modules), freeing each block's output once the next has consumed it. */
export function forwardStage(stage: Sequential, x: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < stage.length; i++) {
    const next = stage.at(i).forward(y);
    if (next !== y) releaseIntermediate(y, x);
    y = next;
  }
  return y;
}

export type Triple = readonly [number, number, number];

export interface ConvModuleOptions {
  stride?: number | Triple;
  padding?: number | Triple;
  /** Add BatchNorm3d after the conv (default true). The SlowFast laterals are a bare conv. */
  norm?: boolean;
  /** Add a ReLU at the end (default true). */
  relu?: boolean;
}

/** conv3d (no bias) -> BatchNorm3d -> ReLU, registered as `conv` and `bn` (mmcv's ConvModule). */
export class ConvModule extends Module {
  readonly conv: Conv3d;
  readonly bn: BatchNorm3d | null;
  readonly withRelu: boolean;

  constructor(inChannels: number, outChannels: number, kernelSize: number | Triple, o: ConvModuleOptions = {}) {
    super();
    this.conv = this.registerModule('conv', new Conv3d(inChannels, outChannels, kernelSize, { stride: o.stride ?? 1, padding: o.padding ?? 0, bias: false }));
    this.bn = (o.norm ?? true) ? this.registerModule('bn', new BatchNorm3d(outChannels)) : null;
    this.withRelu = o.relu ?? true;
  }

  /** [N, C_in, T, H, W] -> [N, C_out, T', H', W'] */
  forward(x: Tensor): Tensor {
    let y = this.conv.forward(x);
    if (this.bn) {
      const n = this.bn.forward(y);
      y.dispose(); // BatchNorm's backward keeps its input through autograd
      y = n;
    }
    if (!this.withRelu) return y;
    const r = y.relu(); // relu's backward needs only its output: the pre-activation can go now
    y.dispose();
    return r;
  }
}

/** What every residual block of a stage is told. */
export interface BlockOptions {
  inChannels: number;
  /** The block's width; it outputs planes * expansion channels. */
  planes: number;
  spatialStride: number;
  /** Temporal kernel 3 (see the file comment) rather than 1. */
  inflate: boolean;
  /** The projection shortcut, when the shape changes. */
  downsample: ConvModule | null;
}

/** A residual block: out = relu(body(x) + shortcut(x)). */
export interface ResidualBlock extends TensorModule {
  /** The BatchNorm that ends the residual branch (zeroed by `zeroInitResidual`). */
  readonly lastBn: BatchNorm3d;
}

/**
 * The bottleneck of ResNet-50/101: 1x1x1 (3x1x1 if inflated) -> 1x3x3 with the spatial stride ->
 * 1x1x1 expanding to 4 x planes; ReLU after the sum.
 */
export class Bottleneck3d extends Module implements ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: ConvModule;
  readonly conv2: ConvModule;
  readonly conv3: ConvModule;
  readonly downsample: ConvModule | null;

  constructor(o: BlockOptions) {
    super();
    const { inChannels, planes, spatialStride: s } = o;
    this.conv1 = this.registerModule('conv1', new ConvModule(inChannels, planes, o.inflate ? [3, 1, 1] : 1, { padding: o.inflate ? [1, 0, 0] : 0 }));
    this.conv2 = this.registerModule('conv2', new ConvModule(planes, planes, [1, 3, 3], { stride: [1, s, s], padding: [0, 1, 1] }));
    this.conv3 = this.registerModule('conv3', new ConvModule(planes, planes * Bottleneck3d.expansion, 1, { relu: false }));
    this.downsample = o.downsample ? this.registerModule('downsample', o.downsample) : null;
  }

  get lastBn(): BatchNorm3d {
    return this.conv3.bn!;
  }

  /** [N, C_in, T, H, W] -> [N, 4 * planes, T, H / s, W / s] */
  forward(x: Tensor): Tensor {
    const a = this.conv1.forward(x);
    const b = this.conv2.forward(a);
    a.dispose();
    const body = this.conv3.forward(b);
    b.dispose();
    return residualRelu(body, this.downsample, x);
  }
}

/** The basic block of ResNet-18: two 1x3x3 (3x3x3 if inflated) convs, the first with the stride. */
export class BasicBlock3d extends Module implements ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: ConvModule;
  readonly conv2: ConvModule;
  readonly downsample: ConvModule | null;

  constructor(o: BlockOptions) {
    super();
    const { inChannels, planes, spatialStride: s } = o;
    const kernel: Triple = o.inflate ? [3, 3, 3] : [1, 3, 3];
    const padding: Triple = o.inflate ? [1, 1, 1] : [0, 1, 1];
    this.conv1 = this.registerModule('conv1', new ConvModule(inChannels, planes, kernel, { stride: [1, s, s], padding }));
    this.conv2 = this.registerModule('conv2', new ConvModule(planes, planes, kernel, { padding, relu: false }));
    this.downsample = o.downsample ? this.registerModule('downsample', o.downsample) : null;
  }

  get lastBn(): BatchNorm3d {
    return this.conv2.bn!;
  }

  /** [N, C_in, T, H, W] -> [N, planes, T, H / s, W / s] */
  forward(x: Tensor): Tensor {
    const a = this.conv1.forward(x);
    const body = this.conv2.forward(a);
    a.dispose();
    return residualRelu(body, this.downsample, x);
  }
}

/** relu(body + shortcut(x)), body being the block's own intermediate (consumed). */
function residualRelu(body: Tensor, downsample: ConvModule | null, x: Tensor): Tensor {
  const shortcut = downsample ? downsample.forward(x) : x;
  // in place (out += identity): a BatchNorm's backward does not need its output, and one buffer fewer per block
  body.add_(shortcut);
  releaseIntermediate(shortcut, x);
  const out = body.relu();
  body.dispose();
  return out;
}

export type ResNetDepth = 18 | 50 | 101;

export interface BlockKind {
  readonly expansion: number;
  new (o: BlockOptions): ResidualBlock;
}

/** Blocks per stage (res2..res5) and the block type of each depth. */
export const RESNET_ARCH: Readonly<Record<ResNetDepth, { block: BlockKind; stageBlocks: readonly number[] }>> = {
  18: { block: BasicBlock3d, stageBlocks: [2, 2, 2, 2] },
  50: { block: Bottleneck3d, stageBlocks: [3, 4, 6, 3] },
  101: { block: Bottleneck3d, stageBlocks: [3, 4, 23, 3] },
};

export interface ResLayerOptions {
  block: BlockKind;
  inChannels: number;
  planes: number;
  blocks: number;
  spatialStride: number;
  inflate: boolean;
}

/**
 * One ResNet stage, a Sequential of blocks named "0", "1", ...; the first block takes the stride and,
 * when the shape changes, a 1x1x1 ConvModule (no ReLU) as its shortcut.
 */
export function makeResLayer(o: ResLayerOptions): Sequential {
  const out = o.planes * o.block.expansion;
  const downsample =
    o.spatialStride !== 1 || o.inChannels !== out
      ? new ConvModule(o.inChannels, out, 1, { stride: [1, o.spatialStride, o.spatialStride], relu: false })
      : null;
  const layer = new Sequential(new o.block({ inChannels: o.inChannels, planes: o.planes, spatialStride: o.spatialStride, inflate: o.inflate, downsample }));
  for (let i = 1; i < o.blocks; i++) {
    layer.append(new o.block({ inChannels: out, planes: o.planes, spatialStride: 1, inflate: o.inflate, downsample: null }));
  }
  return layer;
}

/**
 * mmaction2's initialisation of a 3D ResNet trained from scratch: every conv Kaiming-normal (fan_out,
 * ReLU gain), every BatchNorm weight 1 and bias 0, and, with `zeroInitResidual`, the last BatchNorm of
 * each residual block zeroed so that every block starts as the identity.
 */
export function initResNet3d(m: Module, zeroInitResidual: boolean): void {
  for (const [, sub] of m.namedModules()) {
    if (sub instanceof Conv3d) {
      init.kaimingNormal_(sub.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      if (sub.bias) init.zeros_(sub.bias);
    } else if (sub instanceof BatchNorm3d) {
      if (sub.weight) init.ones_(sub.weight);
      if (sub.bias) init.zeros_(sub.bias);
    }
  }
  if (zeroInitResidual) {
    for (const [, sub] of m.namedModules()) {
      if (sub instanceof Bottleneck3d || sub instanceof BasicBlock3d) init.zeros_(sub.lastBn.weight!);
    }
  }
}
