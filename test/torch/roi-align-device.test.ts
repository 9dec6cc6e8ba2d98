/**
 * RoIAlign's gradient on $STAD_TEST_DEVICE (bench/gpu.sh runs it on CUDA): the features' gradient flows
 * (the binding wires torchvision's backward kernel itself: from torchvision 0.29 on its C++ library
 * registers none), equals the CPU's, and in deterministic mode is the same bits on every run (on CUDA
 * the backward then runs the CPU's fixed-order kernel instead of the atomic additions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { testDevice } from '../helpers.js';

const device = testDevice();

/** The features' gradient of sum(w * roiAlign(x)), on `dev`, as host numbers. */
function featureGrad(dev: torch.Device): Float32Array {
  return torch.tidy(() => {
    torch.manualSeed(3);
    const x = torch.randn([2, 4, 12, 12]); // [N, C, H, W]
    const rois = torch.tensor([
      [0, 1.5, 2.0, 9.0, 8.5],
      [1, 0.0, 0.0, 11.0, 11.0],
      [0, 3.2, 3.3, 6.1, 10.9],
      [1, 2.0, 4.0, 7.0, 5.0],
      [0, 1.0, 1.0, 11.5, 11.5],
    ]); // [K, 5]: batch index, x1, y1, x2, y2 (overlapping: several RoIs add into the same features)
    const w = torch.randn([5, 4, 3, 3]);
    const xd = x.to(dev).requiresGrad_(true);
    torch.roiAlign(xd, rois.to(dev), { outputSize: 3, spatialScale: 1, samplingRatio: 2 }).mul(w.to(dev)).sum().backward();
    return xd.grad!.cpu().toFloat32Array();
  });
}

test(`RoIAlign's features gradient on ${device}: present, the CPU's, and in deterministic mode the same bits on every run`, () => {
  const cpu = featureGrad('cpu');
  assert.ok(cpu.some((v) => v !== 0), 'a gradient reaches the features');
  const here = featureGrad(device);
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i]! - here[i]!));
  assert.ok(worst < 1e-5, `largest difference from the CPU's gradient: ${worst}`);
  const was = torch.isDeterministic();
  torch.setDeterministic(true);
  try {
    const a = featureGrad(device);
    const b = featureGrad(device);
    assert.deepEqual(a, b);
  } finally {
    torch.setDeterministic(was);
  }
});
