/**
 * Every layer of src/nn against PyTorch (test/fixtures/nn/layers.json): forward values and the
 * gradients of the input and of every parameter, in float64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, manualSeed, ones, randn, noGrad } from '../../src/torch/index.js';
import {
  Conv2d,
  Conv3d,
  Linear,
  ReLU,
  Dropout,
  MaxPool3d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool3d,
  BatchNorm3d,
  Sequential,
  type TensorModule,
} from '../../src/nn/index.js';
import { readGolden, fromGolden, assertCloseTo, loadGoldenState, type GoldenTensor } from './golden.js';

interface LayerCase {
  state: Record<string, GoldenTensor>;
  x: GoldenTensor;
  out: GoldenTensor;
  upstream: GoldenTensor;
  grad_x: GoldenTensor;
  grads: Record<string, GoldenTensor>;
  state_after?: Record<string, GoldenTensor>;
}

const golden = readGolden<Record<string, LayerCase>>('layers.json');

/** The stad layer built like make_golden.py builds PyTorch's, for each case. */
const builders: Record<string, () => TensorModule> = {
  conv3d_groups_stride: () => new Conv3d(4, 6, [3, 3, 3], { stride: [1, 2, 2], padding: [1, 1, 1], groups: 2 }),
  conv3d_dilation_nobias: () => new Conv3d(3, 2, [1, 3, 3], { padding: [0, 2, 2], dilation: [1, 2, 2], bias: false }),
  conv2d_stride: () => new Conv2d(3, 4, 3, { stride: 2, padding: 1 }),
  conv2d_depthwise_dilation: () => new Conv2d(4, 4, [3, 2], { padding: [2, 1], dilation: 2, groups: 4, bias: false }),
  linear_2d: () => new Linear(5, 4),
  linear_3d: () => new Linear(5, 4),
  linear_nobias: () => new Linear(6, 2, { bias: false }),
  relu: () => new ReLU(),
  maxpool3d_slowfast: () => new MaxPool3d([1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] }),
  maxpool3d_default_stride: () => new MaxPool3d(2),
  adaptive_avgpool3d_1: () => new AdaptiveAvgPool3d(1),
  adaptive_avgpool3d_uneven: () => new AdaptiveAvgPool3d([1, 2, 3]),
  adaptive_maxpool3d: () => new AdaptiveMaxPool3d([1, 2, 2]),
  sequential_train: () => new Sequential(new Conv3d(3, 4, [1, 3, 3], { padding: [0, 1, 1], bias: false }), new BatchNorm3d(4), new ReLU(), new Linear(5, 2)),
  sequential_eval: () => new Sequential(new Conv3d(3, 4, [1, 3, 3], { padding: [0, 1, 1], bias: false }), new BatchNorm3d(4), new ReLU(), new Linear(5, 2)),
};

test('every golden layer case has a builder', () => {
  assert.deepEqual(Object.keys(builders).sort(), Object.keys(golden).sort());
});

for (const [name, c] of Object.entries(golden)) {
  test(`${name}: forward and backward equal PyTorch's`, () => {
    const layer = builders[name]!();
    try {
      loadGoldenState(layer, c.state);
      if (name.endsWith('_eval')) layer.eval();
      else layer.train();
      tidy(() => {
        const x = fromGolden(c.x).requiresGrad_(true);
        const out = layer.forward(x);
        assertCloseTo(out, c.out, `${name} output`);
        out.mul(fromGolden(c.upstream)).sum().backward();
        assertCloseTo(x.grad, c.grad_x, `${name} grad of input`);
        const params = layer.namedParameters();
        assert.deepEqual(params.map(([n]) => n).sort(), Object.keys(c.grads).sort(), `${name}: parameters with a gradient`);
        for (const [n, p] of params) assertCloseTo(p.grad, c.grads[n]!, `${name} grad of ${n}`);
        if (c.state_after) {
          const sd = layer.stateDict();
          for (const [k, g] of Object.entries(c.state_after)) assertCloseTo(sd.get(k) ?? null, g, `${name} ${k} after the step`);
        }
      });
    } finally {
      layer.dispose();
    }
  });
}

test('Dropout zeroes about p of the elements in training, scales the rest by 1/(1-p), and is the identity in eval', () => {
  manualSeed(7);
  const d = new Dropout(0.25);
  tidy(() => {
    const x = ones([200, 100], { dtype: 'float64' });
    const y = d.forward(x).toArray();
    const zeros = y.filter((v) => v === 0).length;
    // 20000 Bernoulli(0.25) draws: sd 61, so +-600 is ten standard deviations.
    assert.ok(Math.abs(zeros - 5000) < 600, `zeroed ${zeros} of 20000`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-12), 'kept elements scaled by 1/(1-p)');
    d.eval();
    const z = randn([5, 7], { dtype: 'float64' });
    assert.deepEqual(d.forward(z).toArray(), z.toArray());
  });
  assert.throws(() => new Dropout(1.5), /dropout probability/);
});

test('a layer keeps working after to(float64): forward reads the converted tensors', () => {
  manualSeed(3);
  const conv = new Conv3d(2, 3, 1);
  conv.to('float64');
  tidy(() => {
    assert.equal(conv.weight.dtype, 'float64');
    assert.equal(conv.bias?.dtype, 'float64');
    assert.ok(conv.weight.requiresGrad);
    const y = conv.forward(ones([1, 2, 1, 1, 1], { dtype: 'float64' }));
    assert.equal(y.dtype, 'float64');
    // A 1x1x1 convolution of ones is the row sums of the weight plus the bias.
    const w = conv.weight.reshape(3, 2).sum(1).add(conv.bias!);
    assertCloseTo(y.reshape(3), { shape: [3], data: noGrad(() => w.toArray()) }, '1x1x1 conv of ones');
  });
  conv.dispose();
});

test('convolutions check that the channels divide by groups and that tuples have the right length', () => {
  assert.throws(() => new Conv3d(3, 4, 3, { groups: 2 }), /channels \(3 -> 4\) must be divisible by groups \(2\)/);
  assert.throws(() => new Conv2d(4, 6, 3, { groups: 4 }), /must be divisible by groups/);
  assert.throws(() => new Conv3d(3, 4, [3, 3]), /kernelSize must be an integer or 3 integers/);
});
