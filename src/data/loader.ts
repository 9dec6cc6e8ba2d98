/**
 * The clip loader: turns keyframe samples (a video, a keyframe, its boxes and labels) into batches of
 * normalised clips with boxes in the clips' pixels. Decoding runs in worker threads with batches
 * prefetched ahead, so that training does not wait on JPEG or video decoding. Every random choice (the
 * order, each clip's rescale, crop, flip and jitter) is drawn in the main thread from a generator keyed
 * by (seed, epoch, position), so a fixed seed gives identical batches whatever the worker count.
 *
 * The data path copies nothing it need not: each clip is planned in the main thread, then decoded and
 * rendered by a worker straight into its place in the batch's buffer (a SharedArrayBuffer from a small
 * pool, batch-pool.ts); the consumer copies the batch once into a tensor and gives the buffer back
 * (`ClipBatch.release`).
 *
 * This module needs no tensors: `collate.ts` turns a ClipBatch into tensors for the model.
 */
import { Worker } from 'node:worker_threads';
import { availableCores } from '../util/cpu.js';
import { fileURLToPath } from 'node:url';
import { sampleClipFrames, type ClipSpec } from './clip.js';
import { runClipJob, openSource, type ClipJob, type FrameSourceSpec } from './clip-job.js';
import { BatchPool } from './batch-pool.js';
import { Rng } from './rng.js';
import { epochOrder, repeatFactors } from './sampler.js';
import { globalBatchCount, shardBatches, type ShardSpec } from '../distributed/sampler.js';
import type { Size } from './frames.js';
import {
  planTest,
  planTrain,
  transformBoxes,
  DEFAULT_TRAIN_AUGMENTATION,
  IMAGENET_NORMALIZATION,
  type Box,
  type ClipDestination,
  type GeometryPlan,
  type Normalization,
  type TrainAugmentation,
} from './transforms.js';
import { UserError } from '../util/errors.js';

/** One keyframe to learn from or to evaluate. */
export interface ClipSample {
  video: string;
  source: FrameSourceSpec;
  /** Frame number of the keyframe (as the frame source numbers them). */
  keyframe: number;
  /** The keyframe's time in seconds from the video's start (for messages about this clip). */
  time?: number;
  /** Ground-truth boxes in source pixels, [x1, y1, x2, y2]. */
  boxes: Box[];
  /** Class ids per box (1..numClasses; several for multi-label boxes). */
  labels: number[][];
  /** Person-detector boxes in source pixels, with scores. */
  proposals?: { box: Box; score: number }[];
}

export interface LoadedClip {
  /** Index of the sample in the loader's sample list. */
  index: number;
  video: string;
  keyframe: number;
  /** Boxes in clip pixels (boxes cropped out of view are dropped, with their labels). */
  boxes: Box[];
  labels: number[][];
  proposals: { box: Box; score: number }[];
  /** Source frame size and the geometry applied, to map predictions back. */
  sourceSize: Size;
  plan: GeometryPlan;
}

export interface ClipBatch {
  /**
   * [N, 3, T, H, W] float32, clips padded (with zeros) at the bottom/right to the largest in the batch.
   * A view of a pooled buffer: valid until `release()` is called.
   */
  data: Float32Array;
  shape: [number, number, number, number, number];
  clips: LoadedClip[];
  /**
   * Gives `data`'s buffer back to the loader for a later batch (call it once the batch has been copied
   * into a tensor; `data` must not be used afterwards). Optional: a batch never released is collected
   * as usual, and the loader allocates a new buffer instead.
   */
  release(): void;
}

export interface LoaderOptions {
  clip: ClipSpec;
  batchSize: number;
  mode: 'train' | 'test';
  /** Training augmentation (train mode). */
  augmentation?: Partial<TrainAugmentation>;
  /** Test-time short side (test mode), default 256. */
  testShortSide?: number;
  normalization?: Normalization;
  /** Worker threads decoding clips; 0 decodes in the main thread. Default: the usable cores (CPU quota counted, src/util/cpu.ts) - 1, at least 1. */
  numWorkers?: number;
  /** Batches decoded ahead of the one being consumed. Default 2. */
  prefetch?: number;
  seed?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Repeat factor sampling threshold t (LVIS); omit to visit each clip once per epoch. */
  repeatThreshold?: number;
  /** Distributed training: this rank's part of every global batch (src/distributed/sampler.ts); batchSize is per rank. */
  shard?: ShardSpec;
  /**
   * A clip whose frames cannot be read or decoded: 'stop' (default) fails the batch with a UserError
   * naming the video and time; 'skip' leaves the clip out of its batch (a batch may come out empty)
   * and tells `onSkip`.
   */
  onBadClip?: 'stop' | 'skip';
  onSkip?: (bad: BadClip) => void;
}

/** A clip left out for a read or decode error. */
export interface BadClip {
  video: string;
  keyframe: number;
  time: number | undefined;
  /** `video 'seq1' at 3.40 s (keyframe 52): <the error>` */
  message: string;
}

/** Where a clip is, for a message: `video 'seq1' at 3.40 s (keyframe 52)`. */
export function describeClip(s: Pick<ClipSample, 'video' | 'keyframe' | 'time'>): string {
  return `video '${s.video}' at ${s.time !== undefined ? `${s.time.toFixed(2)} s ` : ''}(keyframe ${s.keyframe})`;
}

type Pending = { resolve: () => void; reject: (e: Error) => void };

/** A clip planned in the main thread: the decoding job for a worker, and the clip's boxes and geometry. */
type PlannedClip = { job: ClipJob; clip: LoadedClip };

/** A small pool of decoding threads; jobs go to the least busy worker. */
class WorkerPool {
  private readonly workers: { w: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(size: number) {
    const script = fileURLToPath(new URL('./loader-worker.js', import.meta.url));
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      const slot = { w, busy: 0 };
      w.on('message', (m: { id: number; error?: string; userError?: boolean }) => {
        // An idle worker must not keep the process alive; a busy one must (we await its reply).
        if (--slot.busy === 0) w.unref();
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(m.userError ? new UserError(m.error) : new Error(m.error));
        else p.resolve();
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.unref();
      this.workers.push(slot);
    }
  }

  /** Renders the clip into `dst` (its data must be over a SharedArrayBuffer, so the worker writes the caller's memory). */
  run(job: ClipJob, dst: ClipDestination): Promise<void> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    if (slot.busy++ === 0) slot.w.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.w.postMessage({ id, job, dst });
    });
  }

  async close(): Promise<void> {
    // Nothing else may hold the event loop while the threads end (a run stopped mid-epoch by
    // shouldStop, with idle, unref'd workers): without a handle of our own Node found the loop empty
    // before terminate() resolved and left the awaiting caller unsettled (exit code 13, bench/soak).
    const alive = setInterval(() => undefined, 60_000);
    try {
      // A thread inside a native call (the torchvision decode) must not be terminated: the terminating
      // environment makes node-addon-api throw in C++ and the process aborts. Let its jobs finish first.
      while (this.pending.size > 0) await new Promise((r) => setTimeout(r, 5));
      await Promise.all(this.workers.map((s) => s.w.terminate()));
    } finally {
      clearInterval(alive);
    }
  }
}

export class ClipLoader {
  private readonly o: Required<Omit<LoaderOptions, 'repeatThreshold' | 'augmentation' | 'onSkip' | 'shard'>> & {
    augmentation: TrainAugmentation;
    repeatThreshold?: number;
    onSkip?: LoaderOptions['onSkip'];
    shard?: ShardSpec;
  };
  private pool: WorkerPool | null = null;
  private readonly sizes = new Map<string, Promise<Size>>();
  private readonly repeat: number[] | undefined;
  private readonly buffers: BatchPool;

  constructor(readonly samples: readonly ClipSample[], opts: LoaderOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    this.o = {
      clip: opts.clip,
      batchSize: opts.batchSize,
      mode: opts.mode,
      augmentation: { ...DEFAULT_TRAIN_AUGMENTATION, ...(opts.augmentation ?? {}) },
      testShortSide: opts.testShortSide ?? 256,
      normalization: opts.normalization ?? IMAGENET_NORMALIZATION,
      numWorkers: opts.numWorkers ?? Math.max(1, availableCores() - 1),
      prefetch: opts.prefetch ?? 2,
      seed: opts.seed ?? 0,
      shuffle: opts.shuffle ?? opts.mode === 'train',
      dropLast: opts.dropLast ?? false,
      repeatThreshold: opts.repeatThreshold,
      shard: opts.shard,
      onBadClip: opts.onBadClip ?? 'stop',
      onSkip: opts.onSkip,
    };
    // the batches in flight and the one being consumed
    this.buffers = new BatchPool(this.o.prefetch + 2);
    if (opts.repeatThreshold !== undefined) this.repeat = repeatFactors(samples.map((s) => s.labels.flat()), opts.repeatThreshold);
  }

  /** Number of batches in an epoch (with repeat factor sampling it varies slightly by epoch). */
  batchesPerEpoch(epoch = 0): number {
    const n = this.order(epoch).length;
    if (this.o.shard) return globalBatchCount(n, this.o.batchSize, this.o.shard.worldSize, this.o.dropLast);
    return this.o.dropLast ? Math.floor(n / this.o.batchSize) : Math.ceil(n / this.o.batchSize);
  }

  private order(epoch: number): number[] {
    return epochOrder(this.samples.length, epoch, { shuffle: this.o.shuffle, seed: this.o.seed, repeat: this.repeat });
  }

  private sourceSize(s: ClipSample): Promise<Size> {
    let p = this.sizes.get(s.video);
    if (!p) {
      p = openSource(s.video, s.source).size();
      this.sizes.set(s.video, p);
    }
    return p;
  }

  /** Plans one clip (in the main thread: every random draw happens here). `position` keys its random stream. */
  private async planClip(index: number, epoch: number, position: number): Promise<PlannedClip> {
    const s = this.samples[index]!;
    const src = await this.sourceSize(s);
    const range = await openSource(s.video, s.source).frameRange();
    if (s.keyframe < range.first || s.keyframe > range.last) {
      throw new UserError(`video '${s.video}': keyframe ${s.keyframe} is outside its frames ${range.first}-${range.last}`);
    }
    const frames = sampleClipFrames(s.keyframe, this.o.clip, range);
    const rng = new Rng(this.o.seed, epoch, position, index);
    const plan = this.o.mode === 'train' ? planTrain(src, s.boxes, this.o.augmentation, rng) : planTest(src, this.o.testShortSide);
    const job: ClipJob = { video: s.video, source: s.source, frames, plan, norm: this.o.normalization };
    const moved = transformBoxes(s.boxes, src, plan);
    const boxes: Box[] = [];
    const labels: number[][] = [];
    moved.forEach((b, k) => {
      if (b) {
        boxes.push(b);
        labels.push(s.labels[k]!);
      }
    });
    const movedProps = transformBoxes((s.proposals ?? []).map((p) => p.box), src, plan);
    const proposals = movedProps.flatMap((b, k) => (b ? [{ box: b, score: s.proposals![k]!.score }] : []));
    return { job, clip: { index, video: s.video, keyframe: s.keyframe, boxes, labels, proposals, sourceSize: src, plan } };
  }

  /**
   * A clip that could not be planned, read or decoded: named by its video and time. In 'stop' mode this
   * throws the UserError; in 'skip' mode it tells `onSkip` and returns (the caller leaves the clip out).
   */
  private reportBadClip(index: number, e: unknown): void {
    const s = this.samples[index]!;
    const message = `${describeClip(s)}: ${(e as Error).message}`;
    if (this.o.onBadClip === 'stop') throw new UserError(`${message} (data.onBadClip 'skip' leaves such clips out)`);
    this.o.onSkip?.({ video: s.video, keyframe: s.keyframe, time: s.time, message });
  }

  /** planClip, with an error reported by reportBadClip (null: the clip is skipped). */
  private async planClipOrReport(index: number, epoch: number, position: number): Promise<PlannedClip | null> {
    try {
      return await this.planClip(index, epoch, position);
    } catch (e) {
      this.reportBadClip(index, e);
      return null;
    }
  }

  private async loadBatch(indices: readonly number[], epoch: number, firstPosition: number): Promise<ClipBatch> {
    const all = await Promise.all(indices.map((idx, k) => this.planClipOrReport(idx, epoch, firstPosition + k)));
    return this.renderBatch(all.filter((l) => l !== null));
  }

  /** Decodes and renders planned clips into one pooled buffer (in the workers); see loadBatch. */
  private async renderBatch(planned: readonly PlannedClip[]): Promise<ClipBatch> {
    const T = this.o.clip.clipLen;
    if (planned.length === 0) return { data: new Float32Array(0), shape: [0, 3, T, 0, 0], clips: [], release: () => {} };
    const H = Math.max(...planned.map((l) => l.clip.plan.crop.height));
    const W = Math.max(...planned.map((l) => l.clip.plan.crop.width));
    const N = planned.length;
    const clipSize = 3 * T * H * W;
    const data = this.buffers.acquire(N * clipSize);
    // a reused buffer holds the last batch: zero it where a smaller clip leaves padding
    if (planned.some((l) => l.clip.plan.crop.height !== H || l.clip.plan.crop.width !== W)) data.fill(0);
    const pool = this.o.numWorkers > 0 ? (this.pool ??= new WorkerPool(this.o.numWorkers)) : null;
    const results = await Promise.allSettled(
      planned.map((l, n) => {
        const dst: ClipDestination = { data, offset: n * clipSize, height: H, width: W };
        return pool ? pool.run(l.job, dst) : runClipJob(l.job, dst);
      }),
    );
    const bad = results.flatMap((r, n) => (r.status === 'rejected' ? [{ n, reason: r.reason as unknown }] : []));
    if (bad.length > 0) {
      // every job has stopped writing: the buffer can go back to the pool
      this.buffers.release(data);
      for (const { n, reason } of bad) this.reportBadClip(planned[n]!.clip.index, reason); // throws in 'stop' mode
      // 'skip': render the rest again, so that the batch is laid out (its size, its padding) exactly as
      // if the bad clips had never been in it. Costs a second decode, only in a batch with a bad clip.
      const failed = new Set(bad.map((b) => b.n));
      return this.renderBatch(planned.filter((_, n) => !failed.has(n)));
    }
    let released = false;
    return {
      data,
      shape: [N, 3, T, H, W],
      clips: planned.map((l) => l.clip),
      release: () => {
        if (released) return;
        released = true;
        this.buffers.release(data);
      },
    };
  }

  /**
   * The batches of one epoch, decoded `prefetch` batches ahead; from batch `startBatch` on (a run resumed
   * from a checkpoint inside the epoch: the batches are those the whole epoch would have given).
   */
  async *epoch(epoch = 0, startBatch = 0): AsyncGenerator<ClipBatch> {
    const order = this.order(epoch);
    const B = this.o.batchSize;
    const nb = this.o.dropLast ? Math.floor(order.length / B) : Math.ceil(order.length / B);
    const inFlight: Promise<ClipBatch>[] = [];
    let next = startBatch;
    const shards = this.o.shard ? shardBatches(order, B, this.o.shard, this.o.dropLast) : null;
    const nbAll = shards ? shards.length : nb;
    const launch = () => {
      const start = next * B;
      const p = shards ? this.loadBatch(shards[next]!.indices, epoch, shards[next]!.firstPosition) : this.loadBatch(order.slice(start, start + B), epoch, start);
      p.catch(() => undefined); // surfaced when awaited; avoid an unhandled rejection meanwhile
      inFlight.push(p);
      next++;
    };
    while (next < nbAll && inFlight.length <= this.o.prefetch) launch();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      if (next < nbAll) launch();
      yield batch;
    }
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
