// Creation, metadata, conversion and TypedArray interop of the tensor API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, raw, assertClose, assertTensor } from './check.js';

ttest('tensor() infers shape and float32 from nested numbers', () => {
  const t = torch.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.ndim, 2);
  assert.equal(t.dtype, 'float32');
  assert.equal(t.device, 'cpu');
  assert.equal(t.numel(), 6);
  assert.equal(t.size(), 6);
  assert.equal(t.size(0), 2);
  assert.equal(t.size(-1), 3);
  assert.deepEqual(t.strides, [3, 1]);
  assert.equal(t.isContiguous(), true);
  assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(vals(t), [1, 2, 3, 4, 5, 6]);
});

ttest('tensor() of a number is 0-d; item() reads it back', () => {
  const t = torch.tensor(2.5);
  assert.deepEqual(t.shape, []);
  assert.equal(t.numel(), 1);
  assert.equal(t.item(), 2.5);
  assert.equal(t.tolist(), 2.5);
  assert.equal(torch.scalar(-3, { dtype: 'int64' }).item(), -3);
});

ttest('tensor() of booleans is bool; item() of a bool is 0/1', () => {
  const t = torch.tensor([true, false, true]);
  assert.equal(t.dtype, 'bool');
  assert.deepEqual(vals(t), [1, 0, 1]);
  assert.deepEqual(raw(t), [1, 0, 1]);
  assert.equal(torch.tensor(true).item(), 1);
});

ttest('tensor() of an empty array has shape [0]', () => {
  const t = torch.tensor([]);
  assert.deepEqual(t.shape, [0]);
  assert.equal(t.numel(), 0);
  assert.deepEqual(vals(t), []);
});

ttest('tensor() with an explicit dtype converts (float to int truncates toward zero)', () => {
  const t = torch.tensor([1.7, -1.7, 3], { dtype: 'int32' });
  assert.equal(t.dtype, 'int32');
  assert.deepEqual(raw(t), [1, -1, 3]);
  const d = torch.tensor([0.1], { dtype: 'float64' });
  assert.equal(d.dtype, 'float64');
  assert.equal(vals(d)[0], 0.1); // exact: built from float64 data
});

ttest('tensor() from TypedArrays keeps their dtype, with a shape', () => {
  const f = torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.tolist(), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(torch.tensor(new Float64Array([1])).dtype, 'float64');
  assert.equal(torch.tensor(new Int32Array([1])).dtype, 'int32');
  assert.equal(torch.tensor(new Int16Array([1])).dtype, 'int16');
  assert.equal(torch.tensor(new Int8Array([1])).dtype, 'int8');
  assert.equal(torch.tensor(new Uint8Array([1])).dtype, 'uint8');
  const l = torch.tensor(new BigInt64Array([5n, -(2n ** 40n)]));
  assert.equal(l.dtype, 'int64');
  assert.deepEqual(Array.from(l.dataSync() as BigInt64Array), [5n, -(2n ** 40n)]);
  assert.deepEqual(vals(l), [5, -(2 ** 40)]);
});

ttest('tensor() from a TypedArray with another dtype converts the values', () => {
  const t = torch.tensor(new Int32Array([1, -2, 3]), { dtype: 'float32' });
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(raw(t), [1, -2, 3]);
  const b = torch.tensor(new Uint8Array([0, 1, 1]), { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(vals(b), [0, 1, 1]);
  // any non-zero byte is true, stored as a proper bool (1), not the raw byte
  const b2 = torch.tensor(new Uint8Array([2, 0, 255]), { dtype: 'bool' });
  assert.deepEqual(raw(b2), [1, 0, 1]);
  const d = torch.tensor(new Float32Array([0.5, 1.5]), { dtype: 'float64' });
  assert.deepEqual(raw(d), [0.5, 1.5]);
});

ttest('float16 and bfloat16 round-trip as raw 16-bit patterns', () => {
  const h = torch.tensor([1, -2, 0.5], { dtype: 'float16' });
  assert.equal(h.dtype, 'float16');
  // IEEE half: 1 = 0x3C00, -2 = 0xC000, 0.5 = 0x3800
  assert.deepEqual(raw(h), [0x3c00, 0xc000, 0x3800]);
  assert.deepEqual(vals(h), [1, -2, 0.5]);
  const fromBits = torch.tensor(new Uint16Array([0x3c00, 0x4000]));
  assert.equal(fromBits.dtype, 'float16');
  assert.deepEqual(vals(fromBits), [1, 2]);
  const b = torch.tensor([1, -2], { dtype: 'bfloat16' });
  // bfloat16 is the top half of float32: 1 = 0x3F80, -2 = 0xC000
  assert.deepEqual(raw(b), [0x3f80, 0xc000]);
  assert.deepEqual(vals(b), [1, -2]);
});

ttest('dataSync copies: changing the tensor later does not change the array', () => {
  const t = torch.tensor([1, 2]);
  const a = t.dataSync() as Float32Array;
  t.fill_(7);
  assert.deepEqual(Array.from(a), [1, 2]);
  assert.deepEqual(vals(t), [7, 7]);
  const src = new Float32Array([1, 2]);
  const u = torch.tensor(src);
  src[0] = 9;
  assert.deepEqual(vals(u), [1, 2]);
});

ttest('toFloat32Array / toFloat64Array convert the dtype', () => {
  const t = torch.tensor([1, 2, 3], { dtype: 'int64' });
  assert.ok(t.toFloat32Array() instanceof Float32Array);
  assert.deepEqual(Array.from(t.toFloat32Array()), [1, 2, 3]);
  assert.deepEqual(Array.from(t.toFloat64Array()), [1, 2, 3]);
});

ttest('zeros, ones, empty, full', () => {
  assertTensor(torch.zeros([2, 2]), [2, 2], [0, 0, 0, 0]);
  assertTensor(torch.ones([3]), [3], [1, 1, 1]);
  assert.equal(torch.ones([3]).dtype, 'float32');
  assert.equal(torch.zeros([2], { dtype: 'int64' }).dtype, 'int64');
  const e = torch.empty([2, 3], { dtype: 'float64' });
  assert.deepEqual(e.shape, [2, 3]);
  assert.equal(e.dtype, 'float64');
  assertTensor(torch.full([2], 3.5), [2], [3.5, 3.5]);
  assert.equal(torch.full([2], 3.5).dtype, 'float32');
  const b = torch.full([2], true);
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(vals(b), [1, 1]);
  assert.deepEqual(vals(torch.full([2], 7, { dtype: 'int32' })), [7, 7]);
  assert.deepEqual(torch.zeros([0, 3]).shape, [0, 3]);
  assert.deepEqual(torch.zeros([]).shape, []);
});

ttest('arange: integer arguments give int64, fractional ones float32', () => {
  const a = torch.arange(5);
  assert.equal(a.dtype, 'int64');
  assert.deepEqual(vals(a), [0, 1, 2, 3, 4]);
  assert.deepEqual(vals(torch.arange(2, 8, 2)), [2, 4, 6]);
  assert.deepEqual(vals(torch.arange(3, 0, -1)), [3, 2, 1]);
  const f = torch.arange(0, 1, 0.25);
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(vals(f), [0, 0.25, 0.5, 0.75]);
  const d = torch.arange(3, undefined, 1, { dtype: 'float64' });
  assert.equal(d.dtype, 'float64');
  assert.deepEqual(vals(d), [0, 1, 2]);
});

ttest('linspace includes both ends', () => {
  const t = torch.linspace(0, 1, 5);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(vals(t), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(vals(torch.linspace(-1, 1, 3, { dtype: 'float64' })), [-1, 0, 1]);
});

ttest('eye, square and rectangular', () => {
  assertTensor(torch.eye(2), [2, 2], [1, 0, 0, 1]);
  assertTensor(torch.eye(2, 3), [2, 3], [1, 0, 0, 0, 1, 0]);
});

ttest('*Like functions keep shape and dtype unless told', () => {
  const x = torch.tensor([[1, 2, 3]], { dtype: 'float64' });
  const z = torch.zerosLike(x);
  assert.deepEqual(z.shape, [1, 3]);
  assert.equal(z.dtype, 'float64');
  assert.deepEqual(vals(z), [0, 0, 0]);
  assert.deepEqual(vals(torch.onesLike(x)), [1, 1, 1]);
  assert.equal(torch.onesLike(x, { dtype: 'int32' }).dtype, 'int32');
  assert.deepEqual(vals(torch.fullLike(x, -2)), [-2, -2, -2]);
  assert.equal(torch.randLike(x).dtype, 'float64');
  assert.deepEqual(torch.randnLike(x).shape, [1, 3]);
  // *Like of a tensor that requires grad does not require grad
  x.requiresGrad = true;
  assert.equal(torch.zerosLike(x).requiresGrad, false);
});

ttest('rand is in [0, 1), randn has mean ~0 and std ~1, randint in [low, high)', () => {
  torch.manualSeed(1);
  const u = vals(torch.rand([1000]));
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const m = u.reduce((a, b) => a + b, 0) / u.length;
  assert.ok(Math.abs(m - 0.5) < 0.05, `mean ${m}`);
  const n = vals(torch.randn([4000], { dtype: 'float64' }));
  const nm = n.reduce((a, b) => a + b, 0) / n.length;
  const nv = n.reduce((a, b) => a + (b - nm) ** 2, 0) / n.length;
  assert.ok(Math.abs(nm) < 0.06, `mean ${nm}`);
  assert.ok(Math.abs(Math.sqrt(nv) - 1) < 0.05, `std ${Math.sqrt(nv)}`);
  const r = torch.randint(2, 5, [500]);
  assert.equal(r.dtype, 'int64');
  const rv = vals(r);
  assert.ok(rv.every((v) => Number.isInteger(v) && v >= 2 && v < 5));
  assert.deepEqual([...new Set(rv)].sort(), [2, 3, 4]);
});

ttest('manualSeed makes random creation repeatable', () => {
  torch.manualSeed(42);
  const a = vals(torch.randn([5]));
  const b = vals(torch.rand([3]));
  torch.manualSeed(42);
  assert.deepEqual(vals(torch.randn([5])), a);
  assert.deepEqual(vals(torch.rand([3])), b);
  torch.manualSeed(43);
  assert.notDeepEqual(vals(torch.randn([5])), a);
});

ttest('normal_ and uniform_ fill in place with the requested distribution', () => {
  torch.manualSeed(3);
  const t = torch.empty([4000], { dtype: 'float64' });
  assert.equal(t.normal_(2, 0.5), t);
  const v = vals(t);
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  assert.ok(Math.abs(m - 2) < 0.05 && Math.abs(s - 0.5) < 0.03, `mean ${m} std ${s}`);
  t.uniform_(-3, -1);
  assert.ok(vals(t).every((x) => x >= -3 && x < -1));
});

ttest('to(dtype) converts; float()/double()/long()/bool()', () => {
  const t = torch.tensor([1.5, -0.5, 0]);
  assert.equal(t.double().dtype, 'float64');
  assert.deepEqual(vals(t.double()), [1.5, -0.5, 0]);
  assert.equal(t.long().dtype, 'int64');
  assert.deepEqual(vals(t.long()), [1, 0, 0]);
  assert.deepEqual(vals(t.bool()), [1, 1, 0]);
  assert.equal(t.to({ dtype: 'int32' }).dtype, 'int32');
  assert.equal(torch.tensor([1], { dtype: 'int64' }).float().dtype, 'float32');
  assert.equal(t.to('cpu').device, 'cpu');
  assert.deepEqual(vals(t.cpu()), [1.5, -0.5, 0]);
});

ttest('clone is a deep copy; contiguous makes a transposed tensor contiguous', () => {
  const a = torch.tensor([1, 2]);
  const c = a.clone();
  a.fill_(0);
  assert.deepEqual(vals(c), [1, 2]);
  const m = torch.tensor([[1, 2, 3], [4, 5, 6]]);
  const tr = m.t();
  assert.equal(tr.isContiguous(), false);
  assert.deepEqual(tr.strides, [1, 3]);
  const cc = tr.contiguous();
  assert.equal(cc.isContiguous(), true);
  assert.deepEqual(cc.strides, [2, 1]);
  assert.deepEqual(vals(cc), [1, 4, 2, 5, 3, 6]);
  // reading a non-contiguous tensor gives its logical order
  assert.deepEqual(vals(tr), [1, 4, 2, 5, 3, 6]);
});

ttest('channelsLast keeps values and shape and changes strides', () => {
  const x = torch.arange(0, 8, 1, { dtype: 'float32' }).reshape(1, 2, 2, 2);
  const cl = x.channelsLast();
  assert.deepEqual(cl.shape, [1, 2, 2, 2]);
  assert.deepEqual(cl.strides, [8, 1, 4, 2]);
  assert.deepEqual(vals(cl), vals(x));
  const x5 = torch.zeros([1, 2, 1, 2, 2]);
  assert.deepEqual(x5.channelsLast().strides, [8, 1, 8, 4, 2]);
});

ttest('toString describes the tensor', () => {
  const t = torch.zeros([2, 3], { requiresGrad: true });
  assert.equal(t.toString(), 'Tensor(shape=[2, 3], dtype=float32, device=cpu, requiresGrad)');
});

ttest('creation options: requiresGrad', () => {
  assert.equal(torch.ones([2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(torch.tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
  assert.equal(torch.ones([2]).requiresGrad, false);
});

ttest('threads: setNumThreads / getNumThreads; build info names libtorch', () => {
  const before = torch.getNumThreads();
  assert.ok(before >= 1);
  torch.setNumThreads(1);
  assert.equal(torch.getNumThreads(), 1);
  torch.setNumThreads(before);
  assert.equal(torch.getNumThreads(), before);
  const info = torch.buildInfo();
  assert.match(info.torchVersion, /^\d+\.\d+/);
  assert.equal(typeof info.cudaAvailable, 'boolean');
  assert.equal(torch.cudaIsAvailable(), info.cudaAvailable);
  assert.ok(info.torchSource.length > 0);
});

ttest('float rounding of float32 storage is visible (values are float32, not float64)', () => {
  const t = torch.tensor([0.1]);
  assertClose(vals(t), [0.1], { atol: 1e-8 });
  assert.notEqual(vals(t)[0], 0.1);
  assert.equal(vals(t)[0], Math.fround(0.1));
});

test('a creation that fails after allocating (requiresGrad on an integer dtype) leaks nothing', () => {
  const before = torch.memory().liveTensors;
  assert.throws(() => torch.ones([2], { dtype: 'int64', requiresGrad: true }), /floating point/);
  assert.throws(() => torch.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), /floating point/);
  assert.equal(torch.memory().liveTensors, before);
});
