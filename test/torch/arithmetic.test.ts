// Elementwise arithmetic with broadcasting and scalars, dtype promotion, comparisons, where, clamp,
// matrix products and the in-place updates the optimisers use.
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, assertClose, assertTensor } from './check.js';

const T = (d: Parameters<typeof torch.tensor>[0], dtype?: torch.DType) => torch.tensor(d, dtype ? { dtype } : {});

ttest('add: same shape, row broadcast, column x row broadcast', () => {
  const a = T([[1, 2, 3], [4, 5, 6]]);
  assertTensor(a.add(T([[1, 1, 1], [2, 2, 2]])), [2, 3], [2, 3, 4, 6, 7, 8]);
  assertTensor(a.add(T([10, 20, 30])), [2, 3], [11, 22, 33, 14, 25, 36]);
  assertTensor(T([[1], [2]]).add(T([[10, 20, 30]])), [2, 3], [11, 21, 31, 12, 22, 32]);
  // a 0-d tensor broadcasts to anything
  assertTensor(a.add(torch.scalar(100)), [2, 3], [101, 102, 103, 104, 105, 106]);
  // broadcasting adds leading dimensions: [2,1,3] + [4,1] -> [2,4,3]
  assert.deepEqual(torch.zeros([2, 1, 3]).add(torch.zeros([4, 1])).shape, [2, 4, 3]);
});

ttest('add/sub with alpha, tensor and scalar forms', () => {
  const a = T([1, 2]);
  const b = T([3, 4]);
  assert.deepEqual(vals(a.add(b, 2)), [7, 10]);
  assert.deepEqual(vals(a.add(3)), [4, 5]);
  assert.deepEqual(vals(a.add(3, 2)), [7, 8]);
  assert.deepEqual(vals(T([5, 7]).sub(a)), [4, 5]);
  assert.deepEqual(vals(T([5, 7]).sub(a, 3)), [2, 1]);
  assert.deepEqual(vals(T([5, 7]).sub(0.5)), [4.5, 6.5]);
  assert.deepEqual(vals(a.rsub(10)), [9, 8]);
});

ttest('mul, div, rdiv, tensor and scalar forms', () => {
  assert.deepEqual(vals(T([1, 2, 3]).mul(T([2, 3, 4]))), [2, 6, 12]);
  assert.deepEqual(vals(T([1, 2, 3]).mul(0.5)), [0.5, 1, 1.5]);
  assert.deepEqual(vals(T([1, 2, 3]).div(T([2, 4, 8]))), [0.5, 0.5, 0.375]);
  assert.deepEqual(vals(T([1, 2, 3]).div(4)), [0.25, 0.5, 0.75]);
  assert.deepEqual(vals(T([1, 2, 4]).rdiv(8)), [8, 4, 2]);
  // division by zero follows IEEE
  assert.deepEqual(vals(T([1, -1, 0]).div(0)).map(String), ['Infinity', '-Infinity', 'NaN']);
});

ttest('pow: tensor exponent, integer and fractional and negative scalar exponents', () => {
  // a tensor exponent goes through pow() itself, exact in libm but within 1 ulp in a vectorised
  // (SLEEF) kernel; the scalar exponents 2, 0.5, -1 and 0 are square, sqrt, reciprocal and fill, exact
  assertClose(vals(T([2, 3]).pow(T([3, 2]))), [8, 9]);
  assert.deepEqual(vals(T([1, 2, 3]).pow(2)), [1, 4, 9]);
  assert.deepEqual(vals(T([4, 9]).pow(0.5)), [2, 3]);
  assert.deepEqual(vals(T([2, 4]).pow(-1)), [0.5, 0.25]);
  assert.deepEqual(vals(T([2, 3]).pow(0)), [1, 1]);
  // broadcast exponent
  assertTensor(T([[2], [3]]).pow(T([1, 2])), [2, 2], [2, 4, 3, 9]);
});

ttest('remainder has the sign of the divisor (Python modulo)', () => {
  assert.deepEqual(vals(T([-4, -1, 5, 7], 'int64').remainder(3)), [2, 2, 2, 1]);
  assert.deepEqual(vals(T([5.5, -0.5]).remainder(2)), [1.5, 1.5]);
  assert.equal(T([5], 'int64').remainder(3).dtype, 'int64');
});

ttest('maximum / minimum elementwise with broadcasting', () => {
  assertTensor(T([[1, 5], [7, 2]]).maximum(T([3, 3])), [2, 2], [3, 5, 7, 3]);
  assertTensor(T([[1, 5], [7, 2]]).minimum(T([3, 3])), [2, 2], [1, 3, 3, 2]);
});

ttest('dtype promotion follows PyTorch', () => {
  const i64 = T([1, 2, 3], 'int64');
  const i32 = T([1, 2, 3], 'int32');
  const f32 = T([1, 2, 3]);
  const f64 = T([1, 2, 3], 'float64');
  assert.equal(i64.add(i64).dtype, 'int64');
  assert.equal(i32.add(i64).dtype, 'int64');
  assert.equal(i64.add(f32).dtype, 'float32');
  assert.equal(f32.add(f64).dtype, 'float64');
  assert.equal(T([1], 'uint8').add(T([1], 'int8')).dtype, 'int16');
  // integral scalars keep an integer tensor integral; fractional scalars give the default float
  assert.equal(i64.add(1).dtype, 'int64');
  assert.deepEqual(vals(i64.add(1)), [2, 3, 4]);
  assert.equal(i32.mul(2).dtype, 'int32');
  assert.equal(i64.add(0.5).dtype, 'float32');
  assert.deepEqual(vals(i64.mul(2.5)), [2.5, 5, 7.5]);
  // a scalar never widens a float tensor
  assert.equal(f32.mul(2).dtype, 'float32');
  assert.equal(f64.mul(2).dtype, 'float64');
  assert.equal(T([1], 'float16').add(1.5).dtype, 'float16');
  // true division: int / int is float
  assert.equal(i64.div(2).dtype, 'float32');
  assert.deepEqual(vals(i64.div(2)), [0.5, 1, 1.5]);
  assert.deepEqual(vals(i64.div(T([2, 4, 4], 'int64'))), [0.5, 0.5, 0.75]);
  assert.equal(i64.pow(2).dtype, 'int64');
  assert.deepEqual(vals(i64.pow(2)), [1, 4, 9]);
  // 0-d tensors take part in promotion like scalars (dimensioned tensors win within a category)
  assert.equal(f32.add(torch.scalar(1, { dtype: 'float64' })).dtype, 'float32');
  assert.equal(i64.add(torch.scalar(1.5)).dtype, 'float32');
  // bool arithmetic with an int scalar is int64
  assert.equal(T([true, false]).add(1).dtype, 'int64');
});

ttest('comparisons give bool, against tensors (broadcast) and scalars', () => {
  const a = T([1, 2, 3]);
  const b = T([3, 2, 1]);
  const check = (t: torch.Tensor, e: number[]) => {
    assert.equal(t.dtype, 'bool');
    assert.deepEqual(vals(t), e);
  };
  check(a.eq(2), [0, 1, 0]);
  check(a.ne(2), [1, 0, 1]);
  check(a.lt(2), [1, 0, 0]);
  check(a.le(2), [1, 1, 0]);
  check(a.gt(2), [0, 0, 1]);
  check(a.ge(2), [0, 1, 1]);
  check(a.eq(b), [0, 1, 0]);
  check(a.ne(b), [1, 0, 1]);
  check(a.lt(b), [1, 0, 0]);
  check(a.le(b), [1, 1, 0]);
  check(a.gt(b), [0, 0, 1]);
  check(a.ge(b), [0, 1, 1]);
  check(a.lt(2.5), [1, 1, 0]);
  const m = T([[1], [3]]).gt(T([0, 2, 4]));
  assert.deepEqual(m.shape, [2, 3]);
  assert.deepEqual(vals(m), [1, 0, 0, 1, 1, 0]);
  // mixed dtypes compare by value
  check(T([1, 2], 'int64').eq(T([1, 2.5])), [1, 0]);
});

ttest('logicalAnd / logicalOr / logicalNot, isnan / isfinite', () => {
  const p = T([true, true, false, false]);
  const q = T([true, false, true, false]);
  assert.deepEqual(vals(p.logicalAnd(q)), [1, 0, 0, 0]);
  assert.deepEqual(vals(p.logicalOr(q)), [1, 1, 1, 0]);
  assert.deepEqual(vals(p.logicalNot()), [0, 0, 1, 1]);
  // numbers are truthy when non-zero
  assert.deepEqual(vals(T([0, 2, -1]).logicalNot()), [1, 0, 0]);
  const x = T([NaN, Infinity, -Infinity, 1]);
  assert.deepEqual(vals(x.isnan()), [1, 0, 0, 0]);
  assert.deepEqual(vals(x.isfinite()), [0, 0, 0, 1]);
  assert.equal(x.isnan().dtype, 'bool');
});

ttest('equal and allclose', () => {
  assert.equal(T([1, 2]).equal(T([1, 2])), true);
  assert.equal(T([1, 2]).equal(T([1, 3])), false);
  assert.equal(T([1, 2]).equal(T([[1, 2]])), false);
  assert.equal(T([1, 2]).allclose(T([1, 2.000001])), true);
  assert.equal(T([1, 2]).allclose(T([1, 2.1])), false);
  assert.equal(T([1, 2]).allclose(T([1, 2.1]), 0.1), true);
  assert.equal(T([0]).allclose(T([0.01]), 0, 0.02), true);
});

ttest('where: tensor/tensor, scalar branches, broadcasting', () => {
  const c = T([true, false, true]);
  const x = T([1, 2, 3]);
  const y = T([10, 20, 30]);
  assert.deepEqual(vals(torch.where(c, x, y)), [1, 20, 3]);
  assert.deepEqual(vals(torch.where(c, x, 0)), [1, 0, 3]);
  assert.deepEqual(vals(torch.where(c, -1, y)), [-1, 20, -1]);
  const w = torch.where(T([[true], [false]]), T([1, 2, 3]), 9);
  assertTensor(w, [2, 3], [1, 2, 3, 9, 9, 9]);
  assert.equal(torch.where(c, x, 0).dtype, 'float32');
});

ttest('clamp with min, max, both', () => {
  const x = T([-2, 0.5, 3]);
  assert.deepEqual(vals(x.clamp(0, 1)), [0, 0.5, 1]);
  assert.deepEqual(vals(x.clamp(null, 0)), [-2, 0, 0]);
  assert.deepEqual(vals(x.clamp(1)), [1, 1, 3]);
  assert.deepEqual(vals(x.clamp(undefined, 0.25)), [-2, 0.25, 0.25]);
  const i = T([-5, 5], 'int64').clamp(-1, 1);
  assert.equal(i.dtype, 'int64');
  assert.deepEqual(vals(i), [-1, 1]);
});

ttest('matmul: matrix x matrix, matrix x vector, vector x vector, batched with broadcasting', () => {
  const a = T([[1, 2], [3, 4]]);
  assertTensor(a.matmul(T([[5, 6], [7, 8]])), [2, 2], [19, 22, 43, 50]);
  assertTensor(torch.matmul(a, T([1, 1])), [2], [3, 7]);
  assertTensor(T([1, 2, 3]).matmul(T([4, 5, 6])), [], [32]);
  assertTensor(T([[1, 0, 2]]).matmul(T([[1], [2], [3]])), [1, 1], [7]);
  // [2, 1, 2] @ [2, 2] -> [2, 1, 2], each batch its own row times a
  assertTensor(T([[[1, 0]], [[0, 1]]]).matmul(a), [2, 1, 2], [1, 2, 3, 4]);
  // [2, 2, 2] @ [2, 2, 1]
  const b = T([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]);
  assertTensor(b.matmul(T([[[1], [2]], [[3], [4]]])), [2, 2, 1], [1, 2, 6, 8]);
  assert.equal(T([[1, 2]], 'int64').matmul(T([[3], [4]], 'int64')).dtype, 'int64');
  assert.deepEqual(vals(T([[1, 2]], 'int64').matmul(T([[3], [4]], 'int64'))), [11]);
});

ttest('linear: x @ W^T + b, with and without bias, batched', () => {
  const w = T([[1, 0], [0, 1], [1, 1]]);
  const b = T([0.5, 0, -1]);
  assertTensor(T([[1, 2]]).linear(w, b), [1, 3], [1.5, 2, 2]);
  assertTensor(T([[1, 2], [3, -1]]).linear(w), [2, 3], [1, 2, 3, 3, -1, 2]);
  assertTensor(T([[[1, 2]], [[0, 1]]]).linear(w, b), [2, 1, 3], [1.5, 2, 2, 0.5, 1, 0]);
  assertTensor(T([1, 2]).linear(w, b), [3], [1.5, 2, 2]);
});

ttest('in-place add_/sub_/mul_/div_ modify the tensor and return it', () => {
  const t = T([1, 2]);
  const id = t.id;
  assert.equal(t.add_(T([1, 1])), t);
  assert.equal(t.id, id);
  assert.deepEqual(vals(t), [2, 3]);
  t.add_(T([1, 2]), 0.5);
  assert.deepEqual(vals(t), [2.5, 4]);
  t.add_(1);
  assert.deepEqual(vals(t), [3.5, 5]);
  t.add_(1, -2);
  assert.deepEqual(vals(t), [1.5, 3]);
  t.sub_(T([0.5, 1]));
  assert.deepEqual(vals(t), [1, 2]);
  t.sub_(T([1, 1]), 0.5);
  assert.deepEqual(vals(t), [0.5, 1.5]);
  t.mul_(T([2, 4]));
  assert.deepEqual(vals(t), [1, 6]);
  t.mul_(3);
  assert.deepEqual(vals(t), [3, 18]);
  t.div_(T([3, 2]));
  assert.deepEqual(vals(t), [1, 9]);
  t.div_(2);
  assert.deepEqual(vals(t), [0.5, 4.5]);
  // broadcasting the other operand into the tensor's shape
  const m = torch.zeros([2, 2]).add_(T([1, 2]));
  assert.deepEqual(vals(m), [1, 2, 1, 2]);
});

ttest('in-place addcmul_, addcdiv_, lerp_ (the Adam update building blocks)', () => {
  const t = T([1, 1]);
  assert.equal(t.addcmul_(T([2, 4]), T([3, 5]), 0.5), t);
  assert.deepEqual(vals(t), [4, 11]);
  t.addcmul_(T([1, 1]), T([1, 2]));
  assert.deepEqual(vals(t), [5, 13]);
  const u = T([1, 1]);
  u.addcdiv_(T([2, 4]), T([4, 8]), 2);
  assert.deepEqual(vals(u), [2, 2]);
  u.addcdiv_(T([3, 3]), T([3, 1]));
  assert.deepEqual(vals(u), [3, 5]);
  const l = T([0, 10]);
  l.lerp_(T([10, 20]), 0.25);
  assert.deepEqual(vals(l), [2.5, 12.5]);
});

ttest('in-place copy_, zero_, fill_, clamp_, sqrt_', () => {
  const t = T([1, 2, 3]);
  t.copy_(T([7, 8, 9]));
  assert.deepEqual(vals(t), [7, 8, 9]);
  // copy_ broadcasts and converts the dtype
  t.copy_(T([5], 'int64'));
  assert.deepEqual(vals(t), [5, 5, 5]);
  assert.equal(t.dtype, 'float32');
  assert.equal(t.zero_(), t);
  assert.deepEqual(vals(t), [0, 0, 0]);
  t.fill_(2.5);
  assert.deepEqual(vals(t), [2.5, 2.5, 2.5]);
  const c = T([-1, 0.5, 4]);
  c.clamp_(0, 1);
  assert.deepEqual(vals(c), [0, 0.5, 1]);
  c.clamp_(null, 0.25);
  assert.deepEqual(vals(c), [0, 0.25, 0.25]);
  c.clamp_(0.1);
  assert.deepEqual(vals(c).map((v) => Math.round(v * 100) / 100), [0.1, 0.25, 0.25]);
  const s = T([4, 9, 0.25]);
  s.sqrt_();
  assert.deepEqual(vals(s), [2, 3, 0.5]);
});

ttest('in-place ops on a view write through to the base tensor', () => {
  const x = T([[1, 2, 3], [4, 5, 6]]);
  x.narrow(1, 1, 1).fill_(0);
  assert.deepEqual(vals(x), [1, 0, 3, 4, 0, 6]);
  x.select(0, 1).mul_(10);
  assert.deepEqual(vals(x), [1, 0, 3, 40, 0, 60]);
});

ttest('float32 arithmetic keeps float32 precision', () => {
  const t = T([1]).add(1e-8);
  assert.equal(vals(t)[0], 1); // 1e-8 is below float32 resolution at 1
  const d = T([1], 'float64').add(1e-8);
  assertClose(vals(d), [1 + 1e-8], { atol: 1e-15, rtol: 0 });
});

ttest(
  'a scalar -0 keeps its sign (1 / -0 = -Infinity, as in PyTorch)',
  () => {
    assert.ok(Object.is(vals(T([1]).div(-0))[0], -Infinity), `1 / -0 gave ${vals(T([1]).div(-0))[0]}`);
    assert.ok(Object.is(vals(T([2]).mul(-0))[0], -0));
  },
);
