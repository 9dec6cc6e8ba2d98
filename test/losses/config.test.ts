/**
 * What every loss shares (buildLoss in src/losses/index.ts): the configuration (validation, defaults,
 * documentation), the per-class weights, the reduction, the shape checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import * as torch from '../../src/torch/index.js';
import { buildLoss, classWeightsFor, LossConfigSchema, LOSS_NAMES } from '../../src/losses/index.js';
import { isUserError } from '../../src/util/errors.js';
import { ttest, assertClose } from '../torch/check.js';
import { bceHand } from './hand.js';

// the reference dataset's training counts (DESIGN.md), handshake .. punch
const COUNTS = [1011, 709, 757, 358, 250, 320];
const CTX = { classCounts: COUNTS, numBoxes: 3000 };

test('the registry: one entry per loss', () => {
  assert.deepEqual([...LOSS_NAMES].sort(), ['asymmetric', 'bce', 'focal_bce', 'logit_adjusted', 'sigmoid_focal']);
});

test('defaults: each loss alone by name gets its papers\' options and the common ones', () => {
  const common = { reduction: 'mean', classWeights: 'none', beta: 0.999 };
  assert.deepEqual(LossConfigSchema.parse({ name: 'bce' }), { name: 'bce', ...common });
  assert.deepEqual(LossConfigSchema.parse({ name: 'focal_bce' }), { name: 'focal_bce', gamma: 2, posWeight: 1, ...common });
  assert.deepEqual(LossConfigSchema.parse({ name: 'sigmoid_focal' }), { name: 'sigmoid_focal', alpha: 0.25, gamma: 2, ...common });
  assert.deepEqual(LossConfigSchema.parse({ name: 'asymmetric' }), { name: 'asymmetric', gammaPos: 0, gammaNeg: 4, clip: 0.05, ...common });
  assert.deepEqual(LossConfigSchema.parse({ name: 'logit_adjusted' }), { name: 'logit_adjusted', tau: 1, ...common });
});

test('every option of every loss is described and has a default', () => {
  for (const option of LossConfigSchema.options) {
    const name = option.shape.name.value;
    for (const [key, field] of Object.entries(option.shape)) {
      if (key === 'name') continue;
      assert.ok(field.description && field.description.length > 10, `${name}.${key} has a description`);
      assert.ok(field instanceof z.ZodDefault, `${name}.${key} has a default`);
    }
  }
});

test('configuration errors: unknown loss, unknown option, another loss\'s option, out-of-range values', () => {
  const issue = (value: unknown) => {
    const r = LossConfigSchema.safeParse(value);
    assert.ok(!r.success, `${JSON.stringify(value)} is refused`);
    return r.error.issues[0]!;
  };
  const unknown = issue({ name: 'focal' });
  assert.deepEqual(unknown.path, ['name']);
  assert.equal(issue({}).path[0], 'name');
  const extra = issue({ name: 'bce', gama: 2 });
  assert.equal(extra.code, 'unrecognized_keys');
  assert.deepEqual((extra as { keys: string[] }).keys, ['gama']);
  for (const [value, key] of [
    [{ name: 'bce', gamma: 2 }, 'gamma'],
    [{ name: 'focal_bce', alpha: 0.25 }, 'alpha'],
    [{ name: 'sigmoid_focal', posWeight: 2 }, 'posWeight'],
    [{ name: 'asymmetric', gamma: 2 }, 'gamma'],
    [{ name: 'logit_adjusted', clip: 0.05 }, 'clip'],
  ] as const) {
    const i = issue(value);
    assert.equal(i.code, 'unrecognized_keys', JSON.stringify(value));
    assert.deepEqual((i as { keys: string[] }).keys, [key]);
  }
  for (const [value, path] of [
    [{ name: 'focal_bce', gamma: -1 }, 'gamma'],
    [{ name: 'focal_bce', posWeight: 0 }, 'posWeight'],
    [{ name: 'sigmoid_focal', alpha: 1.5 }, 'alpha'],
    [{ name: 'asymmetric', clip: 1 }, 'clip'],
    [{ name: 'asymmetric', gammaNeg: '4' }, 'gammaNeg'],
    [{ name: 'logit_adjusted', tau: Number.NaN }, 'tau'],
    [{ name: 'bce', reduction: 'none' }, 'reduction'],
    [{ name: 'bce', classWeights: 'inverse' }, 'classWeights'],
    [{ name: 'bce', beta: 1 }, 'beta'],
  ] as const) {
    assert.deepEqual(issue(value).path, [path], JSON.stringify(value));
  }
  // buildLoss validates too
  assert.throws(() => buildLoss({ name: 'focal_bce', gamma: 2, alpha: 0.5 } as never, CTX), z.ZodError);
});

test('class weights: inverse frequency and effective number against the figures by hand, mean 1 over the classes', () => {
  const inv = classWeightsFor({ classWeights: 'inverse_freq', beta: 0.999 }, COUNTS)!;
  // 1/n_c * 6 / sum(1/n): the table in the README
  assertClose(inv, [0.435, 0.62, 0.581, 1.229, 1.76, 1.375], { atol: 5e-4, rtol: 0 });
  const en = classWeightsFor({ classWeights: 'effective_number', beta: 0.999 }, COUNTS)!;
  assertClose(en, [0.557, 0.698, 0.668, 1.178, 1.603, 1.295], { atol: 5e-4, rtol: 0 });
  const en4 = classWeightsFor({ classWeights: 'effective_number', beta: 0.9999 }, COUNTS)!;
  assertClose(en4, [0.448, 0.629, 0.59, 1.224, 1.743, 1.367], { atol: 5e-4, rtol: 0 });
  // two classes by hand: 1/10 and 1/30 -> 2 * (0.1, 0.0333) / 0.1333 = 1.5, 0.5
  assertClose(classWeightsFor({ classWeights: 'inverse_freq', beta: 0.999 }, [10, 30])!, [1.5, 0.5], { atol: 1e-12, rtol: 0 });
  for (const w of [inv, en, en4]) assertClose(w.reduce((a, b) => a + b, 0) / w.length, 1, { atol: 1e-12, rtol: 0 });
  assert.equal(classWeightsFor({ classWeights: 'none', beta: 0.999 }, COUNTS), null);
});

ttest('buildLoss: the weights multiply each class\'s column, then the mean over all M x C elements (or the sum)', () => {
  const X = [
    [0.5, -1, 2, -0.3, 1.1, -2.5],
    [-1.5, 0.2, 0.7, 3, -0.6, 0.05],
  ];
  const Y = [
    [1, 0, 0, 0, 1, 0],
    [0, 0, 1, 1, 0, 1],
  ];
  const x = torch.tensor(X);
  const y = torch.tensor(Y);
  const w = classWeightsFor({ classWeights: 'inverse_freq', beta: 0.999 }, COUNTS)!;
  const terms = X.flatMap((row, i) => row.map((v, c) => bceHand(v, Y[i]![c]!)));
  const weighted = X.flatMap((row, i) => row.map((v, c) => w[c]! * bceHand(v, Y[i]![c]!)));
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const tol = { atol: 1e-6, rtol: 1e-5 };
  assertClose(buildLoss({ name: 'bce' }, CTX)(x, y).item(), sum(terms) / 12, tol);
  assertClose(buildLoss({ name: 'bce', reduction: 'sum' }, CTX)(x, y).item(), sum(terms), tol);
  assertClose(buildLoss({ name: 'bce', classWeights: 'inverse_freq' }, CTX)(x, y).item(), sum(weighted) / 12, tol);
  assertClose(buildLoss({ name: 'focal_bce', gamma: 0, reduction: 'sum', classWeights: 'inverse_freq' }, CTX)(x, y).item(), sum(weighted), tol);
  const scalar = buildLoss({ name: 'asymmetric' }, CTX)(x, y);
  assert.deepEqual(scalar.shape, []);
});

ttest('buildLoss: a batch with no rows gives 0 (not NaN) for both reductions, and backward runs', () => {
  for (const reduction of ['mean', 'sum'] as const) {
    for (const name of LOSS_NAMES) {
      const x = torch.zeros([0, 6], { requiresGrad: true });
      const l = buildLoss({ name, reduction, classWeights: 'effective_number' }, CTX)(x, torch.zeros([0, 6]));
      assert.equal(l.item(), 0, `${name} ${reduction}`);
      l.backward();
    }
  }
});

ttest('buildLoss: logits and targets must both be [M, C], with C the number of class counts when they are used', () => {
  const loss = buildLoss({ name: 'focal_bce' }, CTX);
  assert.throws(() => loss(torch.zeros([2, 6]), torch.zeros([2, 5])), /^RangeError: loss: logits \[2, 6\] and targets \[2, 5\] must both be \[M, C\]/);
  assert.throws(() => loss(torch.zeros([2, 6]), torch.zeros([3, 6])), /must both be \[M, C\]/);
  assert.throws(() => loss(torch.zeros([6]), torch.zeros([6])), /must both be \[M, C\]/);
  assert.throws(() => buildLoss({ name: 'bce', classWeights: 'inverse_freq' }, CTX)(torch.zeros([2, 7]), torch.zeros([2, 7])), /6 class weights for 7 classes/);
  assert.throws(() => buildLoss({ name: 'logit_adjusted' }, CTX)(torch.zeros([2, 7]), torch.zeros([2, 7])), /logit_adjusted: 6 class counts for 7 classes/);
});

test('logit_adjusted needs at least 2 labelled boxes for its priors: a user error', () => {
  for (const numBoxes of [0, 1]) {
    assert.throws(
      () => buildLoss({ name: 'logit_adjusted' }, { classCounts: [numBoxes, 0], numBoxes }),
      (e: unknown) => isUserError(e) && /^loss logit_adjusted: the class priors need at least 2 labelled boxes in the training split, it has \d$/.test(e.message),
    );
  }
});
