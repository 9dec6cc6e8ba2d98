/**
 * stad's detector computes what the same network computes in PyTorch: a micro SlowFast (R18, 8 base
 * channels, loss-side logit BatchNorm) whose weights and input both sides fill from one formula,
 * against the logits and the loss's logits written by test/fixtures/models/reference_model.py (which
 * subsamples time with nearest interpolation and stretches the pathways before the temporal pool, as
 * mmaction2 does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import * as torch from '../../src/torch/index.js';
import { ActionDetector, ResNet3dSlowFast } from '../../src/models/index.js';

interface Fixture {
  input: number[];
  rois: number[][];
  slowShape: number[];
  fastShape: number[];
  slowSum: number;
  fastSum: number;
  logits: number[][];
  lossLogits: number[][];
  gradDots: Record<string, number>;
}

/** 2 fract(43758.5453 sin(0.7 j + 1.3 k)) - 1, j = 0..n-1 (reference_model.py's `hashed`). */
function hashed(n: number, k: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const s = Math.sin(0.7 * j + 1.3 * k) * 43758.5453;
    out[j] = 2 * (s - Math.floor(s)) - 1;
  }
  return out;
}

/** reference_model.py's `formula_fill`. */
function formulaState(model: ActionDetector): Map<string, torch.Tensor> {
  const state = new Map<string, torch.Tensor>();
  [...model.stateDict()].forEach(([name, t], k) => {
    if (name.endsWith('num_batches_tracked')) {
      state.set(name, t);
      return;
    }
    const u = hashed(t.numel(), k);
    const fanIn = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const v = u.map((x) =>
      name.endsWith('running_var') ? 1 + 0.5 * x * x : t.ndim >= 2 ? x * Math.sqrt(3 / fanIn) : name.endsWith('bn.weight') ? 1 + 0.2 * x : 0.1 * x,
    );
    state.set(name, torch.tensor(Float32Array.from(v), { shape: t.shape }));
  });
  return state;
}

const fixture = () => JSON.parse(readFileSync(join(fixtures, 'models', 'forward_micro.json'), 'utf8')) as Fixture;
const close = (got: number, want: number, what: string, rtol = 1e-4) =>
  assert.ok(Math.abs(got - want) <= rtol * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

function microDetector(): ActionDetector {
  const det = new ActionDetector(new ResNet3dSlowFast({ depth: 18, baseChannels: 8, channelRatio: 4, speedRatio: 4, resampleRate: 4, fusionKernel: 5 }), {
    numClasses: 5,
    temporalPool: 'avg',
    outputSize: 8,
    samplingRatio: 0,
    dropout: 0.5,
    logitNorm: 'bn',
  });
  torch.tidy(() => det.loadStateDict(formulaState(det)));
  return det.eval();
}

test('micro SlowFast logits equal the PyTorch reference (mmaction2 semantics) to 1e-4', () => {
  const f = fixture();
  const det = microDetector();
  try {
    torch.tidy(() => {
      const x = torch.tensor(Float32Array.from(hashed(f.input.reduce((a, b) => a * b, 1), 1000)), { shape: f.input });
      const { slow, fast } = torch.noGrad(() => (det.backbone as ResNet3dSlowFast).forward(x));
      assert.deepEqual(slow.shape, f.slowShape);
      assert.deepEqual(fast.shape, f.fastShape);
      close(slow.double().sum().item(), f.slowSum, 'sum of slow features');
      close(fast.double().sum().item(), f.fastSum, 'sum of fast features');
      const logits = torch.noGrad(() => det.forward(x, torch.tensor(f.rois)));
      assert.deepEqual(logits.shape, [f.rois.length, 5]);
      (logits.tolist() as number[][]).forEach((row, i) => row.forEach((v, c) => close(v, f.logits[i]![c]!, `logit [${i}, ${c}]`)));
      // the logit BatchNorm (eval: running statistics) over classes 1..4, as the loss sees them
      const lossLogits = torch.noGrad(() => det.lossLogits(logits.slice(1, 1)));
      assert.deepEqual(lossLogits.shape, [f.rois.length, 4]);
      (lossLogits.tolist() as number[][]).forEach((row, i) => row.forEach((v, c) => close(v, f.lossLogits[i]![c]!, `loss logit [${i}, ${c}]`)));
    });
  } finally {
    det.dispose();
  }
});

test('micro SlowFast gradients of sum(logits^2) + sum(lossLogits^2) equal PyTorch\'s (projected on a fixed direction) to 1e-3', () => {
  const f = fixture();
  const det = microDetector();
  try {
    torch.tidy(() => {
      const x = torch.tensor(Float32Array.from(hashed(f.input.reduce((a, b) => a * b, 1), 1000)), { shape: f.input });
      const logits = det.forward(x, torch.tensor(f.rois));
      logits.pow(2).sum().add(det.lossLogits(logits.slice(1, 1)).pow(2).sum()).backward();
      const params = new Map(det.namedParameters());
      for (const [name, want] of Object.entries(f.gradDots)) {
        const p = params.get(name);
        assert.ok(p, name);
        const direction = torch.tensor(hashed(p.numel(), 2000), { shape: p.shape, dtype: 'float64' });
        close(p.grad!.double().mul(direction).sum().item(), want, `gradient of ${name}`, 1e-3);
      }
    });
  } finally {
    det.dispose();
  }
});
