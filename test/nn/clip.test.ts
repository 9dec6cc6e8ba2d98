/** clipGradNorm_ against torch.nn.utils.clip_grad_norm_ (test/fixtures/nn/clip.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keep, zeros, tensor, Tensor } from '../../src/torch/index.js';
import { clipGradNorm_ } from '../../src/nn/index.js';
import { readGolden, fromGolden, assertCloseTo, assertNumberClose, type GoldenTensor } from './golden.js';

interface ClipCase {
  max_norm: number;
  grads: GoldenTensor[];
  total_norm: number;
  clipped: GoldenTensor[];
}

const golden = readGolden<Record<string, ClipCase>>('clip.json');

/** Leaf parameters whose gradients are the given ones. */
function withGrads(grads: GoldenTensor[]): Tensor[] {
  return grads.map((g) => {
    const p = keep(zeros(g.shape, { dtype: 'float64' })).requiresGrad_(true);
    const grad = fromGolden(g);
    p.grad = grad;
    grad.dispose();
    return p;
  });
}

for (const [name, c] of Object.entries(golden)) {
  test(`${name}: norm and gradients equal clip_grad_norm_(max_norm=${c.max_norm})`, () => {
    const params = withGrads(c.grads);
    try {
      const total = clipGradNorm_(params, c.max_norm);
      assertNumberClose(total, c.total_norm, 'total norm before clipping');
      params.forEach((p, i) => assertCloseTo(p.grad, c.clipped[i]!, `${name} gradient ${i}`));
    } finally {
      params.forEach((p) => p.dispose());
    }
  });
}

test('after clipping, the global norm is the maximum; parameters without a gradient are skipped', () => {
  const params = withGrads([{ shape: [2], data: [3, 0] }, { shape: [1], data: [4] }]);
  const noGradParam = keep(zeros([3])).requiresGrad_(true);
  try {
    assert.equal(clipGradNorm_([...params, noGradParam], 1), 5);
    assertCloseTo(params[0]!.grad, { shape: [2], data: [0.6, 0] }, 'first gradient scaled by 1/5');
    assertCloseTo(params[1]!.grad, { shape: [1], data: [0.8] }, 'second gradient scaled by 1/5');
    assert.equal(noGradParam.grad, null);
    assert.equal(clipGradNorm_([noGradParam], 1), 0, 'no gradients: norm 0');
  } finally {
    params.forEach((p) => p.dispose());
    noGradParam.dispose();
  }
});

test('a non-finite gradient gives a non-finite norm, so that the caller can skip the step', () => {
  const p = keep(zeros([2], { dtype: 'float64' })).requiresGrad_(true);
  try {
    const g = tensor([Number.POSITIVE_INFINITY, 1], { dtype: 'float64' });
    p.grad = g;
    g.dispose();
    assert.equal(clipGradNorm_([p], 1), Number.POSITIVE_INFINITY);
    const n = tensor([Number.NaN, 1], { dtype: 'float64' });
    p.grad = n;
    n.dispose();
    assert.ok(Number.isNaN(clipGradNorm_([p], 1)));
  } finally {
    p.dispose();
  }
});
