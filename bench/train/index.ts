/**
 * `npm run bench -- train [<dataset dir>] [--pairs N] [--steps K] [--keep] [--threads-sweep [threads,workers ...]]`:
 * clips per second of `stad train` end to end against the same model's bare training step in PyTorch
 * on the same batches, on the CPU preset synth_tiny_bce (SlowOnly R18 at 8 base channels, 8 frames at
 * 64 px, batch 8, its own threads and loader workers).
 *
 * stad's side is the real loop (src/train/loop.ts `train`, with the CLI's TrainReporter and
 * MetricsWriter on its events): loader, assigner, step, gradient clipping, schedule, logging. To slice it
 * into pairs, the training split is cut to the first videos that give K batches per epoch and the run
 * goes one epoch per call (`stopAfterEpochs`, resumed from the previous call's checkpoint). A slice is
 * timed from the step event of the epoch's first batch to that of its last, i.e. batches 2..K including
 * the waits for the loader; the first batch of each call (the loader's start) is not timed.
 *
 * PyTorch's side is bench/reference/train_step.py --serve with the same architecture (the parameter
 * counts are checked equal), optimiser (SGD, the preset's lr, momentum, weight decay) and gradient
 * clipping, fed the identical epoch's batches (clips, RoIs and targets written beforehand from stad's
 * loader and assigner, bench/train/batches.ts) and timed inside Python on the same batches 2..K.
 *
 * The pairs alternate which side goes first. Prints a line per pair, then a summary, then LAST:
 *   {"bench":"train","ratio": median stad/PyTorch clips/s, "ratioMin","ratioMax","cpuRatio",...}
 * cpuRatio is PyTorch's CPU seconds per clip over stad's (stad's counts its loader threads too).
 * A diagnostic third side, stad's bare step on the same dumped batches (bare-step.ts), splits the gap:
 * bareRatio (bare stad / PyTorch) is the model step's share, trainOverBare (stad train / bare stad) the
 * data path's and bookkeeping's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunConfig, type RunConfig } from '../../src/train/config.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { samplesOfSplit, samplesOfVideo, videosOfSplit } from '../../src/data/samples.js';
import { buildDetector } from '../../src/models/index.js';
import { train } from '../../src/train/loop.js';
import { MetricsWriter, TrainReporter } from '../../src/train/progress.js';
import { dumpEpoch } from './batches.js';
import { parseTrainBenchArgs, stadFirst, summarizePairs, clipsPerSecond, type Pair, type SliceTime } from './pairs.js';
import { ReferenceTrainer } from './torch-side.js';
import { BareStep } from './bare-step.js';
import { threadsSweep } from './threads-sweep.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const python = process.env.STAD_BENCH_PYTHON ?? '/usr/bin/python3';
const PRESET = 'synth_tiny_bce';

const args = parseTrainBenchArgs(process.argv.slice(2));
const { config: preset } = loadRunConfig(PRESET);
const ds = await loadDataset(args.dir);

if (args.threadsSweep) {
  const results = await threadsSweep(preset, samplesOfSplit(ds, preset.data.trainSplit), args.threadsSweep);
  for (const [k, v] of results) console.log(`${k.padEnd(22)} ${v.map((x) => x.toFixed(2)).join('  ')} clips/s`);
  console.log(JSON.stringify({ bench: 'train', sweep: Object.fromEntries(results) }));
  process.exit(0);
}

/** The dataset with its training split cut to the first videos that fill `batches` batches. */
function trainSubset(d: Dataset, c: RunConfig, batches: number): Dataset {
  const videos = [];
  let n = 0;
  for (const v of videosOfSplit(d, c.data.trainSplit)) {
    if (n >= batches * c.batchSize) break;
    videos.push(v);
    n += samplesOfVideo(v).length;
  }
  if (n < batches * c.batchSize) throw new Error(`${d.root}: split '${c.data.trainSplit}' has ${n} keyframes, fewer than ${batches} batches of ${c.batchSize}`);
  return { ...d, splits: { ...d.splits, [c.data.trainSplit]: videos } };
}

const c: RunConfig = { ...preset, epochs: args.pairs };
if (c.model.backbone.type !== 'slowonly') throw new Error(`${PRESET}: the reference side builds SlowOnly only, not ${c.model.backbone.type}`);
if (c.optim.name !== 'sgd') throw new Error(`${PRESET}: the reference side runs SGD only`);
if (c.loss.name !== 'bce' || c.assigner.negatives !== 'include' || c.accumulate > 1 || c.model.head.logitNorm !== 'none') {
  throw new Error(`${PRESET}: the reference side's step is BCE over every RoI with one step per batch`);
}
const sub = trainSubset(ds, c, args.steps);
const samples = samplesOfSplit(sub, c.data.trainSplit);
const work = mkdtempSync(join(tmpdir(), 'stad-bench-train-'));

const det0 = buildDetector(c.model);
const stadParams = det0.numParameters();
det0.dispose();
const b = c.model.backbone;
const reference = new ReferenceTrainer(python, join(repoRoot, 'bench', 'reference', 'train_step.py'), [
  '--threads', String(c.threads),
  '--arch', 'slowonly',
  '--depth', String(b.depth),
  '--width', String(b.baseChannels / 64),
  '--resample-rate', String(b.resampleRate),
  '--classes', String(c.model.head.numClasses),
  '--lr', String(c.optim.lr),
  '--weight-decay', String(c.optim.weightDecay),
  ...(c.gradClip !== null ? ['--grad-clip', String(c.gradClip)] : []),
  // its own random batch is unused here: keep it small
  '--batch', '1', '--frames', String(c.model.input.frames), '--size', String(c.model.input.size),
]);

const load0 = loadavg();
const date = new Date().toISOString();
const pairs: Pair[] = [];
const bare: SliceTime[] = [];
const bareStep = new BareStep(c);
const callSeconds: number[] = [];
try {
  const ready = await reference.ready();
  if (ready.parameters !== stadParams) throw new Error(`parameter counts differ: stad ${stadParams}, PyTorch ${String(ready.parameters)}`);
  console.log(`${PRESET}: ${stadParams} parameters on both sides; PyTorch ${String(ready.torch)}, ${c.threads} threads, ${c.workers} loader workers`);
  console.log(`training subset: ${samples.length} keyframes of ${sub.splits[c.data.trainSplit]!.length} videos, batch ${c.batchSize}; ${args.pairs} pairs; load ${load0.map((x) => x.toFixed(2)).join(' ')}`);

  // Every pair's batches are written before any timing.
  const batchClips: number[][] = [];
  const d0 = performance.now();
  const dc0 = process.cpuUsage();
  for (let p = 0; p < args.pairs; p++) batchClips.push(await dumpEpoch(c, samples, p, join(work, `epoch-${p}.bin`)));
  const dcu = process.cpuUsage(dc0);
  const dumped = batchClips.flat().reduce((a, n) => a + n, 0);
  // the loader alone, as a yardstick for the data path (with the assigner and the file writes)
  console.log(`batches written: ${dumped} clips in ${((performance.now() - d0) / 1000).toFixed(1)} s, ${((dcu.user + dcu.system) / 1e6 / dumped * 1000).toFixed(1)} CPU-ms per clip (loader with ${c.workers} workers + assigner + writes)`);

  const reporter = new TrainReporter({ logEvery: 20 });
  const metrics = new MetricsWriter(join(work, 'metrics.jsonl'));

  const stadSlice = async (p: number): Promise<SliceTime> => {
    let t0 = 0;
    let c0: NodeJS.CpuUsage = process.cpuUsage();
    let slice = null as SliceTime | null; // set by the last step event
    let clips = 0;
    const call0 = performance.now();
    const r = await train({
      config: c,
      dataset: sub,
      outDir: work,
      resume: p > 0,
      validator: null,
      stopAfterEpochs: p + 1,
      onEvent: (e) => {
        reporter.handle(e);
        metrics.handle(e);
        if (e.kind !== 'step') return;
        if (e.batch === 1) {
          t0 = performance.now();
          c0 = process.cpuUsage();
        } else clips += batchClips[p]![e.batch - 1]!;
        if (e.batch === e.batches) {
          const cu = process.cpuUsage(c0);
          slice = { clips, wallS: (performance.now() - t0) / 1000, cpuS: (cu.user + cu.system) / 1e6 };
        }
      },
    });
    callSeconds.push((performance.now() - call0) / 1000);
    r.detector.dispose();
    if (!slice) throw new Error('the epoch emitted no last step');
    return slice;
  };

  const torchSlice = async (p: number): Promise<SliceTime> => {
    const n = await reference.load(join(work, `epoch-${p}.bin`));
    if (n !== batchClips[p]!.length) throw new Error(`PyTorch loaded ${n} batches, not ${batchClips[p]!.length}`);
    let wallS = 0;
    let cpuS = 0;
    let clips = 0;
    for (let i = 0; i < n; i++) {
      const s = await reference.step(i);
      if (i === 0) continue; // as on stad's side: batches 2..K are timed
      wallS += s.step_s;
      cpuS += s.cpu_s;
      clips += batchClips[p]![i]!;
    }
    return { clips, wallS, cpuS };
  };

  const bareSlice = (p: number): SliceTime => {
    const n = bareStep.load(join(work, `epoch-${p}.bin`));
    const t: SliceTime = { clips: 0, wallS: 0, cpuS: 0 };
    for (let i = 0; i < n; i++) {
      const s = bareStep.step(i);
      if (i === 0) continue;
      t.wallS += s.wallS;
      t.cpuS += s.cpuS;
      t.clips += batchClips[p]![i]!;
    }
    return t;
  };

  for (let p = 0; p < args.pairs; p++) {
    let stad: SliceTime;
    let ref: SliceTime;
    let bareTime: SliceTime;
    // the diagnostic bare step runs beside PyTorch's slice, inside the pair
    if (stadFirst(p)) {
      stad = await stadSlice(p);
      ref = await torchSlice(p);
      bareTime = bareSlice(p);
    } else {
      bareTime = bareSlice(p);
      ref = await torchSlice(p);
      stad = await stadSlice(p);
    }
    pairs.push({ stad, torch: ref });
    bare.push(bareTime);
    console.log(
      `pair ${p + 1}/${args.pairs} (${stadFirst(p) ? 'stad first' : 'PyTorch first'}): stad ${clipsPerSecond(stad).toFixed(2)} clips/s (${stad.cpuS.toFixed(1)} CPU-s), ` +
        `PyTorch ${clipsPerSecond(ref).toFixed(2)} clips/s (${ref.cpuS.toFixed(1)} CPU-s) on ${stad.clips} clips: ratio ${(clipsPerSecond(stad) / clipsPerSecond(ref)).toFixed(3)}; ` +
        `stad's whole call (detector, checkpoint in and out, loader start) ${callSeconds[p]!.toFixed(1)} s; ` +
        `stad's bare step ${clipsPerSecond(bareTime).toFixed(2)} clips/s (${bareTime.cpuS.toFixed(1)} CPU-s)`,
    );
  }
} finally {
  await reference.close();
  bareStep.dispose();
  if (args.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const s = summarizePairs(pairs);
// the diagnostic: stad's bare step against PyTorch's, and stad train against stad's bare step
const bareVsTorch = summarizePairs(pairs.map((p, i) => ({ stad: bare[i]!, torch: p.torch })));
const trainVsBare = summarizePairs(pairs.map((p, i) => ({ stad: p.stad, torch: bare[i]! })));
const load1 = loadavg();
const f = (x: number) => x.toFixed(3);
console.log(`stad    ${f(s.stadClipsPerS.median)} clips/s (${f(s.stadClipsPerS.min)}-${f(s.stadClipsPerS.max)})`);
console.log(`PyTorch ${f(s.torchClipsPerS.median)} clips/s (${f(s.torchClipsPerS.min)}-${f(s.torchClipsPerS.max)})`);
console.log(`ratio stad/PyTorch clips/s: median ${f(s.ratio.median)} (${f(s.ratio.min)}-${f(s.ratio.max)}); CPU-s per clip PyTorch/stad: median ${f(s.cpuRatio.median)} (${f(s.cpuRatio.min)}-${f(s.cpuRatio.max)})`);
console.log(`diagnostic: stad bare step ${f(bareVsTorch.stadClipsPerS.median)} clips/s; bare stad/PyTorch median ${f(bareVsTorch.ratio.median)} (${f(bareVsTorch.ratio.min)}-${f(bareVsTorch.ratio.max)}), CPU ${f(bareVsTorch.cpuRatio.median)}; stad train/bare stad median ${f(trainVsBare.ratio.median)} (${f(trainVsBare.ratio.min)}-${f(trainVsBare.ratio.max)}), CPU ${f(trainVsBare.cpuRatio.median)}`);
console.log(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}; ${date}`);
console.log(
  JSON.stringify({
    bench: 'train',
    ratio: s.ratio.median,
    ratioMin: s.ratio.min,
    ratioMax: s.ratio.max,
    cpuRatio: s.cpuRatio.median,
    cpuRatioMin: s.cpuRatio.min,
    cpuRatioMax: s.cpuRatio.max,
    stadClipsPerS: s.stadClipsPerS.median,
    torchClipsPerS: s.torchClipsPerS.median,
    bareRatio: bareVsTorch.ratio.median,
    trainOverBare: trainVsBare.ratio.median,
    pairs: pairs.length,
    ratios: s.ratios,
    threads: c.threads,
    workers: c.workers,
    load: load0[0],
  }),
);
