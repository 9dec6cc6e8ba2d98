/** The training loop on a tiny generated dataset: determinism, resume, memory, learning. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../../src/torch/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { buildRunDetector, train, type TrainResult } from '../../src/train/loop.js';
import { BEST_FILE, LATEST_FILE, METRICS_FILE, loadRunCheckpoint } from '../../src/train/checkpoint.js';
import { MetricsWriter, estimateRemaining, isValEpoch, valPassesFrom, VAL_CLIP_COST } from '../../src/train/progress.js';
import type { Validator } from '../../src/train/validation.js';
import type { RunConfig } from '../../src/train/config.js';
import { tinyConfig, tinyDataset } from './fixture.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
let runs = 0;
before(async () => {
  fx = await tinyDataset();
});
after(() => fx.cleanup());

function outDir(): string {
  const d = join(fx.dir, `run${runs++}`);
  mkdirSync(d);
  return d;
}

/** Every tensor of the detector's state, as bytes, keyed by name. */
function weights(r: TrainResult): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const [k, t] of r.detector.stateDict()) m.set(k, Buffer.from(torch.toBytes(t)));
  return m;
}

function assertSameWeights(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  const differ = [...a].filter(([k, v]) => !v.equals(b.get(k)!)).map(([k]) => k);
  assert.deepEqual(differ, [], `tensors that differ: ${differ.slice(0, 5).join(', ')}`);
}

async function run(config: RunConfig, ds: Dataset, o: { out?: string; resume?: boolean; stopAfterEpochs?: number } = {}): Promise<TrainResult> {
  return train({ config, dataset: ds, outDir: o.out ?? outDir(), resume: o.resume, stopAfterEpochs: o.stopAfterEpochs, validator: null });
}

test('a fixed seed gives identical weights run after run, and with 0 and 1 loader workers', async () => {
  // the frames are JPEGs: decoded by torchvision's decoder where it loads (src/torch/image.ts), in the
  // main thread with 0 workers and in a worker thread with 1
  const c = tinyConfig(fx.data, { epochs: 1 });
  const a = await run(c, fx.dataset);
  const b = await run({ ...c, workers: 1 }, fx.dataset);
  const again = await run({ ...c, workers: 1 }, fx.dataset);
  try {
    assertSameWeights(weights(a), weights(b));
    assertSameWeights(weights(b), weights(again));
    assert.deepEqual(a.stepLosses, b.stepLosses);
  } finally {
    a.detector.dispose();
    b.detector.dispose();
    again.detector.dispose();
  }
});

test('a resumed run ends with the same weights as an uninterrupted one (2 epochs vs 1 + resume 1)', async () => {
  const c = tinyConfig(fx.data, { epochs: 2, accumulate: 2 });
  const straight = await run(c, fx.dataset);
  const out = outDir();
  const first = await run(c, fx.dataset, { out, stopAfterEpochs: 1 });
  first.detector.dispose();
  assert.ok(existsSync(join(out, LATEST_FILE)));
  const resumed = await run(c, fx.dataset, { out, resume: true });
  try {
    assert.equal(resumed.state.epoch, 2);
    assert.equal(resumed.state.iteration, straight.state.iteration);
    assertSameWeights(weights(straight), weights(resumed));
  } finally {
    straight.detector.dispose();
    resumed.detector.dispose();
  }
});

test('the live-tensor count stays flat over dozens of training steps', async () => {
  const c = tinyConfig(fx.data, { epochs: 4, batchSize: 2, optim: { name: 'adamw', lr: 1e-3, lrBatchSize: 2, scaleLr: true, weightDecay: 0.01, decayNormAndBias: false, beta1: 0.9, beta2: 0.999, eps: 1e-8 } });
  const live: number[] = [];
  const before = torch.memory().liveTensors;
  const r = await train({
    config: c,
    dataset: fx.dataset,
    outDir: outDir(),
    validator: null,
    onEvent: (e) => {
      if (e.kind === 'step') live.push(torch.memory().liveTensors);
    },
  });
  try {
    assert.ok(live.length >= 30, `${live.length} steps`);
    // after the first optimiser step has created its state, nothing accumulates
    assert.deepEqual(new Set(live.slice(2)).size, 1, `live tensors per step: ${live.join(' ')}`);
  } finally {
    r.detector.dispose();
  }
  assert.equal(torch.memory().liveTensors, before);
});

test('a short training run lowers the training loss', async () => {
  const c = tinyConfig(fx.data, { epochs: 6, seed: 1, optim: { name: 'sgd', lr: 0.05, lrBatchSize: 4, scaleLr: true, weightDecay: 1e-5, decayNormAndBias: true, momentum: 0.9, nesterov: false } });
  const r = await run(c, fx.dataset);
  try {
    const [firstEpoch, ...rest] = r.epochLosses;
    const last = rest[rest.length - 1]!;
    assert.ok(last < firstEpoch! * 0.9, `mean loss per epoch: ${r.epochLosses.map((x) => x.toFixed(4)).join(' ')}`);
  } finally {
    r.detector.dispose();
  }
});

test('validation every valInterval epochs and after the last; best.safetensors keeps the best all_mAP; metrics.jsonl has both kinds', async () => {
  const scores = [0.2, 0.6, 0.4];
  const validated: number[] = [];
  const validator: Validator = async (det, _ds, split, o) => {
    assert.equal(split, 'test');
    assert.equal(o.boxes, 'proposals');
    assert.equal(det.training, false, 'validation runs in eval mode');
    const allMAP = scores[validated.length]!;
    validated.push(validated.length);
    const classes = [{ id: 1, name: 'handshake', ap: allMAP, groundTruth: 3, detections: 5 }];
    return {
      report: { iouThreshold: 0.5, pooled: { mAP: allMAP, classes, keyframes: 3 }, videos: [{ videoId: 'seq5', mAP: allMAP, classes, keyframes: 3 }], allMAP },
      detections: [],
    };
  };
  const out = outDir();
  const metrics = new MetricsWriter(join(out, METRICS_FILE));
  const vals: number[] = [];
  const c = tinyConfig(fx.data, { epochs: 5, valInterval: 2, batchSize: 8 });
  const r = await train({
    config: c,
    dataset: fx.dataset,
    outDir: out,
    validator,
    onEvent: (e) => {
      metrics.handle(e);
      if (e.kind === 'val') vals.push(e.epoch);
    },
  });
  try {
    assert.deepEqual(vals, [2, 4, 5]);
    assert.deepEqual(r.state.best, { allMAP: 0.6, epoch: 4 });
    const best = torch.tidy(() => {
      const det = buildRunDetector(c, fx.dataset);
      try {
        return loadRunCheckpoint(join(out, BEST_FILE), det);
      } finally {
        det.dispose();
      }
    });
    assert.equal(best.epoch, 4);
    const lines = readFileSync(join(out, METRICS_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; epoch: number; all_mAP?: number; perVideo?: unknown });
    assert.deepEqual(lines.filter((l) => l.type === 'val').map((l) => [l.epoch, l.all_mAP]), [[2, 0.2], [4, 0.6], [5, 0.4]]);
    assert.deepEqual(lines.find((l) => l.type === 'val')!.perVideo, [{ video: 'seq5', mAP: 0.2 }]);
    assert.ok(lines.filter((l) => l.type === 'train').length > 5);
  } finally {
    r.detector.dispose();
  }
});

test('the remaining-time estimate counts the validation passes to come', () => {
  const base = { secPerBatch: 2, secPerClip: 0.5, batchesLeftInEpoch: 5, batchesPerEpoch: 10, epochsAfter: 2, valClips: 40 };
  // before any validation: from the step rate
  const first = estimateRemaining({ ...base, valPassesLeft: 3, lastValSeconds: null });
  assert.equal(first.epoch, 10);
  assert.equal(first.run, 10 + 40 + 3 * 40 * 0.5 * VAL_CLIP_COST);
  // afterwards: from the last one measured
  assert.equal(estimateRemaining({ ...base, valPassesLeft: 3, lastValSeconds: 7 }).run, 10 + 40 + 21);
  assert.equal(valPassesFrom(1, 5, 2), 3); // after epochs 2, 4 and 5
  assert.equal(valPassesFrom(1, 5, 0), 1);
  assert.ok(isValEpoch(5, 5, 2) && isValEpoch(2, 5, 2) && !isValEpoch(3, 5, 2));
});
