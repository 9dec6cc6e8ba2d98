/**
 * `amp: bf16` in evaluation: the forward pass under autocast, the scores in float32, close to float32's;
 * validation inside training and `stad test` (from the checkpoint's config, or --amp) use it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { tempDir, runCli } from '../helpers.js';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { buildDetector } from '../../src/models/presets.js';
import { saveCheckpoint } from '../../src/nn/checkpoint.js';
import { tinyModelConfig } from './tiny-model.js';
import { tinyConfig } from './fixture.js';
import type { ActionDetector } from '../../src/models/detector.js';
import { evaluateDetector, type EvaluateOptions } from '../../src/train/evaluate.js';
import { runTest } from '../../src/train/test-run.js';
import { train } from '../../src/train/loop.js';
import type { Validator } from '../../src/train/validation.js';
import * as torch from '../../src/torch/index.js';

/** Why bf16 autocast cannot run here (libtorch refuses a bf16 convolution on this CPU), or null. */
function bf16Unsupported(): string | null {
  try {
    torch.tidy(() => {
      const x = torch.randn([1, 2, 2, 4, 4]);
      const w = torch.randn([2, 2, 1, 1, 1]);
      const y = torch.autocast('cpu', 'bfloat16', () => x.conv3d(w));
      if (y.dtype !== 'bfloat16') throw new Error(`autocast gave a ${y.dtype} convolution`);
    });
    return null;
  } catch (e) {
    return `libtorch has no bf16 autocast on this CPU: ${(e as Error).message.split('\n')[0]}`;
  }
}
const skip = bf16Unsupported() ?? false;

let tmp: { dir: string; cleanup: () => void };
let data: string;
let ds: Dataset;
let det: ActionDetector;
const cfg = tinyModelConfig();
const opts = (amp: 'none' | 'bf16'): EvaluateOptions => ({
  boxes: 'gt',
  batchSize: 8,
  testShortSide: cfg.input.size,
  clip: { clipLen: cfg.input.frames, frameInterval: cfg.input.frameInterval },
  numWorkers: 0,
  amp,
});

before(async () => {
  tmp = tempDir('stad-evaluate-amp-');
  data = join(tmp.dir, 'ds');
  await generateSynthDataset({ out: data, scale: 0.02, seed: 3, width: 64, height: 48, fps: 5, video: false, jobs: 1 });
  ds = await loadDataset(data);
  torch.manualSeed(5);
  det = buildDetector(cfg);
});
after(() => {
  det.dispose();
  tmp.cleanup();
});

/** Whether a float32 value is exactly a bfloat16 (its low 16 bits are zero). */
function isBf16Value(v: number): boolean {
  const f = new Float32Array([v]);
  return (new Uint32Array(f.buffer)[0]! & 0xffff) === 0;
}

test('bf16 evaluation: the same rows as float32, scores within 0.03, and float32 scores (not rounded to bf16)', { skip }, async () => {
  const before = torch.memory().liveTensors;
  const f32 = await evaluateDetector(det, ds, 'test', opts('none'));
  const bf16 = await evaluateDetector(det, ds, 'test', opts('bf16'));
  assert.equal(torch.memory().liveTensors, before, 'every tensor of both passes freed');
  assert.ok(f32.detections.length > 0);
  assert.equal(bf16.detections.length, f32.detections.length);
  let worst = 0;
  bf16.detections.forEach((d, i) => {
    const r = f32.detections[i]!;
    assert.deepEqual([d.videoId, d.timestamp, d.actionId, d.x1, d.y1, d.x2, d.y2], [r.videoId, r.timestamp, r.actionId, r.x1, r.y1, r.x2, r.y2]);
    worst = Math.max(worst, Math.abs(d.score - r.score));
  });
  // bf16 keeps 8 bits of mantissa: logits off by a few 1e-2 after a dozen layers, the sigmoid's slope is
  // at most 1/4; 0.03 holds on any CPU (oneDNN's bf16 kernels or libtorch's reference ones)
  assert.ok(worst <= 0.03, `largest score difference ${worst}`);
  assert.ok(worst > 0, 'bf16 changed nothing: autocast did not run');
  // the sigmoid ran on float32 logits: scores near 0.5 off the bf16 grid (spacing 2^-8 there)
  assert.ok(bf16.detections.some((d) => !isBf16Value(d.score)), 'every score is a bf16 value');
  assert.ok(bf16.report.allMAP !== null && Number.isFinite(bf16.report.allMAP));
});

test("stad test evaluates in the checkpoint run's precision unless --amp says otherwise", { skip }, async () => {
  const ck = join(tmp.dir, 'run', 'latest.safetensors');
  saveCheckpoint(ck, det, { config: { model: cfg, classes: ds.classes, amp: 'bf16' }, state: { epoch: 1 } });
  const common = { checkpoint: ck, data, split: 'test', gtBoxes: true, batchSize: 8, numWorkers: 0, scoreThreshold: 0.5 };
  const fromRun = await runTest({ ...common, out: join(tmp.dir, 'test-bf16') });
  assert.equal(fromRun.amp, 'bf16');
  const forced = await runTest({ ...common, out: join(tmp.dir, 'test-f32'), amp: 'none' });
  assert.equal(forced.amp, 'none');
  const direct = await evaluateDetector(det, ds, 'test', opts('bf16'));
  assert.equal(fromRun.report.allMAP, direct.report.allMAP);

  const cli = runCli(['test', '--checkpoint', ck, '--data', data, '--gt-boxes', '--workers', '0', '--out', join(tmp.dir, 'test-cli')]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /detections and the report to .* \(forward pass in bf16\)$/m);
  const bad = runCli(['test', '--checkpoint', ck, '--data', data, '--amp', 'fp16']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--amp: expected bf16 or none, got "fp16"/);
});

test('validation inside a bf16 run is asked for bf16', async () => {
  const seen: (string | undefined)[] = [];
  const validator: Validator = async (_det, _ds, _split, o) => {
    seen.push(o.amp);
    const classes = [{ id: 1, name: 'handshake', ap: 0.5, groundTruth: 3, detections: 5 }];
    return { report: { iouThreshold: 0.5, pooled: { mAP: 0.5, classes, keyframes: 3 }, videos: [{ videoId: 'seq5', mAP: 0.5, classes, keyframes: 3 }], allMAP: 0.5 }, detections: [] };
  };
  for (const amp of ['bf16', 'none'] as const) {
    const outDir = join(tmp.dir, `val-${amp}`);
    mkdirSync(outDir);
    const r = await train({ config: tinyConfig(data, { epochs: 1, valInterval: 1, amp }), dataset: ds, outDir, validator });
    r.detector.dispose();
  }
  assert.deepEqual(seen, ['bf16', 'none']);
});
