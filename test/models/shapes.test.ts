/**
 * Output shapes of the backbones. The full SlowFast R50 forward at 32x256x256 takes tens of seconds on
 * a 2-core machine, so by default it is checked in two cheaper parts: the full-width network on a
 * 32x32x32 clip (channels and time), and a width-reduced R50 (baseChannels 8: 1/8 of the channels,
 * same depth, strides and kernels) on 32x256x256 (time and space). STAD_HEAVY_TESTS=1 also runs the
 * full network at 32x256x256.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ResNet3dSlowFast, ResNet3dSlowOnly, buildBackbone, modelPreset, subsampleTime } from '../../src/models/index.js';
import type { Module } from '../../src/nn/index.js';

function shapesOf(net: Module & { forward(x: torch.Tensor): torch.Tensor | { slow: torch.Tensor; fast: torch.Tensor } }, input: number[]) {
  net.eval();
  try {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const out = net.forward(torch.randn(input));
        return out instanceof torch.Tensor ? { out: out.shape } : { slow: out.slow.shape, fast: out.fast.shape };
      }),
    );
  } finally {
    net.dispose();
  }
}

test('SlowFast R50 8x8x1, full width, 32x32x32: slow [1, 2048, 8, 2, 2], fast [1, 256, 32, 2, 2]', () => {
  const before = torch.memory().liveTensors;
  const s = shapesOf(new ResNet3dSlowFast(), [1, 3, 32, 32, 32]);
  assert.deepEqual(s, { slow: [1, 2048, 8, 2, 2], fast: [1, 256, 32, 2, 2] });
  assert.equal(torch.memory().liveTensors, before);
});

test('SlowFast R50 8x8x1 at width 1/8, 32x256x256: slow [1, 256, 8, 16, 16], fast [1, 32, 32, 16, 16]', () => {
  // channels scale with baseChannels (slow 32 * base, fast 4 * base / channelRatio); time and space do not
  const s = shapesOf(new ResNet3dSlowFast({ baseChannels: 8, channelRatio: 8 }), [1, 3, 32, 256, 256]);
  assert.deepEqual(s, { slow: [1, 256, 8, 16, 16], fast: [1, 32, 32, 16, 16] });
});

test('SlowFast R50 8x8x1 at 32x256x256, full size (STAD_HEAVY_TESTS=1)', { skip: process.env.STAD_HEAVY_TESTS !== '1' }, () => {
  const s = shapesOf(new ResNet3dSlowFast(), [1, 3, 32, 256, 256]);
  assert.deepEqual(s, { slow: [1, 2048, 8, 16, 16], fast: [1, 256, 32, 16, 16] });
});

test('SlowFast 4x16x1 subsamples to 4 slow frames and keeps 32 fast ones', () => {
  const c = modelPreset('slowfast_r50_4x16x1').backbone;
  const s = shapesOf(buildBackbone({ ...c, baseChannels: 16 }) as ResNet3dSlowFast, [1, 3, 32, 32, 32]);
  assert.deepEqual(s, { slow: [1, 512, 4, 2, 2], fast: [1, 64, 32, 2, 2] });
});

test('SlowOnly R50 keeps the frames it is given (8x8: 8, 4x16: 4); res5 at stride 16', () => {
  // at width 1/8 (32 * base channels out: 2048 at full width)
  assert.deepEqual(shapesOf(new ResNet3dSlowOnly({ baseChannels: 8 }), [1, 3, 8, 32, 32]), { out: [1, 256, 8, 2, 2] });
  assert.deepEqual(shapesOf(new ResNet3dSlowOnly({ baseChannels: 8 }), [1, 3, 4, 64, 96]), { out: [1, 256, 4, 4, 6] });
  const full = new ResNet3dSlowOnly();
  assert.equal(full.outChannels, 2048);
  full.dispose();
});

test('tiny presets: SlowFast R18 16x112x112 -> slow [1, 128, 4, 7, 7], fast [1, 32, 16, 7, 7]; SlowOnly 16x64x64 -> [1, 128, 8, 4, 4]', () => {
  assert.deepEqual(shapesOf(buildBackbone(modelPreset('slowfast_r18_tiny').backbone) as ResNet3dSlowFast, [1, 3, 16, 112, 112]), {
    slow: [1, 128, 4, 7, 7],
    fast: [1, 32, 16, 7, 7],
  });
  assert.deepEqual(shapesOf(buildBackbone(modelPreset('slowonly_r18_tiny').backbone) as ResNet3dSlowOnly, [1, 3, 16, 64, 64]), { out: [1, 128, 8, 4, 4] });
});

test('subsampleTime takes frames 0, r, 2r, ... like nearest interpolation by 1/r', () => {
  torch.tidy(() => {
    const x = torch.arange(0, 10, 1, { dtype: 'float32' }).reshape(1, 1, 10, 1, 1);
    assert.deepEqual(subsampleTime(x, 4).flatten().toArray(), [0, 4]);
    assert.deepEqual(subsampleTime(x, 3).flatten().toArray(), [0, 3, 6]);
    assert.equal(subsampleTime(x, 1), x);
    assert.throws(() => subsampleTime(x, 11), /too short/);
  });
});
