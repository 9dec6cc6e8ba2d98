/**
 * What both sides of the binding benchmark measure, so that stad's side (stad.ts) and PyTorch's
 * (reference.py) agree on one definition; plus the small statistics the report needs.
 */

/** Additions per timed block of the overhead measurement (the 100,000). */
export const OVERHEAD_ITERS = 100_000;
/** Elements of each operand of the tiny addition. */
export const OVERHEAD_NUMEL = 4;

/** conv3d forward+backward: input N x Cin x D x H x W, weight Cout x Cin x k x k x k, padding 1, stride 1. */
export const CONV_INPUT = [2, 64, 8, 56, 56] as const;
export const CONV_WEIGHT = [64, 64, 3, 3, 3] as const;
export const CONV_PADDING = 1;

/**
 * Floating-point operations of one forward+backward step: the forward convolution is
 * 2 * (output elements) * (Cin * kD * kH * kW) multiply-adds counted as two FLOPs; the backward pass
 * computes the input gradient and the weight gradient, each the same count again. With stride 1 and
 * padding 1 the output has the input's spatial size.
 */
export function conv3dStepFlops(input: readonly number[] = CONV_INPUT, weight: readonly number[] = CONV_WEIGHT): number {
  const [n, , d, h, w] = input as [number, number, number, number, number];
  const [cout, cin, kd, kh, kw] = weight as [number, number, number, number, number];
  const forward = 2 * n * cout * d * h * w * cin * kd * kh * kw;
  return 3 * forward;
}

/** One timed block of additions: wall-clock and process CPU microseconds per call. */
export interface CallTiming {
  us: number;
  cpuUs: number;
}

/** Wall-clock and process CPU seconds (all threads) of each conv3d step. */
export interface StepTimes {
  seconds: number[];
  cpuSeconds: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Smallest and largest value, to show the spread next to a median. */
export function range(xs: readonly number[]): [number, number] {
  return [Math.min(...xs), Math.max(...xs)];
}

/**
 * The order of the two sides in round `i`: A B, B A, B A, A B, ... (ABBA), so that a slow drift of the
 * machine's load weighs on both sides alike.
 */
export function sideOrder(round: number): ['stad', 'torch'] | ['torch', 'stad'] {
  return round % 4 === 0 || round % 4 === 3 ? ['stad', 'torch'] : ['torch', 'stad'];
}
