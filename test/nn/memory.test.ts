/**
 * Memory: modules and optimisers own their tensors and free them all; a training step (forward,
 * backward, clipping, optimiser step) inside tidy leaves the live tensor count flat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, memory, manualSeed, randn } from '../../src/torch/index.js';
import { Sequential, Conv3d, BatchNorm3d, ReLU, Linear, AdaptiveAvgPool3d, Dropout, SGD, AdamW, clipGradNorm_ } from '../../src/nn/index.js';

function model(): Sequential {
  return new Sequential(new Conv3d(3, 8, [1, 3, 3], { bias: false }), new BatchNorm3d(8), new ReLU(), new AdaptiveAvgPool3d([1, 1, 4]), new Dropout(0.2), new Linear(4, 2));
}

test("to() and dispose() free every tensor, including the storage to() converted from", () => {
  const start = memory();
  const m = model();
  const built = memory();
  assert.equal(built.liveTensors - start.liveTensors, m.stateDict().size, 'one live tensor per parameter and buffer');
  m.to('float64');
  const converted = memory();
  assert.equal(converted.liveTensors, built.liveTensors, 'to() replaces tensors, it does not add any');
  // float64 doubles the floating-point bytes; num_batches_tracked (8 bytes) stays int64.
  assert.equal(converted.bytes - start.bytes, 2 * (built.bytes - start.bytes - 8) + 8, 'the float32 storage is freed');
  m.dispose();
  assert.deepEqual(memory(), start);
});

for (const kind of ['SGD', 'AdamW'] as const) {
  test(`training steps with ${kind} keep the live tensor count flat; dispose frees the optimiser's state`, () => {
    manualSeed(11);
    const start = memory();
    const m = model().to('float64');
    const opt = kind === 'SGD' ? new SGD(m.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 }) : new AdamW(m.parameters(), { lr: 1e-3 });
    const trainStep = () => {
      opt.zeroGrad();
      tidy(() => {
        const x = randn([2, 3, 2, 5, 6], { dtype: 'float64' });
        m.forward(x).square().mean().backward();
      });
      clipGradNorm_(m.parameters(), 1);
      opt.step();
    };
    trainStep();
    trainStep();
    const after2 = memory();
    for (let i = 0; i < 5; i++) trainStep();
    assert.deepEqual(memory(), after2, 'no tensor leaks per step');
    opt.zeroGrad();
    opt.dispose();
    m.dispose();
    assert.deepEqual(memory(), start);
  });
}
