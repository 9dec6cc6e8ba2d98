/**
 * The tiny preset's training step (configs/synth_tiny_bce.json's model, optimiser, loss and gradient
 * clipping on a fixed synthetic batch) on $STAD_TEST_DEVICE: under `amp: bf16` it runs and its losses
 * stay close to float32's; on a GPU, its float32 losses equal the CPU's within float tolerance (the
 * parity check bench/gpu.sh runs with STAD_TEST_DEVICE=cuda).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { PresetStep } from '../../bench/amp/preset-step.js';
import { testDevice } from '../helpers.js';

const device = testDevice();
// small clips keep the test fast on a CPU; dropout 0 so that precisions and devices draw nothing
const OPTS = { dropout: 0, batchSize: 2, frames: 4, size: 48 };

function losses(o: ConstructorParameters<typeof PresetStep>[1], steps: number): number[] {
  const s = new PresetStep('synth_tiny_bce', { ...OPTS, ...o });
  try {
    return Array.from({ length: steps }, () => s.step());
  } finally {
    s.dispose();
  }
}

test(`bf16 autocast: the tiny preset's steps run on ${device}, with float32 weights, and lose about what float32 does`, () => {
  const live0 = torch.memory().liveTensors;
  const f32 = losses({ device, amp: 'none' }, 3);
  const bf16 = losses({ device, amp: 'bf16' }, 3);
  assert.ok(bf16.every(Number.isFinite), `bf16 losses ${bf16.join(', ')}`);
  // bf16 keeps 8 bits of mantissa: relative errors of a few 1e-3 per operation, summed over a network
  bf16.forEach((l, i) => assert.ok(Math.abs(l - f32[i]!) <= 0.05 * Math.abs(f32[i]!) + 0.02, `step ${i}: bf16 ${l} vs float32 ${f32[i]}`));
  assert.equal(torch.memory().liveTensors, live0, 'no tensor left behind (the autocast cache is dropped)');
  assert.equal(torch.isAutocastEnabled(torch.deviceType(device)), false);
});

test('the master weights stay float32 under bf16', () => {
  const s = new PresetStep('synth_tiny_bce', { ...OPTS, device, amp: 'bf16' });
  try {
    s.step();
    const dtypes = new Set(s.parameters().map((p) => p.dtype));
    assert.deepEqual([...dtypes], ['float32']);
  } finally {
    s.dispose();
  }
});

test(`float32 steps on ${device} give the CPU's losses`, { skip: device === 'cpu' && 'the CPU against itself: run with STAD_TEST_DEVICE=cuda' }, () => {
  const cpu = losses({ device: 'cpu', amp: 'none' }, 3);
  const dev = losses({ device, amp: 'none' }, 3);
  // cuDNN and oneDNN sum in different orders, and libtorch lets cuDNN convolutions use TF32 (10-bit
  // mantissa) by default: agreement to a few 1e-3, growing a little as the steps diverge
  dev.forEach((l, i) => assert.ok(Math.abs(l - cpu[i]!) <= (i === 0 ? 5e-3 : 2e-2) * Math.abs(cpu[i]!) + 1e-4, `step ${i}: ${device} ${l} vs cpu ${cpu[i]}`));
});
