/**
 * Ctrl-C (SIGINT) and SIGTERM during a run: the first asks the loop to stop at the next point where a
 * checkpoint can be whole (after the current optimiser step, or by abandoning a validation), save
 * latest.safetensors and return, so that `--resume` continues exactly; the caller then exits 130
 * (SIGINT) or 143 (SIGTERM), as a shell expects of a process stopped by that signal. A second signal
 * exits at once (the last complete checkpoint is still there: writes are atomic).
 */

/** The conventional exit code of a process stopped by `signal` (128 + its number). */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

export class StopRequest {
  private got: NodeJS.Signals | null = null;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  /** `say` tells the user what happens now (a line on stderr). */
  constructor(private readonly say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {}

  /** The signal received, or null. */
  get signal(): NodeJS.Signals | null {
    return this.got;
  }

  /** True once a stop was asked for. */
  readonly requested = (): boolean => this.got !== null;

  /** Asks for a stop as if `signal` had arrived (also what the handlers do). */
  request(signal: NodeJS.Signals): void {
    if (this.got !== null) {
      this.say(`${signal} again: exiting now without saving (the last complete checkpoint is kept)`);
      process.exit(exitCodeOf(signal));
    }
    this.got = signal;
    this.say(`${signal}: stopping after the current step to save a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)`);
  }

  install(): this {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      const h = (): void => this.request(s);
      this.handlers.set(s, h);
      process.on(s, h);
    }
    return this;
  }

  uninstall(): void {
    for (const [s, h] of this.handlers) process.off(s, h);
    this.handlers.clear();
  }
}
