/**
 * stad's side of bench/model: the detector, SGD and fixed inputs, and one timed training step with the
 * process's CPU time and minor page faults (shared by index.ts and steps.ts).
 */
import * as torch from '../../src/torch/index.js';
import { SGD } from '../../src/nn/index.js';
import { buildDetector, type ActionDetector, type ModelConfig } from '../../src/models/index.js';
import type { StepTime } from './pairs.js';

/** Deterministic boxes, the same for both sides: [batchIndex, x1, y1, x2, y2] in input pixels. */
export function makeRois(batch: number, perClip: number, size: number): number[][] {
  let a = 12345;
  const rand = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  const rois: number[][] = [];
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < perClip; k++) {
      const x1 = rand() * size * 0.5;
      const y1 = rand() * size * 0.5;
      const w = (rand() * 0.4 + 0.1) * size;
      const h = (rand() * 0.4 + 0.1) * size;
      rois.push([b, x1, y1, x1 + w, y1 + h].map((v) => Math.round(v * 100) / 100));
    }
  }
  return rois;
}

/** The stad side: the detector, SGD, and fixed inputs, kept for the whole measurement. */
export class StadSide {
  private readonly det: ActionDetector;
  private readonly opt: SGD;
  private readonly clips: torch.Tensor;
  private readonly rois: torch.Tensor;
  private readonly targets: torch.Tensor;
  readonly parameters: number;

  constructor(config: ModelConfig, batch: number, rois: number[][]) {
    torch.manualSeed(0);
    this.det = buildDetector(config).train();
    this.parameters = this.det.numParameters();
    this.opt = new SGD(this.det.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-5 });
    const { frames, size } = config.input;
    this.clips = torch.keep(torch.randn([batch, 3, frames, size, size]));
    this.rois = torch.keep(torch.tensor(new Float32Array(rois.flat()), { shape: [rois.length, 5] }));
    this.targets = torch.keep(torch.tidy(() => torch.rand([rois.length, config.head.numClasses - 1]).lt(0.2).float()));
  }

  step(): StepTime & { loss: number } {
    const t0 = process.hrtime.bigint();
    const r0 = process.resourceUsage();
    this.opt.zeroGrad();
    const loss = torch.tidy(() => {
      const logits = this.det.forward(this.clips, this.rois);
      const l = torch.binaryCrossEntropyWithLogits(logits.slice(1, 1), this.targets);
      l.backward();
      return l.item();
    });
    this.opt.step();
    const r = process.resourceUsage();
    const user = (r.userCPUTime - r0.userCPUTime) / 1e6;
    const sys = (r.systemCPUTime - r0.systemCPUTime) / 1e6;
    return { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: user + sys, sys, faults: r.minorPageFault - r0.minorPageFault, loss };
  }

  dispose(): void {
    this.opt.zeroGrad();
    this.opt.dispose();
    torch.dispose([this.clips, this.rois, this.targets]);
    this.det.dispose();
  }
}
