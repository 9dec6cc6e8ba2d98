/**
 * `stad test` without the command line: a checkpoint and a dataset in, the detections and the report
 * written into one folder (all at once, or nothing), the report returned for printing.
 */
import { dirname, join, resolve } from 'node:path';
import { loadDataset } from '../data/dataset.js';
import { videosOfSplit } from '../data/samples.js';
import { buildDetector } from '../models/presets.js';
import { loadCheckpoint } from '../nn/checkpoint.js';
import type { Device } from '../torch/index.js';
import type { FrameMapReport } from '../eval/index.js';
import type { ProgressCallback } from '../util/progress.js';
import { fail } from '../util/errors.js';
import { writeDirAtomic } from '../util/fs.js';
import { checkCheckpointClasses, readCheckpointModel } from './checkpoint-model.js';
import { evaluateDetector } from './evaluate.js';
import { testOutputs } from './test-outputs.js';
import { isSafeFileName } from '../util/names.js';
import type { AmpMode } from './precision.js';

export interface TestRunOptions {
  checkpoint: string;
  data: string;
  split: string;
  /** Classify the ground-truth boxes instead of the proposals. */
  gtBoxes: boolean;
  /** Output folder; default `<checkpoint dir>/test-<split>/`. */
  out?: string;
  batchSize: number;
  numWorkers?: number;
  /** Classes scoring at least this are the labels of a box in the VIA3 projects. */
  scoreThreshold: number;
  device?: Device;
  /** The forward pass's precision; default: the one the checkpoint's run trained in (`config.amp`). */
  amp?: AmpMode;
  onProgress?: ProgressCallback;
}

export interface TestRunResult {
  report: FrameMapReport;
  /** The precision the forward pass ran in. */
  amp: AmpMode;
  outDir: string;
  files: string[];
  detections: number;
}

export function defaultTestOutDir(checkpoint: string, split: string): string {
  return join(dirname(resolve(checkpoint)), `test-${split}`);
}

export async function runTest(o: TestRunOptions): Promise<TestRunResult> {
  // Cheap checks first: the checkpoint's header, the dataset and its split, before any tensor work.
  const ck = readCheckpointModel(o.checkpoint);
  const ds = await loadDataset(o.data);
  videosOfSplit(ds, o.split);
  if (o.out === undefined && !isSafeFileName(`test-${o.split}`)) fail(ds.root, `split ${JSON.stringify(o.split)}`, 'cannot be used in a folder name; give --out');
  checkCheckpointClasses(o.checkpoint, ck, ds);
  const outDir = resolve(o.out ?? defaultTestOutDir(o.checkpoint, o.split));
  const amp = o.amp ?? ck.amp;

  const det = buildDetector(ck.model);
  try {
    loadCheckpoint(o.checkpoint, det);
    if (o.device && o.device !== 'cpu') det.to(o.device);
    const result = await evaluateDetector(det, ds, o.split, {
      boxes: o.gtBoxes ? 'gt' : 'proposals',
      batchSize: o.batchSize,
      testShortSide: ck.model.input.size,
      clip: { clipLen: ck.model.input.frames, frameInterval: ck.model.input.frameInterval },
      numWorkers: o.numWorkers,
      device: o.device,
      amp,
      onProgress: o.onProgress,
    });
    const files = testOutputs(ds, o.split, result, o.scoreThreshold);
    writeDirAtomic(outDir, files);
    return { report: result.report, amp, outDir, files: [...files.keys()].map((f) => join(outDir, f)), detections: result.detections.length };
  } finally {
    det.dispose();
  }
}
