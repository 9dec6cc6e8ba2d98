/**
 * Non-finite losses and gradients. One bad batch (an overflow, a degenerate box) must not write NaN into
 * every weight: the step is skipped (no optimiser update; the gradients of its accumulation group are
 * dropped) and reported. A run that keeps producing them has diverged: after `maxInRow` skipped steps in
 * a row it stops, naming the last good checkpoint, rather than burn hours on NaN.
 */
import { noGrad, stack, tidy, type Tensor } from '../torch/index.js';
import { UserError } from '../util/errors.js';

/** The L2 norm of all gradients together (as clip_grad_norm_ computes it), without changing them. */
export function gradNorm(params: readonly Tensor[]): number {
  return tidy(() =>
    noGrad(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      return stack(grads.map((g) => g.norm(2))).norm(2).item();
    }),
  );
}

/**
 * Test hook: STAD_TEST_NONFINITE=3,4,9 makes the losses of those iterations NaN (the crash-safety and
 * non-finite tests need a bad step on demand).
 */
const poisoned = new Set(
  (process.env.STAD_TEST_NONFINITE ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number),
);
export function isPoisoned(iteration: number): boolean {
  return poisoned.size > 0 && poisoned.has(iteration);
}

/** Counts skipped steps in a row; stops the run after `maxInRow`. */
export class NonFiniteGuard {
  constructor(
    private readonly maxInRow: number,
    /** Skipped steps in a row so far (restored from a checkpoint). */
    public inRow = 0,
  ) {}

  /** A step that updated the weights: the streak ends. */
  good(): void {
    this.inRow = 0;
  }

  /**
   * A skipped step. Throws the run-stopping UserError when it is the maxInRow-th in a row;
   * `lastGood` says where the last good checkpoint is.
   */
  skipped(where: string, what: string, lastGood: () => string): void {
    this.inRow++;
    if (this.inRow >= this.maxInRow) {
      throw new UserError(
        `${where}: ${what}; ${this.inRow} steps in a row skipped, so the run stopped (maxNonFinite ${this.maxInRow}). ` +
          `Last good checkpoint: ${lastGood()}. Lower optim.lr or set gradClip, then --resume`,
      );
    }
  }
}
