/**
 * `stad detect` on a live stream or a capture device: frames are read as they arrive by a worker thread
 * (live-reader-worker.ts) that keeps only the newest clip span of them, so memory is bounded and a slow
 * model makes frames drop (counted) rather than queue up. The main thread pulls the newest frames, keeps
 * a ring of the last clip span, and predicts at the newest due point whose clip has arrived, skipping
 * (and counting) points it had no time for, so latency stays bounded too. Each prediction is appended to
 * detections.jsonl and flushed at once; detections.csv and detections.json are written when the stream
 * ends (input timeout), on SIGINT/SIGTERM, or when the caller's signal aborts.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { RGBFrame, Size } from '../data/frames.js';
import { sampleClipFrames } from '../data/clip.js';
import { planTest, type GeometryPlan } from '../data/transforms.js';
import type { DetectRunBase } from './run-options.js';
import { UserError } from '../util/errors.js';
import { classifyClip } from './classify.js';
import { liveInputArgs } from './live-input.js';
import type { LiveReaderConfig, PullReply, ReaderRequest } from './live-reader-worker.js';
import type { Prediction } from './outputs.js';
import { LiveOutputs } from './live-outputs.js';
import { PredictionPoints } from './person-boxes.js';

export interface DetectLiveOptions extends DetectRunBase {
  /** Seconds without a frame that end the stream. */
  inputTimeout: number;
  /** Seconds between status lines. */
  statusEvery: number;
  onStatus?: (line: string) => void;
  /** Stops the run as SIGINT does (the CLI passes none: it listens for the signals itself). */
  signal?: AbortSignal;
}

export interface LiveStats {
  framesIn: number;
  dropped: number;
  predictions: number;
  skippedPoints: number;
  /** Mean and worst seconds from the arrival of a clip's last frame to its prediction written. */
  meanLatency: number;
  maxLatency: number;
  seconds: number;
  ended: string;
}

export interface DetectLiveResult {
  outDir: string;
  stats: LiveStats;
  files: string[];
}

/** Resizes a full-size frame to the model's input (libvips bilinear). */
async function toModelSize(f: RGBFrame, plan: GeometryPlan): Promise<RGBFrame> {
  const { width, height } = plan.resize;
  const buf = await sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } }).resize(width, height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  return { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/**
 * Seconds to wait for the first frame: longer than between frames, since the sender may start after
 * stad (a UDP or RTP listener) and ffmpeg first probes the stream (up to its 5 s analyse duration).
 */
export function startTimeout(inputTimeout: number): number {
  return Math.max(30, 3 * inputTimeout);
}

export async function detectLive(o: DetectLiveOptions): Promise<DetectLiveResult> {
  const outputs = new LiveOutputs(resolve(o.out), o.videoId, o.classes, o.scoreThreshold);
  const spec = { clipLen: o.model.input.frames, frameInterval: o.model.input.frameInterval };
  const half = Math.floor(spec.clipLen / 2) * spec.frameInterval;
  const after = (spec.clipLen - 1) * spec.frameInterval - half;
  const span = half + after + 1;
  const config: LiveReaderConfig = { inputArgs: liveInputArgs(o.input, o.inputTimeout), capacity: Math.max(2, span), timeoutSeconds: o.inputTimeout, startTimeoutSeconds: startTimeout(o.inputTimeout) };
  o.onStatus?.(`reading ${o.input} (stop with Ctrl-C; the run ends after ${o.inputTimeout} s without a frame)`);
  const worker = new Worker(new URL('./live-reader-worker.js', import.meta.url), { workerData: config });
  const replies: ((r: PullReply) => void)[] = [];
  let workerError: Error | null = null;
  worker.on('message', (r: PullReply) => replies.shift()?.(r));
  worker.on('error', (e) => {
    workerError = e;
    for (const r of replies.splice(0)) r({ frames: [], width: 0, height: 0, fps: 0, dropped: 0, received: 0, ended: { reason: 'error', message: e.message } });
  });
  // Buffers of frames that left the ring, given back to the reader with the next pull for its next
  // frames (raw-frame-splitter.ts: a fixed set of frame buffers rather than one new buffer per frame).
  let recycled: ArrayBuffer[] = [];
  const pull = (): Promise<PullReply> =>
    new Promise((res) => {
      replies.push(res);
      const request: ReaderRequest = { type: 'pull', recycled };
      worker.postMessage(request, recycled);
      recycled = [];
    });

  let stopRequested = false;
  const stop = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    worker.postMessage({ type: 'stop' });
  };
  const onSignal = (): void => stop();
  const handleSignals = o.signal === undefined;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else if (o.signal!.aborted) stop();
  else o.signal!.addEventListener('abort', stop, { once: true });

  let predictions = 0;
  const ring = new Map<number, { at: number; frame: RGBFrame }>();
  let size: Size = { width: 0, height: 0 };
  let fps = 0;
  let plan: GeometryPlan | null = null;
  let points: PredictionPoints | null = null;
  let next = 0;
  let newest = -1;
  let last: PullReply | null = null;
  let skipped = 0;
  let latencySum = 0;
  let latencyMax = 0;
  const t0 = Date.now();
  let lastStatus = t0;
  let statusFrames = 0;
  let statusPredictions = 0;

  const status = (final: boolean): void => {
    const now = Date.now();
    if (!final && now - lastStatus < o.statusEvery * 1000) return;
    const dt = Math.max(1e-3, (now - lastStatus) / 1000);
    const received = last?.received ?? 0;
    o.onStatus?.(
      `live ${((now - t0) / 1000).toFixed(0)} s: in ${((received - statusFrames) / dt).toFixed(1)} fps, predictions ${((predictions - statusPredictions) / dt).toFixed(2)}/s (${predictions} in all, ${skipped} points skipped), dropped ${last?.dropped ?? 0} of ${received} frames, latency ${predictions ? (latencySum / predictions).toFixed(2) : '-'} s mean ${latencyMax.toFixed(2)} s max`,
    );
    lastStatus = now;
    statusFrames = received;
    statusPredictions = predictions;
  };

  const predictAt = async (p: number): Promise<void> => {
    const clipIdx = sampleClipFrames(p, spec, { first: Math.max(0, newest - span + 1), last: newest });
    // Frames dropped before they reached the ring: the nearest one that did stands in.
    const nearest = (i: number): { at: number; frame: RGBFrame } => {
      for (let d = 0; d < span; d++) {
        const f = ring.get(i - d) ?? ring.get(i + d);
        if (f) return f;
      }
      return ring.get(newest)!;
    };
    const clipSrc = clipIdx.map(nearest);
    const clip = await Promise.all(clipSrc.map((f) => toModelSize(f.frame, plan!)));
    const keyFull = nearest(p).frame;
    const pb = await points!.boxesAt(p, keyFull, size, fps);
    const boxes = classifyClip(o.det, clip, size, plan!, pb.boxes, pb.scores, o.device);
    const pred: Prediction = { frame: p, time: p / fps, timestamp: pb.timestamp, boxes };
    outputs.add(pred);
    predictions++;
    o.onPrediction?.(pred);
    const latency = (Date.now() - Math.max(...clipSrc.map((f) => f.at))) / 1000;
    latencySum += latency;
    latencyMax = Math.max(latencyMax, latency);
  };

  try {
    for (;;) {
      const r = await pull();
      last = r;
      if (workerError) throw new UserError(`${o.input}: the stream reader failed: ${(workerError as Error).message}`);
      if (r.ended?.reason === 'error' && r.received === 0) throw new UserError(`${o.input}: ${r.ended.message}`);
      if (r.frames.length > 0 && plan === null) {
        size = { width: r.width, height: r.height };
        fps = r.fps > 0 ? r.fps : 25;
        plan = planTest(size, o.model.input.size);
        points = new PredictionPoints(o.people, o.predictEvery, null);
      }
      for (const f of r.frames) {
        ring.set(f.index, { at: f.at, frame: { width: r.width, height: r.height, data: new Uint8Array(f.data) } });
        newest = f.index;
      }
      for (const [k, f] of ring) {
        if (k > newest - span) continue;
        ring.delete(k);
        recycled.push(f.frame.data.buffer as ArrayBuffer); // nothing else holds it: predictions are awaited
      }
      if (points) {
        // The newest point whose clip has arrived; older ones not yet done are skipped.
        const due = points.lastAtOrBefore(newest - after);
        if (due >= next) {
          skipped += due - next;
          await predictAt(points.at(due)!);
          next = due + 1;
        }
        if (r.ended) {
          // The points whose clips the stream cut short: the last one only, with the edge frames repeated.
          const tail = points.lastAtOrBefore(newest);
          if (tail >= next) {
            skipped += tail - next;
            await predictAt(points.at(tail)!);
            next = tail + 1;
          }
        }
      }
      status(false);
      if (r.ended) break;
    }
  } catch (e) {
    outputs.abort();
    throw e;
  } finally {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    } else o.signal!.removeEventListener('abort', stop);
    worker.postMessage({ type: 'stop' }); // ffmpeg is the worker's child: stop it before the thread goes
    await worker.terminate();
  }
  status(true);
  const frames = last?.received ?? 0;
  const info = { input: o.input, videoId: o.videoId, checkpoint: o.checkpoint, boxes: o.people.kind === 'file' ? o.people.file.path : o.people.detector.name, classes: o.classes, scoreThreshold: o.scoreThreshold, width: size.width, height: size.height, fps, frames };
  const files = await outputs.finish(info);
  return {
    outDir: outputs.outDir,
    files,
    stats: {
      framesIn: frames,
      dropped: last?.dropped ?? 0,
      predictions,
      skippedPoints: skipped,
      meanLatency: predictions ? latencySum / predictions : 0,
      maxLatency: latencyMax,
      seconds: (Date.now() - t0) / 1000,
      ended: last?.ended?.message ?? 'ended',
    },
  };
}
