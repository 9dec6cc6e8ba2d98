// Autograd: the semantics of requiresGrad / backward / grad / detach / noGrad, and the gradient of every
// differentiable operator against central finite differences in float64 (gradcheck).
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { ttest, vals, assertClose, assertGrad, input, positive, data, type GradInput } from './check.js';

const D = (d: Parameters<typeof torch.tensor>[0]) => torch.tensor(d, { dtype: 'float64' });
const L = (d: number[] | number[][]) => torch.tensor(d, { dtype: 'int64' });
const pos = (shape: number[], seed = 1): GradInput => input(shape, seed, positive);

// ---- semantics -------------------------------------------------------------------------------------

ttest('backward of a scalar fills .grad of the leaves', () => {
  const x = D([1, 2, 3]).requiresGrad_();
  assert.equal(x.requiresGrad, true);
  assert.equal(x.isLeaf, true);
  assert.equal(x.grad, null);
  const y = x.mul(x).sum();
  assert.equal(y.requiresGrad, true);
  assert.equal(y.isLeaf, false);
  y.backward();
  assert.deepEqual(vals(x.grad!), [2, 4, 6]);
  assert.equal(x.grad!.dtype, 'float64');
});

ttest('gradients accumulate until cleared with grad = null', () => {
  const x = D([1, 2, 3]).requiresGrad_();
  x.mul(x).sum().backward();
  x.mul(x).sum().backward();
  assert.deepEqual(vals(x.grad!), [4, 8, 12]);
  x.grad = null;
  assert.equal(x.grad, null);
  x.sum().backward();
  assert.deepEqual(vals(x.grad!), [1, 1, 1]);
  // the grad setter takes a tensor too
  x.grad = D([5, 5, 5]);
  x.sum().backward();
  assert.deepEqual(vals(x.grad!), [6, 6, 6]);
});

ttest('assigning a gradient of another shape or dtype is refused, as in PyTorch', () => {
  const x = D([1, 2, 3]).requiresGrad_();
  assert.throws(() => { x.grad = D([1, 2]); }, /setGrad: .*shape \[2\]/);
  assert.throws(() => { x.grad = torch.ones([3]); }, /setGrad: .*dtype float32/);
  assert.equal(x.grad, null);
  x.grad = D([0, 0, 1]);
  x.sum().backward();
  assert.deepEqual(vals(x.grad!), [1, 1, 2]);
});

ttest('backward with an explicit gradient for a non-scalar output', () => {
  const x = D([1, 2, 3]).requiresGrad_();
  x.mul(2).backward(D([1, 10, 100]));
  assert.deepEqual(vals(x.grad!), [2, 20, 200]);
});

ttest('retainGraph allows a second backward; without it the second one is an Error', () => {
  const x = D([1, 2]).requiresGrad_();
  const y = x.exp().sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assertClose(vals(x.grad!), [2 * Math.E, 2 * Math.E ** 2]);
  assert.throws(() => y.backward(), (e: Error) => e instanceof Error && /backward/i.test(e.message));
});

ttest('createGraph gives differentiable gradients (second derivative)', () => {
  const x = D([1, 2]).requiresGrad_();
  x.pow(3).sum().backward(undefined, { createGraph: true });
  const g = x.grad!;
  assert.deepEqual(vals(g), [3, 12]);
  assert.equal(g.requiresGrad, true);
  x.grad = null;
  g.sum().backward();
  assert.deepEqual(vals(x.grad!), [6, 12]);
});

ttest('retainGrad keeps the gradient of an intermediate tensor', () => {
  const x = D([1, 2]).requiresGrad_();
  const h = x.mul(3);
  h.retainGrad();
  h.mul(h).sum().backward();
  assert.deepEqual(vals(h.grad!), [6, 12]);
  assert.deepEqual(vals(x.grad!), [18, 36]);
});

ttest('detach cuts the graph', () => {
  const x = D([1, 2]).requiresGrad_();
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  // d/dx (x * detach(x)) = detach(x)
  x.mul(x.detach()).sum().backward();
  assert.deepEqual(vals(x.grad!), [1, 2]);
});

ttest('noGrad records nothing, restores the mode (also after a throw); enableGrad re-enables', () => {
  const x = D([1, 2]).requiresGrad_();
  assert.equal(torch.isGradEnabled(), true);
  const y = torch.noGrad(() => {
    assert.equal(torch.isGradEnabled(), false);
    const inner = torch.enableGrad(() => {
      assert.equal(torch.isGradEnabled(), true);
      return x.mul(2);
    });
    assert.equal(inner.requiresGrad, true);
    assert.equal(torch.isGradEnabled(), false);
    return x.mul(2);
  });
  assert.equal(y.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true);
  assert.throws(() => torch.noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.equal(torch.isGradEnabled(), true);
});

ttest('in-place updates of a leaf that requires grad: refused with grad on, allowed under noGrad', () => {
  const w = D([1, 2]).requiresGrad_();
  assert.throws(() => w.add_(1), (e: Error) => e instanceof Error && /leaf|in-place|inplace/i.test(e.message));
  torch.noGrad(() => w.sub_(D([0.5, 0.5])));
  assert.deepEqual(vals(w), [0.5, 1.5]);
  assert.equal(w.requiresGrad, true);
  assert.equal(w.isLeaf, true);
});

ttest('requiresGrad can be switched off; integer tensors cannot require grad', () => {
  const x = D([1]);
  x.requiresGrad = true;
  assert.equal(x.requiresGrad, true);
  x.requiresGrad = false;
  assert.equal(x.requiresGrad, false);
  assert.throws(() => { L([1]).requiresGrad = true; }, (e: Error) => e instanceof Error && /floating point|grad/i.test(e.message));
});

ttest('gradcheck itself catches a wrong gradient', () => {
  // x * detach(x) has derivative 2x but autograd sees x
  const r = torch.gradcheck(([x]) => x!.mul(x!.detach()), [{ data: [1, 2], shape: [2] }]);
  assert.equal(r.ok, false);
  assert.ok(r.worst !== null && r.maxAbsError > 0.5);
  const good = torch.gradcheck(([x]) => x!.mul(x!), [{ data: [1, 2], shape: [2] }]);
  assert.equal(good.ok, true);
  assert.ok(good.maxAbsError < 1e-6);
});

// ---- gradcheck of every differentiable operator ---------------------------------------------------------

ttest('grad: add, sub (alpha, broadcasting), mul, div, scalar forms', () => {
  assertGrad(([a, b]) => a!.add(b!), [input([2, 3]), input([3], 2)]);
  assertGrad(([a, b]) => a!.add(b!, 2.5), [input([2, 1]), input([1, 3], 2)]);
  assertGrad(([a, b]) => a!.sub(b!, 0.5), [input([2, 3]), input([2, 1], 2)]);
  assertGrad(([a, b]) => a!.mul(b!), [input([2, 3]), input([3], 3)]);
  assertGrad(([a, b]) => a!.div(b!), [input([2, 3]), pos([2, 1], 4)]);
  assertGrad(([a]) => a!.add(2).mul(3).sub(1).div(4).rsub(2), [input([5])]);
  assertGrad(([a]) => a!.rdiv(3), [pos([4])]);
  assertGrad(([a]) => a!.add(torch.scalar(2, { dtype: 'float64' })), [input([3])]);
});

ttest('grad: pow (scalar and tensor exponents), maximum, minimum', () => {
  assertGrad(([a]) => a!.pow(3), [input([4])]);
  assertGrad(([a]) => a!.pow(0.5), [pos([4])]);
  assertGrad(([a]) => a!.pow(-2), [pos([4])]);
  assertGrad(([a, b]) => a!.pow(b!), [pos([2, 2]), input([2], 3)]);
  assertGrad(([a, b]) => a!.maximum(b!), [input([6], 1), input([6], 2)]);
  assertGrad(([a, b]) => a!.minimum(b!), [input([6], 1), input([6], 2)]);
});

ttest('grad: exp, expm1, log, log1p, log2, sqrt, rsqrt, reciprocal, square, abs, neg, sin, cos', () => {
  const x = input([5]);
  const p = pos([5]);
  assertGrad(([a]) => a!.exp(), [x]);
  assertGrad(([a]) => a!.expm1(), [x]);
  assertGrad(([a]) => a!.log(), [p]);
  assertGrad(([a]) => a!.log1p(), [p]);
  assertGrad(([a]) => a!.log2(), [p]);
  assertGrad(([a]) => a!.sqrt(), [p]);
  assertGrad(([a]) => a!.rsqrt(), [p]);
  assertGrad(([a]) => a!.reciprocal(), [p]);
  assertGrad(([a]) => a!.square(), [x]);
  assertGrad(([a]) => a!.abs(), [x]);
  assertGrad(([a]) => a!.neg(), [x]);
  assertGrad(([a]) => a!.sin(), [x]);
  assertGrad(([a]) => a!.cos(), [x]);
});

ttest('grad: sigmoid, logsigmoid, softplus, relu, leakyRelu, tanh, gelu, silu, clamp', () => {
  const x = input([6], 1, (n, s) => data(n, s, 3));
  assertGrad(([a]) => a!.sigmoid(), [x]);
  assertGrad(([a]) => a!.logsigmoid(), [x]);
  assertGrad(([a]) => a!.softplus(), [x]);
  assertGrad(([a]) => a!.softplus({ beta: 2, threshold: 5 }), [x]);
  assertGrad(([a]) => a!.relu(), [x]);
  assertGrad(([a]) => a!.leakyRelu(0.2), [x]);
  assertGrad(([a]) => a!.tanh(), [x]);
  assertGrad(([a]) => a!.gelu(), [x]);
  assertGrad(([a]) => a!.silu(), [x]);
  // bounds chosen away from the data so no element sits on a kink
  assertGrad(([a]) => a!.clamp(-1.01, 0.99), [x]);
  assertGrad(([a]) => a!.clamp(null, 0.51), [x]);
});

ttest('grad: softmax, logSoftmax, logsumexp, cumsum', () => {
  const x = input([2, 3]);
  assertGrad(([a]) => a!.softmax(1), [x]);
  assertGrad(([a]) => a!.softmax(0), [x]);
  assertGrad(([a]) => a!.logSoftmax(-1), [x]);
  assertGrad(([a]) => a!.logsumexp(1), [x]);
  assertGrad(([a]) => a!.logsumexp([0, 1], true), [x]);
  assertGrad(([a]) => a!.cumsum(1), [x]);
});

ttest('grad: sum, mean, prod, max, min, norm, var, std', () => {
  const x = input([2, 3]);
  assertGrad(([a]) => a!.sum(), [x]);
  assertGrad(([a]) => a!.sum(0), [x]);
  assertGrad(([a]) => a!.sum(-1, true), [x]);
  assertGrad(([a]) => a!.mean(), [x]);
  assertGrad(([a]) => a!.mean([0, 1]), [x]);
  assertGrad(([a]) => a!.mean(1, true), [x]);
  assertGrad(([a]) => a!.prod(), [x]);
  assertGrad(([a]) => a!.prod(1), [x]);
  assertGrad(([a]) => a!.prod(undefined, true), [x]);
  assertGrad(([a]) => a!.sum(undefined, true).mul(a!), [x]);
  assertGrad(([a]) => a!.max(), [x]);
  assertGrad(([a]) => a!.max(1).values, [x]);
  assertGrad(([a]) => a!.min(0, true).values, [x]);
  assertGrad(([a]) => a!.min(), [x]);
  assertGrad(([a]) => a!.norm(), [x]);
  assertGrad(([a]) => a!.norm(1), [x]);
  assertGrad(([a]) => a!.norm(2, 1), [x]);
  assertGrad(([a]) => a!.var(), [x]);
  assertGrad(([a]) => a!.var(1, { unbiased: false }), [x]);
  assertGrad(([a]) => a!.std(0), [x]);
});

ttest('grad: matmul (matrix, vector, batched) and linear', () => {
  assertGrad(([a, b]) => a!.matmul(b!), [input([2, 3]), input([3, 2], 2)]);
  assertGrad(([a, b]) => a!.matmul(b!), [input([2, 3]), input([3], 2)]);
  assertGrad(([a, b]) => a!.matmul(b!), [input([2, 2, 3]), input([3, 2], 2)]);
  assertGrad(([x, w, b]) => x!.linear(w!, b!), [input([2, 3]), input([4, 3], 2), input([4], 3)]);
  assertGrad(([x, w]) => x!.linear(w!), [input([3]), input([2, 3], 2)]);
});

ttest('grad: conv2d with bias, stride, padding, dilation and groups', () => {
  assertGrad(([x, w, b]) => x!.conv2d(w!, { bias: b!, padding: 1 }), [input([1, 2, 4, 4]), input([2, 2, 3, 3], 2), input([2], 3)]);
  assertGrad(([x, w]) => x!.conv2d(w!, { stride: 2, padding: [1, 0] }), [input([2, 1, 5, 4]), input([2, 1, 3, 2], 2)]);
  assertGrad(([x, w]) => x!.conv2d(w!, { groups: 2, dilation: 2, padding: 1 }), [input([1, 2, 4, 4]), input([4, 1, 2, 2], 2)]);
});

ttest('grad: conv3d with bias, stride, padding and groups', () => {
  assertGrad(([x, w, b]) => x!.conv3d(w!, { bias: b!, padding: 1 }), [input([1, 1, 3, 3, 3]), input([2, 1, 3, 3, 3], 2), input([2], 3)]);
  assertGrad(([x, w]) => x!.conv3d(w!, { stride: [1, 2, 2], groups: 2 }), [input([1, 2, 2, 4, 4]), input([2, 1, 2, 2, 2], 2)]);
  assertGrad(([x, w]) => x!.conv3d(w!, { dilation: [2, 1, 1], padding: [0, 1, 1] }), [input([1, 1, 3, 2, 2]), input([1, 1, 2, 2, 2], 2)]);
});

ttest('grad: batchNorm in training (2-d, 4-d, 5-d) and eval; layerNorm', () => {
  assertGrad(([x, w, b]) => x!.batchNorm({ weight: w!, bias: b!, training: true }), [input([4, 2]), input([2], 2), input([2], 3)]);
  assertGrad(([x, w, b]) => x!.batchNorm({ weight: w!, bias: b!, training: true }), [input([2, 2, 2, 2]), input([2], 2), input([2], 3)]);
  assertGrad(([x]) => x!.batchNorm({ training: true }), [input([2, 1, 2, 1, 2])]);
  // running statistics are updated on every call, which must not change the gradient
  const rm = torch.keep(torch.zeros([2], { dtype: 'float64' }));
  const rv = torch.keep(torch.ones([2], { dtype: 'float64' }));
  try {
    assertGrad(([x, w]) => x!.batchNorm({ weight: w!, runningMean: rm, runningVar: rv, training: true }), [input([3, 2]), input([2], 2)]);
    assertGrad(([x, w, b]) => x!.batchNorm({ weight: w!, bias: b!, runningMean: D([0.1, -0.2]), runningVar: D([0.5, 2]) }), [input([3, 2]), input([2], 2), input([2], 3)]);
  } finally {
    rm.dispose();
    rv.dispose();
  }
  assertGrad(([x, w, b]) => x!.layerNorm([3], { weight: w!, bias: b! }), [input([2, 3]), input([3], 2), input([3], 3)]);
});

ttest('grad: maxPool2d/3d (no ties), avgPool2d/3d with padding', () => {
  assertGrad(([x]) => x!.maxPool2d(2), [input([1, 1, 4, 4])]);
  assertGrad(([x]) => x!.maxPool2d(3, { stride: 2, padding: 1 }), [input([1, 2, 5, 5])]);
  assertGrad(([x]) => x!.maxPool3d([1, 2, 2]), [input([1, 1, 2, 4, 4])]);
  assertGrad(([x]) => x!.maxPool3d(2, { stride: 1, padding: 1 }), [input([1, 1, 2, 2, 3])]);
  assertGrad(([x]) => x!.avgPool2d(2, { stride: 1, padding: 1 }), [input([1, 1, 3, 3])]);
  assertGrad(([x]) => x!.avgPool2d(2, { padding: 1, countIncludePad: false }), [input([1, 1, 3, 3])]);
  assertGrad(([x]) => x!.avgPool3d(2, { ceilMode: true }), [input([1, 1, 3, 3, 3])]);
});

ttest('grad: adaptive pools (avg and max, 2-d and 3-d)', () => {
  assertGrad(([x]) => x!.adaptiveAvgPool2d([2, 2]), [input([1, 2, 3, 5])]);
  assertGrad(([x]) => x!.adaptiveAvgPool2d(1), [input([1, 2, 3, 3])]);
  assertGrad(([x]) => x!.adaptiveMaxPool2d([2, 2]), [input([1, 1, 3, 5])]);
  assertGrad(([x]) => x!.adaptiveAvgPool3d([1, 2, 2]), [input([1, 1, 2, 3, 3])]);
  assertGrad(([x]) => x!.adaptiveMaxPool3d([1, 2, 1]), [input([1, 1, 2, 3, 3])]);
});

ttest('grad: gridSample w.r.t. input and grid (bilinear; alignCorners both ways; border padding), 5-d', () => {
  // grid points inside (-0.9, 0.9) and off the pixel lattice
  const grid = input([1, 2, 3, 2], 5, (n, s) => data(n, s, 0.85));
  assertGrad(([x, g]) => x!.gridSample(g!), [input([1, 2, 3, 4]), grid]);
  assertGrad(([x, g]) => x!.gridSample(g!, { alignCorners: true }), [input([1, 1, 3, 4]), grid]);
  assertGrad(([x, g]) => x!.gridSample(g!, { paddingMode: 'border' }), [input([1, 1, 3, 3]), input([1, 2, 2, 2], 6, (n, s) => data(n, s, 1.3))]);
  assertGrad(([x]) => x!.gridSample(D(data(8, 7, 0.9)).reshape(1, 2, 2, 2), { mode: 'nearest' }), [input([1, 1, 3, 3])]);
  assertGrad(([x, g]) => x!.gridSample(g!, { alignCorners: false }), [input([1, 1, 2, 3, 3]), input([1, 1, 2, 2, 3], 8, (n, s) => data(n, s, 0.8))]);
});

ttest('grad: interpolate (nearest, linear, bilinear, trilinear, bicubic, area)', () => {
  assertGrad(([x]) => x!.interpolate([5, 3], 'bilinear', false), [input([1, 1, 3, 2])]);
  assertGrad(([x]) => x!.interpolate([4, 4], 'bilinear', true), [input([1, 2, 2, 3])]);
  assertGrad(([x]) => x!.interpolate([3, 4, 2], 'trilinear', false), [input([1, 1, 2, 2, 3])]);
  assertGrad(([x]) => x!.interpolate([3, 3, 3], 'trilinear', true), [input([1, 1, 2, 2, 2])]);
  assertGrad(([x]) => x!.interpolate([5], 'linear'), [input([1, 2, 3])]);
  assertGrad(([x]) => x!.interpolate([4, 6], 'nearest'), [input([1, 1, 2, 3])]);
  assertGrad(([x]) => x!.interpolate([4, 4], 'bicubic', false), [input([1, 1, 3, 3])]);
  assertGrad(([x]) => x!.interpolate([2, 2], 'area'), [input([1, 1, 4, 4])]);
});

ttest('grad: cat, stack, split, chunk, unbind', () => {
  assertGrad(([a, b]) => torch.cat([a!, b!], 1), [input([2, 2]), input([2, 3], 2)]);
  assertGrad(([a, b]) => torch.stack([a!, b!], -1), [input([2, 3]), input([2, 3], 2)]);
  assertGrad(([a]) => { const [p, q] = a!.split([1, 2], 1); return p!.mul(q!.sum(1, true)); }, [input([2, 3])]);
  assertGrad(([a]) => { const [p, q] = a!.chunk(2, 0); return p!.mul(q!); }, [input([4, 2])]);
  assertGrad(([a]) => { const [p, q, r] = a!.unbind(1); return p!.mul(q!).add(r!.exp()); }, [input([2, 3])]);
});

ttest('grad: narrow, slice, select, indexSelect, gather, scatter, indexAdd', () => {
  const x = input([3, 4]);
  assertGrad(([a]) => a!.narrow(1, 1, 2), [x]);
  assertGrad(([a]) => a!.slice(1, 0, 4, 2), [x]);
  assertGrad(([a]) => a!.select(0, -1), [x]);
  // repeated indices accumulate
  assertGrad(([a]) => a!.indexSelect(1, L([3, 0, 3])), [x]);
  assertGrad(([a]) => a!.gather(1, L([[0, 0], [3, 1], [2, 2]])), [x]);
  assertGrad(([a, s]) => a!.scatter(1, L([[1], [0], [3]]), s!), [x, input([3, 1], 2)]);
  assertGrad(([a, s]) => a!.indexAdd(0, L([2, 0, 2]), s!), [x, input([3, 4], 2)]);
  // the index may also be an input of gradcheck, which skips integer inputs
  assertGrad(([a, i]) => a!.indexSelect(0, i!), [x, { data: [2, 1], shape: [2], dtype: 'int64' }]);
});

ttest('grad: permute, transpose, reshape, view, flatten, squeeze, unsqueeze, expand, flip, repeat, tril', () => {
  const x = input([2, 3, 2]);
  assertGrad(([a]) => a!.permute(2, 0, 1), [x]);
  assertGrad(([a]) => a!.transpose(0, 2), [x]);
  assertGrad(([a]) => a!.reshape(3, 4).mul(D([1, 2, 3, 4])), [x]);
  assertGrad(([a]) => a!.view(-1), [x]);
  assertGrad(([a]) => a!.flatten(1), [x]);
  assertGrad(([a]) => a!.unsqueeze(1).squeeze(1), [x]);
  assertGrad(([a]) => a!.expand(3, 2, 3), [input([2, 1])]);
  assertGrad(([a]) => a!.flip([0, 2]), [x]);
  assertGrad(([a]) => a!.repeat(2, 1, 3), [x]);
  assertGrad(([a]) => a!.tril(), [input([3, 3])]);
});

ttest('grad: where, maskedFill, maskedSelect, indexMask, topk and sort values', () => {
  const mask = torch.tensor([[true, false, true], [false, false, true]]);
  assertGrad(([a, b]) => torch.where(mask, a!, b!), [input([2, 3]), input([2, 3], 2)]);
  assertGrad(([a]) => torch.where(mask, a!, 0.5), [input([2, 3])]);
  assertGrad(([a]) => torch.where(mask, -1, a!), [input([2, 3])]);
  assertGrad(([a]) => a!.maskedFill(mask, 3), [input([2, 3])]);
  assertGrad(([a]) => a!.maskedSelect(mask), [input([2, 3])]);
  assertGrad(([a]) => a!.indexMask(torch.tensor([true, false, true])), [input([3, 2])]);
  assertGrad(([a]) => a!.topk(2, 1).values, [input([2, 4])]);
  assertGrad(([a]) => a!.sort(0, true).values, [input([3, 2])]);
});

ttest('grad: dropout (same mask on every call by reseeding)', () => {
  assertGrad(([a]) => { torch.manualSeed(5); return a!.dropout(0.5); }, [input([10])]);
});

ttest('grad: binaryCrossEntropyWithLogits (w.r.t. logits, with weight and posWeight) and crossEntropy', () => {
  const targets = [1, 0, 0.3, 1, 0, 0.8];
  assertGrad(([x]) => torch.binaryCrossEntropyWithLogits(x!, D(targets).reshape(2, 3)), [input([2, 3], 1, (n, s) => data(n, s, 3))]);
  assertGrad(([x]) => torch.binaryCrossEntropyWithLogits(x!, D(targets).reshape(2, 3), { reduction: 'none', posWeight: D([2, 1, 0.5]), weight: D([1, 3, 2]) }), [input([2, 3])]);
  assertGrad(([x]) => torch.binaryCrossEntropyWithLogits(x!, D(targets).reshape(2, 3), { reduction: 'sum' }), [input([2, 3])]);
  assertGrad(([x]) => torch.crossEntropy(x!, L([2, 0])), [input([2, 3])]);
  assertGrad(([x]) => torch.crossEntropy(x!, L([1, 1]), 'none'), [input([2, 3])]);
});

ttest('grad: binaryCrossEntropyWithLogits w.r.t. the targets', () => {
  assertGrad(([x, t]) => torch.binaryCrossEntropyWithLogits(x!, t!), [input([4]), pos([4], 2)]);
});

ttest('grad: roiAlign w.r.t. the features (boxes fixed)', () => {
  const rois = D([[0, 0.3, 0.6, 3.1, 2.7], [1, 1.2, 0.4, 3.6, 3.3]]);
  assertGrad(([f]) => torch.roiAlign(f!, rois, { outputSize: 2, spatialScale: 1, samplingRatio: 2 }), [input([2, 1, 4, 4])]);
  assertGrad(([f]) => torch.roiAlign(f!, rois, { outputSize: [1, 2], spatialScale: 0.8, aligned: false }), [input([2, 2, 4, 4])]);
});

ttest('grad flows through a composite expression (a small MLP loss)', () => {
  assertGrad(
    ([x, w1, b1, w2]) => x!.linear(w1!, b1!).relu().linear(w2!).logSoftmax(1).select(1, 0).mean().neg(),
    [input([3, 4]), input([5, 4], 2), input([5], 3), input([2, 5], 4)],
  );
});

ttest('float32 gradients agree with float64 ones', () => {
  const x64 = D([[0.5, -1, 2]]).requiresGrad_();
  const x32 = torch.tensor([[0.5, -1, 2]]).requiresGrad_();
  x64.sigmoid().mul(x64).sum().backward();
  x32.sigmoid().mul(x32).sum().backward();
  assert.equal(x32.grad!.dtype, 'float32');
  assertClose(vals(x32.grad!), vals(x64.grad!), { atol: 1e-6 });
});
