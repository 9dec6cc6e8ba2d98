/**
 * One (recipe, seed) run of a comparison: its folder, where it stands, training it (or resuming it) and
 * testing it. A run folder is a `stad train` run folder plus:
 *
 *   <run>/test-<best|last>/   what `stad test` writes (detections.csv, report.json, label_map.pbtxt,
 *                             detections_via3/), for the checkpoint the comparison tests
 *   <run>/timing.json         {"trainSeconds": ...}: training wall time, summed over resumed sessions
 *
 * A run whose training finished and whose test folder exists is reused as it is; an unfinished one is
 * resumed from latest.safetensors; one stopped before its first checkpoint starts again. A folder holding
 * a run of a different configuration is refused (the comparison would mix recipes).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { buildDetector } from '../models/presets.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import { readSafetensorsHeader } from '../serialization/safetensors.js';
import { readAvaBoxCsv, type AvaBoxTable } from '../eval/index.js';
import { BEST_FILE, CONFIG_FILE, LATEST_FILE, METRICS_FILE, TrainStateSchema, isRunDir, readRunConfig, writeRunConfig } from '../train/checkpoint.js';
import type { RunConfig } from '../train/config.js';
import { MetricsWriter, type TrainEvent } from '../train/progress.js';
import { evaluateDetector } from '../train/evaluate.js';
import { DETECTIONS_FILE, testOutputs } from '../train/test-outputs.js';
import { UserError } from '../util/errors.js';
import { makeDirs, writeDirAtomic, writeFileAtomic } from '../util/fs.js';
import { TestAbandoned } from './stop.js';

export type CheckpointChoice = 'best' | 'last';

export interface RunSpec {
  recipe: string;
  seed: number;
  dir: string;
  config: RunConfig;
}

/** What is left to do: train from scratch, resume, only test, or nothing. */
export type RunStage = 'new' | 'resume' | 'test' | 'done';

export const TIMING_FILE = 'timing.json';

export function testDirOf(spec: RunSpec, which: CheckpointChoice): string {
  return join(spec.dir, `test-${which}`);
}

/**
 * The config a run's results do not depend on left out, for comparing: threads and loader workers, and
 * the description (prose: rewording a recipe's description must not make its finished runs foreign).
 */
export function resultKey(c: RunConfig): string {
  const { workers: _w, threads: _t, description: _d, ...rest } = c;
  return JSON.stringify(rest);
}

function finishedEpochs(dir: string): number {
  const { metadata } = readSafetensorsHeader(join(dir, LATEST_FILE));
  const r = TrainStateSchema.safeParse(metadata.state === undefined ? undefined : JSON.parse(metadata.state));
  if (!r.success) throw new UserError(`${join(dir, LATEST_FILE)}: __metadata__.state: not a stad training state`);
  return r.data.epoch;
}

export function runStage(spec: RunSpec, which: CheckpointChoice): RunStage {
  const dir = spec.dir;
  if (!existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0)) return 'new';
  if (!isRunDir(dir)) throw new UserError(`${dir}: exists and is not a stad run; remove it or choose another --out`);
  const saved = readRunConfig(dir);
  if (resultKey(saved) !== resultKey(spec.config)) {
    throw new UserError(`${join(dir, CONFIG_FILE)}: holds a run of a different configuration than recipe '${spec.recipe}' with seed ${spec.seed}; choose another --out`);
  }
  if (!existsSync(join(dir, LATEST_FILE))) return 'new';
  if (finishedEpochs(dir) < spec.config.epochs) return 'resume';
  return existsSync(join(testDirOf(spec, which), DETECTIONS_FILE)) ? 'done' : 'test';
}

function readTrainSeconds(dir: string): number {
  const f = join(dir, TIMING_FILE);
  if (!existsSync(f)) return 0;
  try {
    const v = (JSON.parse(readFileSync(f, 'utf8')) as { trainSeconds?: unknown }).trainSeconds;
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  } catch {
    return 0;
  }
}

/** Training wall time recorded for a run (0 when unknown). */
export function trainSecondsOf(spec: RunSpec): number {
  return readTrainSeconds(spec.dir);
}

/**
 * Trains a run from scratch ('new') or from its latest checkpoint ('resume'). Returns true when
 * `shouldStop` stopped it (its latest.safetensors holds where it stood; the next call resumes it).
 */
export async function trainRun(spec: RunSpec, ds: Dataset, stage: 'new' | 'resume', onEvent: (e: TrainEvent) => void, shouldStop?: () => boolean): Promise<boolean> {
  const { train } = await import('../train/loop.js');
  const { defaultValidator } = await import('../train/validation.js');
  if (stage === 'new' && existsSync(spec.dir)) {
    // a run stopped before its first checkpoint: only its config and partial metrics are there
    for (const f of [METRICS_FILE, CONFIG_FILE, TIMING_FILE]) rmSync(join(spec.dir, f), { force: true });
  }
  const metrics = new MetricsWriter(join(spec.dir, METRICS_FILE));
  let ready = false;
  const before = stage === 'resume' ? readTrainSeconds(spec.dir) : 0;
  const t0 = performance.now();
  const result = await train({
    config: spec.config,
    dataset: ds,
    outDir: spec.dir,
    resume: stage === 'resume',
    validator: await defaultValidator(),
    onReady: () => {
      if (stage === 'new') {
        makeDirs(spec.dir);
        writeRunConfig(spec.dir, spec.config);
      }
      ready = true;
    },
    onEvent: (e) => {
      if (ready) metrics.handle(e);
      onEvent(e);
    },
    shouldStop,
  });
  result.detector.dispose();
  // a stopped run's time counts too: the resumed session adds its own
  writeFileAtomic(join(spec.dir, TIMING_FILE), `${JSON.stringify({ trainSeconds: before + (performance.now() - t0) / 1000 })}\n`);
  return result.stopped;
}

/**
 * Tests a trained run's chosen checkpoint; writes test-<which>/ as `stad test` does. Returns false when
 * `shouldStop` abandoned it (nothing written).
 */
export async function testRun(spec: RunSpec, ds: Dataset, which: CheckpointChoice, onProgress?: (done: number, total: number) => void, shouldStop?: () => boolean): Promise<boolean> {
  const c = spec.config;
  const file = join(spec.dir, which === 'best' ? BEST_FILE : LATEST_FILE);
  if (!existsSync(file)) throw new UserError(`${file}: missing (the best checkpoint needs validation: valInterval); use --checkpoint last`);
  const det = buildDetector(c.model);
  try {
    loadCheckpoint(file, det);
    const result = await evaluateDetector(det, ds, c.data.testSplit, {
      boxes: c.data.valBoxes,
      batchSize: c.batchSize,
      testShortSide: c.data.testShortSide,
      clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval },
      numWorkers: c.workers,
      amp: c.amp, // tested in the precision the run trained in, as stad test does
      onProgress: (p) => {
        if (shouldStop?.()) throw new TestAbandoned();
        onProgress?.(p.done, p.total);
      },
    }).catch((e: unknown) => {
      if (e instanceof TestAbandoned) return null;
      throw e;
    });
    if (result === null) return false;
    writeDirAtomic(testDirOf(spec, which), testOutputs(ds, c.data.testSplit, result, 0.5));
    return true;
  } finally {
    det.dispose();
  }
}

/** A tested run's detections, as written (the figures are always computed from the file, reused or not). */
export function readRunDetections(spec: RunSpec, which: CheckpointChoice): AvaBoxTable {
  return readAvaBoxCsv(join(testDirOf(spec, which), DETECTIONS_FILE), 'detections');
}
