/**
 * A diagnostic third side for bench/train: stad's own training step on the dumped batches, without the
 * loader, assigner, schedule or logging (forward, loss, backward, gradient clipping, optimiser step, as
 * src/train/loop.ts does them). Beside the other two it splits the gap between `stad train` and
 * PyTorch's bare step into the model step and the rest (data path, bookkeeping).
 */
import { readFileSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import { clipGradNorm_ } from '../../src/nn/index.js';
import { buildDetector, type ActionDetector } from '../../src/models/index.js';
import { buildLoss } from '../../src/losses/index.js';
import type { RunConfig } from '../../src/train/config.js';
import { buildOptimizer } from '../../src/train/optimizer.js';

type Batch = [torch.Tensor, torch.Tensor, torch.Tensor]; // clips [N, 3, T, H, W], rois [K, 5], targets [K, C - 1]

export class BareStep {
  private readonly det: ActionDetector;
  private readonly opt: ReturnType<typeof buildOptimizer>;
  private readonly loss: (logits: torch.Tensor, targets: torch.Tensor) => torch.Tensor;
  private batches: Batch[] = [];

  constructor(private readonly c: RunConfig) {
    torch.manualSeed(c.seed);
    this.det = buildDetector(c.model).train();
    this.opt = buildOptimizer(this.det, c.optim, c.optim.lr);
    this.loss = buildLoss(c.loss, { classCounts: new Array<number>(c.model.head.numClasses - 1).fill(1), numBoxes: 1 });
  }

  /** Reads a file written by dumpEpoch (outside any timing); returns the batch count. */
  load(path: string): number {
    this.free();
    const index = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Record<string, [number, number[]]>[];
    const data = readFileSync(path);
    this.batches = index.map((b) =>
      (['clips', 'rois', 'targets'] as const).map((k) => {
        const [offset, shape] = b[k]!;
        const n = shape.reduce((a, d) => a * d, 1) * 4;
        return torch.keep(torch.fromBytes(new Uint8Array(data.buffer, data.byteOffset + offset, n), shape, 'float32'));
      }) as Batch,
    );
    return this.batches.length;
  }

  /** One step on batch i: wall and process CPU seconds. */
  step(i: number): { wallS: number; cpuS: number } {
    const [x, rois, targets] = this.batches[i]!;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    torch.tidy(() => {
      const logits = this.det.forward(x, rois); // [K, numClasses]
      const l = this.loss(logits.narrow(1, 1, logits.shape[1]! - 1), targets);
      l.backward();
      l.item(); // the loop reads the loss every step
    });
    if (this.c.gradClip !== null) clipGradNorm_(this.det.parameters(), this.c.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    const cu = process.cpuUsage(c0);
    return { wallS: (performance.now() - t0) / 1000, cpuS: (cu.user + cu.system) / 1e6 };
  }

  private free(): void {
    for (const b of this.batches) torch.dispose(b);
    this.batches = [];
  }

  dispose(): void {
    this.free();
    this.opt.dispose();
    this.det.dispose();
  }
}
