/**
 * The live reader's thread: runs ffmpeg on the stream and reads its raw RGB frames as they arrive,
 * whatever the main thread is doing (a forward pass blocks it for a while). It keeps only the newest
 * `capacity` frames; older ones are dropped and counted. The main thread pulls what it holds.
 *
 * Protocol: the main thread posts `{ type: 'pull', recycled }` (answered as soon as there is at least one
 * frame, or the stream has ended; `recycled`: buffers of earlier frames it is done with, transferred back
 * for reuse, raw-frame-splitter.ts) or `{ type: 'stop' }`; answers are `PullReply` with the frames'
 * buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { parseRawOutputStream } from './ffmpeg-stream-info.js';
import { RawFrameSplitter } from './raw-frame-splitter.js';

export interface LiveReaderConfig {
  /** ffmpeg's input options and `-i <input>`. */
  inputArgs: string[];
  capacity: number;
  /** Seconds without a new frame after which the stream counts as ended. */
  timeoutSeconds: number;
  /** Seconds to wait for the first frame. */
  startTimeoutSeconds: number;
}

/** A message to the reader thread. */
export type ReaderRequest = { type: 'pull'; recycled?: ArrayBuffer[] } | { type: 'stop' };

export interface LiveFrame {
  index: number;
  /** Date.now() when it arrived. */
  at: number;
  data: ArrayBuffer;
}

export interface PullReply {
  frames: LiveFrame[];
  width: number;
  height: number;
  fps: number;
  /** Frames dropped since the start because the main thread did not pull them in time. */
  dropped: number;
  /** Frames read since the start. */
  received: number;
  ended: null | { reason: 'end' | 'timeout' | 'stopped' | 'error'; message: string };
}

const cfg = workerData as LiveReaderConfig;
const port = parentPort!;

let width = 0;
let height = 0;
let fps = 0;
let received = 0;
let dropped = 0;
let ended: PullReply['ended'] = null;
let queue: LiveFrame[] = [];
let waiting = false;
let stderr = ''; // ffmpeg's stderr up to the output stream's line (its size and rate), then its last 8 KiB
let pending: Buffer[] = []; // ffmpeg's output before its frame size is known
let splitter: RawFrameSplitter | null = null;
let lastFrameAt = Date.now();

const ff = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-v', 'info', ...cfg.inputArgs, '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });

function reply(): void {
  if (!waiting || (queue.length === 0 && ended === null)) return;
  waiting = false;
  const frames = queue;
  queue = [];
  const msg: PullReply = { frames, width, height, fps, dropped, received, ended };
  port.postMessage(msg, frames.map((f) => f.data));
}

function finish(reason: NonNullable<PullReply['ended']>['reason'], message: string): void {
  if (ended) return;
  ended = { reason, message };
  clearInterval(watchdog);
  reply();
}

function takeFrames(): void {
  if (width === 0) return;
  if (splitter === null) {
    // frames in circulation: the queue, a reply in flight, the main thread's clip span, one being filled
    splitter = new RawFrameSplitter(width * height * 3, 2 * cfg.capacity + 4);
    const early = pending;
    pending = [];
    for (const c of early) addFrames(splitter.write(c));
  }
  reply();
}

function addFrames(done: ArrayBuffer[]): void {
  for (const data of done) {
    lastFrameAt = Date.now();
    queue.push({ index: received++, at: lastFrameAt, data });
    if (queue.length > cfg.capacity) {
      splitter!.recycle(queue.shift()!.data);
      dropped++;
    }
  }
}

/**
 * ffmpeg errors after which no frame will come, though ffmpeg may not exit at once (a UDP input's
 * reader thread can keep it alive): a stream without video (an MPEG-TS carrying a codec it cannot hold
 * arrives as a data stream), or a video it cannot decode.
 */
const FATAL: [RegExp, string][] = [
  [/Stream map '[^']*' matches no streams/, 'the stream has no video track that ffmpeg can decode'],
  [/Decoder \(codec [^)]*\) not found|Error while opening decoder[^\n]*/, 'ffmpeg has no decoder for the stream\'s video'],
];

function checkFatal(): void {
  if (ended) return;
  for (const [re, why] of FATAL) {
    const m = re.exec(stderr);
    if (m) {
      ff.kill('SIGKILL');
      finish('error', `${why} (ffmpeg: ${m[0]})`);
      return;
    }
  }
}

ff.stderr.on('data', (c: Buffer) => {
  if (width === 0) {
    stderr += c.toString();
    checkFatal();
    const info = parseRawOutputStream(stderr);
    if (info) {
      ({ width, height, fps } = info);
      takeFrames();
    }
  } else stderr = (stderr + c.toString()).slice(-8192);
});
ff.stdout.on('data', (c: Buffer) => {
  if (splitter === null) pending.push(c);
  else addFrames(splitter.write(c));
  takeFrames();
});
ff.on('error', (e) => finish('error', `ffmpeg not found (install Debian's ffmpeg): ${e.message}`));
ff.on('close', (code) => {
  takeFrames();
  if (ended) return;
  const lastLine = stderr.trim().split('\n').filter((l) => /error|invalid|fail|refused|timed out|no such/i.test(l)).pop() ?? '';
  if (received === 0) finish('error', `cannot read the stream${lastLine ? `: ${lastLine.trim()}` : ` (ffmpeg exited with ${code})`}`);
  else finish(code === 0 ? 'end' : 'timeout', code === 0 ? 'the stream ended' : `the stream stopped${lastLine ? `: ${lastLine.trim()}` : ''}`);
});

// ffmpeg's own timeouts do not cover every protocol and demuxer: a frame must come within the timeout.
const watchdog = setInterval(() => {
  const limit = (received === 0 ? cfg.startTimeoutSeconds : cfg.timeoutSeconds) * 1000;
  if (Date.now() - lastFrameAt > limit) {
    ff.kill('SIGKILL');
    finish(received === 0 ? 'error' : 'timeout', received === 0 ? `no frame within ${cfg.startTimeoutSeconds} s` : `no frame for ${cfg.timeoutSeconds} s: the stream ended`);
  }
}, 200);

port.on('message', (m: ReaderRequest) => {
  if (m.type === 'pull') {
    for (const b of m.recycled ?? []) splitter?.recycle(b);
    waiting = true;
    reply();
  } else if (m.type === 'stop') {
    ff.kill('SIGTERM');
    finish('stopped', 'stopped');
  }
});
