/**
 * Gradient clipping and the optimisers' steps stay on the tensors' device: no read of a tensor's value
 * into JavaScript (item, dataSync, ...), which on a GPU would wait for every queued kernel each step.
 * Counted at the binding: every host read goes through native.item or native.toArray.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { native } from '../../src/torch/native.js';
import { AdamW, SGD, Sequential, Linear, ReLU, clipGradNormTensor_, clipGradNorm_ } from '../../src/nn/index.js';
import { testDevice } from '../helpers.js';

const device = testDevice();

function countHostReads<T>(fn: () => T): { reads: number; value: T } {
  const item = native.item;
  const toArray = native.toArray;
  let reads = 0;
  native.item = (h) => {
    reads++;
    return item(h);
  };
  native.toArray = (h) => {
    reads++;
    return toArray(h);
  };
  try {
    return { reads, value: fn() };
  } finally {
    native.item = item;
    native.toArray = toArray;
  }
}

function model(): Sequential {
  torch.manualSeed(3);
  return new Sequential(new Linear(6, 16), new ReLU(), new Linear(16, 3)).to(device);
}

function backward(m: Sequential): void {
  torch.manualSeed(5); // the same input for every model
  torch.tidy(() => m.forward(torch.randn([5, 6], { device })).square().sum().mul(100).backward());
}

for (const [name, make] of [
  ['SGD (momentum, weight decay)', (ps: torch.Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 })],
  ['AdamW', (ps: torch.Tensor[]) => new AdamW(ps, { lr: 0.01 })],
] as const) {
  test(`${name}: gradient clipping and three optimiser steps read nothing back to the host`, () => {
    const m = model();
    const opt = make(m.parameters());
    try {
      for (let step = 0; step < 3; step++) {
        backward(m);
        const before = m.parameters().map((p) => torch.keep(p.clone()));
        const { reads } = countHostReads(() => {
          torch.tidy(() => void clipGradNormTensor_(m.parameters(), 0.5));
          opt.step();
          opt.zeroGrad();
        });
        assert.equal(reads, 0, `step ${step}`);
        assert.ok(m.parameters().some((p, i) => !p.equal(before[i]!)), 'the step changed the parameters');
        torch.dispose(before);
      }
    } finally {
      opt.dispose();
      m.dispose();
    }
  });
}

test('clipGradNormTensor_ gives the norm as a tensor on the device and clips as clipGradNorm_ does', () => {
  const a = model();
  const b = model();
  try {
    backward(a);
    backward(b);
    const { reads, value: norm } = countHostReads(() => clipGradNormTensor_(a.parameters(), 0.5));
    assert.equal(reads, 0);
    assert.ok(norm !== null);
    assert.equal(norm.shape.length, 0);
    assert.equal(torch.deviceType(norm.device as torch.Device), torch.deviceType(device));
    const n = clipGradNorm_(b.parameters(), 0.5);
    assert.ok(Math.abs(norm.item() - n) <= 1e-5 * n, `${norm.item()} vs ${n}`);
    norm.dispose();
    a.parameters().forEach((p, i) => assert.ok(p.grad!.allclose(b.parameters()[i]!.grad!, 1e-5, 1e-7)));
    const total = torch.tidy(() => torch.stack(a.parameters().map((p) => p.grad!.norm(2))).norm(2).item());
    assert.ok(Math.abs(total - 0.5) < 1e-4, `clipped norm ${total}`);
  } finally {
    a.dispose();
    b.dispose();
  }
});
