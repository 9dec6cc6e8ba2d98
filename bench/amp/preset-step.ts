/**
 * One training step of a preset's model on a fixed synthetic batch, on any device and in either
 * precision: what `stad train` does per step (targets from the assigner, forward under the run's
 * precision, the reference's logit BatchNorm, the loss, backward, gradient clipping, the optimiser),
 * without the dataset. The amp benchmark times it; the device tests (test/models/device-step.test.ts)
 * and bench/gpu.sh compare its loss between float32 and bf16, and between the CPU and a GPU.
 *
 * The model is built on the CPU from a seed and then moved, and the batch is drawn on the CPU, so two
 * instances with the same seed start from the same numbers on every device.
 */
import * as torch from '../../src/torch/index.js';
import { assignTargets, buildDetector, lossInputs, type ActionDetector, type Box, type ClipBoxes } from '../../src/models/index.js';
import { buildLoss } from '../../src/losses/index.js';
import { loadRunConfig, effectiveLR, type RunConfig } from '../../src/train/config.js';
import { buildOptimizer } from '../../src/train/optimizer.js';
import { applyBackendOptions, forwardIn, type AmpMode } from '../../src/train/precision.js';
import { clipGradNormTensor_ } from '../../src/nn/index.js';

export interface PresetStepOptions {
  device?: torch.Device;
  amp?: AmpMode;
  seed?: number;
  /** Clips per batch (default: the preset's batchSize). */
  batchSize?: number;
  /** Head dropout (default: the preset's); 0 makes steps comparable across devices and precisions. */
  dropout?: number;
  /** Override the input (frames, size) for a smaller or larger clip. */
  frames?: number;
  size?: number;
}

export class PresetStep {
  readonly config: RunConfig;
  readonly device: torch.Device;
  readonly amp: AmpMode;
  private readonly det: ActionDetector;
  private readonly opt: ReturnType<typeof buildOptimizer>;
  private readonly loss: (logits: torch.Tensor, targets: torch.Tensor) => torch.Tensor;
  private readonly clips: torch.Tensor; // [N, 3, T, S, S] on the CPU
  private readonly boxes: ClipBoxes[];

  constructor(preset: string, o: PresetStepOptions = {}) {
    const base = loadRunConfig(preset).config;
    const input = { ...base.model.input, ...(o.frames ? { frames: o.frames } : {}), ...(o.size ? { size: o.size } : {}) };
    const head = { ...base.model.head, ...(o.dropout === undefined ? {} : { dropout: o.dropout }) };
    this.config = { ...base, model: { ...base.model, input, head }, batchSize: o.batchSize ?? base.batchSize };
    this.device = o.device ?? 'cpu';
    this.amp = o.amp ?? 'none';
    const c = this.config;
    applyBackendOptions(c);
    torch.manualSeed(o.seed ?? 0);
    this.det = buildDetector(c.model).train();
    if (this.device !== 'cpu') this.det.to(this.device);
    this.opt = buildOptimizer(this.det, c.optim, effectiveLR(c));
    const n = c.model.head.numClasses - 1;
    this.loss = buildLoss(c.loss, { classCounts: Array.from({ length: n }, (_, i) => 10 + 5 * i), numBoxes: 40 + 5 * n });
    const s = input.size;
    this.clips = torch.keep(torch.randn([c.batchSize, 3, input.frames, s, s]));
    // two people per clip, one labelled with two classes, the other with one; a proposal on each
    this.boxes = Array.from({ length: c.batchSize }, (_, i) => {
      const a: Box = [0.1 * s, 0.1 * s, 0.5 * s, 0.9 * s];
      const b: Box = [0.45 * s, 0.15 * s, 0.9 * s, 0.95 * s];
      const shift = (box: Box, d: number): Box => [box[0] + d, box[1] + d, box[2] + d, box[3] + d];
      return {
        gtBoxes: [a, b],
        gtLabels: [[1 + (i % n), 1 + ((i + 2) % n)], [1 + ((i + 1) % n)]],
        proposals: [shift(a, 0.5), shift(b, -0.5)],
      };
    });
  }

  /** One step; returns its loss (read once, as the training loop does). */
  step(): number {
    const c = this.config;
    const dev = this.det.device;
    const value = torch.tidy(() => {
      const t = assignTargets(this.boxes, {
        numClasses: c.model.head.numClasses,
        posIouThr: c.assigner.posIou,
        negIouThr: c.assigner.posIou,
        minPosIou: c.assigner.posIou,
        numSamples: c.assigner.numRois,
        addGtAsProposals: c.assigner.addGtAsProposals,
        negatives: c.assigner.negatives,
        random: () => 0.5,
        device: dev,
      });
      const x = dev === 'cpu' ? this.clips : this.clips.to(dev); // [N, 3, T, S, S]
      const logits = forwardIn(this.amp, dev, () => this.det.forward(x, t.rois)); // [K, numClasses]
      const li = lossInputs(logits, t);
      const l = this.loss(this.det.lossLogits(li.logits), li.targets);
      l.backward();
      return l.item();
    });
    if (c.gradClip !== null) torch.tidy(() => void clipGradNormTensor_(this.det.parameters(), c.gradClip!));
    this.opt.step();
    this.opt.zeroGrad();
    return value;
  }

  /** The model's parameters (the master weights). */
  parameters(): torch.Tensor[] {
    return this.det.parameters();
  }

  dispose(): void {
    this.opt.zeroGrad();
    this.opt.dispose();
    this.det.dispose();
    this.clips.dispose();
  }
}
