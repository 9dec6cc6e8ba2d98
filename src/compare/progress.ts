/**
 * Progress of a whole comparison: which run of how many, the current run's own step line, and the
 * remaining time of the comparison — the current run's estimate (validation included, from the loop)
 * plus the runs still to train at the mean duration of the runs trained so far (before the first one
 * ends: the current run's projected duration), scaled by the epochs each still needs. A redrawn line on
 * a terminal, a plain line every `logEvery` steps elsewhere.
 */
import { formatDuration } from '../util/progress.js';
import type { TrainEvent } from '../train/progress.js';
import type { RunStage } from './runs.js';

/** One (recipe, seed) run of a comparison as planned: what is left to do for it. */
export interface PlannedRun {
  recipe: string;
  seed: number;
  dir: string;
  stage: RunStage;
  epochs: number;
  /** Its position among the runs to train (-1 when it needs no training). */
  trainIndex: number;
}

/**
 * What a comparison reports while it works (it never prints itself through this): the plan, each
 * training's events, each test's progress. CompareProgress is stad compare's; stad demo has its own.
 */
export interface CompareObserver {
  plan(runs: readonly PlannedRun[]): void;
  trainStart(run: PlannedRun): void;
  trainEvent(e: TrainEvent): void;
  trainEnd(run: PlannedRun): void;
  testStart(run: PlannedRun, checkpoint: string): void;
  /** Keyframes tested so far. */
  testProgress(done: number, total: number): void;
  testEnd(run: PlannedRun): void;
}

export interface PendingRun {
  label: string;
  /** Share of a full run's training still to do (1 for a new run, 0 for one that only needs testing). */
  share: number;
}

export class CompareProgress implements CompareObserver {
  private readonly tty: boolean;
  private readonly finished: number[] = [];
  private current = -1;
  private runStart = 0;
  private lastDraw = 0;

  constructor(
    private readonly pending: readonly PendingRun[],
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEvery = 20,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  plan(): void {}

  trainStart(run: PlannedRun): void {
    this.startRun(run.trainIndex);
    this.note(`${run.stage === 'new' ? 'training' : 'resuming'} ${run.recipe} seed ${run.seed} in ${run.dir}`);
  }

  trainEvent(e: TrainEvent): void {
    this.handle(e);
  }

  trainEnd(): void {
    this.endRun();
  }

  testStart(run: PlannedRun, checkpoint: string): void {
    this.note(`testing ${run.recipe} seed ${run.seed} (${checkpoint} checkpoint)`);
  }

  testProgress(): void {}

  testEnd(): void {}

  startRun(index: number): void {
    this.current = index;
    this.runStart = performance.now();
  }

  /** The current run's training ended (its duration, scaled to a full run, feeds the estimate). */
  endRun(): void {
    const share = this.pending[this.current]!.share;
    if (share > 0) this.finished.push((performance.now() - this.runStart) / 1000 / share);
  }

  note(message: string): void {
    this.stream.write(`${this.tty ? '\r\x1b[2K' : ''}${message}\n`);
  }

  /** Remaining seconds of the comparison given the current run's own remaining estimate. */
  remaining(currentRunEta: number): number {
    const elapsed = (performance.now() - this.runStart) / 1000;
    const share = this.pending[this.current]?.share ?? 1;
    const perRun = this.finished.length > 0 ? this.finished.reduce((a, b) => a + b, 0) / this.finished.length : (elapsed + currentRunEta) / Math.max(share, 1e-9);
    let later = 0;
    for (let i = this.current + 1; i < this.pending.length; i++) later += this.pending[i]!.share * perRun;
    return currentRunEta + later;
  }

  handle(e: TrainEvent): void {
    if (e.kind !== 'step') return;
    const last = e.batch === e.batches;
    const line =
      `run ${this.current + 1}/${this.pending.length} ${this.pending[this.current]!.label}: epoch ${e.epoch + 1}/${e.epochs} ${e.batch}/${e.batches} ` +
      `loss ${Number.isFinite(e.loss) ? e.loss.toFixed(4) : String(e.loss)} ${e.clipsPerSec.toFixed(2)} clips/s, run ETA ${formatDuration(e.runEtaSec)}, comparison ETA ${formatDuration(this.remaining(e.runEtaSec))}`;
    if (this.tty) {
      const now = performance.now();
      if (!last && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.stream.write(`\r\x1b[2K${line}`);
    } else if (last || e.batch === 1 || e.batch % this.logEvery === 0) {
      this.stream.write(`${line}\n`);
    }
  }
}
