/**
 * SlowFast (Feichtenhofer et al., 2019) and SlowOnly backbones, laid out as mmaction2's
 * ResNet3dSlowFast / ResNet3dSlowOnly so that their checkpoints load by name:
 *
 *   backbone.slow_path.conv1.conv.weight          stem (1x7x7 slow, 5x7x7 fast), then a 1x3x3 max pool
 *   backbone.slow_path.layer1.0.conv1.conv.weight res2..res5 = layer1..layer4
 *   backbone.slow_path.conv1_lateral.conv.weight  fast-to-slow fusion after the stem (a bare conv)
 *   backbone.slow_path.layer1_lateral.conv.weight ... after res2, res3 and res4
 *   backbone.fast_path....
 *
 * The network takes every frame of the clip [N, 3, T, H, W] and subsamples time itself: the slow
 * pathway sees T / resampleRate frames, the fast one T / (resampleRate / speedRatio). A lateral maps
 * C_fast channels to 2 * C_fast with a (fusionKernel, 1, 1) kernel and temporal stride speedRatio, so
 * its output has the slow pathway's length and is concatenated to the slow features.
 */
import type { Tensor } from '../torch/index.js';
import { cat } from '../torch/index.js';
import { Module, MaxPool3d, Sequential } from '../nn/index.js';
import { ConvModule, RESNET_ARCH, makeResLayer, initResNet3d, forwardStage, releaseIntermediate, type ResNetDepth, type Triple } from './resnet3d.js';

/** Fast-to-slow fusion into a pathway. */
export interface LateralOptions {
  /** 1/beta: the slow pathway has channelRatio times the fast one's channels. */
  channelRatio: number;
  /** alpha: the fast pathway has speedRatio times the slow one's frames (the laterals' temporal stride). */
  speedRatio: number;
  /** Temporal kernel of the lateral convs (odd). */
  fusionKernel: number;
  /**
   * BatchNorm + ReLU after each lateral conv, as PySlowFast's FuseFastToSlow has (mmaction2's laterals
   * are bare convs). Needed to load PySlowFast checkpoints, whose laterals carry BatchNorm statistics.
   */
  norm?: boolean;
}

export interface PathwayOptions {
  depth: ResNetDepth;
  /** Channels of the stem; stage i has baseChannels * 2^i planes. */
  baseChannels: number;
  conv1Kernel: Triple;
  /** Per stage (res2..res5): whether its blocks have temporal kernels. */
  inflate: readonly boolean[];
  /** Per stage: spatial stride of its first block. (1, 2, 2, 1) keeps res5 at stride 16 for detection. */
  spatialStrides: readonly number[];
  /** Present on the slow pathway of SlowFast: it receives laterals from the fast one. */
  lateral?: LateralOptions;
  zeroInitResidual?: boolean;
}

/** Subsamples time as mmaction2 does with nearest interpolation: frames 0, r, 2r, ... (floor(T / r) of them). */
export function subsampleTime(x: Tensor, rate: number): Tensor {
  if (rate === 1) return x;
  const t = Math.floor(x.shape[2]! / rate);
  if (t < 1) throw new RangeError(`a clip of ${x.shape[2]} frames is too short for a temporal stride of ${rate}`);
  return x.slice(2, 0, t * rate, rate);
}

function lateralConv(inChannels: number, l: LateralOptions): ConvModule {
  const k = l.fusionKernel;
  const norm = l.norm ?? false;
  return new ConvModule(inChannels, 2 * inChannels, [k, 1, 1], { stride: [l.speedRatio, 1, 1], padding: [(k - 1) / 2, 0, 0], norm, relu: norm });
}

/** One ResNet3d pathway: stem conv, max pool, four stages, and (slow pathway) the lateral convs. */
export class ResNet3dPathway extends Module {
  readonly conv1: ConvModule;
  readonly maxpool: MaxPool3d;
  readonly layers: Sequential[] = [];
  readonly conv1Lateral: ConvModule | null = null;
  /** laterals[i] fuses the fast features after stage i (res2, res3, res4). */
  readonly laterals: ConvModule[] = [];
  /** Channels of the last stage's output. */
  readonly outChannels: number;

  constructor(readonly options: PathwayOptions) {
    super();
    const o = options;
    const { block, stageBlocks } = RESNET_ARCH[o.depth];
    if (o.inflate.length !== 4 || o.spatialStrides.length !== 4) throw new RangeError('inflate and spatialStrides need one value per stage (4)');
    const k = o.conv1Kernel;
    this.conv1 = this.registerModule('conv1', new ConvModule(3, o.baseChannels, k, { stride: [1, 2, 2], padding: [(k[0] - 1) >> 1, (k[1] - 1) >> 1, (k[2] - 1) >> 1] }));
    this.maxpool = new MaxPool3d([1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] });
    const l = o.lateral;
    if (l && (o.baseChannels % l.channelRatio !== 0 || l.fusionKernel % 2 !== 1)) {
      throw new RangeError(`baseChannels (${o.baseChannels}) must be a multiple of channelRatio (${l.channelRatio}) and fusionKernel (${l.fusionKernel}) odd`);
    }
    // The fast pathway's channels after each stage, hence what each lateral adds to the slow input.
    const fused = (slowChannels: number) => (l ? (2 * slowChannels) / l.channelRatio : 0);
    let inChannels = o.baseChannels;
    for (let i = 0; i < 4; i++) {
      const planes = o.baseChannels * 2 ** i;
      const layer = makeResLayer({ block, inChannels: inChannels + fused(inChannels), planes, blocks: stageBlocks[i]!, spatialStride: o.spatialStrides[i]!, inflate: o.inflate[i]! });
      this.layers.push(this.registerModule(`layer${i + 1}`, layer));
      inChannels = planes * block.expansion;
    }
    this.outChannels = inChannels;
    // Registered after the stages, as mmaction2 does (its state dicts list them in this order).
    if (l) {
      this.conv1Lateral = this.registerModule('conv1_lateral', lateralConv(o.baseChannels / l.channelRatio, l));
      for (let i = 0; i < 3; i++) {
        const stageOut = o.baseChannels * 2 ** i * block.expansion;
        this.laterals.push(this.registerModule(`layer${i + 1}_lateral`, lateralConv(stageOut / l.channelRatio, l)));
      }
    }
    initResNet3d(this, o.zeroInitResidual ?? true);
  }

  /** Stem: [N, 3, T, H, W] -> [N, baseChannels, T, H/4, W/4] */
  stem(x: Tensor): Tensor {
    const c = this.conv1.forward(x);
    const y = this.maxpool.forward(c);
    c.dispose();
    return y;
  }
}

export interface SlowFastOptions {
  depth: ResNetDepth;
  /** Stem channels of the slow pathway (64 for R50); the fast one has baseChannels / channelRatio. */
  baseChannels: number;
  /** tau: the slow pathway takes one input frame in resampleRate. */
  resampleRate: number;
  /** alpha: the fast pathway takes speedRatio times as many frames as the slow one. */
  speedRatio: number;
  /** 1/beta. */
  channelRatio: number;
  fusionKernel: number;
  /** PySlowFast-style laterals (BatchNorm + ReLU after the conv); mmaction2's have none. */
  lateralNorm: boolean;
  slowConv1Kernel: Triple;
  fastConv1Kernel: Triple;
  slowInflate: readonly boolean[];
  fastInflate: readonly boolean[];
  spatialStrides: readonly number[];
  zeroInitResidual: boolean;
}

/** The options of mmaction2's SlowFast R50 8x8x1 AVA backbone; override what differs. */
export function slowFastOptions(o: Partial<SlowFastOptions> = {}): SlowFastOptions {
  return {
    depth: 50,
    baseChannels: 64,
    resampleRate: 4,
    speedRatio: 4,
    channelRatio: 8,
    fusionKernel: 7,
    lateralNorm: false,
    slowConv1Kernel: [1, 7, 7],
    fastConv1Kernel: [5, 7, 7],
    slowInflate: [false, false, true, true],
    fastInflate: [true, true, true, true],
    spatialStrides: [1, 2, 2, 1],
    zeroInitResidual: true,
    ...o,
  };
}

/** What the RoI head needs from a backbone. */
export interface Backbone extends Module {
  /** Channels of all pathways' features together (2304 for SlowFast R50). */
  readonly outChannels: number;
  /** Input pixels per feature cell (16). */
  readonly featureStride: number;
  /** The pathways' last features, each [N, C_i, T_i, H/16, W/16]. */
  features(x: Tensor): Tensor[];
}

export class ResNet3dSlowFast extends Module implements Backbone {
  readonly slowPath: ResNet3dPathway;
  readonly fastPath: ResNet3dPathway;
  readonly options: SlowFastOptions;
  readonly outChannels: number;
  readonly featureStride: number;

  constructor(options: Partial<SlowFastOptions> = {}) {
    super();
    const o = (this.options = slowFastOptions(options));
    if (o.resampleRate % o.speedRatio !== 0) throw new RangeError(`resampleRate (${o.resampleRate}) must be a multiple of speedRatio (${o.speedRatio})`);
    const common = { depth: o.depth, spatialStrides: o.spatialStrides, zeroInitResidual: o.zeroInitResidual };
    this.slowPath = this.registerModule(
      'slow_path',
      new ResNet3dPathway({ ...common, baseChannels: o.baseChannels, conv1Kernel: o.slowConv1Kernel, inflate: o.slowInflate, lateral: { channelRatio: o.channelRatio, speedRatio: o.speedRatio, fusionKernel: o.fusionKernel, norm: o.lateralNorm } }),
    );
    this.fastPath = this.registerModule('fast_path', new ResNet3dPathway({ ...common, baseChannels: o.baseChannels / o.channelRatio, conv1Kernel: o.fastConv1Kernel, inflate: o.fastInflate }));
    this.outChannels = this.slowPath.outChannels + this.fastPath.outChannels;
    this.featureStride = 4 * o.spatialStrides.reduce((a, b) => a * b, 1);
  }

  /**
   * x [N, 3, T, H, W] ->
   *   slow [N, 32 * base, T / resampleRate, H/16, W/16]   (R50: [N, 2048, 8, 16, 16] for 32x256x256)
   *   fast [N, 4 * base / channelRatio, T * speedRatio / resampleRate, H/16, W/16]   ([N, 256, 32, 16, 16])
   */
  forward(x: Tensor): { slow: Tensor; fast: Tensor } {
    const o = this.options;
    // Intermediates are released as soon as they are consumed (see releaseIntermediate).
    const stem = (p: ResNet3dPathway, rate: number) => {
      const sub = subsampleTime(x, rate);
      const y = p.stem(sub);
      releaseIntermediate(sub, x);
      return y;
    };
    const fuse = (slow: Tensor, lateral: ConvModule, fast: Tensor) => {
      const l = lateral.forward(fast);
      const y = cat([slow, l], 1);
      slow.dispose();
      l.dispose();
      return y;
    };
    const stage = (layer: Sequential, t: Tensor) => {
      const y = forwardStage(layer, t);
      releaseIntermediate(t, y);
      return y;
    };
    let slow = stem(this.slowPath, o.resampleRate); // [N, base, T/tau, H/4, W/4]
    let fast = stem(this.fastPath, o.resampleRate / o.speedRatio); // [N, base/beta, alpha*T/tau, H/4, W/4]
    slow = fuse(slow, this.slowPath.conv1Lateral!, fast); // [N, base + 2*base/beta, T/tau, ...]
    for (let i = 0; i < 4; i++) {
      slow = stage(this.slowPath.layers[i]!, slow);
      fast = stage(this.fastPath.layers[i]!, fast);
      if (i < 3) slow = fuse(slow, this.slowPath.laterals[i]!, fast); // no fusion after res5
    }
    return { slow, fast };
  }

  features(x: Tensor): Tensor[] {
    const { slow, fast } = this.forward(x);
    return [slow, fast];
  }
}

export interface SlowOnlyOptions {
  depth: ResNetDepth;
  baseChannels: number;
  /** Temporal subsampling of the input clip (1: use every frame given). */
  resampleRate: number;
  conv1Kernel: Triple;
  inflate: readonly boolean[];
  spatialStrides: readonly number[];
  zeroInitResidual: boolean;
}

export function slowOnlyOptions(o: Partial<SlowOnlyOptions> = {}): SlowOnlyOptions {
  return {
    depth: 50,
    baseChannels: 64,
    resampleRate: 1,
    conv1Kernel: [1, 7, 7],
    inflate: [false, false, true, true],
    spatialStrides: [1, 2, 2, 1],
    zeroInitResidual: true,
    ...o,
  };
}

/**
 * SlowOnly: the slow pathway alone (mmaction2's ResNet3dSlowOnly; its keys have no `slow_path.`
 * prefix: `backbone.conv1.conv.weight`, `backbone.layer1.0...`).
 */
export class ResNet3dSlowOnly extends ResNet3dPathway implements Backbone {
  readonly resampleRate: number;
  readonly featureStride: number;

  constructor(options: Partial<SlowOnlyOptions> = {}) {
    const o = slowOnlyOptions(options);
    super({ depth: o.depth, baseChannels: o.baseChannels, conv1Kernel: o.conv1Kernel, inflate: o.inflate, spatialStrides: o.spatialStrides, zeroInitResidual: o.zeroInitResidual });
    this.resampleRate = o.resampleRate;
    this.featureStride = 4 * o.spatialStrides.reduce((a, b) => a * b, 1);
  }

  /** x [N, 3, T, H, W] -> [N, 32 * base, T / resampleRate, H/16, W/16] (R50: 2048 channels) */
  forward(x: Tensor): Tensor {
    const sub = subsampleTime(x, this.resampleRate);
    let y = this.stem(sub);
    releaseIntermediate(sub, x);
    for (const layer of this.layers) {
      const next = forwardStage(layer, y);
      releaseIntermediate(y, next);
      y = next;
    }
    return y;
  }

  features(x: Tensor): Tensor[] {
    return [this.forward(x)];
  }
}
