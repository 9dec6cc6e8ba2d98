/**
 * What a run reports while it trains, and how it is shown. The loop emits TrainEvents and never prints;
 * `TrainReporter` shows them (a bar per epoch on a terminal, a plain line every `logEvery` steps
 * elsewhere) and `MetricsWriter` appends them to metrics.jsonl. The remaining time of the whole run
 * counts the validation passes still to come: from the last one measured, or, before the first, from
 * the training step rate.
 */
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { cannotWrite } from '../util/fs.js';
import { formatDuration } from '../util/progress.js';
import type { FrameMapReport } from '../eval/index.js';

export interface StepEvent {
  kind: 'step';
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  batches: number;
  epochs: number;
  iteration: number;
  loss: number;
  lr: number;
  clipsPerSec: number;
  epochEtaSec: number;
  runEtaSec: number;
  /** Training clips skipped so far for read or decode errors (data.onBadClip 'skip'). */
  skippedClips?: number;
}

export interface ValEvent {
  kind: 'val';
  /** 1-based epoch just validated. */
  epoch: number;
  report: FrameMapReport;
  seconds: number;
  isBest: boolean;
}

export type TrainEvent =
  | StepEvent
  | ValEvent
  | { kind: 'val-progress'; epoch: number; done: number; total: number }
  | { kind: 'epoch'; epoch: number; meanLoss: number; seconds: number }
  | { kind: 'checkpoint'; path: string }
  /** A step whose loss or gradient was not finite: no update (non-finite.ts). */
  | { kind: 'skipped-step'; epoch: number; batch: number; iteration: number; message: string }
  /** A training clip left out for a read or decode error (data.onBadClip 'skip'). */
  | { kind: 'skipped-clip'; message: string; skippedClips: number }
  | { kind: 'note'; message: string };

/** Exponential moving average of seconds per batch and per clip. */
export class RateMeter {
  private secPerBatch: number | null = null;
  private secPerClip: number | null = null;
  constructor(private readonly alpha = 0.1) {}
  add(seconds: number, clips: number): void {
    const a = this.secPerBatch === null ? 1 : this.alpha;
    this.secPerBatch = (1 - a) * (this.secPerBatch ?? 0) + a * seconds;
    this.secPerClip = (1 - a) * (this.secPerClip ?? 0) + a * (seconds / Math.max(1, clips));
  }
  get batchSeconds(): number | null {
    return this.secPerBatch;
  }
  get clipSeconds(): number | null {
    return this.secPerClip;
  }
}

export interface EtaInput {
  secPerBatch: number;
  secPerClip: number;
  batchesLeftInEpoch: number;
  batchesPerEpoch: number;
  /** Whole epochs after the current one. */
  epochsAfter: number;
  /** Validation passes still to run, including one at the end of this epoch if due. */
  valPassesLeft: number;
  /** The last validation's duration, or null before the first. */
  lastValSeconds: number | null;
  /** Clips in the validation split (for the estimate before the first validation). */
  valClips: number;
}

/**
 * A forward pass costs about a third of a training step; decoding the larger test clips adds to it, so
 * before the first measurement a validation clip is taken to cost half a training clip.
 */
export const VAL_CLIP_COST = 0.5;

export function estimateRemaining(e: EtaInput): { epoch: number; run: number } {
  const epoch = e.batchesLeftInEpoch * e.secPerBatch;
  const val = e.lastValSeconds ?? e.valClips * e.secPerClip * VAL_CLIP_COST;
  return { epoch, run: epoch + e.epochsAfter * e.batchesPerEpoch * e.secPerBatch + e.valPassesLeft * val };
}

/** Epochs (1-based) after which validation runs: every valInterval, and always after the last. */
export function isValEpoch(epoch1: number, epochs: number, valInterval: number): boolean {
  return epoch1 === epochs || (valInterval > 0 && epoch1 % valInterval === 0);
}

export function valPassesFrom(epoch1: number, epochs: number, valInterval: number): number {
  let n = 0;
  for (let e = epoch1; e <= epochs; e++) if (isValEpoch(e, epochs, valInterval)) n++;
  return n;
}

function fmtLoss(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

export function formatStep(e: StepEvent): string {
  return (
    `epoch ${e.epoch + 1}/${e.epochs} ${e.batch}/${e.batches} loss ${fmtLoss(e.loss)} lr ${e.lr.toPrecision(3)} ` +
    `${e.clipsPerSec.toFixed(2)} clips/s epoch ETA ${formatDuration(e.epochEtaSec)} run ETA ${formatDuration(e.runEtaSec)}` +
    (e.skippedClips ? ` skipped clips ${e.skippedClips}` : '')
  );
}

export interface ReporterOptions {
  stream?: NodeJS.WriteStream;
  /** Off a terminal: one line every this many steps (and at each epoch's last). */
  logEvery?: number;
  /** Text per validation (the reference's report form). */
  formatReport?: (r: FrameMapReport) => string;
  /** Appended to each step's line (the GPU's utilisation and memory: src/train/gpu-line.ts). */
  stepInfo?: () => string | undefined;
}

/** Shows TrainEvents: a redrawn bar on a terminal, plain lines elsewhere. */
export class TrainReporter {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly logEvery: number;
  private lastDraw = 0;

  constructor(private readonly o: ReporterOptions = {}) {
    this.stream = o.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && process.env.CI !== 'true';
    this.logEvery = o.logEvery ?? 20;
  }

  handle(e: TrainEvent): void {
    switch (e.kind) {
      case 'step': {
        const last = e.batch === e.batches;
        const info = this.o.stepInfo?.();
        const line = info ? `${formatStep(e)} | ${info}` : formatStep(e);
        if (this.tty) {
          const now = performance.now();
          if (!last && now - this.lastDraw < 100) return;
          this.lastDraw = now;
          const width = 20;
          const filled = Math.round((width * e.batch) / e.batches);
          this.stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line}${last ? '\n' : ''}`);
        } else if (last || e.batch === 1 || e.batch % this.logEvery === 0) {
          this.stream.write(`${line}\n`);
        }
        return;
      }
      case 'val-progress':
        if (this.tty) this.stream.write(`\r\x1b[2Kvalidation after epoch ${e.epoch}: ${e.done}/${e.total}${e.done >= e.total ? '\n' : ''}`);
        return;
      case 'val': {
        const text = this.o.formatReport?.(e.report) ?? '';
        const all = e.report.allMAP === null ? 'n/a' : e.report.allMAP.toFixed(4);
        this.stream.write(`validation after epoch ${e.epoch} (${formatDuration(e.seconds)}):\n${text}${text.endsWith('\n') || !text ? '' : '\n'}all_mAP@0.5IOU= ${all}${e.isBest ? ' (best so far)' : ''}\n`);
        return;
      }
      case 'epoch':
        this.stream.write(`epoch ${e.epoch} done in ${formatDuration(e.seconds)}: mean loss ${fmtLoss(e.meanLoss)}\n`);
        return;
      case 'checkpoint':
        if (!this.tty) this.stream.write(`wrote ${e.path}\n`);
        return;
      case 'note':
        this.stream.write(`${e.message}\n`);
        return;
      case 'skipped-step':
        this.stream.write(`${this.tty ? '\n' : ''}epoch ${e.epoch + 1} batch ${e.batch} (iteration ${e.iteration}): ${e.message}\n`);
        return;
      case 'skipped-clip':
        this.stream.write(`${this.tty ? '\n' : ''}skipped ${e.message} (${e.skippedClips} skipped so far)\n`);
        return;
    }
  }
}

/**
 * Appends train and validation metrics to metrics.jsonl, one JSON object per line, each in one write
 * (a kill leaves at most a torn last line, which a resumed run drops: run-recovery.ts), and fsyncs the
 * file when a checkpoint is written, so that the lines a checkpoint covers outlast a power cut too.
 */
export class MetricsWriter {
  constructor(private readonly file: string) {}

  handle(e: TrainEvent): void {
    if (e.kind === 'step') {
      const skips = e.skippedClips ? { skippedClips: e.skippedClips } : {};
      this.write({ type: 'train', epoch: e.epoch + 1, batch: e.batch, iter: e.iteration, loss: e.loss, lr: e.lr, clipsPerSec: e.clipsPerSec, ...skips });
    } else if (e.kind === 'skipped-step') {
      this.write({ type: 'skipped-step', epoch: e.epoch + 1, batch: e.batch, iter: e.iteration, reason: e.message });
    } else if (e.kind === 'checkpoint') {
      this.sync();
    } else if (e.kind === 'val') {
      const r = e.report;
      this.write({
        type: 'val',
        epoch: e.epoch,
        all_mAP: r.allMAP,
        pooled_mAP: r.pooled.mAP,
        // lists, not objects keyed by names from files
        perVideo: r.videos.map((v) => ({ video: v.videoId, mAP: v.mAP })),
        perClass: r.pooled.classes.map((c) => ({ class: c.name, ap: c.ap })),
        seconds: e.seconds,
      });
    }
  }

  private write(o: Record<string, unknown>): void {
    try {
      appendFileSync(this.file, `${JSON.stringify(o)}\n`);
    } catch (e) {
      cannotWrite(this.file, e);
    }
  }

  private sync(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'r+');
      fsyncSync(fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') cannotWrite(this.file, e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
