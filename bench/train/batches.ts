/**
 * The batches of one training epoch exactly as `stad train` sees them (the same ClipLoader options and
 * keyed seeds as src/train/loop.ts, the same assigner via its stepTargets), written for PyTorch: PATH
 * holds float32 clips [N, 3, T, H, W], RoIs [K, 5] and targets [K, C - 1] of every batch back to back,
 * PATH.json their byte offsets and shapes (read by train_step.py's load_batches).
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import * as torch from '../../src/torch/index.js';
import { ClipLoader, type ClipSample } from '../../src/data/loader.js';
import { clipsToTensor } from '../../src/data/collate.js';
import type { RunConfig } from '../../src/train/config.js';
import { stepTargets } from '../../src/train/loop.js';

export function trainLoader(c: RunConfig, samples: ClipSample[]): ClipLoader {
  // as src/train/loop.ts builds it
  return new ClipLoader(samples, {
    clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval },
    batchSize: c.batchSize,
    mode: 'train',
    augmentation: c.data.augmentation,
    numWorkers: c.workers,
    seed: c.seed,
    repeatThreshold: c.repeatThreshold ?? undefined,
  });
}

/** Writes epoch `epoch`'s batches to `path` (+ .json); returns the clips of each batch. */
export async function dumpEpoch(c: RunConfig, samples: ClipSample[], epoch: number, path: string): Promise<number[]> {
  const loader = trainLoader(c, samples);
  const fd = openSync(path, 'w');
  const index: Record<string, [number, number[]]>[] = [];
  const clips: number[] = [];
  let offset = 0;
  try {
    let batch = 0;
    for await (const b of loader.epoch(epoch)) {
      torch.tidy(() => {
        const t = stepTargets(c, b.clips, epoch, batch, 'cpu');
        const entry: Record<string, [number, number[]]> = {};
        for (const [name, x] of [
          ['clips', clipsToTensor(b)], // [N, 3, T, H, W]
          ['rois', t.rois], // [K, 5]
          ['targets', t.targets], // [K, C - 1]
        ] as const) {
          const bytes = torch.toBytes(x.contiguous());
          writeSync(fd, bytes);
          entry[name] = [offset, x.shape];
          offset += bytes.byteLength;
        }
        index.push(entry);
      });
      b.release();
      clips.push(b.clips.length);
      batch++;
    }
  } finally {
    closeSync(fd);
    await loader.close();
  }
  writeFileSync(`${path}.json`, JSON.stringify(index));
  return clips;
}
