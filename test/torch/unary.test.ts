// Elementwise unary maths and activations, softmax family and cumsum, on values checked by hand.
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, assertClose, assertTensor } from './check.js';

const E = Math.E;
const LN2 = Math.LN2;
const LN3 = Math.log(3);
const T = (d: number[] | number[][], dtype: torch.DType = 'float32') => torch.tensor(d, { dtype });

ttest('neg, abs, sign, square, reciprocal', () => {
  assert.deepEqual(vals(T([1, -2, 0]).neg()), [-1, 2, -0]);
  assert.deepEqual(vals(T([1, -2, 0]).abs()), [1, 2, 0]);
  assert.deepEqual(vals(T([-3, 0, 2]).sign()), [-1, 0, 1]);
  assert.deepEqual(vals(T([-3, 0.5]).square()), [9, 0.25]);
  assert.deepEqual(vals(T([2, -4, 0.5]).reciprocal()), [0.5, -0.25, 2]);
  // integer tensors stay integer where PyTorch keeps them
  assert.equal(T([1, -2], 'int64').neg().dtype, 'int64');
  assert.equal(T([1, -2], 'int64').abs().dtype, 'int64');
  assert.deepEqual(vals(T([1, -2], 'int64').abs()), [1, 2]);
});

ttest('exp, expm1, log, log1p, log2', () => {
  assertClose(vals(T([0, 1, -1]).exp()), [1, E, 1 / E]);
  assertClose(vals(T([0, 1]).expm1()), [0, E - 1]);
  // expm1 is accurate for tiny arguments where exp(x) - 1 would round to 0
  assertClose(vals(T([1e-10], 'float64').expm1()), [1e-10], { atol: 0, rtol: 1e-9 });
  assertClose(vals(T([1, E, 1 / E]).log()), [0, 1, -1]);
  assert.deepEqual(vals(T([0]).log()), [-Infinity]);
  assert.ok(Number.isNaN(vals(T([-1]).log())[0]!));
  assertClose(vals(T([0, E - 1]).log1p()), [0, 1]);
  assertClose(vals(T([1e-10], 'float64').log1p()), [1e-10], { atol: 0, rtol: 1e-9 });
  // close, not equal: an exact power of two gives an exact log2 in libm, but a vectorised (SLEEF) kernel
  // only promises 1 ulp
  assertClose(vals(T([1, 8, 0.5]).log2()), [0, 3, -1]);
  // integer input gives a float result
  assert.equal(T([1, 2], 'int64').exp().dtype, 'float32');
});

ttest('sqrt, rsqrt', () => {
  assert.deepEqual(vals(T([4, 9, 0]).sqrt()), [2, 3, 0]);
  assert.ok(Number.isNaN(vals(T([-1]).sqrt())[0]!));
  assertClose(vals(T([4, 0.25]).rsqrt()), [0.5, 2]);
});

ttest('sigmoid, logsigmoid (stable at large |x|)', () => {
  assertClose(vals(T([0, LN3, -LN3]).sigmoid()), [0.5, 0.75, 0.25]);
  assert.deepEqual(vals(T([100, -100]).sigmoid()).map((v) => Math.round(v)), [1, 0]);
  assertClose(vals(T([0, LN3]).logsigmoid()), [-LN2, Math.log(0.75)]);
  // log(sigmoid(-100)) = -100 - log(1 + e^-100) ~ -100: a naive log(sigmoid) would give -Infinity in float32
  assertClose(vals(T([-100, 100]).logsigmoid()), [-100, 0], { atol: 1e-4 });
});

ttest('relu, leakyRelu, tanh, gelu, silu, softplus', () => {
  assert.deepEqual(vals(T([-2, 0, 3]).relu()), [0, 0, 3]);
  assertClose(vals(T([-2, 3]).leakyRelu(0.1)), [-0.2, 3]);
  assertClose(vals(T([-2, 3]).leakyRelu()), [-0.02, 3]);
  // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
  assertClose(vals(T([0, LN2, -LN2]).tanh()), [0, 0.6, -0.6]);
  // gelu(x) = x * Phi(x): Phi(1) = 0.8413447460685429
  assertClose(vals(T([0, 1, -1]).gelu()), [0, 0.8413447460685429, -0.15865525393145707]);
  // silu(x) = x * sigmoid(x): silu(ln 3) = 0.75 ln 3
  assertClose(vals(T([0, LN3]).silu()), [0, 0.75 * LN3]);
  // softplus(x) = log(1 + e^x) / ... ; above the threshold it is linear
  assertClose(vals(T([0, 2]).softplus()), [LN2, Math.log(1 + E * E)]);
  assertClose(vals(T([0]).softplus({ beta: 2 })), [LN2 / 2]);
  // beta = 2, x = 1: log(1 + e^2) / 2
  assertClose(vals(T([1]).softplus({ beta: 2 })), [Math.log(1 + E * E) / 2]);
  // with threshold 1 the value at x = 2 is x itself, not log(1 + e^2) = 2.127
  assertClose(vals(T([2, 0.5]).softplus({ threshold: 1 })), [2, Math.log(1 + Math.exp(0.5))]);
});

ttest('sin, cos', () => {
  assertClose(vals(T([0, Math.PI / 2, Math.PI]).sin()), [0, 1, 0], { atol: 1e-6 });
  assertClose(vals(T([0, Math.PI / 2, Math.PI]).cos()), [1, 0, -1], { atol: 1e-6 });
});

ttest('floor, ceil, round (half to even), trunc', () => {
  assert.deepEqual(vals(T([-1.5, 1.5, 2]).floor()), [-2, 1, 2]);
  assert.deepEqual(vals(T([-1.5, 1.5, 2]).ceil()), [-1, 2, 2]);
  assert.deepEqual(vals(T([0.5, 1.5, 2.5, -0.5, -1.5, 0.4, 0.6]).round()), [0, 2, 2, -0, -2, 0, 1]);
  assert.deepEqual(vals(T([-1.7, 1.7]).trunc()), [-1, 1]);
});

ttest('softmax and logSoftmax along a dim (incl. negative dims)', () => {
  // e^1 : e^2 : e^3 normalised
  const s = E + E ** 2 + E ** 3;
  const p = [E / s, E ** 2 / s, E ** 3 / s];
  assertClose(vals(T([1, 2, 3]).softmax(0)), p);
  assertClose(vals(T([1, 2, 3]).logSoftmax(0)), p.map(Math.log));
  const x = T([[1, 2, 3], [1, 1, 1]]);
  assertTensor(x.softmax(-1), [2, 3], [...p, 1 / 3, 1 / 3, 1 / 3]);
  assertTensor(x.softmax(1), [2, 3], [...p, 1 / 3, 1 / 3, 1 / 3]);
  // along dim 0: columns [1,1] -> 1/2 1/2, [2,1] and [3,1]
  const c2 = [E ** 2 / (E ** 2 + E), E / (E ** 2 + E)];
  const c3 = [E ** 3 / (E ** 3 + E), E / (E ** 3 + E)];
  assertTensor(x.softmax(0), [2, 3], [0.5, c2[0]!, c3[0]!, 0.5, c2[1]!, c3[1]!]);
  assertTensor(x.logSoftmax(0), [2, 3], [-LN2, Math.log(c2[0]!), Math.log(c3[0]!), -LN2, Math.log(c2[1]!), Math.log(c3[1]!)]);
  // large logits do not overflow
  assertClose(vals(T([1000, 1000]).softmax(0)), [0.5, 0.5]);
  assertClose(vals(T([1000, 0]).logSoftmax(0)), [0, -1000], { atol: 1e-3 });
});

ttest('logsumexp over one or several dims, with keepdim; stable for large values', () => {
  const lse123 = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
  assertTensor(T([1, 2, 3]).logsumexp(0), [], [lse123]);
  const x = T([[1, 2, 3], [0, 0, 0]]);
  assertTensor(x.logsumexp(1), [2], [lse123, LN3]);
  assertTensor(x.logsumexp(-1, true), [2, 1], [lse123, LN3]);
  assertTensor(x.logsumexp(0), [3], [Math.log(1 + E), Math.log(1 + E ** 2), Math.log(1 + E ** 3)]);
  assertTensor(x.logsumexp([0, 1]), [], [Math.log(E + E ** 2 + E ** 3 + 3)]);
  assertTensor(T([1000, 1000]).logsumexp(0), [], [1000 + LN2], { atol: 1e-3 });
});

ttest('cumsum along dims', () => {
  assert.deepEqual(vals(T([1, 2, 3, 4]).cumsum(0)), [1, 3, 6, 10]);
  const x = T([[1, 2], [3, 4]]);
  assert.deepEqual(vals(x.cumsum(0)), [1, 2, 4, 6]);
  assert.deepEqual(vals(x.cumsum(1)), [1, 3, 3, 7]);
  assert.deepEqual(vals(x.cumsum(-1)), [1, 3, 3, 7]);
  // cumsum of an int tensor stays integral (int64)
  assert.equal(T([1, 2], 'int32').cumsum(0).dtype, 'int64');
});

ttest('detach and clone give equal values', () => {
  const x = T([1, 2]);
  assert.deepEqual(vals(x.detach()), [1, 2]);
  assert.deepEqual(vals(x.clone()), [1, 2]);
});
