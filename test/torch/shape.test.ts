// Shape and indexing operators: views, joins and splits, slicing, gathers and scatters, masks,
// sorting (topk, sort, argsort) and nonzero.
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, assertTensor, ramp } from './check.js';

const T = (d: Parameters<typeof torch.tensor>[0], dtype?: torch.DType) => torch.tensor(d, dtype ? { dtype } : {});
const L = (d: number[] | number[][]) => torch.tensor(d, { dtype: 'int64' });
const X = () => T([[1, 2, 3], [4, 5, 6]]);

ttest('reshape and view (spread or array forms, -1 inferred)', () => {
  const x = X();
  assertTensor(x.reshape(3, 2), [3, 2], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.reshape([6]), [6], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.reshape(-1), [6], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.reshape(1, -1, 2), [1, 3, 2], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.view(3, 2), [3, 2], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.view([2, 1, 3]), [2, 1, 3], [1, 2, 3, 4, 5, 6]);
  // reshape of a non-contiguous tensor copies in logical order
  assertTensor(x.t().reshape(6), [6], [1, 4, 2, 5, 3, 6]);
  assertTensor(torch.scalar(5).reshape(1, 1), [1, 1], [5]);
});

ttest('permute and transpose', () => {
  const x = ramp([2, 3, 4]); // x[i,j,k] = 12i + 4j + k
  const p = x.permute(2, 0, 1);
  assert.deepEqual(p.shape, [4, 2, 3]);
  const expected: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(12 * i + 4 * j + k);
  assert.deepEqual(vals(p), expected);
  assert.deepEqual(x.permute([2, 0, 1]).shape, [4, 2, 3]);
  assert.deepEqual(vals(x.permute(-1, 0, 1)), expected);
  const t = x.transpose(0, 2);
  assert.deepEqual(t.shape, [4, 3, 2]);
  const te: number[] = [];
  for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) te.push(12 * i + 4 * j + k);
  assert.deepEqual(vals(t), te);
  assert.deepEqual(vals(x.transpose(-1, 0)), te);
  assertTensor(X().t(), [3, 2], [1, 4, 2, 5, 3, 6]);
});

ttest('squeeze and unsqueeze', () => {
  const x = torch.zeros([1, 2, 1]);
  assert.deepEqual(x.squeeze().shape, [2]);
  assert.deepEqual(x.squeeze(0).shape, [2, 1]);
  assert.deepEqual(x.squeeze(-1).shape, [1, 2]);
  // a dim that is not 1 is left alone, as in PyTorch
  assert.deepEqual(x.squeeze(1).shape, [1, 2, 1]);
  const v = T([1, 2]);
  assertTensor(v.unsqueeze(0), [1, 2], [1, 2]);
  assertTensor(v.unsqueeze(1), [2, 1], [1, 2]);
  assertTensor(v.unsqueeze(-1), [2, 1], [1, 2]);
});

ttest('flatten with start and end dims', () => {
  const x = torch.zeros([2, 3, 4, 5]);
  assert.deepEqual(x.flatten().shape, [120]);
  assert.deepEqual(x.flatten(1).shape, [2, 60]);
  assert.deepEqual(x.flatten(0, 1).shape, [6, 4, 5]);
  assert.deepEqual(x.flatten(1, -2).shape, [2, 12, 5]);
  assertTensor(X().flatten(), [6], [1, 2, 3, 4, 5, 6]);
});

ttest('flip along one or several dims', () => {
  const x = T([[1, 2], [3, 4]]);
  assertTensor(x.flip(0), [2, 2], [3, 4, 1, 2]);
  assertTensor(x.flip(1), [2, 2], [2, 1, 4, 3]);
  assertTensor(x.flip(-1), [2, 2], [2, 1, 4, 3]);
  assertTensor(x.flip([0, 1]), [2, 2], [4, 3, 2, 1]);
});

ttest('repeat tiles the tensor (and can add leading dims)', () => {
  assertTensor(T([[1, 2]]).repeat(2, 1), [2, 2], [1, 2, 1, 2]);
  assertTensor(T([[1, 2]]).repeat(1, 2), [1, 4], [1, 2, 1, 2]);
  assertTensor(T([1, 2]).repeat(2), [4], [1, 2, 1, 2]);
  assertTensor(T([1, 2]).repeat([2, 2]), [2, 4], [1, 2, 1, 2, 1, 2, 1, 2]);
  assertTensor(T([[1], [2]]).repeat(1, 3), [2, 3], [1, 1, 1, 2, 2, 2]);
});

ttest('expand and expandAs broadcast without copying (stride 0)', () => {
  const c = T([[1], [2]]);
  const e = c.expand(2, 3);
  assertTensor(e, [2, 3], [1, 1, 1, 2, 2, 2]);
  assert.deepEqual(e.strides, [1, 0]);
  assertTensor(c.expand(-1, 3), [2, 3], [1, 1, 1, 2, 2, 2]);
  assertTensor(T([1, 2, 3]).expand([2, 3]), [2, 3], [1, 2, 3, 1, 2, 3]);
  assertTensor(T([7]).expandAs(torch.zeros([2, 2])), [2, 2], [7, 7, 7, 7]);
});

ttest('narrow, slice (with step and negative bounds) and select', () => {
  const x = X();
  assertTensor(x.narrow(1, 1, 2), [2, 2], [2, 3, 5, 6]);
  assertTensor(x.narrow(0, 1, 1), [1, 3], [4, 5, 6]);
  assertTensor(x.narrow(-1, 0, 1), [2, 1], [1, 4]);
  assertTensor(x.slice(1, 0, 3, 2), [2, 2], [1, 3, 4, 6]);
  assertTensor(x.slice(0, 1), [1, 3], [4, 5, 6]);
  assertTensor(x.slice(1, -1), [2, 1], [3, 6]);
  assertTensor(x.slice(1, undefined, -1), [2, 2], [1, 2, 4, 5]);
  assertTensor(x.slice(1), [2, 3], [1, 2, 3, 4, 5, 6]);
  assertTensor(x.select(0, 1), [3], [4, 5, 6]);
  assertTensor(x.select(1, -1), [2], [3, 6]);
  assertTensor(x.select(1, 0), [2], [1, 4]);
});

ttest('indexSelect with int64 and int32 indices (repeats allowed)', () => {
  const x = X();
  assertTensor(x.indexSelect(1, L([2, 0])), [2, 2], [3, 1, 6, 4]);
  assertTensor(x.indexSelect(0, L([1, 1, 0])), [3, 3], [4, 5, 6, 4, 5, 6, 1, 2, 3]);
  assertTensor(x.indexSelect(-1, T([1], 'int32')), [2, 1], [2, 5]);
});

ttest('gather, scatter, indexAdd', () => {
  const x = T([[1, 2], [3, 4]]);
  assertTensor(x.gather(1, L([[0, 0], [1, 0]])), [2, 2], [1, 1, 4, 3]);
  assertTensor(x.gather(0, L([[1, 0]])), [1, 2], [3, 2]);
  // out[i][index[i][j]] = src[i][j]
  assertTensor(torch.zeros([2, 2]).scatter(1, L([[1], [0]]), T([[5], [6]])), [2, 2], [0, 5, 6, 0]);
  // scatter is out of place
  const z = torch.zeros([2]);
  z.scatter(0, L([0]), T([1]));
  assert.deepEqual(vals(z), [0, 0]);
  // indexAdd accumulates repeated indices: rows 0 and 2 of src both land on row 0
  const ia = torch.zeros([3, 2]).indexAdd(0, L([0, 2, 0]), T([[1, 2], [3, 4], [5, 6]]));
  assertTensor(ia, [3, 2], [6, 8, 0, 0, 3, 4]);
});

ttest('maskedFill (broadcast mask), maskedSelect, indexMask', () => {
  const x = T([[1, 2], [3, 4]]);
  assertTensor(x.maskedFill(T([[true, false], [false, true]]), -1), [2, 2], [-1, 2, 3, -1]);
  assertTensor(x.maskedFill(T([true, false]), 0), [2, 2], [0, 2, 0, 4]);
  assertTensor(x.maskedFill(T([[false], [true]]), 9.5), [2, 2], [1, 2, 9.5, 9.5]);
  assertTensor(x.maskedSelect(T([[true, false], [false, true]])), [2], [1, 4]);
  const rows = T([[1, 2], [3, 4], [5, 6]]);
  assertTensor(rows.indexMask(T([true, false, true])), [2, 2], [1, 2, 5, 6]);
  assertTensor(rows.indexMask(T([false, false, false])), [0, 2], []);
  // a full-shape mask selects elements
  assertTensor(x.indexMask(T([[false, true], [true, true]])), [3], [2, 3, 4]);
});

ttest('cat along dims (incl. negative) and stack', () => {
  const a = T([[1, 2]]);
  const b = T([[3, 4], [5, 6]]);
  assertTensor(torch.cat([a, b]), [3, 2], [1, 2, 3, 4, 5, 6]);
  assertTensor(torch.cat([a, a], 1), [1, 4], [1, 2, 1, 2]);
  assertTensor(torch.cat([a, T([[9]])], -1), [1, 3], [1, 2, 9]);
  assertTensor(torch.cat([a]), [1, 2], [1, 2]);
  const u = T([1, 2]);
  const v = T([3, 4]);
  assertTensor(torch.stack([u, v]), [2, 2], [1, 2, 3, 4]);
  assertTensor(torch.stack([u, v], 1), [2, 2], [1, 3, 2, 4]);
  assertTensor(torch.stack([u, v], -1), [2, 2], [1, 3, 2, 4]);
});

ttest('split by size and by sizes, chunk, unbind', () => {
  const r = torch.arange(5);
  const parts = r.split(2);
  assert.equal(parts.length, 3);
  assert.deepEqual(parts.map(vals), [[0, 1], [2, 3], [4]]);
  const bySizes = r.split([1, 3, 1]);
  assert.deepEqual(bySizes.map(vals), [[0], [1, 2, 3], [4]]);
  assert.deepEqual(bySizes.map((p) => p.shape), [[1], [3], [1]]);
  const m = ramp([2, 5]);
  const cols = m.split([2, 3], 1);
  assertTensor(cols[0]!, [2, 2], [0, 1, 5, 6]);
  assertTensor(cols[1]!, [2, 3], [2, 3, 4, 7, 8, 9]);
  assert.deepEqual(m.split([4, 1], -1).map((p) => p.shape), [[2, 4], [2, 1]]);
  assert.deepEqual(torch.arange(6).chunk(3).map(vals), [[0, 1], [2, 3], [4, 5]]);
  assert.deepEqual(torch.arange(5).chunk(2).map(vals), [[0, 1, 2], [3, 4]]);
  const ub = X().unbind(1);
  assert.equal(ub.length, 3);
  assert.deepEqual(ub.map(vals), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(X().unbind().map(vals), [[1, 2, 3], [4, 5, 6]]);
});

ttest('tril and triu with a diagonal offset', () => {
  const x = T([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assertTensor(x.tril(), [3, 3], [1, 0, 0, 4, 5, 0, 7, 8, 9]);
  assertTensor(x.triu(), [3, 3], [1, 2, 3, 0, 5, 6, 0, 0, 9]);
  assertTensor(x.triu(1), [3, 3], [0, 2, 3, 0, 0, 6, 0, 0, 0]);
  assertTensor(x.tril(-1), [3, 3], [0, 0, 0, 4, 0, 0, 7, 8, 0]);
});

ttest('topk: largest and smallest, along a dim, indices', () => {
  const t = T([1, 5, 3, 4]);
  const top = t.topk(2);
  assertTensor(top.values, [2], [5, 4]);
  assertTensor(top.indices, [2], [1, 3]);
  assert.equal(top.indices.dtype, 'int64');
  const low = t.topk(2, -1, false);
  assertTensor(low.values, [2], [1, 3]);
  assertTensor(low.indices, [2], [0, 2]);
  const m = T([[1, 9], [8, 2], [5, 7]]);
  const c = m.topk(1, 0);
  assertTensor(c.values, [1, 2], [8, 9]);
  assertTensor(c.indices, [1, 2], [1, 0]);
  const r = m.topk(1, 1);
  assertTensor(r.values, [3, 1], [9, 8, 7]);
  assertTensor(r.indices, [3, 1], [1, 0, 1]);
  // unsorted topk returns the same set
  const u = T([4, 1, 7, 3, 9]).topk(3, 0, true, false);
  assert.deepEqual(vals(u.values).sort((a, b) => a - b), [4, 7, 9]);
  assert.deepEqual(vals(u.indices).sort((a, b) => a - b), [0, 2, 4]);
});

ttest('sort ascending / descending, stable with ties, along a dim; argsort', () => {
  const t = T([3, 1, 2]);
  const s = t.sort();
  assertTensor(s.values, [3], [1, 2, 3]);
  assertTensor(s.indices, [3], [1, 2, 0]);
  const d = t.sort(0, true);
  assertTensor(d.values, [3], [3, 2, 1]);
  assertTensor(d.indices, [3], [0, 2, 1]);
  const ties = T([2, 1, 2, 1]).sort(0, false, true);
  assertTensor(ties.values, [4], [1, 1, 2, 2]);
  assertTensor(ties.indices, [4], [1, 3, 0, 2]);
  const tiesDesc = T([2, 1, 2, 1]).sort(0, true, true);
  assertTensor(tiesDesc.indices, [4], [0, 2, 1, 3]);
  const m = T([[3, 1], [0, 2]]);
  assertTensor(m.sort(0).values, [2, 2], [0, 1, 3, 2]);
  assertTensor(m.sort(0).indices, [2, 2], [1, 0, 0, 1]);
  assertTensor(m.sort(-1).values, [2, 2], [1, 3, 0, 2]);
  assertTensor(t.argsort(), [3], [1, 2, 0]);
  assertTensor(t.argsort(0, true), [3], [0, 2, 1]);
  assertTensor(T([2, 1, 2, 1]).argsort(0, false, true), [4], [1, 3, 0, 2]);
});

ttest('nonzero: [nnz, ndim] int64 indices in row-major order', () => {
  const n = T([[0, 1], [2, 0]]).nonzero();
  assert.equal(n.dtype, 'int64');
  assertTensor(n, [2, 2], [0, 1, 1, 0]);
  assertTensor(T([0, 3, 0, 4]).nonzero(), [2, 1], [1, 3]);
  assertTensor(T([true, false, true]).nonzero(), [2, 1], [0, 2]);
  assertTensor(torch.zeros([3]).nonzero(), [0, 1], []);
  assertTensor(T([[[0, 5]]]).nonzero(), [1, 3], [0, 0, 1]);
});
