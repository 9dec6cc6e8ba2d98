/**
 * Progress with an ETA for long work. On a terminal it redraws one line (`label 42/100 42% 3.1 it/s
 * ETA 0:18`); elsewhere (CI, a log file) it writes a plain line at most every `logEveryMs`. The
 * computation reports through the `Progress` interface only and never prints itself, so library code
 * takes an optional `onProgress` callback and the CLI decides how to show it.
 */
export interface ProgressEvent {
  done: number;
  total: number;
  /** Optional short status, e.g. `loss 0.412`. */
  info?: string;
}

export type ProgressCallback = (e: ProgressEvent) => void;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export interface ProgressBarOptions {
  stream?: NodeJS.WriteStream;
  /** Minimum interval between plain log lines when not on a terminal. */
  logEveryMs?: number;
  now?: () => number;
}

/** A terminal/log progress reporter; `update` is cheap enough to call every step. */
export class ProgressBar {
  private readonly start: number;
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly logEveryMs: number;
  private readonly now: () => number;

  constructor(private readonly label: string, opts: ProgressBarOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && process.env.CI !== 'true';
    this.logEveryMs = opts.logEveryMs ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Renders `done/total` with rate and ETA. */
  line(e: ProgressEvent): string {
    const elapsed = (this.now() - this.start) / 1000;
    const rate = elapsed > 0 ? e.done / elapsed : 0;
    const eta = rate > 0 ? (e.total - e.done) / rate : Number.NaN;
    const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
    const rateStr = rate >= 1 || rate === 0 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(1)} s/it`;
    return `${this.label} ${e.done}/${e.total} ${pct}% ${rateStr} elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}${e.info ? ` ${e.info}` : ''}`;
  }

  update(e: ProgressEvent): void {
    const t = this.now();
    const final = e.done >= e.total;
    if (this.tty) {
      if (!final && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      this.stream.write(`\r\x1b[2K${this.line(e)}${final ? '\n' : ''}`);
    } else {
      if (!final && this.lastDraw !== 0 && t - this.lastDraw < this.logEveryMs) return;
      this.lastDraw = t;
      this.stream.write(`${this.line(e)}\n`);
    }
  }

  callback(): ProgressCallback {
    return (e) => this.update(e);
  }
}
