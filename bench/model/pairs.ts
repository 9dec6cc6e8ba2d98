/**
 * The statistics of bench/model: each round runs one stad step and one PyTorch step back to back
 * (ABBA order), so the two steps of a round saw the same load; the ratio of a round's two steps is
 * steadier than the ratio of two medians taken over a machine whose load drifts. Reported: the median
 * of the per-round ratios with their interquartile range and extremes.
 */
import { median } from '../binding/cases.js';

export { median, sideOrder } from '../binding/cases.js';

/** One side's measurement of one step. */
export interface StepTime {
  /** Wall-clock seconds. */
  wall: number;
  /** Process CPU seconds (user + system, all threads). */
  cpu: number;
  /** The system part of cpu (page faults of fresh allocations, thread wake-ups). */
  sys: number;
  /** Minor page faults of the process during the step (counts; do not depend on the machine's load). */
  faults: number;
}

/**
 * The q-quantile (0 <= q <= 1) with linear interpolation between order statistics (numpy's default,
 * R's type 7), so that quantile(xs, 0.5) is the median.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile needs 0 <= q <= 1, got ${q}`);
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** A median with its spread: interquartile range and extremes. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/**
 * Per-round ratios of PyTorch's step over stad's (the rounds pair up by index): above 1 means stad was
 * faster (wall) or used less CPU (cpu) in that round. `wall` is therefore stad's clips/s over PyTorch's.
 */
export function pairedRatios(stad: readonly StepTime[], torch: readonly StepTime[]): { wall: Spread; cpu: Spread } {
  if (stad.length !== torch.length || stad.length === 0) throw new RangeError(`need the same number (> 0) of steps per side, got ${stad.length} and ${torch.length}`);
  const ratio = (k: 'wall' | 'cpu') => stad.map((s, i) => torch[i]![k] / s[k]);
  return { wall: spread(ratio('wall')), cpu: spread(ratio('cpu')) };
}
