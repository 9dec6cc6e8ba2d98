/**
 * BatchNorm1d/2d/3d against PyTorch (test/fixtures/nn/batchnorm.json): several training steps (batch
 * statistics; running statistics updated with momentum and the unbiased variance; num_batches_tracked
 * counted), then eval with the running statistics. Frozen layers behave like PyTorch's BatchNorm in
 * eval mode with requires_grad off, whatever the mode of the model around them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, randn, Tensor } from '../../src/torch/index.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, Sequential, ReLU } from '../../src/nn/index.js';
import { readGolden, fromGolden, assertCloseTo, assertValuesClose, loadGoldenState, type GoldenTensor } from './golden.js';

interface BNStep {
  x: GoldenTensor;
  out: GoldenTensor;
  upstream: GoldenTensor;
  grad_x: GoldenTensor;
  grad_weight: GoldenTensor;
  grad_bias: GoldenTensor;
  running_mean: GoldenTensor;
  running_var: GoldenTensor;
  num_batches_tracked: number;
}

interface BNCase {
  momentum: number;
  eps: number;
  initial: Record<string, GoldenTensor>;
  steps: BNStep[];
  eval: { x: GoldenTensor; out: GoldenTensor };
}

type BN = BatchNorm1d | BatchNorm2d | BatchNorm3d;

const golden = readGolden<Record<string, BNCase>>('batchnorm.json');

const builders: Record<string, () => BN> = {
  bn1d_2d_input: () => new BatchNorm1d(5),
  bn1d_3d_input: () => new BatchNorm1d(3),
  bn2d: () => new BatchNorm2d(3),
  bn3d: () => new BatchNorm3d(4),
  bn3d_momentum_eps: () => new BatchNorm3d(2, { eps: 1e-3, momentum: 0.3 }),
};

function numBatchesTracked(bn: BN): number {
  const t = bn.stateDict().get('num_batches_tracked');
  assert.ok(t, 'num_batches_tracked is in the state dict');
  assert.equal(t.dtype, 'int64');
  return t.item();
}

/** Runs the golden training steps on a layer loaded with the golden initial state, checking each. */
function trainLikePyTorch(name: string, bn: BN, c: BNCase): void {
  loadGoldenState(bn, c.initial);
  bn.train();
  c.steps.forEach((s, i) => {
    const what = `${name} step ${i + 1}`;
    tidy(() => {
      for (const p of bn.parameters()) p.grad = null;
      const x = fromGolden(s.x).requiresGrad_(true);
      const out = bn.forward(x);
      assertCloseTo(out, s.out, `${what} output`);
      out.mul(fromGolden(s.upstream)).sum().backward();
      assertCloseTo(x.grad, s.grad_x, `${what} grad of input`);
      assertCloseTo(bn.weight!.grad, s.grad_weight, `${what} grad of weight`);
      assertCloseTo(bn.bias!.grad, s.grad_bias, `${what} grad of bias`);
      assertCloseTo(bn.runningMean, s.running_mean, `${what} running_mean`);
      assertCloseTo(bn.runningVar, s.running_var, `${what} running_var`);
      assert.equal(numBatchesTracked(bn), s.num_batches_tracked, `${what} num_batches_tracked`);
    });
  });
}

for (const [name, c] of Object.entries(golden)) {
  test(`${name}: ${c.steps.length} training steps (momentum ${c.momentum}) then eval equal PyTorch's`, () => {
    const bn = builders[name]!();
    try {
      assert.equal(bn.momentum, c.momentum);
      assert.equal(bn.eps, c.eps);
      trainLikePyTorch(name, bn, c);
      bn.eval();
      tidy(() => {
        const before = bn.runningMean!.toArray();
        assertCloseTo(bn.forward(fromGolden(c.eval.x)), c.eval.out, `${name} eval output`);
        assert.deepEqual(bn.runningMean!.toArray(), before, 'eval leaves the running mean alone');
        assert.equal(numBatchesTracked(bn), c.steps.length, 'eval does not count batches');
      });
    } finally {
      bn.dispose();
    }
  });
}

test('the running statistics follow the update rule written out by hand', () => {
  // running = (1 - m) * running + m * batch statistic, with the unbiased (n - 1) batch variance.
  const c = golden.bn1d_2d_input!;
  let mean = c.initial.running_mean!.data.slice();
  let variance = c.initial.running_var!.data.slice();
  const C = mean.length;
  for (const s of c.steps) {
    const n = s.x.shape[0]!;
    const bm = new Array<number>(C).fill(0);
    const bv = new Array<number>(C).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) bm[j]! += s.x.data[i * C + j]! / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < C; j++) bv[j]! += (s.x.data[i * C + j]! - bm[j]!) ** 2 / (n - 1);
    mean = mean.map((r, j) => (1 - c.momentum) * r + c.momentum * bm[j]!);
    variance = variance.map((r, j) => (1 - c.momentum) * r + c.momentum * bv[j]!);
    assertValuesClose(mean, s.running_mean.data, 'hand running mean vs PyTorch');
    assertValuesClose(variance, s.running_var.data, 'hand running variance vs PyTorch');
  }
});

test('a frozen BatchNorm uses its running statistics in train mode, keeps them, and has no parameter gradient', () => {
  const c = golden.bn3d!;
  const bn = new BatchNorm3d(4);
  const model = new Sequential(bn, new ReLU());
  try {
    trainLikePyTorch('bn3d', bn, c);
    bn.freeze();
    assert.equal(bn.frozen, true);
    model.train(); // the model trains; the frozen layer must not
    assert.equal(bn.training, true);
    assert.equal(bn.weight!.requiresGrad, false);
    assert.equal(bn.bias!.requiresGrad, false);
    assert.equal(model.numParameters({ trainableOnly: true }), 0);
    assert.equal(model.numParameters(), 8);
    tidy(() => {
      const rm = bn.runningMean!.toArray();
      const rv = bn.runningVar!.toArray();
      for (const p of bn.parameters()) p.grad = null;
      const x = fromGolden(c.eval.x).requiresGrad_(true);
      const out = bn.forward(x);
      // PyTorch's eval-mode output with the same running statistics.
      assertCloseTo(out, c.eval.out, 'frozen output in train mode');
      out.sum().backward();
      assert.deepEqual(bn.runningMean!.toArray(), rm, 'running mean unchanged');
      assert.deepEqual(bn.runningVar!.toArray(), rv, 'running var unchanged');
      assert.equal(numBatchesTracked(bn), c.steps.length, 'num_batches_tracked unchanged');
      assert.equal(bn.weight!.grad, null, 'no grad for the frozen weight');
      assert.equal(bn.bias!.grad, null, 'no grad for the frozen bias');
      // The input still gets its gradient: d out / d x = weight / sqrt(running_var + eps) per channel.
      const w = bn.weight!.toArray();
      const scale = w.map((wi, j) => wi / Math.sqrt(rv[j]! + bn.eps));
      const gx = x.grad!;
      const perChannel = gx.transpose(0, 1).reshape(4, -1).toArray();
      const count = perChannel.length / 4;
      const expected = perChannel.map((_, i) => scale[Math.floor(i / count)]!);
      assertValuesClose(perChannel, expected, 'input gradient of a frozen BatchNorm');
    });
    // Unfreezing brings back batch statistics and trainable parameters.
    bn.freeze(false);
    assert.equal(bn.weight!.requiresGrad, true);
    tidy(() => {
      const before = numBatchesTracked(bn);
      const y = bn.forward(randn([3, 4, 2, 2, 2], { dtype: 'float64' }));
      assert.equal(numBatchesTracked(bn), before + 1);
      // Batch statistics: with weight w and bias b each channel's output has mean b.
      const means = y.transpose(0, 1).reshape(4, -1).mean(1).toArray();
      assertValuesClose(means, bn.bias!.toArray(), 'per-channel mean of a training-mode output');
    });
  } finally {
    model.dispose();
  }
});

test('BatchNorm layers reject inputs of the wrong rank with a message naming the shape', () => {
  const bn1 = new BatchNorm1d(3);
  const bn3 = new BatchNorm3d(3);
  try {
    tidy(() => {
      assert.throws(() => bn1.forward(randn([2, 3, 4, 4])), /BatchNorm1d expects a 2 or 3-d input, got shape \[2, 3, 4, 4\]/);
      assert.throws(() => bn3.forward(randn([2, 3, 4, 4])), /BatchNorm3d expects a 5-d input/);
    });
  } finally {
    bn1.dispose();
    bn3.dispose();
  }
});

test('affine=false and trackRunningStats=false register no parameters or buffers and always use batch statistics', () => {
  const bn = new BatchNorm1d(3, { affine: false, trackRunningStats: false });
  try {
    assert.deepEqual([...bn.stateDict().keys()], []);
    assert.equal(bn.weight, null);
    assert.equal(bn.runningMean, null);
    bn.eval();
    tidy(() => {
      const x: Tensor = randn([16, 3], { dtype: 'float64' }).mul(3).add(2);
      const y = bn.forward(x);
      assertValuesClose(y.mean(0).toArray(), [0, 0, 0], 'batch-normalised mean');
      // The biased batch variance normalises: var(y) = var(x) / (var(x) + eps) per channel.
      const vx = x.var(0, { unbiased: false }).toArray();
      assertValuesClose(y.var(0, { unbiased: false }).toArray(), vx.map((v) => v / (v + 1e-5)), 'batch-normalised variance');
    });
  } finally {
    bn.dispose();
  }
});

test('one value per channel in training is refused (as PyTorch does), not turned into a NaN running variance', () => {
  const bn1 = new BatchNorm1d(3);
  const bn3 = new BatchNorm3d(2);
  try {
    tidy(() => {
      assert.throws(() => bn1.forward(randn([1, 3])), /BatchNorm1d expects more than 1 value per channel when training, got input shape \[1, 3\]/);
      assert.throws(() => bn3.forward(randn([1, 2, 1, 1, 1])), /BatchNorm3d expects more than 1 value per channel when training/);
      assert.deepEqual(bn1.runningVar!.toArray(), [1, 1, 1], 'running variance untouched');
      assert.equal(bn1.stateDict().get('num_batches_tracked')!.item(), 0, 'batch not counted');
      // Two values per channel are enough; in eval (or frozen) one is fine.
      bn1.forward(randn([1, 3, 2]));
      assert.ok(bn1.runningVar!.toArray().every(Number.isFinite));
      bn1.eval();
      assert.deepEqual(bn1.forward(randn([1, 3])).shape, [1, 3]);
      bn3.freeze();
      assert.deepEqual(bn3.forward(randn([1, 2, 1, 1, 1])).shape, [1, 2, 1, 1, 1]);
    });
  } finally {
    bn1.dispose();
    bn3.dispose();
  }
});
