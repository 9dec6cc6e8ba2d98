/**
 * bench/loader: clips per second the loader delivers (decode + sample + transform) for the default
 * training configuration (the `slowfast_r18_tiny` preset's input: 16 frames at interval 2, short side
 * rescaled to 112-140, 112 px crops, flips) on the built-in dataset, against ffmpeg alone decoding the
 * same frames at the same size with the same parallelism, in the same run; and against the tiny
 * model's training-step consumption (clips per second of a forward + backward + SGD step), which the
 * loader must outpace for training never to wait on data.
 *
 *   npm run bench -- loader [--clips N] [--workers N] [--no-step]
 */
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { loadDataset } from '../../src/data/dataset.js';
import { samplesOfSplit } from '../../src/data/samples.js';
import { ClipLoader, type ClipSample } from '../../src/data/loader.js';
import { sampleClipFrames } from '../../src/data/clip.js';
import { openSource } from '../../src/data/clip-job.js';
import type { ImageFolderSource } from '../../src/data/frames.js';
import { modelPreset } from '../../src/models/presets.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const maxClips = flag('--clips', 96);
const workers = flag('--workers', Math.max(1, cpus().length - 1));
const withStep = !args.includes('--no-step');

const root = process.cwd();
const dataDir = join(root, 'runs', 'bench', 'synth-0.1');

async function ensureData(): Promise<void> {
  if (existsSync(join(dataDir, 'dataset.json'))) return;
  process.stderr.write(`generating the built-in dataset at scale 0.1 into ${dataDir} ...\n`);
  await generateSynthDataset({ out: dataDir, scale: 0.1, seed: 1, video: true });
}

/**
 * ffmpeg alone: one process per clip decodes exactly the clip's frame files (a concat list, repeats
 * included) at the same size, `parallel` processes at a time — what a loader built on the ffmpeg CLI
 * would cost.
 */
async function ffmpegAlone(samples: ClipSample[], clip: { clipLen: number; frameInterval: number }, size: { width: number; height: number }, parallel: number): Promise<number> {
  const listDir = mkdtempSync(join(tmpdir(), 'stad-bench-loader-'));
  const jobs: string[][] = [];
  for (const [k, s] of samples.entries()) {
    if (s.source.kind !== 'images') throw new Error('expected image-folder frames');
    const src = openSource(s.video, s.source) as ImageFolderSource;
    const frames = sampleClipFrames(s.keyframe, clip, await src.frameRange());
    const list = join(listDir, `clip${k}.txt`);
    writeFileSync(list, frames.map((f) => `file '${src.fileOf(f)}'\n`).join(''));
    jobs.push([
      '-v', 'error', '-nostdin', '-threads', '1',
      '-f', 'concat', '-safe', '0', '-i', list,
      '-vf', `scale=${size.width}:${size.height}:flags=bilinear`,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
    ]);
  }
  const start = performance.now();
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < jobs.length) {
      const a = jobs[next++]!;
      await new Promise<void>((resolve, reject) => {
        const p = spawn('ffmpeg', a, { stdio: ['ignore', 'pipe', 'inherit'] });
        p.stdout.on('data', () => undefined);
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, run));
  const rate = jobs.length / ((performance.now() - start) / 1000);
  rmSync(listDir, { recursive: true, force: true });
  return rate;
}

async function loaderRate(samples: ClipSample[], clip: { clipLen: number; frameInterval: number }, size: number, batchSize: number): Promise<number> {
  const loader = new ClipLoader(samples, {
    clip,
    batchSize,
    mode: 'train',
    augmentation: { shortSideRange: [size, Math.round(size * 1.25)], cropSize: size },
    numWorkers: workers,
    seed: 1,
  });
  const start = performance.now();
  let n = 0;
  for await (const b of loader.epoch(0)) {
    n += b.shape[0];
    b.release();
  }
  const rate = n / ((performance.now() - start) / 1000);
  await loader.close();
  return rate;
}

async function trainStepRate(batchSize: number): Promise<number> {
  const torch = await import('../../src/torch/index.js');
  const { buildDetector } = await import('../../src/models/presets.js');
  const { SGD } = await import('../../src/nn/index.js');
  const cfg = modelPreset('slowfast_r18_tiny');
  const model = buildDetector(cfg);
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const { frames, size } = cfg.input;
  const step = () =>
    torch.tidy(() => {
      const x = torch.randn([batchSize, 3, frames, size, size]);
      const rois = torch.tensor(Array.from({ length: batchSize * 2 }, (_, k) => [Math.floor(k / 2), 10, 10, 60 + k, 90]));
      const logits = model.forward(x, rois);
      const loss = torch.binaryCrossEntropyWithLogits(logits, torch.rand(logits.shape).gt(0.8).float());
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  step(); // warm-up
  const steps = 3;
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  const rate = (steps * batchSize) / ((performance.now() - start) / 1000);
  opt.dispose();
  model.dispose();
  return rate;
}

async function main(): Promise<void> {
  await ensureData();
  const ds = await loadDataset(dataDir);
  const cfg = modelPreset('slowfast_r18_tiny');
  const clip = { clipLen: cfg.input.frames, frameInterval: cfg.input.frameInterval };
  const size = cfg.input.size;
  const batchSize = 8;
  const samples = samplesOfSplit(ds, 'train').slice(0, maxClips);
  // Warm the page cache so neither side pays for the first disk read.
  await ffmpegAlone(samples.slice(0, 8), clip, { width: size, height: size }, workers);

  // Interleave the two sides, twice, and keep each side's best (the machine is shared).
  const loaderRates: number[] = [];
  const ffmpegRates: number[] = [];
  for (let r = 0; r < 2; r++) {
    loaderRates.push(await loaderRate(samples, clip, size, batchSize));
    // ffmpeg decodes at the mean rescaled size the loader uses before cropping.
    const mean = Math.round(size * 1.125);
    const src = await openSource(samples[0]!.video, samples[0]!.source).size();
    const scaled = { width: Math.round((src.width * mean) / Math.min(src.width, src.height)), height: Math.round((src.height * mean) / Math.min(src.width, src.height)) };
    ffmpegRates.push(await ffmpegAlone(samples, clip, scaled, workers));
  }
  const clipsPerSec = Math.max(...loaderRates);
  const ffmpegClipsPerSec = Math.max(...ffmpegRates);
  const stepClipsPerSec = withStep ? await trainStepRate(batchSize) : null;

  const rows: [string, string][] = [
    ['clips', String(samples.length)],
    ['clip', `${clip.clipLen} frames, interval ${clip.frameInterval}, ${size}x${size} crops, batch ${batchSize}`],
    ['decoding workers / ffmpeg processes', String(workers)],
    ['loader clips/s (runs)', loaderRates.map((r) => r.toFixed(2)).join(', ')],
    ['ffmpeg alone clips/s (runs)', ffmpegRates.map((r) => r.toFixed(2)).join(', ')],
    ['loader / ffmpeg', (clipsPerSec / ffmpegClipsPerSec).toFixed(3)],
  ];
  if (stepClipsPerSec !== null) {
    rows.push(['train step (slowfast_r18_tiny) clips/s', stepClipsPerSec.toFixed(2)]);
    rows.push(['loader / train step', (clipsPerSec / stepClipsPerSec).toFixed(2)]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'loader',
      clipsPerSec,
      ffmpegClipsPerSec,
      ffmpegRatio: clipsPerSec / ffmpegClipsPerSec,
      trainStepClipsPerSec: stepClipsPerSec,
      stepRatio: stepClipsPerSec === null ? null : clipsPerSec / stepClipsPerSec,
      workers,
      clips: samples.length,
    })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
