/**
 * Gradients: every loss against central finite differences in float64 (gradcheck), and finite values
 * and gradients at logits of +-100 in float32, where a naive log(sigmoid(x)) gives -inf and NaN.
 */
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { buildLoss, type LossConfig } from '../../src/losses/index.js';
import { ttest, assertGrad, assertClose, data } from '../torch/check.js';

type Config = Partial<LossConfig> & Pick<LossConfig, 'name'>;

const CTX = { classCounts: [40, 3, 0, 17, 9], numBoxes: 60 };

/** One or more option sets per loss, the defaults first. */
const CONFIGS: Config[] = [
  { name: 'bce' },
  { name: 'focal_bce' },
  { name: 'focal_bce', gamma: 0.5, posWeight: 2.5 },
  { name: 'sigmoid_focal' },
  { name: 'sigmoid_focal', alpha: 0.6, gamma: 1.3 },
  { name: 'asymmetric' },
  { name: 'asymmetric', gammaPos: 1, gammaNeg: 2, clip: 0.1 },
  { name: 'asymmetric', gammaPos: 0.5, gammaNeg: 0.5, clip: 0.05 },
  { name: 'asymmetric', gammaPos: 0, gammaNeg: 3, clip: 0 },
  { name: 'logit_adjusted' },
  { name: 'logit_adjusted', tau: 0.5 },
];

const describe = (c: Config) => JSON.stringify(c);

// [4, 5] targets: multi-hot rows, one row with no label
const TARGETS = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1];

ttest('gradcheck (float64): every loss, each option set', () => {
  for (const config of CONFIGS) {
    const loss = buildLoss(config, CTX);
    // logits within +-3.2: wide enough for both sides of ASL's margins (logit(0.05) = -2.94), and
    // none within the finite-difference step of them
    const r = torch.gradcheck(([x, y]) => loss(x!, y!), [{ data: data(20, 3, 3), shape: [4, 5] }, { data: TARGETS, shape: [4, 5] }], { skip: [1] });
    assert.ok(r.ok, `${describe(config)}: max |analytic - numeric| = ${r.maxAbsError}, worst ${JSON.stringify(r.worst)}`);
  }
});

ttest('gradcheck (float64): every loss with the sum and the class weights, on wider logits (+-5.3)', () => {
  // the weights and the reduction are the same code for every loss: the defaults of each suffice
  for (const name of new Set(CONFIGS.map((c) => c.name))) {
    for (const extra of [{ reduction: 'sum' as const, classWeights: 'inverse_freq' as const }, { classWeights: 'effective_number' as const, beta: 0.99 }]) {
      const loss = buildLoss({ name, ...extra }, CTX);
      assertGrad(([x, y]) => loss(x!, y!), [{ data: data(20, 7, 5), shape: [4, 5] }, { data: TARGETS, shape: [4, 5] }], { skip: [1] });
    }
  }
});

ttest('logits of +-100 (float32): finite values and gradients, the right values for confident answers', () => {
  // one case per row, in every one of the 4 classes: right positive, wrong positive, wrong negative, right negative
  const cases = [[100, 1], [-100, 1], [100, 0], [-100, 0]] as const;
  const x = torch.tensor(cases.map(([v]) => [v, v, v, v])); // [4, 4]
  const y = torch.tensor(cases.map(([, t]) => [t, t, t, t]));
  const ctx = { classCounts: [5, 5, 5, 5], numBoxes: 20 }; // every prior 0.25: log-odds -log 3
  const a = -Math.log(3);
  const expected = new Map<string, number[]>([
    ['bce', [0, 100, 100, 0]],
    ['focal_bce', [0, 100, 100, 0]],
    ['sigmoid_focal', [0, 25, 75, 0]],
    // the wrong negative: p_m = 1 - 0.05, loss -p_m^4 log(0.05)
    ['asymmetric', [0, 100, -(0.95 ** 4) * Math.log(0.05), 0]],
    ['logit_adjusted', [0, 100 - a, 100 + a, 0]],
  ]);
  for (const config of CONFIGS) {
    const loss = buildLoss({ ...config, reduction: 'sum' } as Config, ctx);
    const xs = x.detach();
    xs.requiresGrad = true;
    const perCase = cases.map((_, r) => loss(xs.slice(0, r, r + 1), y.slice(0, r, r + 1)).item() / 4);
    assert.ok(perCase.every(Number.isFinite), `${describe(config)}: values ${perCase.join(', ')}`);
    const isDefault = Object.keys(config).length === 1;
    if (isDefault) assertClose(perCase, expected.get(config.name)!, { atol: 1e-3, rtol: 1e-5 }, describe(config));
    loss(xs, y).backward();
    const g = xs.grad!.toArray(); // [4, 4] flat
    assert.ok(g.every(Number.isFinite), `${describe(config)}: gradients ${g.join(', ')}`);
    // a confidently wrong positive pulls its logit up (d loss / dx < 0) in every loss, saturation or not
    for (let c = 0; c < 4; c++) assert.ok(g[4 + c]! < -0.1, `${describe(config)}: gradient of the wrong positive ${g[4 + c]}`);
  }
});
