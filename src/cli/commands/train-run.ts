/**
 * What `stad train` does once its flags are parsed (loaded lazily: it loads libtorch). Order matters
 * for "nothing half-written": config, dataset, frames, run folder and checkpoints are all checked, and
 * the run folder is created only when the trainer is ready to take its first step.
 */
import { existsSync } from 'node:fs';
import { makeDirs } from '../../util/fs.js';
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../../data/dataset.js';
import { samplesOfSplit } from '../../data/samples.js';
import { openSource } from '../../data/clip-job.js';
import { sampleClipFrames } from '../../data/clip.js';
import type { ClipSample } from '../../data/loader.js';
import { formatTextReport } from '../../eval/index.js';
import { UserError } from '../../util/errors.js';
import { describeLR, loadRunConfig, resolveRunConfig, type RunConfig } from '../../train/config.js';
import { checkNewRunDir, readRunConfig, writeRunConfig, LATEST_FILE, METRICS_FILE, BEST_FILE } from '../../train/checkpoint.js';
import { MetricsWriter, TrainReporter } from '../../train/progress.js';
import { defaultValidator } from '../../train/validation.js';
import { StopRequest, exitCodeOf } from '../../train/signals.js';
import { parseDeviceFlag, requireDevice } from '../device-flag.js';

export interface TrainCommandFlags {
  config?: string;
  data?: string;
  out?: string;
  set: string[];
  resume?: string;
  loadFrom?: string;
  epochs?: number;
  batchSize?: number;
  scaleLr: boolean;
  workers?: number;
  threads?: number;
  logEvery: number;
  device: string;
  amp?: string;
  cudnnBenchmark?: boolean;
  deterministic?: boolean;
}

/** Every clip of every sample has its frames (a missing one is a UserError now, not hours into the run). */
async function checkFrames(samples: readonly ClipSample[], config: RunConfig): Promise<void> {
  const clip = { clipLen: config.model.input.frames, frameInterval: config.model.input.frameInterval };
  for (const s of samples) {
    const src = openSource(s.video, s.source);
    const range = await src.frameRange();
    if (s.keyframe < range.first || s.keyframe > range.last) {
      throw new UserError(`video '${s.video}': keyframe ${s.keyframe} is outside its frames ${range.first}-${range.last}`);
    }
    const fileOf = (src as { fileOf?: (frame: number) => string }).fileOf;
    if (fileOf) for (const f of sampleClipFrames(s.keyframe, clip, range)) fileOf.call(src, f);
  }
}

function overridesOf(flags: TrainCommandFlags): string[] {
  const sets = [...flags.set];
  if (flags.workers !== undefined) sets.push(`workers=${flags.workers}`);
  if (flags.threads !== undefined) sets.push(`threads=${flags.threads}`);
  if (flags.amp !== undefined) sets.push(`amp=${flags.amp}`);
  if (flags.cudnnBenchmark) sets.push('cudnnBenchmark=true');
  if (flags.deterministic) sets.push('deterministic=true');
  return sets;
}

export async function runTrainCommand(flags: TrainCommandFlags): Promise<void> {
  const err = process.stderr;
  let config: RunConfig;
  let outDir: string;
  let modelFromPreset = false;
  const device = parseDeviceFlag(flags.device);
  if (flags.resume !== undefined) {
    if (flags.config !== undefined || flags.set.length > 0 || flags.batchSize !== undefined || flags.out !== undefined || !flags.scaleLr) {
      throw new UserError('--resume: takes the run\'s saved config; only --data, --epochs, --workers, --threads, --device, --amp, --cudnn-benchmark and --deterministic may change');
    }
    outDir = flags.resume;
    const saved = readRunConfig(outDir);
    config = resolveRunConfig(saved as unknown as Record<string, unknown>, join(outDir, 'config.json'), {
      sets: overridesOf({ ...flags, set: [] }),
      epochs: flags.epochs,
      data: flags.data,
    }).config;
  } else {
    if (flags.config === undefined) throw new UserError('--config: required (a preset name from configs/ or a JSON file)');
    const r = loadRunConfig(flags.config, { sets: overridesOf(flags), epochs: flags.epochs, batchSize: flags.batchSize, scaleLr: flags.scaleLr, data: flags.data });
    config = r.config;
    modelFromPreset = r.modelFromPreset;
    outDir = flags.out ?? join('runs', r.name);
    checkNewRunDir(outDir);
  }
  if (flags.loadFrom !== undefined && !existsSync(flags.loadFrom)) throw new UserError(`--load-from ${flags.loadFrom}: no such file`);
  await requireDevice(device);

  const ds: Dataset = await loadDataset(config.data.dir, { actionAttribute: config.data.actionAttribute });
  if (modelFromPreset && config.model.head.numClasses !== ds.classes.length && ds.classes.length >= 2) {
    err.write(`model: ${ds.classes.length} classes from the dataset (${ds.classes.join(', ')}) instead of the preset's ${config.model.head.numClasses}\n`);
    config = { ...config, model: { ...config.model, head: { ...config.model.head, numClasses: ds.classes.length } } };
  }
  const { train, checkClasses } = await import('../../train/loop.js');
  checkClasses(config, ds);
  const trainSamples = samplesOfSplit(ds, config.data.trainSplit);
  const testSamples = samplesOfSplit(ds, config.data.testSplit);
  if (trainSamples.length === 0) throw new UserError(`${ds.root}: split '${config.data.trainSplit}' has no annotated keyframes`);
  if (testSamples.length === 0) throw new UserError(`${ds.root}: split '${config.data.testSplit}' has no annotated keyframes`);
  await checkFrames(trainSamples, config);
  await checkFrames(testSamples, config);

  const validator = await defaultValidator();
  const { GpuProgressInfo } = await import('../../train/gpu-line.js');
  const gpuInfo = new GpuProgressInfo(device);
  const reporter = new TrainReporter({ logEvery: flags.logEvery, formatReport: (r) => formatTextReport(r, { perVideo: true }), stepInfo: () => gpuInfo.text() });
  const metrics = new MetricsWriter(join(outDir, METRICS_FILE));
  let ready = false;
  err.write(`${describeLR(config)}\n`);
  err.write(`train: ${trainSamples.length} keyframes in '${config.data.trainSplit}', validation: ${testSamples.length} in '${config.data.testSplit}'; ${config.threads} threads, ${config.workers} loader workers; device ${device}${config.amp === 'none' ? '' : `, amp ${config.amp}`}\n`);
  if (!validator) err.write('validation: not in this build (src/train/evaluate.ts is missing): no validation, no best.safetensors\n');
  // Ctrl-C / SIGTERM: save where the run stands and say how to go on (a second one quits at once)
  const stop = new StopRequest((line) => err.write(`\n${line}\n`)).install();
  const result = await train({
    config,
    dataset: ds,
    outDir,
    resume: flags.resume !== undefined,
    loadFrom: flags.loadFrom,
    validator,
    device,
    onReady: (state) => {
      if (flags.resume === undefined) {
        makeDirs(outDir);
        writeRunConfig(outDir, config);
      } else if (state.epoch >= config.epochs) {
        err.write(`${outDir}: already trained for ${state.epoch} epochs (of ${config.epochs}); pass --epochs to go on\n`);
      }
      ready = true;
      err.write(`run folder ${outDir}\n`);
    },
    onEvent: (e) => {
      reporter.handle(e);
      if (ready) metrics.handle(e);
    },
    shouldStop: stop.requested,
  }).finally(() => stop.uninstall());
  try {
    if (result.stopped && stop.signal) {
      err.write(`${stop.signal}: saved ${join(outDir, LATEST_FILE)} (iteration ${result.state.iteration}); continue with: stad train --resume ${outDir}\n`);
      process.exitCode = exitCodeOf(stop.signal);
      return;
    }
    const best = result.state.best;
    const lines = [`done: ${result.state.epoch} epochs, ${result.state.iteration} iterations; ${join(outDir, LATEST_FILE)}`];
    if (best) lines.push(`best all_mAP@0.5IOU= ${best.allMAP.toFixed(4)} after epoch ${best.epoch}: ${join(outDir, BEST_FILE)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    result.detector.dispose();
  }
}
