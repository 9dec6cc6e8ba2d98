/**
 * `npm run bench -- detect-soak [--mode live|file] [--loops 5] [--rate 4] [--every 20] [--warmup 100]
 *   [--people builtin|fixed] [--checkpoint <file>]`
 *
 * Memory of `stad detect` over a long input: OpenCV's street video vtest.avi (768x576, 10 fps, 795
 * frames) played --loops times in a row (ffmpeg -stream_loop), either
 *   live: sent by ffmpeg as MPEG-TS over loopback UDP at --rate times its real rate (ffmpeg -readrate;
 *         MPEG-2 video, a keyframe a second) and read by the live path (frames dropped when the model
 *         cannot keep up, as with a camera), or
 *   file: copied into one long AVI and run through the file path (decode, classify, draw, encode MP4).
 * Person boxes come from the built-in detector (NanoDet, every 8 frames) or, with --people fixed, from
 * a detector that returns two fixed boxes (detect's own memory without NanoDet's). The action model is a
 * random-init synth_tiny_bce (SlowOnly R18, 8 channels, 8 frames at 64 px), or --checkpoint.
 *
 * Every --every predictions it records live tensors, the bytes of their storages (native) and the
 * process RSS (after a full GC, so that garbage V8 has not collected yet does not count); after --warmup
 * predictions each series must stay within 5 % of its first post-warm-up value.
 * `npm run bench` starts it with V8's young generation fixed, as the `stad` command starts (YOUNG_GENERATION_FLAG,
 * src/util/young-generation.ts); run without it (`node --expose-gc dist/bench/detect-soak/index.js`) for the control.
 * Prints the series summary, then last one JSON line. Exit code 1 when a series is not flat.
 */
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as torch from '../../src/torch/index.js';
import { buildDetector } from '../../src/models/presets.js';
import { saveCheckpoint } from '../../src/nn/checkpoint.js';
import { loadRunConfig } from '../../src/train/config.js';
import { runDetect } from '../../src/detect/detect-run.js';
import type { PersonBox, PersonDetector, RgbFrame } from '../../src/proposals/person-detector.js';
import { processMemory, type ProcessMemory } from '../../src/util/process-memory.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const VTEST_FRAMES = 795;
const CLASSES = ['None', 'handshake', 'point', 'hug', 'push', 'kick', 'punch'];

interface Options {
  mode: 'live' | 'file';
  loops: number;
  rate: number;
  every: number;
  warmup: number;
  people: 'builtin' | 'fixed';
  checkpoint: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { mode: 'live', loops: 5, rate: 4, every: 20, warmup: 100, people: 'builtin', checkpoint: null };
  const usage = 'flags: --mode live|file --loops N --rate X --every N --warmup N --people builtin|fixed --checkpoint FILE';
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i]!, argv[i + 1] ?? ''];
    const n = Number(v);
    if (flag === '--mode' && (v === 'live' || v === 'file')) o.mode = v;
    else if (flag === '--people' && (v === 'builtin' || v === 'fixed')) o.people = v;
    else if (flag === '--checkpoint' && v !== '') o.checkpoint = v;
    else if (flag === '--rate' && n > 0) o.rate = n;
    else if ((flag === '--loops' || flag === '--every') && Number.isInteger(n) && n >= 1) o[flag === '--loops' ? 'loops' : 'every'] = n;
    else if (flag === '--warmup' && Number.isInteger(n) && n >= 0) o.warmup = n;
    else throw new Error(`bench detect-soak: ${flag} ${v}: ${usage}`);
  }
  return o;
}

/** Two fixed boxes on every frame: the people of the action model without a person detector's cost. */
class FixedPeople implements PersonDetector {
  readonly name = 'fixed boxes';
  async detect(frames: readonly RgbFrame[]): Promise<PersonBox[][]> {
    return frames.map(() => [
      { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.8, score: 0.9 },
      { x1: 0.5, y1: 0.3, x2: 0.7, y2: 0.9, score: 0.8 },
    ]);
  }
  dispose(): void {}
}

/** One sample: the tensors, and where the process's memory is (src/util/process-memory.ts). */
type Sample = { prediction: number; seconds: number; liveTensors: number; nativeMB: number } & Omit<ProcessMemory, 'maps'> & Partial<NonNullable<ProcessMemory['maps']>>;

/** Spread of a series after warm-up, relative to its first post-warm-up value. */
function spread(xs: readonly number[]): { first: number; min: number; max: number; last: number; rel: number } {
  const first = xs[0]!;
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { first, min, max, last: xs[xs.length - 1]!, rel: first > 0 ? (max - min) / first : 0 };
}

function randomCheckpoint(dir: string): string {
  const model = loadRunConfig('synth_tiny_bce', { sets: [] }).config.model;
  const det = buildDetector(model);
  const path = join(dir, 'random.safetensors');
  try {
    saveCheckpoint(path, det, { config: { model, classes: CLASSES } });
  } finally {
    det.dispose();
  }
  return path;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(VTEST)) throw new Error(`${VTEST} is absent (Debian package opencv-doc)`);
  const dir = mkdtempSync(join(tmpdir(), 'stad-detect-soak-'));
  const gc = (globalThis as { gc?: () => void }).gc;
  let sender: ChildProcess | null = null;
  try {
    const checkpoint = o.checkpoint ?? randomCheckpoint(dir);
    const samples: Sample[] = [];
    const t0 = performance.now();
    let count = 0;
    const onPrediction = (): void => {
      count++;
      if (count % o.every !== 0) return;
      gc?.();
      const m = torch.memory();
      const { maps, ...pm } = processMemory();
      samples.push({ prediction: count, seconds: (performance.now() - t0) / 1000, liveTensors: m.liveTensors, nativeMB: m.bytes / 2 ** 20, ...pm, ...maps });
      if (count % (o.every * 10) === 0) process.stderr.write(`prediction ${count}: ${samples[samples.length - 1]!.rssMB.toFixed(1)} MB RSS, ${m.liveTensors} live tensors\n`);
    };
    const common = { checkpoint, out: join(dir, 'out'), predictEvery: 8, scoreThreshold: 0.5, contactSheet: false, device: 'cpu' as const, inputTimeout: 5, statusEvery: 30, onPrediction, onStatus: (l: string): void => {
        process.stderr.write(`${l}\n`);
      } };
    const detector = o.people === 'fixed' ? new FixedPeople() : undefined;
    let input: string;
    if (o.mode === 'file') {
      input = join(dir, 'vtest-long.avi');
      const r = spawnSync('ffmpeg', ['-v', 'error', '-stream_loop', String(o.loops - 1), '-i', VTEST, '-c', 'copy', input]);
      if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
    } else {
      const port = 20000 + Math.floor(Math.random() * 20000);
      input = `udp://127.0.0.1:${port}`;
      // Started after the reader is up (its first status line), below.
      const send = (): void => {
        sender = spawn('ffmpeg', ['-v', 'error', '-readrate', String(o.rate), '-stream_loop', String(o.loops - 1), '-i', VTEST, '-an', '-c:v', 'mpeg2video', '-q:v', '5', '-g', '10', '-f', 'mpegts', `${input}?pkt_size=1316`], { stdio: 'ignore' });
      };
      const onStatus = common.onStatus;
      common.onStatus = (l: string) => {
        onStatus(l);
        if (sender === null && l.startsWith('reading ')) setTimeout(send, 1000);
      };
    }
    const r = await runDetect({ ...common, input, detector });
    const seconds = (performance.now() - t0) / 1000;
    const after = samples.filter((s) => s.prediction > o.warmup);
    if (after.length < 2) throw new Error(`only ${after.length} samples after the warm-up of ${o.warmup} predictions (${count} predictions in all): more --loops or a smaller --warmup`);
    const series = {
      liveTensors: spread(after.map((s) => s.liveTensors)),
      nativeMB: spread(after.map((s) => s.nativeMB)),
      rssMB: spread(after.map((s) => s.rssMB)),
    };
    const flat = Object.values(series).every((s) => s.rel <= 0.05);
    // where the RSS is (not part of the verdict: they say whose memory moved)
    const parts = ['heapTotalMB', 'heapUsedMB', 'newSpaceMB', 'largeObjectMB', 'externalMB', 'arrayBuffersMB', 'brkHeapMB', 'anonMB', 'fileMB'] as const;
    const memory = Object.fromEntries(parts.filter((k) => after.every((s) => s[k] !== undefined)).map((k) => [k, spread(after.map((s) => s[k]!))]));
    const frames = r.kind === 'file' ? r.frames : r.stats.framesIn;
    const dropped = r.kind === 'live' ? r.stats.dropped : 0;
    const rows = Object.entries({ ...series, ...memory }).map(([k, s]) => `${k.padEnd(14)} ${s.first.toFixed(1).padStart(9)} ${s.min.toFixed(1).padStart(9)} ${s.max.toFixed(1).padStart(9)} ${s.last.toFixed(1).padStart(9)} ${(100 * s.rel).toFixed(2).padStart(7)}%`);
    process.stdout.write(
      [
        `detect-soak (${o.mode}): vtest.avi x ${o.loops} (${o.loops * VTEST_FRAMES} frames${o.mode === 'live' ? ` sent at ${o.rate}x real time; ${frames} read, ${dropped} dropped` : `; ${frames} decoded`}), people: ${o.people}, ${count} predictions in ${seconds.toFixed(0)} s; sampled every ${o.every}, warm-up ${o.warmup}; V8 flags: ${process.execArgv.join(' ') || 'none'}`,
        `series          first       min       max      last  spread (after warm-up)`,
        ...rows,
        `all within 5 %: ${flat ? 'yes' : 'NO'}`,
        JSON.stringify({ bench: 'detect-soak', v8Flags: process.execArgv, mode: o.mode, loops: o.loops, rate: o.mode === 'live' ? o.rate : null, people: o.people, frames, dropped, predictions: count, every: o.every, warmup: o.warmup, seconds: Math.round(seconds), flat, series, memory, samples }),
      ].join('\n') + '\n',
    );
    if (!flat) process.exitCode = 1;
  } finally {
    (sender as ChildProcess | null)?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
