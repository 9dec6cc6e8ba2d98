/**
 * One remaining-time estimate for the whole demo. Every step (the dataset, each training, each test,
 * the report) has an a-priori cost in reference seconds (a quiet 2-core machine; from its size). The
 * machine at hand is slower or faster by a ratio learnt as it goes: per kind of step from the finished
 * steps of that kind (actual / estimated), before any has finished from the step running now (its own
 * projection), and for kinds not yet seen from every step measured so far. The running step's remaining
 * time is its own estimate when it has one (the training loop's run ETA, a test's keyframe rate).
 */
export type StepKind = 'dataset' | 'train' | 'test' | 'report';

export interface DemoStep {
  id: string;
  kind: StepKind;
  /** What the progress line says, e.g. `training bce`. */
  label: string;
  /** A-priori cost in reference seconds. */
  estimate: number;
}

interface Measured {
  kind: StepKind;
  estimate: number;
  actual: number;
}

/**
 * The rates behind the a-priori estimates: wall seconds on the quiet 2-core machine for the CPU presets
 * (8 frames of 64 px, SlowOnly R18 with 8 base channels), measured in a timed `npm run demo`
 * (2026-12-02: 6 epochs of 2055 clips and 6 validations of 503 keyframes in 97 s per recipe).
 */
export const REFERENCE_RATES = {
  /** Seconds per training clip (120-160 clips/s with the loader's worker beside the training). */
  trainClip: 0.007,
  /** Seconds per test keyframe, all its proposals (2 s for 503). */
  testKeyframe: 0.004,
  /** Seconds for the report (dataset probe, charts, example frames). */
  report: 4,
};

/** The share of a step done before its own remaining-time estimate is trusted. */
export const MIN_FRACTION = 0.1;

export class DemoClock {
  private steps: DemoStep[];
  private readonly measured: Measured[] = [];
  /** Steps that finished by reusing earlier work (counted in the position, not in the rates). */
  private reused = 0;
  private current: { step: DemoStep; start: number; remaining: number | null } | null = null;
  private readonly t0: number;

  /** `t0`: when the demo began (default: now), in the units of `now` (seconds). */
  constructor(
    steps: readonly DemoStep[],
    private readonly now: () => number = () => performance.now() / 1000,
    t0?: number,
  ) {
    this.steps = [...steps];
    this.t0 = t0 ?? now();
  }

  /** The steps still planned (the running one included), in order. */
  get planned(): readonly DemoStep[] {
    return this.steps;
  }

  /** 1-based position of the running step among all steps, and their count. */
  position(): { index: number; count: number } {
    const done = this.measured.length + this.reused;
    return { index: done + 1, count: done + this.steps.length };
  }

  elapsed(): number {
    return this.now() - this.t0;
  }

  /** Replaces the steps not yet started from `fromId` on (the comparison's plan is known late). */
  replan(fromId: string, steps: readonly DemoStep[]): void {
    const i = this.steps.findIndex((s) => s.id === fromId);
    if (i < 0) throw new RangeError(`no planned step ${fromId}`);
    this.steps = [...this.steps.slice(0, i), ...steps];
  }

  /** Drops a planned step that turned out to have nothing to do (reused work). */
  skip(id: string): void {
    this.steps = this.steps.filter((s) => s.id !== id);
  }

  start(id: string): DemoStep {
    const step = this.steps.find((s) => s.id === id);
    if (!step) throw new RangeError(`no planned step ${id}`);
    this.current = { step, start: this.now(), remaining: null };
    return step;
  }

  /**
   * The running step's own estimate of its remaining seconds, and the share of it done: an estimate
   * from under a tenth of the step (start-up costs, a cold cache) is not used.
   */
  update(remaining: number | null, fractionDone: number): void {
    if (!this.current) return;
    const usable = remaining !== null && Number.isFinite(remaining) && remaining >= 0 && fractionDone >= MIN_FRACTION;
    this.current.remaining = usable ? remaining : null;
  }

  /**
   * Ends the running step. A step that reused finished work (`measured: false`) teaches nothing about
   * this machine's speed: counted, its near-zero time would make every later step look free.
   */
  finish(measured = true): void {
    if (!this.current) return;
    const { step, start } = this.current;
    if (measured) this.measured.push({ kind: step.kind, estimate: step.estimate, actual: this.now() - start });
    else this.reused += 1;
    this.steps = this.steps.filter((s) => s !== step);
    this.current = null;
  }

  /** actual / estimated for a kind of step (1 when nothing is known yet). */
  ratio(kind: StepKind): number {
    const of = (ms: readonly Measured[]): number | null => {
      const est = ms.reduce((a, m) => a + m.estimate, 0);
      return est > 0 ? ms.reduce((a, m) => a + m.actual, 0) / est : null;
    };
    const live = this.liveMeasure();
    return (
      of(this.measured.filter((m) => m.kind === kind)) ??
      (live && live.kind === kind ? of([live]) : null) ??
      of(live ? [...this.measured, live] : this.measured) ??
      1
    );
  }

  /** The running step as if it finished at its own projection (null before it has one). */
  private liveMeasure(): Measured | null {
    const c = this.current;
    if (!c || c.remaining === null || c.step.estimate <= 0) return null;
    return { kind: c.step.kind, estimate: c.step.estimate, actual: this.now() - c.start + c.remaining };
  }

  /** Remaining seconds of the whole demo. */
  remaining(): number {
    let total = 0;
    const c = this.current;
    if (c) total += c.remaining ?? Math.max(0, c.step.estimate * this.ratio(c.step.kind) - (this.now() - c.start));
    for (const s of this.steps) if (s !== c?.step) total += s.estimate * this.ratio(s.kind);
    return total;
  }
}
