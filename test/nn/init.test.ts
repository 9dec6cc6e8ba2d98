/**
 * Initialisers. The random ones are checked statistically on tensors large enough that the
 * tolerances are many standard errors wide: seeded with manualSeed they are deterministic, and they
 * would pass for any seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, manualSeed, empty, Tensor } from '../../src/torch/index.js';
import { init, Conv3d, Conv2d, Linear } from '../../src/nn/index.js';

/** Sample mean and standard deviation (float64). */
function moments(t: Tensor): { mean: number; std: number; maxAbs: number; n: number } {
  const v = t.toFloat64Array();
  let s = 0;
  let maxAbs = 0;
  for (const x of v) {
    s += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (v.length - 1)), maxAbs, n: v.length };
}

test('computeFans and calculateGain follow torch.nn.init', () => {
  tidy(() => {
    assert.deepEqual(init.computeFans(empty([32, 16, 3, 5, 5])), { fanIn: 16 * 75, fanOut: 32 * 75 });
    assert.deepEqual(init.computeFans(empty([10, 7])), { fanIn: 7, fanOut: 10 });
    assert.throws(() => init.computeFans(empty([5])), /at least 2 dimensions/);
  });
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.equal(init.calculateGain('linear'), 1);
  assert.equal(init.calculateGain('sigmoid'), 1);
  assert.equal(init.calculateGain('tanh'), 5 / 3);
  assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
  assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
});

test("kaimingNormal_ with mode fan_out, relu: mean 0, std sqrt(2 / fan_out) (mmaction2's conv init)", () => {
  manualSeed(1234);
  tidy(() => {
    const w = empty([256, 64, 3, 3, 3], { dtype: 'float64' }); // fan_out 6912, fan_in 1728: 442,368 draws
    assert.equal(init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' }), w);
    const expected = Math.sqrt(2 / (256 * 27));
    const m = moments(w);
    // Standard errors: mean sigma/sqrt(n) = 0.0015 sigma, std sigma/sqrt(2n) = 0.0011 sigma.
    assert.ok(Math.abs(m.mean) < 0.01 * expected, `mean ${m.mean}`);
    assert.ok(Math.abs(m.std / expected - 1) < 0.01, `std ${m.std}, expected ${expected}`);
    // fan_in would give twice the std here: the mode matters.
    init.kaimingNormal_(w, { mode: 'fan_in', nonlinearity: 'relu' });
    assert.ok(Math.abs(moments(w).std / (2 * expected) - 1) < 0.01);
    assert.equal(w.requiresGrad, false);
  });
});

test('initialisers fill parameters in place without recording autograd history', () => {
  const conv = new Conv3d(8, 16, [1, 3, 3]);
  try {
    init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    init.constant_(conv.bias!, 0.25);
    assert.ok(conv.weight.isLeaf && conv.weight.requiresGrad, 'still a trainable leaf');
    assert.ok(conv.bias!.toArray().every((v) => v === 0.25));
    init.zeros_(conv.bias!);
    assert.ok(conv.bias!.toArray().every((v) => v === 0));
    init.ones_(conv.bias!);
    assert.ok(conv.bias!.toArray().every((v) => v === 1));
  } finally {
    conv.dispose();
  }
});

test("layers start with PyTorch's default init: weight and bias uniform in +-1/sqrt(fan_in)", () => {
  manualSeed(99);
  // kaiming_uniform_(a = sqrt(5)): bound = sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in) = 1 / sqrt(fan_in).
  const layers = [
    { layer: new Conv3d(16, 32, [3, 3, 3]), fanIn: 16 * 27 },
    { layer: new Conv2d(24, 64, 3, { groups: 2 }), fanIn: 12 * 9 },
    { layer: new Linear(400, 50), fanIn: 400 },
  ];
  try {
    for (const { layer, fanIn } of layers) {
      const bound = 1 / Math.sqrt(fanIn);
      const w = moments(layer.weight);
      const what = `${layer.constructor.name} fan_in ${fanIn}`;
      assert.ok(w.maxAbs <= bound * (1 + 1e-6), `${what}: |weight| <= ${bound}, got ${w.maxAbs}`);
      // Over >= 6,912 uniform draws, max |w| < 0.99 bound has probability 0.99^6912 < 1e-30.
      assert.ok(w.maxAbs > 0.99 * bound, `${what}: the weights fill the range`);
      // Uniform(-b, b) has std b / sqrt(3); the standard error is under 1% here, so 5% is safe.
      assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.05, `${what}: weight std ${w.std}`);
      assert.ok(Math.abs(w.mean) < 0.05 * bound, `${what}: weight mean ${w.mean}`);
      const b = moments(layer.bias!);
      assert.ok(b.maxAbs <= bound * (1 + 1e-6), `${what}: |bias| <= ${bound}, got ${b.maxAbs}`);
      assert.ok(b.std > 0, `${what}: bias is random, not constant`);
    }
  } finally {
    for (const { layer } of layers) layer.dispose();
  }
});

test('defaultLayerInit_ called directly: weight and bias within +-1/sqrt(fan_in), bias optional', () => {
  manualSeed(42);
  tidy(() => {
    const w = empty([64, 32, 3, 3], { dtype: 'float64' });
    const b = empty([64], { dtype: 'float64' });
    init.defaultLayerInit_(w, b);
    const bound = 1 / Math.sqrt(32 * 9);
    const mw = moments(w);
    assert.ok(mw.maxAbs <= bound && mw.maxAbs > 0.99 * bound, `weight max ${mw.maxAbs}, bound ${bound}`);
    assert.ok(moments(b).maxAbs <= bound);
    init.defaultLayerInit_(w, null);
    assert.ok(moments(w).maxAbs <= bound);
  });
});

test('xavier and kaiming uniform bounds', () => {
  manualSeed(5);
  tidy(() => {
    const w = empty([300, 200], { dtype: 'float64' });
    const xb = Math.sqrt(6 / 500);
    init.xavierUniform_(w);
    let m = moments(w);
    assert.ok(m.maxAbs <= xb && m.maxAbs > 0.99 * xb, `xavier uniform max ${m.maxAbs}, bound ${xb}`);
    init.xavierNormal_(w, 2);
    m = moments(w);
    assert.ok(Math.abs(m.std / (2 * Math.sqrt(2 / 500)) - 1) < 0.02, `xavier normal std ${m.std}`);
    init.kaimingUniform_(w, { mode: 'fan_in', nonlinearity: 'relu' });
    const kb = Math.sqrt(3) * Math.SQRT2 / Math.sqrt(200);
    m = moments(w);
    assert.ok(m.maxAbs <= kb && m.maxAbs > 0.99 * kb, `kaiming uniform max ${m.maxAbs}, bound ${kb}`);
  });
});
