/**
 * The order in which clips are visited each epoch: shuffled (reproducibly, per seed and epoch) or
 * sequential, optionally with repeat factor sampling for rare classes (Gupta et al., LVIS, 2019): a
 * clip is repeated r = max over its classes c of max(1, sqrt(t / f_c)) times per epoch, where f_c is
 * the fraction of clips containing class c and t a threshold; fractional parts are rounded
 * stochastically each epoch so the expectation is exact.
 */
import { Rng } from './rng.js';

/** Repeat factor of each clip, from the class ids present in it. */
export function repeatFactors(clipClasses: readonly (readonly number[])[], threshold: number): number[] {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`repeat threshold must be in (0, 1], got ${threshold}`);
  const n = clipClasses.length;
  const counts = new Map<number, number>();
  for (const cs of clipClasses) for (const c of new Set(cs)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const classFactor = new Map<number, number>();
  for (const [c, k] of counts) classFactor.set(c, Math.max(1, Math.sqrt(threshold / (k / n))));
  return clipClasses.map((cs) => cs.reduce((r, c) => Math.max(r, classFactor.get(c) ?? 1), 1));
}

export interface SamplerOptions {
  shuffle: boolean;
  seed: number;
  /** Per-clip repeat factors (repeatFactors()); omit for one visit per clip. */
  repeat?: readonly number[];
}

/** Indices of the clips to visit in `epoch`, in order. */
export function epochOrder(numClips: number, epoch: number, o: SamplerOptions): number[] {
  const r = new Rng(o.seed, epoch, 'epoch-order');
  const order: number[] = [];
  for (let i = 0; i < numClips; i++) {
    const f = o.repeat?.[i] ?? 1;
    const whole = Math.floor(f);
    const times = whole + (r.chance(f - whole) ? 1 : 0);
    for (let k = 0; k < times; k++) order.push(i);
  }
  return o.shuffle ? r.shuffle(order) : order;
}
