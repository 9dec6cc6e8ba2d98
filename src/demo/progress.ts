/**
 * What the demo shows while it works: one line per step and, throughout, the step's own progress with
 * the whole demo's elapsed time and ETA (eta.ts). A redrawn line on a terminal; plain lines elsewhere
 * (every `logEvery` training steps, a test every quarter, the dataset every few seconds).
 */
import type { CompareObserver, PlannedRun } from '../compare/progress.js';
import type { TrainEvent } from '../train/progress.js';
import { formatDuration, type ProgressEvent } from '../util/progress.js';
import type { DemoClock, DemoStep } from './eta.js';

export const trainStepId = (r: { recipe: string; seed: number }): string => `train:${r.recipe}:${r.seed}`;
export const testStepId = (r: { recipe: string; seed: number }): string => `test:${r.recipe}:${r.seed}`;

export class DemoProgress implements CompareObserver {
  private readonly tty: boolean;
  private lastDraw = 0;
  private lastLog = 0;
  private stepStart = 0;

  constructor(
    private readonly clock: DemoClock,
    /** The steps of the comparison's runs once its plan is known (and the steps after them). */
    private readonly runSteps: (runs: readonly PlannedRun[]) => DemoStep[],
    private readonly firstRunStepId: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEvery = 20,
    private readonly seedsPerRecipe = 1,
  ) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  private prefix(): string {
    const p = this.clock.position();
    return `[demo ${p.index}/${p.count}, ${formatDuration(this.clock.elapsed())} elapsed, ETA ${formatDuration(this.clock.remaining())}]`;
  }

  /** A line that stays. */
  note(message: string): void {
    this.stream.write(`${this.tty ? '\r\x1b[2K' : ''}${message}\n`);
  }

  /** A progress line: redrawn on a terminal (at most every 100 ms unless `log`), written when `log` elsewhere. */
  private draw(text: string, log: boolean): void {
    const now = performance.now();
    if (this.tty) {
      if (!log && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.stream.write(`\r\x1b[2K${this.prefix()} ${text}`);
    } else if (log) {
      this.lastLog = now;
      this.stream.write(`${this.prefix()} ${text}\n`);
    }
  }

  beginStep(id: string): void {
    const step = this.clock.start(id);
    this.stepStart = performance.now();
    this.note(`${this.prefix()} ${step.label}`);
  }

  endStep(what?: string): void {
    const seconds = (performance.now() - this.stepStart) / 1000;
    this.clock.finish();
    if (what) this.note(`${what} (${formatDuration(seconds)})`);
  }

  /** For a step that reports done/total of its units (the dataset's frames, a test's keyframes). */
  unitProgress(label: string, e: ProgressEvent, everyMs = 5000): void {
    const elapsed = (performance.now() - this.stepStart) / 1000;
    this.clock.update(e.done > 0 ? (elapsed * (e.total - e.done)) / e.done : null, e.total > 0 ? e.done / e.total : 0);
    this.draw(`${label} ${e.done}/${e.total}`, e.done === e.total || performance.now() - this.lastLog >= everyMs);
  }

  private label(r: { recipe: string; seed: number }): string {
    return this.seedsPerRecipe > 1 ? `${r.recipe} seed ${r.seed}` : r.recipe;
  }

  plan(runs: readonly PlannedRun[]): void {
    this.clock.replan(this.firstRunStepId, this.runSteps(runs));
  }

  trainStart(run: PlannedRun): void {
    this.beginStep(trainStepId(run));
    if (run.stage === 'resume') this.note(`resuming ${this.label(run)} from ${run.dir}`);
  }

  trainEvent(e: TrainEvent): void {
    if (e.kind === 'step') {
      this.clock.update(e.runEtaSec, (e.epoch * e.batches + e.batch) / (e.epochs * e.batches));
      const log = e.batch === 1 || e.batch === e.batches || e.batch % this.logEvery === 0;
      this.draw(`epoch ${e.epoch + 1}/${e.epochs} ${e.batch}/${e.batches} loss ${Number.isFinite(e.loss) ? e.loss.toFixed(4) : String(e.loss)} ${e.clipsPerSec.toFixed(1)} clips/s`, log);
    } else if (e.kind === 'val-progress') {
      this.draw(`validation after epoch ${e.epoch} ${e.done}/${e.total}`, e.done === e.total);
    } else if (e.kind === 'val') {
      this.note(`  validation after epoch ${e.epoch}: all_mAP@0.5IOU ${e.report.allMAP === null ? 'nan' : e.report.allMAP.toFixed(4)} (${formatDuration(e.seconds)})`);
    }
  }

  trainEnd(run: PlannedRun): void {
    this.endStep(`trained ${this.label(run)} in ${run.dir}`);
  }

  testStart(run: PlannedRun): void {
    this.beginStep(testStepId(run));
  }

  testProgress(done: number, total: number): void {
    const quarter = Math.max(1, Math.floor(total / 4));
    this.unitProgress('keyframes', { done, total }, done % quarter === 0 ? 0 : Number.POSITIVE_INFINITY);
  }

  testEnd(run: PlannedRun): void {
    this.endStep(`tested ${this.label(run)}`);
  }
}
