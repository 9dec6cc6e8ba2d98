/**
 * A short end-to-end check of the stack (binding, autograd, nn, optimiser, memory discipline): a tiny
 * 3D ConvNet learns the direction (left or right) in which a bright square moves across 8 frames — a
 * task that can only be solved from motion, like the real one. Runs in seconds on a CPU.
 */
import * as torch from '../torch/index.js';
import { Conv3d, BatchNorm3d, Linear, Module, SGD } from '../nn/index.js';
import type { ProgressCallback } from '../util/progress.js';
import { Rng } from '../data/rng.js';

class TinyMotionNet extends Module {
  readonly conv = this.registerModule('conv', new Conv3d(1, 8, 3, { padding: 1, bias: false }));
  readonly bn = this.registerModule('bn', new BatchNorm3d(8));
  readonly fc = this.registerModule('fc', new Linear(8, 2));

  /** [N, 1, T, H, W] -> logits [N, 2] */
  forward(x: torch.Tensor): torch.Tensor {
    const f = this.bn.forward(this.conv.forward(x)).relu(); // [N, 8, T, H, W]
    return this.fc.forward(f.adaptiveMaxPool3d(1).flatten(1)); // [N, 2]
  }
}

/** Clips [N, 1, 8, 12, 12] of a 3x3 square moving right (label 1) or left (label 0), with noise. */
function makeBatch(n: number, rng: Rng): { x: torch.Tensor; y: torch.Tensor } {
  const T = 8;
  const S = 12;
  const data = new Float32Array(n * T * S * S);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const right = rng.chance(0.5);
    labels[i] = right ? 1n : 0n;
    const row = 1 + rng.int(0, S - 5);
    for (let t = 0; t < T; t++) {
      const col = right ? t : S - 3 - t;
      for (let yy = 0; yy < S; yy++) {
        for (let xx = 0; xx < S; xx++) {
          const inside = yy >= row && yy < row + 3 && xx >= col && xx < col + 3;
          data[((i * T + t) * S + yy) * S + xx] = (inside ? 1 : 0) + 0.2 * (rng.next() - 0.5);
        }
      }
    }
  }
  return { x: torch.tensor(data, { shape: [n, 1, T, S, S] }), y: torch.tensor(labels) };
}

export interface SelfcheckResult {
  build: torch.NativeBuildInfo;
  steps: number;
  firstLoss: number;
  /** Mean loss of the last 10 steps. */
  lastLoss: number;
  accuracy: number;
  /** Live tensors after the first step and after the last: equal when nothing leaks. */
  liveTensorsBefore: number;
  liveTensorsAfter: number;
  seconds: number;
}

export function runSelfcheck(opts: { steps?: number; seed?: number; onProgress?: ProgressCallback } = {}): SelfcheckResult {
  const steps = opts.steps ?? 60;
  const start = performance.now();
  torch.manualSeed(opts.seed ?? 0);
  const rng = new Rng(opts.seed ?? 0, 'selfcheck');
  const model = new TinyMotionNet();
  const optim = new SGD(model.parameters(), { lr: 0.03, momentum: 0.9 });
  // Counted after the first step, once the optimiser has created its momentum buffers.
  let liveBefore = 0;
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  const recent: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = torch.tidy(() => {
      const { x, y } = makeBatch(16, rng);
      const loss = torch.crossEntropy(model.forward(x), y);
      optim.zeroGrad();
      loss.backward();
      optim.step();
      return loss.item();
    });
    // Report the mean of the last 10 steps: one batch's loss is noisy.
    recent.push(loss);
    if (recent.length > 10) recent.shift();
    lastLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
    if (step === 0) {
      firstLoss = loss;
      liveBefore = torch.memory().liveTensors;
    }
    opts.onProgress?.({ done: step + 1, total: steps, info: `loss ${loss.toFixed(4)}` });
  }
  const liveAfter = torch.memory().liveTensors;
  model.eval();
  const accuracy = torch.tidy(() =>
    torch.noGrad(() => {
      const { x, y } = makeBatch(256, rng);
      return model.forward(x).argmax(1).eq(y).float().mean().item();
    }),
  );
  const build = torch.buildInfo();
  optim.dispose();
  model.dispose();
  return { build, steps, firstLoss, lastLoss, accuracy, liveTensorsBefore: liveBefore, liveTensorsAfter: liveAfter, seconds: (performance.now() - start) / 1000 };
}
