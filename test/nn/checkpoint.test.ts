import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/torch/index.js';
import { Module, Conv3d, BatchNorm3d, Linear, SGD, saveCheckpoint, loadCheckpoint } from '../../src/nn/index.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

class Net extends Module {
  readonly conv = this.registerModule('conv', new Conv3d(2, 4, 3, { padding: 1, bias: false }));
  readonly bn = this.registerModule('bn', new BatchNorm3d(4));
  readonly fc: Linear;
  constructor(classes = 3) {
    super();
    this.fc = this.registerModule('fc', new Linear(4, classes));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(this.bn.forward(this.conv.forward(x)).relu().mean([2, 3, 4]));
  }
}

function trainSteps(net: Net, opt: SGD, steps: number): number[] {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(
      torch.tidy(() => {
        const x = torch.randn([2, 2, 3, 4, 4]);
        const loss = net.forward(x).square().mean();
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  return losses;
}

test('a checkpoint round trip is bit-identical, with config, state and optimiser state', () => {
  const { dir, cleanup } = tempDir();
  try {
    torch.manualSeed(1);
    const a = new Net();
    const optA = new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
    trainSteps(a, optA, 3);
    const p1 = join(dir, 'a.safetensors');
    saveCheckpoint(p1, a, { config: { model: 'net', lr: 0.1 }, state: { epoch: 2 } }, optA);

    torch.manualSeed(99);
    const b = new Net();
    const optB = new SGD(b.parameters(), { lr: 0.5, momentum: 0.9 });
    const loaded = loadCheckpoint(p1, b, optB);
    assert.deepEqual(loaded.config, { model: 'net', lr: 0.1 });
    assert.deepEqual(loaded.state, { epoch: 2 });
    assert.equal(optB.groups[0]!.options.lr, 0.1);
    for (const [k, t] of a.stateDict()) assert.ok(t.equal(b.stateDict().get(k)!), `${k} differs`);
    const p2 = join(dir, 'b.safetensors');
    saveCheckpoint(p2, b, { config: { model: 'net', lr: 0.1 }, state: { epoch: 2 } }, optB);
    assert.ok(readFileSync(p1).equals(readFileSync(p2)), 'saving the loaded model gives different bytes');

    // Training continues identically from the checkpoint (same data seed, same optimiser state).
    torch.manualSeed(5);
    const la = trainSteps(a, optA, 2);
    torch.manualSeed(5);
    const lb = trainSteps(b, optB, 2);
    assert.deepEqual(la, lb);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  } finally {
    cleanup();
  }
});

test('a mismatched checkpoint is rejected with every mismatch named', () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = new Net(3);
    const p = join(dir, 'a.safetensors');
    saveCheckpoint(p, a);
    const b = new Net(5);
    assert.throws(
      () => loadCheckpoint(p, b),
      (e: unknown) => e instanceof UserError && /does not match the model/.test((e as Error).message) && /fc\.weight: shape F32 \[3, 4\], expected F32 \[5, 4\]/.test((e as Error).message) && /fc\.bias/.test((e as Error).message),
    );
    a.dispose();
    b.dispose();
  } finally {
    cleanup();
  }
});

test('a corrupt checkpoint is rejected with a clear message, not a crash', () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = new Net();
    const p = join(dir, 'a.safetensors');
    saveCheckpoint(p, a);
    const bytes = readFileSync(p);
    writeFileSync(join(dir, 'trunc.safetensors'), bytes.subarray(0, bytes.length - 7));
    assert.throws(() => loadCheckpoint(join(dir, 'trunc.safetensors'), a), (e: unknown) => e instanceof UserError && /trunc\.safetensors/.test((e as Error).message));
    const huge = Buffer.from(bytes);
    huge.writeBigUInt64LE(1n << 40n, 0);
    writeFileSync(join(dir, 'huge.safetensors'), huge);
    assert.throws(() => loadCheckpoint(join(dir, 'huge.safetensors'), a), (e: unknown) => e instanceof UserError && /huge\.safetensors/.test((e as Error).message));
    a.dispose();
  } finally {
    cleanup();
  }
});
