/**
 * The action detector (mmaction2's FastRCNN for AVA): a backbone and the RoI head, with state-dict
 * keys `backbone.*` and `roi_head.*` as in mmaction2's checkpoints. Boxes come from outside (ground
 * truth and a person detector's proposals); the detector classifies each one, multi-label.
 */
import { Tensor, tensor, noGrad, type Device } from '../torch/index.js';
import { Module } from '../nn/index.js';
import type { Backbone } from './slowfast.js';
import { AVARoIHead, type RoIHeadOptions } from './roi-head.js';
import { assignClip, type AssignOptions, type ClipBoxes, type Box } from './assign.js';

export type { Box, ClipBoxes, AssignOptions } from './assign.js';

export class ActionDetector extends Module {
  readonly backbone: Backbone;
  readonly roiHead: AVARoIHead;

  constructor(backbone: Backbone, head: Omit<RoIHeadOptions, 'inChannels' | 'featureStride'>) {
    super();
    this.backbone = this.registerModule('backbone', backbone);
    this.roiHead = this.registerModule('roi_head', new AVARoIHead({ ...head, inChannels: backbone.outChannels, featureStride: backbone.featureStride }));
  }

  get numClasses(): number {
    return this.roiHead.options.numClasses;
  }

  /** clips [N, 3, T, H, W], rois [K, 5] (batchIndex, x1, y1, x2, y2 in input pixels) -> logits [K, numClasses] */
  forward(clips: Tensor, rois: Tensor): Tensor {
    const features = this.backbone.features(clips);
    const logits = this.roiHead.forward(features, rois);
    for (const f of features) if (f !== clips) f.dispose(); // consumed: free them now, not at the end of the step
    return logits;
  }

  /**
   * The loss's logits: the non-background logits [M, numClasses - 1] of `lossInputs(...).logits`,
   * through the reference's logit BatchNorm when the head has one (logitNorm 'bn'), else unchanged
   * (the same tensor). The training loop calls it between lossInputs and the loss; predict() does not.
   */
  lossLogits(logits: Tensor): Tensor {
    return this.roiHead.lossLogits(logits);
  }

  /**
   * Scores in [0, 1] for every class of every box: sigmoid of the raw logits (no logit BatchNorm: in
   * the reference it acts inside the loss only), without autograd. Call eval() first.
   */
  predict(clips: Tensor, rois: Tensor): Tensor {
    return noGrad(() => {
      const logits = this.forward(clips, rois);
      const scores = logits.sigmoid();
      logits.dispose();
      return scores;
    });
  }

  /**
   * Loads the backbone from a state dict with mmaction2's names, e.g. a Kinetics-400 recognizer's
   * (`backbone.*` is required and checked strictly; everything else, such as its `cls_head.*`, is
   * ignored and listed). The RoI head keeps its initialisation.
   */
  loadBackbone(state: ReadonlyMap<string, Tensor>, source = 'checkpoint'): { ignored: string[] } {
    const own = new Map<string, Tensor>();
    const ignored: string[] = [];
    for (const [k, t] of state) {
      if (k.startsWith('backbone.')) own.set(k.slice('backbone.'.length), t);
      else ignored.push(k);
    }
    this.backbone.loadStateDict(own, { strict: true, source: `${source} (backbone.*)` });
    return { ignored };
  }
}

export interface TargetOptions extends AssignOptions {
  /**
   * Whether boxes without any label (negatives) take part in the loss with all-zero targets.
   * 'ignore' is upstream mmaction2 (only boxes with a label count); 'include' is the reference's code.
   */
  negatives: 'ignore' | 'include';
  /** Where the tensors go (default cpu): the detector's device. */
  device?: Device;
}

export interface Targets {
  /** [K, 5] float32: (batchIndex, x1, y1, x2, y2), the boxes to classify. */
  rois: Tensor;
  /** [K, numClasses - 1] float32 multi-hot over classes 1..numClasses-1 (class 0 dropped). */
  targets: Tensor;
  /** [K] bool: the rows that count in the loss. */
  lossMask: Tensor;
  /** Rows with at least one label. */
  numPositive: number;
  /** Per clip, what was assigned (plain numbers, for inspection and tests). */
  perClip: { boxes: Box[]; labels: number[][]; gtIndex: number[] }[];
}

/**
 * Assigns labels to ground-truth boxes and proposals of each clip of a batch and samples up to
 * `numSamples` per clip (see assign.ts), as tensors for the detector and the loss.
 */
export function assignTargets(batch: readonly ClipBoxes[], o: TargetOptions): Targets {
  const perClip = batch.map((clip) => assignClip(clip, o));
  const rois: number[] = [];
  const targets: number[] = [];
  const mask: boolean[] = [];
  let numPositive = 0;
  perClip.forEach((c, b) => {
    c.boxes.forEach((box, i) => {
      rois.push(b, box[0], box[1], box[2], box[3]);
      const t = c.labels[i]!.slice(1);
      targets.push(...t);
      const positive = t.some((v) => v > 0);
      if (positive) numPositive++;
      mask.push(positive || o.negatives === 'include');
    });
  });
  const k = mask.length;
  return {
    rois: tensor(new Float32Array(rois), { shape: [k, 5], device: o.device }),
    targets: tensor(new Float32Array(targets), { shape: [k, o.numClasses - 1], device: o.device }),
    lossMask: tensor(new Uint8Array(mask.map(Number)), { shape: [k], dtype: 'bool', device: o.device }),
    numPositive,
    perClip,
  };
}

/**
 * The loss's inputs: logits [K, numClasses] -> the rows of lossMask, without class 0, and their targets.
 * A training step then passes `logits` through `detector.lossLogits` (the reference's logit BatchNorm)
 * before the loss.
 */
export function lossInputs(logits: Tensor, t: Pick<Targets, 'targets' | 'lossMask'>): { logits: Tensor; targets: Tensor } {
  const rows = logits.slice(1, 1).indexMask(t.lossMask); // [M, numClasses - 1]
  return { logits: rows, targets: t.targets.indexMask(t.lossMask) };
}
