/**
 * A comparison stopped by SIGINT/SIGTERM (src/train/signals.ts): the run in training saved its
 * latest.safetensors where it stood, a run in its test phase left nothing (its test folder is written
 * all at once), and every finished run stays as it is. Running the same `stad compare` again resumes the
 * stopped run and reuses the finished ones (src/compare/runs.ts's runStage).
 */

export interface StoppedRun {
  recipe: string;
  seed: number;
  dir: string;
  /** What it was doing: training (a checkpoint was saved) or testing (the test runs again). */
  phase: 'train' | 'test';
  /** Runs of the comparison that are finished (trained and tested). */
  finished: number;
  total: number;
}

/** Thrown by runComparison when its shouldStop said so; the command turns it into exit code 130/143. */
export class CompareStopped extends Error {
  constructor(readonly run: StoppedRun) {
    super(`comparison stopped at ${run.recipe} seed ${run.seed} (${run.phase})`);
    this.name = 'CompareStopped';
  }
}

/** Thrown inside a test phase's progress callback to abandon it (caught by testRun). */
export class TestAbandoned extends Error {
  constructor() {
    super('test abandoned for a stop');
    this.name = 'TestAbandoned';
  }
}

/** A command line argument as a POSIX shell reads it back (for the "continue with" line). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
