/**
 * `npm run bench -- proposals [--frames N] [--rounds N] [--threads N]`: frames per second of the
 * built-in person detector (NanoDet, 416x416) in stad (the graph on libtorch) and in TensorFlow.js
 * (its pure-JavaScript CPU backend, the devDependency) running the same model files on the same frames
 * (frames of vtest.avi, real pedestrians, 768x576; built-in-dataset frames when it is not installed).
 *
 * Both sides get the same 416x416 input tensors; timed per side: the network (input -> the six raw
 * outputs read back as numbers). stad's whole `detect()` (RGB frame -> decoded, suppressed boxes) is
 * timed too. The sides alternate round by round (ABBA) after one warm-up frame each, on a shared,
 * noisy machine: medians, with the min-max spread. The model is fetched into the cache first if needed.
 *
 * Prints a table, then LAST one JSON line:
 *   {"bench":"proposals","ratio": stad/tfjs frames/s,"stad":{fps,min,max},"tfjs":{...},"stadDetect":{...},
 *    "cpuSecondsPerFrame":{stad,tfjs},"frames","rounds","threads","source"}
 * Takes about 1-2 minutes on an idle 2-core machine with the defaults (4 frames x 4 rounds; tfjs is the slow side).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import { ensureNanoDet } from '../../src/proposals/model-cache.js';
import { NanoDetPersonDetector, nanoDetInput } from '../../src/proposals/nanodet.js';
import type { RgbFrame } from '../../src/proposals/person-detector.js';
import { TfjsNanoDet } from './tfjs-nanodet.js';

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

interface Options {
  frames: number;
  rounds: number;
  threads: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { frames: 4, rounds: 4, threads: torch.getNumThreads() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = Number(argv[i + 1]);
    const int = (min: number): number => {
      if (!Number.isInteger(v) || v < min) throw new Error(`${a}: expected an integer >= ${min}, got ${argv[i + 1]}`);
      i++;
      return v;
    };
    if (a === '--frames') o.frames = int(1);
    else if (a === '--rounds') o.rounds = int(1);
    else if (a === '--threads') o.threads = int(1);
    else throw new Error(`unknown argument ${a} (expected --frames N, --rounds N, --threads N)`);
  }
  return o;
}

/** `count` frames spread over vtest.avi, decoded by ffmpeg at its size. */
function vtestFrames(count: number): RgbFrame[] {
  const w = 768;
  const h = 576;
  const every = 60;
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', VTEST, '-vf', `select=not(mod(n\\,${every}))`, '-fps_mode', 'passthrough', '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`ffmpeg cannot decode ${VTEST}: ${r.stderr.toString()}`);
  const frames: RgbFrame[] = [];
  for (let i = 0; i < count && (i + 1) * w * h * 3 <= r.stdout.length; i++) {
    frames.push({ width: w, height: h, data: new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + i * w * h * 3, w * h * 3) });
  }
  return frames;
}

async function syntheticFrames(count: number): Promise<RgbFrame[]> {
  const { buildScenes } = await import('../../src/data/synth/plan.js');
  const { SequenceRenderer } = await import('../../src/data/synth/render.js');
  const scene = buildScenes({ scale: 0.1, seed: 1, width: 160, height: 120, fps: 15, keyframeStride: 15 }).find((s) => s.split === 'test')!;
  const r = new SequenceRenderer(scene);
  return Array.from({ length: count }, (_, i) => {
    const img = r.render(30 + 15 * i);
    return { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function summary(fps: readonly number[]): { fps: number; min: number; max: number } {
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  return { fps: r3(median(fps)), min: r3(Math.min(...fps)), max: r3(Math.max(...fps)) };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  torch.setNumThreads(o.threads);
  const files = await ensureNanoDet();
  const frames = existsSync(VTEST) ? vtestFrames(o.frames) : await syntheticFrames(o.frames);
  const source = existsSync(VTEST) ? 'vtest.avi 768x576' : 'built-in dataset 160x120';
  const stad = NanoDetPersonDetector.fromFiles(files);
  const tfjs = await TfjsNanoDet.load(files);
  const inputs = frames.map((f) => torch.keep(nanoDetInput(f)));
  const inputData = inputs.map((t) => t.dataSync() as Float32Array);

  // Wall frames/s, and the process's CPU seconds per frame beside it (steadier on a loaded machine).
  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const cpuPerFrame: { stad: number[]; tfjs: number[] } = { stad: [], tfjs: [] };
  const timeStad = (): number => {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    for (const x of inputs) {
      const raw = stad.raw(x);
      for (const t of [...raw.scores, ...raw.boxes]) t.dataSync();
      torch.dispose(raw);
    }
    cpuPerFrame.stad.push((cpuSeconds() - c0) / inputs.length);
    return (inputs.length * 1000) / (performance.now() - t0);
  };
  const timeTfjs = (): number => {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    for (const d of inputData) tfjs.run(d, [1, 3, 416, 416]);
    cpuPerFrame.tfjs.push((cpuSeconds() - c0) / inputs.length);
    return (inputs.length * 1000) / (performance.now() - t0);
  };
  const timeDetect = async (): Promise<number> => {
    const t0 = performance.now();
    await stad.detect(frames);
    return (frames.length * 1000) / (performance.now() - t0);
  };

  // Warm-up: one frame each (allocator, oneDNN primitive caches, tfjs kernel setup).
  torch.dispose(stad.raw(inputs[0]!));
  tfjs.run(inputData[0]!, [1, 3, 416, 416]);
  await stad.detect(frames.slice(0, 1));

  const s: number[] = [];
  const t: number[] = [];
  const d: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    // ABBA: stad, tfjs, tfjs, stad, ... so that a slow phase of the machine hits both sides alike.
    if (r % 2 === 0) {
      s.push(timeStad());
      t.push(timeTfjs());
    } else {
      t.push(timeTfjs());
      s.push(timeStad());
    }
    d.push(await timeDetect());
    process.stderr.write(`round ${r + 1}/${o.rounds}: stad ${s.at(-1)!.toFixed(2)} frames/s, tfjs ${t.at(-1)!.toFixed(3)} frames/s, stad detect() ${d.at(-1)!.toFixed(2)} frames/s\n`);
  }
  stad.dispose();
  tfjs.dispose();
  torch.dispose(inputs);

  const stadS = summary(s);
  const tfS = summary(t);
  const detS = summary(d);
  const ratio = Math.round((stadS.fps / tfS.fps) * 10) / 10;
  console.log(`NanoDet 416x416 on ${o.frames} frames (${source}), ${o.rounds} rounds, ${o.threads} threads (median, min-max)`);
  console.log(`  stad (libtorch)     network ${stadS.fps.toFixed(2)} frames/s (${stadS.min.toFixed(2)}-${stadS.max.toFixed(2)})`);
  console.log(`  stad detect()       frame -> boxes ${detS.fps.toFixed(2)} frames/s (${detS.min.toFixed(2)}-${detS.max.toFixed(2)})`);
  console.log(`  tfjs (cpu backend)  network ${tfS.fps.toFixed(3)} frames/s (${tfS.min.toFixed(3)}-${tfS.max.toFixed(3)})`);
  const cpuStad = Math.round(median(cpuPerFrame.stad) * 1000) / 1000;
  const cpuTfjs = Math.round(median(cpuPerFrame.tfjs) * 1000) / 1000;
  console.log(`  CPU s per frame     stad ${cpuStad}, tfjs ${cpuTfjs}`);
  console.log(`  ratio stad / tfjs   ${ratio}x frames/s`);
  console.log(JSON.stringify({ bench: 'proposals', ratio, stad: stadS, tfjs: tfS, stadDetect: detS, cpuSecondsPerFrame: { stad: cpuStad, tfjs: cpuTfjs }, frames: o.frames, rounds: o.rounds, threads: o.threads, source }));
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
