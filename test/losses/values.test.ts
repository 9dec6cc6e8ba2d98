/**
 * Each loss's elementwise values against its formula written out by hand (test/losses/hand.ts), and
 * the special cases that reduce to bce.
 */
import * as torch from '../../src/torch/index.js';
import { bce } from '../../src/losses/bce.js';
import { focalBce } from '../../src/losses/focal-bce.js';
import { sigmoidFocal } from '../../src/losses/sigmoid-focal.js';
import { asymmetric } from '../../src/losses/asymmetric.js';
import { logitAdjusted, priorLogOdds } from '../../src/losses/logit-adjusted.js';
import { ttest, assertTensor, assertClose } from '../torch/check.js';
import { asymmetricHand, bceHand, elementwise, focalBceHand, logitAdjustedHand, sigmoidFocalHand } from './hand.js';

// [3, 4]: confident and unsure, right and wrong, on both sides; one box with two labels, one with none.
// Some negatives sit below ASL's default margin (sigmoid(-4) = 0.018 < 0.05), others above it.
const X = [
  [-2, -0.5, 0.3, 4],
  [1.5, 3, -1, -4],
  [0.1, -3.5, 2.2, -0.8],
];
const Y = [
  [1, 0, 0, 1],
  [0, 1, 1, 0],
  [0, 0, 0, 0],
];
const logits = () => torch.tensor(X);
const targets = () => torch.tensor(Y);
// float32 tensors against doubles: about 1e-7 relative per operation, a few operations deep
const TOL = { atol: 1e-6, rtol: 1e-5 };

ttest('bce: -y log p - (1 - y) log(1 - p)', () => {
  assertTensor(bce()(logits(), targets()), [3, 4], elementwise(X, Y, () => bceHand), TOL);
});

ttest('focal_bce: -w_pos y (1-p)^gamma log p - (1-y) p^gamma log(1-p), the reference (gamma 2, w_pos 1) and others', () => {
  for (const [gamma, posWeight] of [[2, 1], [1.5, 3], [0.5, 0.25]] as const) {
    assertTensor(focalBce({ gamma, posWeight })(logits(), targets()), [3, 4], elementwise(X, Y, () => focalBceHand(gamma, posWeight)), TOL);
  }
});

ttest('sigmoid_focal: -alpha y (1-p)^gamma log p - (1-alpha)(1-y) p^gamma log(1-p), RetinaNet (0.25, 2) and others', () => {
  for (const [alpha, gamma] of [[0.25, 2], [0.7, 0.5], [1, 3]] as const) {
    assertTensor(sigmoidFocal({ alpha, gamma })(logits(), targets()), [3, 4], elementwise(X, Y, () => sigmoidFocalHand(alpha, gamma)), TOL);
  }
});

ttest('asymmetric: -y (1-p)^gammaPos log p - (1-y) p_m^gammaNeg log(1-p_m), p_m = max(p - clip, 0)', () => {
  for (const [gammaPos, gammaNeg, clip] of [[0, 4, 0.05], [1, 2, 0.1], [0, 3, 0], [2, 0, 0.05], [0.5, 0.5, 0.2]] as const) {
    const got = asymmetric({ gammaPos, gammaNeg, clip })(logits(), targets());
    assertTensor(got, [3, 4], elementwise(X, Y, () => asymmetricHand(gammaPos, gammaNeg, clip)), TOL);
  }
  // the margin drops easy negatives entirely: sigmoid(-4) = 0.018 and sigmoid(-3.5) = 0.029 are under 0.05
  const l = asymmetric({ gammaPos: 0, gammaNeg: 4, clip: 0.05 })(logits(), targets()).toArray(); // [3, 4] flat
  assertClose([l[1 * 4 + 3]!, l[2 * 4 + 1]!], [0, 0], { atol: 0 });
});

ttest('logit_adjusted: bce on x_c + tau log(pi_c / (1 - pi_c)), pi_c = count_c / numBoxes; a class without boxes is clamped to 1/numBoxes', () => {
  const ctx = { classCounts: [50, 5, 0, 100], numBoxes: 100 };
  // priors 0.5, 0.05, 0 -> 1/100, 1 -> 99/100
  const priors = [0.5, 0.05, 0.01, 0.99];
  assertClose(priorLogOdds(ctx), priors.map((p) => Math.log(p / (1 - p))), { atol: 1e-12, rtol: 1e-12 });
  for (const tau of [1, 0.5, 2]) {
    const got = logitAdjusted({ tau }, ctx)(logits(), targets());
    assertTensor(got, [3, 4], elementwise(X, Y, (c) => logitAdjustedHand(tau, priors[c]!)), TOL);
  }
});

ttest('the special cases are bce: focal_bce gamma 0, sigmoid_focal alpha 0.5 gamma 0 (half of it), asymmetric gammas 0 clip 0, logit_adjusted tau 0', () => {
  // wider logits than above, to +-30, in float32 against libtorch's own bce
  const x = torch.tensor([[-30, -7, -1.25, 0, 0.6, 9, 30], [25, 3, -0.2, 1e-3, -12, 0.75, -30]]);
  const y = torch.tensor([[1, 0, 1, 0, 1, 0, 0], [0, 1, 0, 1, 1, 0, 1]]);
  const ref = torch.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
  const same = (t: torch.Tensor, scale = 1) => assertClose(t.toArray(), ref.toArray().map((v) => v * scale), { atol: 1e-6, rtol: 1e-6 });
  same(focalBce({ gamma: 0, posWeight: 1 })(x, y));
  same(sigmoidFocal({ alpha: 0.5, gamma: 0 })(x, y), 0.5);
  same(asymmetric({ gammaPos: 0, gammaNeg: 0, clip: 0 })(x, y));
  same(logitAdjusted({ tau: 0 }, { classCounts: [1, 2, 3, 4, 5, 6, 7], numBoxes: 10 })(x, y));
  same(bce()(x, y));
});
