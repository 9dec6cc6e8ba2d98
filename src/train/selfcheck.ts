/**
 * A short end-to-end check of the stack (binding, autograd, nn, optimiser, memory discipline): a tiny
 * 3D ConvNet learns the direction (left or right) in which a bright square moves across 8 frames — a
 * task that can only be solved from motion, like the real one. Runs in seconds on a CPU.
 */
import * as torch from '../torch/index.js';
import { Conv3d, BatchNorm3d, Linear, Module, SGD } from '../nn/index.js';
import type { ProgressCallback } from '../util/progress.js';

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
function makeBatch(n: number, rand: () => number): { x: torch.Tensor; y: torch.Tensor } {
  const T = 8;
  const S = 12;
  const data = new Float32Array(n * T * S * S);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const right = rand() < 0.5;
    labels[i] = right ? 1n : 0n;
    const row = 1 + Math.floor(rand() * (S - 4));
    for (let t = 0; t < T; t++) {
      const col = right ? t : S - 3 - t;
      for (let yy = 0; yy < S; yy++) {
        for (let xx = 0; xx < S; xx++) {
          const inside = yy >= row && yy < row + 3 && xx >= col && xx < col + 3;
          data[((i * T + t) * S + yy) * S + xx] = (inside ? 1 : 0) + 0.2 * (rand() - 0.5);
        }
      }
    }
  }
  return { x: torch.tensor(data, { shape: [n, 1, T, S, S] }), y: torch.tensor(labels) };
}

/** mulberry32: a tiny seeded PRNG so that the check's data is the same on every machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SelfcheckResult {
  build: torch.NativeBuildInfo;
  steps: number;
  firstLoss: number;
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
  const rand = seeded(opts.seed ?? 0);
  const model = new TinyMotionNet();
  const optim = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  // Counted after the first step, once the optimiser has created its momentum buffers.
  let liveBefore = 0;
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  for (let step = 0; step < steps; step++) {
    lastLoss = torch.tidy(() => {
      const { x, y } = makeBatch(16, rand);
      const loss = torch.crossEntropy(model.forward(x), y);
      optim.zeroGrad();
      loss.backward();
      optim.step();
      return loss.item();
    });
    if (step === 0) {
      firstLoss = lastLoss;
      liveBefore = torch.memory().liveTensors;
    }
    opts.onProgress?.({ done: step + 1, total: steps, info: `loss ${lastLoss.toFixed(4)}` });
  }
  const liveAfter = torch.memory().liveTensors;
  model.eval();
  const accuracy = torch.tidy(() =>
    torch.noGrad(() => {
      const { x, y } = makeBatch(256, rand);
      return model.forward(x).argmax(1).eq(y).float().mean().item();
    }),
  );
  const build = torch.buildInfo();
  optim.dispose();
  model.dispose();
  return { build, steps, firstLoss, lastLoss, accuracy, liveTensorsBefore: liveBefore, liveTensorsAfter: liveAfter, seconds: (performance.now() - start) / 1000 };
}
