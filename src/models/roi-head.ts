/**
 * The AVA RoI action head (mmaction2's AVARoIHead: SingleRoIExtractor3D + BBoxHeadAVA):
 *
 *   pathway features [N, C_i, T_i, h, w] --temporal avg/max pool, concat--> [N, sum C_i, h, w]
 *   --RoIAlign 8x8 at 1/16, aligned, adaptive sampling--> [K, C, 8, 8]   (one row per box)
 *   --dropout--> --spatial max pool--> [K, C] --fc_cls--> logits [K, numClasses]
 *
 * Boxes are rois [K, 5]: (batchIndex, x1, y1, x2, y2) in input pixels. Scores at test time are the
 * sigmoid of every class of every box (multi-label), from these raw logits. Keys:
 * `roi_head.bbox_head.fc_cls.weight`, `roi_head.bbox_head.logit_bn.*` (the last is stad's, for the
 * reference recipe: a BatchNorm1d over the numClasses - 1 non-background logits that only the loss
 * sees, see `lossLogits`).
 */
import { Tensor, cat, roiAlign } from '../torch/index.js';
import { Module, Linear, Dropout, BatchNorm1d, init } from '../nn/index.js';

export type TemporalPool = 'avg' | 'max';

export interface RoIExtractorOptions {
  /** RoIAlign output size (8). */
  outputSize: number;
  /** Input pixels per feature cell (16). */
  featureStride: number;
  /** Sampling points per bin side; 0 = adaptive, ceil(bin size) (torchvision's default, mmcv's 0). */
  samplingRatio: number;
  temporalPool: TemporalPool;
}

/**
 * Per pathway temporal pooling, channel concatenation, then RoIAlign on the pooled map. (mmaction2
 * first stretches every pathway to the longest one with nearest interpolation; when the lengths divide
 * each other, as in every preset, that repeats each frame equally often and changes neither the mean
 * nor the max, so pooling each pathway directly gives the same features with less work.)
 */
export class SingleRoIExtractor3D extends Module {
  constructor(readonly options: RoIExtractorOptions) {
    super();
  }

  /** features: [N, C_i, T_i, h, w] each; rois [K, 5] -> [K, sum C_i, out, out] */
  forward(features: readonly Tensor[], rois: Tensor): Tensor {
    const o = this.options;
    const pooled = features.map((f) => (o.temporalPool === 'avg' ? f.mean(2) : f.max(2, false).values)); // [N, C_i, h, w]
    const map = pooled.length === 1 ? pooled[0]! : cat(pooled, 1); // [N, C, h, w]
    if (map !== pooled[0]) for (const p of pooled) p.dispose(); // consumed: free them now, not at the end of the step
    // under autocast (amp: bf16) the features are bfloat16; RoIAlign runs in float32 as torchvision's
    // own autocast rule for roi_align does (its CPU kernel has no bf16, and the boxes are float32)
    const map32 = map.dtype === 'float32' ? map : map.float();
    if (map32 !== map) map.dispose();
    const out = roiAlign(map32, rois, { outputSize: o.outputSize, spatialScale: 1 / o.featureStride, samplingRatio: o.samplingRatio > 0 ? o.samplingRatio : -1, aligned: true });
    map32.dispose();
    return out;
  }
}

export type LogitNorm = 'none' | 'bn';

export interface BBoxHeadOptions {
  inChannels: number;
  /** Including the background / "None" class 0 (81 for AVA). */
  numClasses: number;
  dropout: number;
  /**
   * 'bn': the reference recipe's BatchNorm1d over the numClasses - 1 non-background logits, applied
   * inside the loss only (`lossLogits`); forward() and test-time scores never use it.
   */
  logitNorm: LogitNorm;
}

/**
 * Dropout, spatial max pool, a linear classifier (mmaction2's BBoxHeadAVA), and the reference's
 * loss-side logit BatchNorm.
 */
export class BBoxHeadAVA extends Module {
  readonly dropout: Dropout;
  readonly fcCls: Linear;
  readonly logitBn: BatchNorm1d | null;

  constructor(readonly options: BBoxHeadOptions) {
    super();
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout)); // no state, but follows train()/eval()
    this.fcCls = this.registerModule('fc_cls', new Linear(options.inChannels, options.numClasses));
    init.normal_(this.fcCls.weight, 0, 0.01);
    init.zeros_(this.fcCls.bias!);
    this.logitBn = options.logitNorm === 'bn' ? this.registerModule('logit_bn', new BatchNorm1d(options.numClasses - 1)) : null;
  }

  /** RoI features [K, C, s, s] -> logits [K, numClasses] */
  forward(roiFeatures: Tensor): Tensor {
    const dropped = this.dropout.forward(roiFeatures); // dropout before the pool, as mmaction2 (dropout_before_pool)
    const pooled = dropped.adaptiveMaxPool2d(1);
    if (dropped !== roiFeatures) dropped.dispose(); // consumed (autograd keeps what it needs): free it now
    const x = pooled.flatten(1); // [K, C]
    pooled.dispose();
    const logits = this.fcCls.forward(x); // [K, numClasses]
    x.dispose();
    return logits;
  }

  /**
   * What the loss sees: the non-background logits [M, numClasses - 1] (`lossInputs(...).logits`)
   * normalised by `logit_bn`, as the reference does between dropping class 0 and the loss; with
   * logitNorm 'none', `logits` itself (the same tensor, as Dropout in eval: do not dispose both).
   *
   * In training mode the batch statistics normalise and the running ones are updated (BatchNorm1d's
   * rule). A batch needs at least 2 rows for batch statistics; with 0 or 1 (a step whose clips have
   * a single box, or none, that counts in the loss) this step uses the running statistics instead
   * and leaves them as they are, rather than fail (PyTorch raises) or skip the normalisation (which
   * would hand the loss logits on another scale than every other step's). The affine weight and
   * bias still get their gradient.
   */
  lossLogits(logits: Tensor): Tensor {
    const c = this.options.numClasses - 1;
    if (logits.ndim !== 2 || logits.shape[1] !== c) {
      throw new RangeError(`lossLogits: expects the non-background logits [M, ${c}], got [${logits.shape.join(', ')}]`);
    }
    const bn = this.logitBn;
    if (!bn) return logits;
    if (!bn.training || bn.frozen || logits.shape[0]! >= 2) return bn.forward(logits);
    return logits.batchNorm({ weight: bn.weight, bias: bn.bias, runningMean: bn.runningMean, runningVar: bn.runningVar, training: false, momentum: bn.momentum, eps: bn.eps });
  }
}

export interface RoIHeadOptions extends RoIExtractorOptions, BBoxHeadOptions {}

/** The RoI head: `bbox_roi_extractor` (no parameters) and `bbox_head`. */
export class AVARoIHead extends Module {
  readonly bboxRoiExtractor: SingleRoIExtractor3D;
  readonly bboxHead: BBoxHeadAVA;

  constructor(readonly options: RoIHeadOptions) {
    super();
    const o = options;
    this.bboxRoiExtractor = this.registerModule('bbox_roi_extractor', new SingleRoIExtractor3D({ outputSize: o.outputSize, featureStride: o.featureStride, samplingRatio: o.samplingRatio, temporalPool: o.temporalPool }));
    this.bboxHead = this.registerModule('bbox_head', new BBoxHeadAVA({ inChannels: o.inChannels, numClasses: o.numClasses, dropout: o.dropout, logitNorm: o.logitNorm }));
  }

  /** features: the backbone's pathways; rois [K, 5] -> logits [K, numClasses] */
  forward(features: readonly Tensor[], rois: Tensor): Tensor {
    if (rois.ndim !== 2 || rois.shape[1] !== 5) throw new RangeError(`rois must be [K, 5] (batchIndex, x1, y1, x2, y2), got [${rois.shape.join(', ')}]`);
    const roiFeatures = this.bboxRoiExtractor.forward(features, rois);
    const logits = this.bboxHead.forward(roiFeatures);
    roiFeatures.dispose();
    return logits;
  }

  /** Non-background logits [M, numClasses - 1] -> what the loss sees (BBoxHeadAVA.lossLogits). */
  lossLogits(logits: Tensor): Tensor {
    return this.bboxHead.lossLogits(logits);
  }
}
