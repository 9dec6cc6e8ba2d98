/** A tiny generated dataset and a tiny run config shared by the training tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { modelPreset } from '../../src/models/index.js';
import { parseRunConfig, type RunConfig } from '../../src/train/config.js';
import { tempDir } from '../helpers.js';

/** The built-in dataset at 2% of the reference counts, 64x48 frames at 5 fps, no videos (a few seconds). */
export async function tinyDataset(): Promise<{ dir: string; data: string; dataset: Dataset; cleanup: () => void }> {
  const { dir, cleanup } = tempDir('stad-train-');
  const data = join(dir, 'data');
  await generateSynthDataset({ out: data, scale: 0.02, seed: 3, width: 64, height: 48, fps: 5, video: false, jobs: 1 });
  return { dir, data, dataset: await loadDataset(data), cleanup };
}

/** A SlowOnly R18 with 4 base channels on 4 frames of 32 px: milliseconds per step. */
export function tinyConfig(data: string, over: Record<string, unknown> = {}): RunConfig {
  const model = modelPreset('slowonly_r18_tiny');
  model.backbone = { ...model.backbone, baseChannels: 4, resampleRate: 1 } as typeof model.backbone;
  model.input = { frames: 4, frameInterval: 2, size: 32 };
  model.head = { ...model.head, dropout: 0.5 };
  return parseRunConfig(
    {
      model,
      data: { dir: data, augmentation: { shortSideRange: [32, 40], cropSize: 32 }, testShortSide: 32 },
      loss: { name: 'bce' },
      optim: { name: 'sgd', lr: 0.05, lrBatchSize: 4, momentum: 0.9, weightDecay: 1e-4 },
      schedule: { warmupEpochs: 0.5, decay: { kind: 'cosine' } },
      batchSize: 4,
      epochs: 2,
      gradClip: 40,
      assigner: { numRois: 8 },
      workers: 0,
      threads: 1,
      ...over,
    },
    'test config',
  ).config;
}

/** Writes tinyConfig(fx.data, over) as JSON to `<fx.dir>/<name>` (a config file for the CLI); returns its path. */
export function writeTinyConfig(fx: { dir: string; data: string }, name: string, over: Record<string, unknown> = {}): string {
  const path = join(fx.dir, name);
  writeFileSync(path, JSON.stringify(tinyConfig(fx.data, over)));
  return path;
}
