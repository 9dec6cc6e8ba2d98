/**
 * SGD and AdamW against torch.optim (test/fixtures/nn/optim.json): five steps on a fixed problem
 * (least squares plus a quartic term) from fixed initial weights, gradients by autograd, parameters
 * after every step; then the same run interrupted after two steps, saved with stateDict() and resumed
 * in a new optimiser with loadStateDict().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tidy, keep, Tensor, zeros, ones } from '../../src/torch/index.js';
import { SGD, AdamW, type Optimizer, type SGDOptions, type AdamWOptions } from '../../src/nn/index.js';
import { readGolden, fromGolden, assertCloseTo, assertNumberClose, type GoldenTensor } from './golden.js';

type Options = Partial<SGDOptions & AdamWOptions>;

interface OptimCase {
  options: Options & { lr: number };
  groups?: Options[];
  lr_by_step?: number[][];
  /** Steps at which b takes no part in the loss (no gradient, so the optimiser skips it). */
  skip_b_at?: number[];
  steps: { loss: number; W: GoldenTensor; b: GoldenTensor }[];
  final_state: Record<string, GoldenTensor>;
}

interface OptimGolden {
  X: GoldenTensor;
  Y: GoldenTensor;
  W0: GoldenTensor;
  b0: GoldenTensor;
  quartic: number;
  cases: Record<string, OptimCase>;
}

const golden = readGolden<OptimGolden>('optim.json');

/** The problem's data and its fresh parameters (float64 leaves that require grad). */
class Problem {
  readonly X = keep(fromGolden(golden.X));
  readonly Y = keep(fromGolden(golden.Y));
  readonly W: Tensor;
  readonly b: Tensor;

  constructor(from?: Problem) {
    this.W = keep(from ? from.W.detach().clone() : fromGolden(golden.W0)).requiresGrad_(true);
    this.b = keep(from ? from.b.detach().clone() : fromGolden(golden.b0)).requiresGrad_(true);
  }

  /** mean((X W^T + b - Y)^2) + quartic * sum(W^4), as make_golden.py's loss_fn. */
  loss(withB = true): Tensor {
    return this.X.matmul(this.W.t())
      .add(withB ? this.b : this.b.detach()).sub(this.Y).pow(2).mean().add(this.W.pow(4).sum().mul(golden.quartic));
  }

  dispose(): void {
    for (const t of [this.X, this.Y, this.W, this.b]) t.dispose();
  }
}

function makeOptimizer(name: string, c: OptimCase, p: Problem, override: Options = {}): Optimizer<{ lr: number }> {
  const options = { ...c.options, ...override };
  const params = c.groups ? c.groups.map((g, i) => ({ params: [i === 0 ? p.W : p.b], options: g })) : [p.W, p.b];
  return name.startsWith('sgd') ? new SGD(params, options) : new AdamW(params, options);
}

/** One training step as make_golden.py takes it; checks the loss and the parameters after it. */
function step(name: string, c: OptimCase, opt: Optimizer<{ lr: number }>, p: Problem, s: number): void {
  const lrs = c.lr_by_step?.[s];
  if (lrs) opt.setLR((group) => lrs[group]!);
  opt.zeroGrad();
  tidy(() => {
    const loss = p.loss(!c.skip_b_at?.includes(s));
    assertNumberClose(loss.item(), c.steps[s]!.loss, `${name} loss before step ${s + 1}`);
    loss.backward();
  });
  opt.step();
  assertCloseTo(p.W, c.steps[s]!.W, `${name} W after step ${s + 1}`);
  assertCloseTo(p.b, c.steps[s]!.b, `${name} b after step ${s + 1}`);
}

for (const [name, c] of Object.entries(golden.cases)) {
  test(`${name}: ${c.steps.length} steps equal torch.optim's, and so does the final optimiser state`, () => {
    const p = new Problem();
    const opt = makeOptimizer(name, c, p);
    try {
      for (let s = 0; s < c.steps.length; s++) step(name, c, opt, p, s);
      assert.equal(opt.stepCount, c.steps.length);
      const state = opt.stateDict();
      assert.deepEqual([...state.tensors.keys()].sort(), Object.keys(c.final_state).sort(), `${name} state tensor names`);
      for (const [k, g] of Object.entries(c.final_state)) assertCloseTo(state.tensors.get(k)!, g, `${name} state ${k}`);
    } finally {
      opt.dispose();
      p.dispose();
    }
  });

  test(`${name}: stateDict after 2 steps, loadStateDict into a new optimiser, the next 3 steps are identical`, () => {
    const p = new Problem();
    const opt = makeOptimizer(name, c, p);
    let resumedParams: Problem | undefined;
    let resumed: Optimizer<{ lr: number }> | undefined;
    try {
      step(name, c, opt, p, 0);
      step(name, c, opt, p, 1);
      const saved = opt.stateDict();
      resumedParams = new Problem(p);
      // Wrong hyper-parameters on purpose: loading must restore the saved ones.
      resumed = makeOptimizer(name, c, resumedParams, { lr: 123, weightDecay: 0.5 });
      resumed.loadStateDict(saved);
      assert.equal(resumed.stepCount, 2);
      assert.deepEqual(
        resumed.groups.map((g) => g.options),
        opt.groups.map((g) => g.options),
        'hyper-parameters restored',
      );
      for (let s = 2; s < c.steps.length; s++) {
        step(`${name} (original)`, c, opt, p, s);
        step(`${name} (resumed)`, c, resumed, resumedParams, s);
        assert.deepEqual(resumedParams.W.toArray(), p.W.toArray(), 'bit-identical to the uninterrupted run');
        assert.deepEqual(resumedParams.b.toArray(), p.b.toArray(), 'bit-identical to the uninterrupted run');
      }
    } finally {
      resumed?.dispose();
      resumedParams?.dispose();
      opt.dispose();
      p.dispose();
    }
  });
}

test('a parameter without a gradient is left alone, and so is its momentum', () => {
  const a = keep(ones([3], { dtype: 'float64' })).requiresGrad_(true);
  const b = keep(ones([3], { dtype: 'float64' })).requiresGrad_(true);
  const opt = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
  try {
    tidy(() => a.sum().backward());
    opt.step();
    assert.deepEqual(a.toArray(), [0.5, 0.5, 0.5]);
    assert.deepEqual(b.toArray(), [1, 1, 1]);
    assert.deepEqual([...opt.stateDict().tensors.keys()], ['0.momentum_buffer']);
    opt.zeroGrad();
    assert.equal(a.grad, null);
    opt.step();
    assert.deepEqual(a.toArray(), [0.5, 0.5, 0.5], 'no gradient, no step (momentum does not coast)');
  } finally {
    opt.dispose();
    a.dispose();
    b.dispose();
  }
});

test('optimisers reject bad options and mismatched states', () => {
  const w = keep(zeros([2, 2])).requiresGrad_(true);
  const v = keep(zeros([3])).requiresGrad_(true);
  try {
    assert.throws(() => new SGD([w], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
    assert.throws(() => new SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new SGD([w], { lr: -1 }), /optimizer option lr must be >= 0, got -1/);
    assert.throws(() => new AdamW([w], { lr: Number.NaN }), /optimizer option lr must be finite/);
    assert.throws(() => new SGD([{ params: [w] }, { params: [w, v] }], { lr: 0.1 }), /more than one group/);

    const two = new SGD([{ params: [w] }, { params: [v], options: { weightDecay: 0 } }], { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    const one = new SGD([v, w], { lr: 0.1, momentum: 0.9 });
    tidy(() => w.sum().add(v.sum()).backward());
    two.step();
    assert.throws(() => one.loadStateDict(two.stateDict()), /optimizer state has 2 parameter groups, expected 1/);
    const swapped = new SGD([{ params: [v] }, { params: [w] }], { lr: 0.1, momentum: 0.9 });
    assert.throws(() => swapped.loadStateDict(two.stateDict()), /optimizer state 0\.momentum_buffer has shape \[2,2\] but the parameter has \[3\]/);
    for (const o of [two, one, swapped]) o.dispose();
  } finally {
    w.dispose();
    v.dispose();
  }
});

test('loadStateDict replaces the whole state: a state saved before any step makes the next step a first step', () => {
  const w = keep(ones([2], { dtype: 'float64' })).requiresGrad_(true);
  const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
  const fresh = new SGD([w], { lr: 0.1, momentum: 0.9 });
  try {
    const empty = fresh.stateDict();
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      tidy(() => w.sum().backward());
      opt.step();
    }
    assert.deepEqual([...opt.stateDict().tensors.keys()], ['0.momentum_buffer']);
    opt.loadStateDict(empty);
    assert.equal(opt.stepCount, 0);
    assert.deepEqual([...opt.stateDict().tensors.keys()], [], 'the old momentum is gone');
    const before = w.toArray();
    opt.zeroGrad();
    tidy(() => w.sum().backward());
    opt.step();
    // A first step with momentum moves by lr * grad exactly (the buffer starts as the gradient).
    assert.deepEqual(w.toArray(), before.map((v) => v - 0.1));
  } finally {
    opt.dispose();
    fresh.dispose();
    w.dispose();
  }
});

test('loadStateDict converts state tensors to the parameters\' dtype, and checks names before changing anything', () => {
  const c = golden.cases.adamw_default!;
  const p = new Problem();
  const opt = makeOptimizer('adamw', c, p);
  const q = new Problem();
  const resumed = makeOptimizer('adamw', c, q);
  try {
    step('adamw', c, opt, p, 0);
    step('adamw', c, opt, p, 1);
    const saved = opt.stateDict();
    // As if read from a float32 checkpoint.
    const asFloat32 = { ...saved, tensors: new Map([...saved.tensors].map(([k, t]) => [k, t.to('float32')])) };
    try {
      const bad = { ...asFloat32, tensors: new Map([...asFloat32.tensors, ['7.exp_avg', asFloat32.tensors.get('0.exp_avg')!]]) };
      assert.throws(() => resumed.loadStateDict(bad), /optimizer state 7\.exp_avg names no parameter \(the optimiser has 2\)/);
      assert.equal(resumed.stepCount, 0, 'nothing loaded');
      const notScalar = { ...asFloat32, tensors: new Map([...asFloat32.tensors, ['0.step', asFloat32.tensors.get('1.exp_avg')!]]) };
      assert.throws(() => resumed.loadStateDict(notScalar), /optimizer state 0\.step must be a scalar, got shape \[3\]/);
      resumed.loadStateDict(asFloat32);
    } finally {
      for (const t of asFloat32.tensors.values()) t.dispose();
    }
    const state = resumed.stateDict().tensors;
    assert.equal(state.get('0.exp_avg')!.dtype, 'float64');
    assert.equal(state.get('0.step')!.item(), 2);
    tidy(() => {
      q.W.detach().copy_(p.W);
      q.b.detach().copy_(p.b);
    });
    for (let s = 2; s < c.steps.length; s++) {
      step('adamw (original)', c, opt, p, s);
      step('adamw (resumed from float32)', c, resumed, q, s);
    }
  } finally {
    opt.dispose();
    resumed.dispose();
    p.dispose();
    q.dispose();
  }
});
