/**
 * `--threads-sweep`: the earlier form of this benchmark, kept as an option. Training clips per second of
 * the synth_tiny_bce preset for several (libtorch threads, loader workers) settings on the same 12
 * batches, the settings interleaved over two rounds (compare ratios within one run); the first 2 batches
 * of each run are warm-up and not timed. A bare loop (no schedule, clipping or logging): it compares
 * settings, not stad with PyTorch.
 */
import * as torch from '../../src/torch/index.js';
import type { RunConfig } from '../../src/train/config.js';
import type { ClipSample } from '../../src/data/loader.js';
import { ClipLoader } from '../../src/data/loader.js';
import { clipsToTensor } from '../../src/data/collate.js';
import { assignTargets, buildDetector, lossInputs } from '../../src/models/index.js';
import { SGD } from '../../src/nn/index.js';

export async function threadsSweep(c: RunConfig, allSamples: ClipSample[], settings: [number, number][]): Promise<Map<string, number[]>> {
  const samples = allSamples.slice(0, 8 * 12);
  const results = new Map<string, number[]>();
  for (let round = 0; round < 2; round++) {
    for (const [threads, workers] of settings) {
      torch.setNumThreads(threads);
      torch.manualSeed(0);
      const det = buildDetector(c.model).train();
      const opt = new SGD(det.parameters(), { lr: 0.01, momentum: 0.9 });
      const loader = new ClipLoader(samples, { clip: { clipLen: c.model.input.frames, frameInterval: c.model.input.frameInterval }, batchSize: 8, mode: 'train', augmentation: c.data.augmentation, numWorkers: workers, seed: 0 });
      let n = 0;
      let t0 = 0;
      for await (const b of loader.epoch(round)) {
        if (n === 2) t0 = performance.now();
        torch.tidy(() => {
          const t = assignTargets(b.clips.map((k) => ({ gtBoxes: k.boxes, gtLabels: k.labels, proposals: [] })), { numClasses: c.model.head.numClasses, negatives: 'include', numSamples: 16 });
          const x = clipsToTensor(b); // [N, 3, T, H, W]
          b.release();
          const li = lossInputs(det.forward(x, t.rois), t);
          torch.binaryCrossEntropyWithLogits(li.logits, li.targets).backward();
        });
        opt.step();
        opt.zeroGrad();
        n++;
      }
      await loader.close();
      const key = `threads ${threads}, workers ${workers}`;
      results.set(key, [...(results.get(key) ?? []), ((n - 2) * 8) / ((performance.now() - t0) / 1000)]);
      opt.dispose();
      det.dispose();
    }
  }
  return results;
}
