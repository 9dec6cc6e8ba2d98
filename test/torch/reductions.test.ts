// Reductions: sum, mean, prod, var, std, norm, max/min (values and indices), argmax/argmin, any/all,
// with dims, negative dims and keepdim.
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, assertClose, assertTensor } from './check.js';

const X = () => torch.tensor([[1, 2, 3], [4, 5, 6]]);

ttest('sum: all, one dim, negative dim, several dims, keepdim', () => {
  const x = X();
  assertTensor(x.sum(), [], [21]);
  assertTensor(x.sum(0), [3], [5, 7, 9]);
  assertTensor(x.sum(1), [2], [6, 15]);
  assertTensor(x.sum(-1), [2], [6, 15]);
  assertTensor(x.sum(-2), [3], [5, 7, 9]);
  assertTensor(x.sum(-1, true), [2, 1], [6, 15]);
  assertTensor(x.sum(0, true), [1, 3], [5, 7, 9]);
  assertTensor(x.sum([0, 1]), [], [21]);
  assertTensor(x.sum([0, 1], true), [1, 1], [21]);
  const y = torch.ones([2, 3, 4]);
  assertTensor(y.sum([0, 2]), [3], [8, 8, 8]);
  assertTensor(y.sum([-1, -3], true), [1, 3, 1], [8, 8, 8]);
});

ttest('sum of integer and bool tensors is int64', () => {
  const b = torch.tensor([true, false, true]).sum();
  assert.equal(b.dtype, 'int64');
  assert.equal(b.item(), 2);
  const i = torch.tensor([1, 2, 3], { dtype: 'int32' }).sum();
  assert.equal(i.dtype, 'int64');
  assert.equal(i.item(), 6);
  assert.equal(torch.tensor([1.5, 2]).sum().dtype, 'float32');
});

ttest('mean: all, dims, keepdim', () => {
  const x = X();
  assertTensor(x.mean(), [], [3.5]);
  assertTensor(x.mean(0), [3], [2.5, 3.5, 4.5]);
  assertTensor(x.mean(-1), [2], [2, 5]);
  assertTensor(x.mean(1, true), [2, 1], [2, 5]);
  assertTensor(x.mean([0, 1]), [], [3.5]);
  assert.equal(x.double().mean().dtype, 'float64');
});

ttest('prod: all, one dim, keepdim', () => {
  const x = X();
  assertTensor(x.prod(), [], [720]);
  assertTensor(x.prod(1), [2], [6, 120]);
  assertTensor(x.prod(-2, true), [1, 3], [4, 10, 18]);
});

ttest('var and std: unbiased by default, biased on request, dims and keepdim', () => {
  const v = torch.tensor([1, 2, 3, 4]);
  // mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5
  assertTensor(v.var(), [], [5 / 3]);
  assertTensor(v.var(undefined, { unbiased: false }), [], [5 / 4]);
  assertTensor(v.std(), [], [Math.sqrt(5 / 3)]);
  assertTensor(v.std(undefined, { unbiased: false }), [], [Math.sqrt(5 / 4)]);
  const x = torch.tensor([[1, 2, 3], [2, 4, 6]]);
  // rows: var([1,2,3]) = 1, var([2,4,6]) = 4
  assertTensor(x.var(1), [2], [1, 4]);
  assertTensor(x.var(-1, { keepdim: true }), [2, 1], [1, 4]);
  assertTensor(x.std(1), [2], [1, 2]);
  // columns of 2 values a, b: unbiased var (a-b)^2/2, biased (a-b)^2/4
  assertTensor(x.var(0), [3], [0.5, 2, 4.5]);
  assertTensor(x.var(0, { unbiased: false, keepdim: true }), [1, 3], [0.25, 1, 2.25]);
  assertTensor(x.var([0, 1], { unbiased: false }), [], [(1 + 4 + 9 + 4 + 16 + 36) / 6 - 3 ** 2]);
});

ttest('norm: p = 2, 1, infinity; along a dim with keepdim', () => {
  const v = torch.tensor([3, -4]);
  assertTensor(v.norm(), [], [5]);
  assertTensor(v.norm(1), [], [7]);
  assertTensor(v.norm(Infinity), [], [4]);
  const x = torch.tensor([[3, 4], [6, 8]]);
  assertTensor(x.norm(2, 1), [2], [5, 10]);
  assertTensor(x.norm(2, -1, true), [2, 1], [5, 10]);
  assertTensor(x.norm(1, 0), [2], [9, 12]);
  assertTensor(x.norm(2, [0, 1]), [], [Math.sqrt(9 + 16 + 36 + 64)]);
  assertTensor(torch.tensor([1, 2, 2]).norm(3), [], [Math.cbrt(1 + 8 + 8)]);
});

ttest('max / min: overall, and along a dim with indices and keepdim', () => {
  const x = torch.tensor([[1, 9, 3], [4, 5, 6]]);
  assertTensor(x.max(), [], [9]);
  assertTensor(x.min(), [], [1]);
  const r = x.max(1);
  assertTensor(r.values, [2], [9, 6]);
  assertTensor(r.indices, [2], [1, 2]);
  assert.equal(r.indices.dtype, 'int64');
  const c = x.max(0, true);
  assertTensor(c.values, [1, 3], [4, 9, 6]);
  assertTensor(c.indices, [1, 3], [1, 0, 1]);
  const m = x.min(-1);
  assertTensor(m.values, [2], [1, 4]);
  assertTensor(m.indices, [2], [0, 0]);
  const mk = x.min(-2, true);
  assertTensor(mk.values, [1, 3], [1, 5, 3]);
  assertTensor(mk.indices, [1, 3], [0, 1, 0]);
  // integer tensors keep their dtype
  const i = torch.tensor([3, 7, 5], { dtype: 'int32' });
  assert.equal(i.max().dtype, 'int32');
  assert.equal(i.max().item(), 7);
});

ttest('argmax / argmin: flattened and along a dim', () => {
  const x = torch.tensor([[3, 1, 2], [0, 5, -1]]);
  assertTensor(x.argmax(), [], [4]);
  assertTensor(x.argmin(), [], [5]);
  assertTensor(x.argmax(0), [3], [0, 1, 0]);
  assertTensor(x.argmin(1), [2], [1, 2]);
  assertTensor(x.argmax(-1, true), [2, 1], [0, 1]);
  assert.equal(x.argmax().dtype, 'int64');
});

ttest('any / all', () => {
  assert.equal(torch.tensor([false, false]).any().item(), 0);
  assert.equal(torch.tensor([true, false]).any().item(), 1);
  assert.equal(torch.tensor([true, false]).all().item(), 0);
  assert.equal(torch.tensor([true, true]).all().item(), 1);
  assert.equal(torch.tensor([0, 2]).any().item(), 1);
  assert.equal(torch.tensor([0, 2]).all().item(), 0);
  assert.equal(torch.tensor([true]).any().dtype, 'bool');
});

ttest('keepdim without dims keeps every dim as size 1 (as x.sum(keepdim=True) in PyTorch)', () => {
  const x = X();
  assertTensor(x.sum(undefined, true), [1, 1], [21]);
  assertTensor(x.mean(undefined, true), [1, 1], [3.5]);
  assertTensor(x.prod(undefined, true), [1, 1], [720]);
  // population variance of 1..6 is 35/12; unbiased 35/12 * 6/5 = 3.5
  assertTensor(x.var(undefined, { keepdim: true }), [1, 1], [3.5]);
  assertTensor(x.std(undefined, { keepdim: true, unbiased: false }), [1, 1], [Math.sqrt(35 / 12)]);
  assertTensor(x.norm(1, undefined, true), [1, 1], [21]);
  assertTensor(x.argmax(undefined, true), [1, 1], [5]);
  assertTensor(x.argmin(undefined, true), [1, 1], [0]);
  // a 0-d tensor stays 0-d
  assertTensor(torch.scalar(3).sum(undefined, true), [], [3]);
});

ttest('reductions of float64 keep float64 precision', () => {
  const t = torch.tensor([1e-10, 1], { dtype: 'float64' });
  assertClose(t.sum().item(), 1 + 1e-10, { atol: 1e-16, rtol: 0 });
});
