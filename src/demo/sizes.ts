/**
 * How big a demo is: the built-in dataset it generates, the seeds, the epochs and any overrides every
 * recipe shares. `demo` is `npm run demo` (5:41 on the quiet 2-core machine, 7:35 from a fresh clone with the setup), `full` the
 * multi-seed comparison at the reference's size that docs/RESULTS.md reports, `tiny` the tests' size
 * (STAD_DEMO_SIZE=tiny: a dataset of 64x48 frames and a model of milliseconds per step).
 */
import type { SynthOptions } from '../data/synth/generate.js';

export type DemoSizeName = 'demo' | 'full' | 'tiny';

export interface DemoSize {
  name: DemoSizeName;
  /** The built-in dataset (`stad synth` options; `out` is chosen by the demo). */
  synth: Omit<SynthOptions, 'out' | 'force' | 'jobs'>;
  /** Where the dataset goes when --data is not given (reused when it holds the same dataset). */
  dataDir: string;
  /** Where the runs, the comparison and the report go when --out is not given. */
  outDir: string;
  seeds: number;
  /** Epochs of every recipe (undefined: the presets' own). */
  epochs?: number;
  /** Overrides of every recipe. */
  sets: readonly string[];
  /** What the ETA assumes before anything is measured: quiet-machine seconds for generating the dataset. */
  datasetSeconds: number;
}

/** The tests' model: a SlowOnly R18 with 4 base channels on 4 frames of 32 px (test/train/fixture.ts's). */
const TINY_MODEL_SETS = [
  'model.backbone.baseChannels=4',
  'model.input.frames=4',
  'model.input.size=32',
  'data.augmentation.shortSideRange=[32,40]',
  'data.augmentation.cropSize=32',
  'data.testShortSide=32',
  'batchSize=4',
  'optim.lrBatchSize=4',
  'assigner.numRois=8',
  'workers=0',
];

export const DEMO_SIZES: Readonly<Record<DemoSizeName, DemoSize>> = {
  demo: {
    name: 'demo',
    synth: { scale: 0.5, seed: 1, width: 160, height: 120, fps: 15, video: false },
    dataDir: 'data/synth-0.5',
    outDir: 'runs/demo',
    seeds: 1,
    // 6 of the presets' 10 on half the dataset: 5:41 on the quiet 2-core machine (README)
    epochs: 6,
    sets: [],
    datasetSeconds: 45,
  },
  full: {
    name: 'full',
    // exactly what `stad synth` writes by default (data/synth, the default data of every command)
    synth: { scale: 1, seed: 1, width: 160, height: 120, fps: 15, video: true },
    dataDir: 'data/synth',
    outDir: 'runs/demo-full',
    seeds: 3,
    sets: [],
    datasetSeconds: 240,
  },
  tiny: {
    name: 'tiny',
    synth: { scale: 0.02, seed: 3, width: 64, height: 48, fps: 5, video: false },
    dataDir: 'data/synth-tiny',
    outDir: 'runs/demo-tiny',
    seeds: 1,
    epochs: 1,
    sets: TINY_MODEL_SETS,
    datasetSeconds: 2,
  },
};
