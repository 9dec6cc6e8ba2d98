/**
 * The losses written out in plain JavaScript doubles, element by element, straight from the papers'
 * formulas (no log-space tricks: the values used with them stay within |x| <= 8), for the tests to
 * compare the tensor versions against.
 */
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export type Elementwise = (x: number, y: number) => number;

export const bceHand: Elementwise = (x, y) => -y * Math.log(sigmoid(x)) - (1 - y) * Math.log(1 - sigmoid(x));

export const focalBceHand = (gamma: number, posWeight: number): Elementwise => (x, y) => {
  const p = sigmoid(x);
  return -posWeight * y * (1 - p) ** gamma * Math.log(p) - (1 - y) * p ** gamma * Math.log(1 - p);
};

export const sigmoidFocalHand = (alpha: number, gamma: number): Elementwise => (x, y) => {
  const p = sigmoid(x);
  return -alpha * y * (1 - p) ** gamma * Math.log(p) - (1 - alpha) * (1 - y) * p ** gamma * Math.log(1 - p);
};

export const asymmetricHand = (gammaPos: number, gammaNeg: number, clip: number): Elementwise => (x, y) => {
  const p = sigmoid(x);
  const pm = Math.max(p - clip, 0);
  return -y * (1 - p) ** gammaPos * Math.log(p) - (1 - y) * pm ** gammaNeg * Math.log(1 - pm);
};

/** bce on x + tau * log(prior / (1 - prior)) for the given prior of the element's class. */
export const logitAdjustedHand = (tau: number, prior: number): Elementwise => (x, y) => bceHand(x + tau * Math.log(prior / (1 - prior)), y);

/** Applies a per-element formula (optionally per column) to rows of logits and targets. */
export function elementwise(logits: number[][], targets: number[][], f: (col: number) => Elementwise): number[] {
  return logits.flatMap((row, i) => row.map((x, c) => f(c)(x, targets[i]![c]!)));
}
