/**
 * Learning-rate schedules by iteration (as mmaction2's param_scheduler with by_epoch=False): a linear
 * warm-up from `warmupFactor * lr` to `lr`, then a constant, multi-step or cosine decay. A schedule is
 * a pure function of the iteration, so resuming a run needs only the iteration number.
 */
export interface LRScheduleOptions {
  baseLR: number;
  totalIters: number;
  warmupIters?: number;
  /** Start of the warm-up as a fraction of baseLR (mmaction2's start_factor, default 0.1). */
  warmupFactor?: number;
  decay?:
    | { kind: 'constant' }
    | { kind: 'multistep'; milestones: number[]; gamma?: number }
    | { kind: 'cosine'; minLR?: number };
}

export function learningRateAt(iter: number, o: LRScheduleOptions): number {
  const warm = o.warmupIters ?? 0;
  const decay = o.decay ?? { kind: 'constant' };
  let lr: number;
  switch (decay.kind) {
    case 'constant':
      lr = o.baseLR;
      break;
    case 'multistep': {
      const passed = decay.milestones.filter((m) => iter >= m).length;
      lr = o.baseLR * (decay.gamma ?? 0.1) ** passed;
      break;
    }
    case 'cosine': {
      const minLR = decay.minLR ?? 0;
      const span = Math.max(1, o.totalIters - warm);
      const t = Math.min(1, Math.max(0, (iter - warm) / span));
      lr = minLR + 0.5 * (o.baseLR - minLR) * (1 + Math.cos(Math.PI * t));
      break;
    }
  }
  if (iter < warm) {
    const f0 = o.warmupFactor ?? 0.1;
    lr *= f0 + (1 - f0) * (iter / warm);
  }
  return lr;
}
