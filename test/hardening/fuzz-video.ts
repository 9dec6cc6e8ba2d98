/**
 * The video part of the fuzz tests (called from fuzz-readers.test.ts, so that its counts join the same
 * table): real small videos made here with ffmpeg from a lavfi test source, in several codecs and
 * containers (B-frame streams among them), truncated and mutated byte by byte, and handed to every entry
 * point of stad that opens a user's video (fuzz-video-worker.ts). Each must end as read (sane metadata,
 * frames of the promised size) or rejected with a one-line UserError; an internal error, a hang (no
 * answer within a generous timeout), an unhandled rejection (the worker dies), or an ffmpeg/ffprobe
 * child still running afterwards is a failure.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { mutated } from './fuzz-mutations.js';
import type { FuzzTally } from './fuzz-tally.js';
import type { VideoEntry, VideoJob, VideoJobResult } from './fuzz-video-worker.js';

export interface VideoSeed {
  /** Also the file name (its extension picks the container). */
  name: string;
  bytes: Uint8Array;
}

/** Codecs and containers: MPEG-4 Part 2 with B-frames in AVI, H.264 in MP4 (none) and MKV (B-frames), MJPEG, MPEG-2 in TS. */
const SEEDS: { name: string; args: string[] }[] = [
  { name: 'mpeg4-bframes.avi', args: ['-c:v', 'mpeg4', '-bf', '2', '-g', '12', '-q:v', '6'] },
  { name: 'h264.mp4', args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p'] },
  { name: 'h264-bframes.mkv', args: ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '12', '-pix_fmt', 'yuv420p'] },
  { name: 'mjpeg.avi', args: ['-c:v', 'mjpeg', '-q:v', '8'] },
  { name: 'mpeg2-bframes.ts', args: ['-c:v', 'mpeg2video', '-bf', '2', '-g', '12'] },
];

/**
 * The seed videos, 64x48, 25 fps, 1.2 s (30 frames; 5-40 KB each), written into `dir`. A codec this
 * ffmpeg cannot encode is left out and named in `skipped`.
 */
export function makeVideoSeeds(dir: string): { seeds: VideoSeed[]; skipped: string[] } {
  const seeds: VideoSeed[] = [];
  const skipped: string[] = [];
  for (const s of SEEDS) {
    const file = join(dir, s.name);
    const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=25:duration=1.2', '-threads', '1', ...s.args, file]);
    if (r.status !== 0) skipped.push(`${s.name} (${String(r.stderr).trim().split('\n')[0] ?? `exit ${r.status}`})`);
    else seeds.push({ name: s.name, bytes: readFileSync(file) });
  }
  return { seeds, skipped };
}

const ENTRIES: { entry: VideoEntry; reader: string }[] = [
  { entry: 'frame source', reader: 'video file: frame source (probe, frames by index)' },
  { entry: 'dataset probe', reader: 'video file: stats/convert probe' },
  { entry: 'detect', reader: 'video file: detect (probe, decode)' },
];

/** ffmpeg and ffprobe processes whose parent is this process (worker threads share its pid). */
function ownFfmpegChildren(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === process.pid && /^ff(mpeg|probe)$/.test(comm)) found.push(`${comm} (pid ${pid})`);
  }
  return found;
}

function killChildren(children: readonly string[]): void {
  for (const c of children) {
    try {
      process.kill(Number(/pid (\d+)/.exec(c)![1]), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs jobs in one worker thread, one at a time, each with a timeout. A worker that dies (an unhandled
 * rejection, a crash) or does not answer in time is replaced, and the job counts as failed.
 */
class VideoWorker {
  private worker: Worker | null = null;
  private nextId = 0;

  constructor(private readonly timeoutMs: number) {}

  async run(file: string, entry: VideoEntry): Promise<VideoJobResult> {
    const w = (this.worker ??= new Worker(new URL('./fuzz-video-worker.js', import.meta.url)));
    const job: VideoJob = { id: this.nextId++, file, entry };
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<VideoJobResult>((resolve) => {
      const onMessage = (r: VideoJobResult): void => {
        if (r.id === job.id) done(r);
      };
      const onError = (e: Error): void => done({ id: job.id, outcome: 'failed', detail: `the worker died (an unhandled rejection or a crash): ${e.stack ?? e.message}` });
      const onExit = (code: number): void => done({ id: job.id, outcome: 'failed', detail: `the worker exited with ${code}` });
      const done = (r: VideoJobResult): void => {
        clearTimeout(timer);
        w.off('message', onMessage).off('error', onError).off('exit', onExit);
        resolve(r);
      };
      timer = setTimeout(() => done({ id: job.id, outcome: 'failed', detail: `a hang: no answer within ${this.timeoutMs / 1000} s` }), this.timeoutMs);
      w.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    w.postMessage(job);
    const r = await ended;
    if (r.outcome === 'failed') {
      // a thread blocked in spawnSync ends only when its child does: stop the children, then the thread,
      // and start a fresh one for the next job
      killChildren(ownFfmpegChildren());
      await this.close();
    }
    return r;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/**
 * Fuzzes every video entry point with `runs` mutated videos (each handed to every entry point) and
 * counts each outcome in `tally`. Every input is tried even after a failure (a long run should show
 * every class of bug at once, and each input costs seconds); then throws, naming the first failures
 * (the seed, the mutation, the entry point, what went wrong).
 */
export async function fuzzVideoFiles(seeds: readonly VideoSeed[], dir: string, tally: FuzzTally, runs: number, timeoutMs = 120_000): Promise<void> {
  const worker = new VideoWorker(timeoutMs);
  const inputs = fc.constantFrom(...seeds).chain((seed) => mutated(seed.bytes).map((m) => ({ seed, m })));
  const failures: string[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(inputs, async ({ seed, m }) => {
        const file = join(dir, `input-${seed.name}`);
        writeFileSync(file, m.bytes);
        for (const { entry, reader } of ENTRIES) {
          const r = await worker.run(file, entry);
          let failure = r.outcome === 'failed' ? r.detail : null;
          // children are reaped asynchronously after they exit: allow a moment before calling one left running
          let left = ownFfmpegChildren();
          for (let waited = 0; left.length > 0 && waited < 5000; waited += 100) {
            await sleep(100);
            left = ownFfmpegChildren();
          }
          if (left.length > 0) {
            failure ??= `left running: ${left.join(', ')}`;
            killChildren(left);
          }
          tally.add(reader, m.kind, failure === null ? r.outcome : 'failed');
          if (failure !== null) failures.push(`${seed.name} (${m.how}), ${entry}: ${failure}`);
        }
      }),
      { numRuns: runs },
    );
  } finally {
    await worker.close();
  }
  if (failures.length > 0) throw new Error(`${failures.length} video inputs failed; the first: ${failures.slice(0, 5).join(' | ')}`);
}
