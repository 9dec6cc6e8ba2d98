import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers.js';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { keyframesOf, loadDataset, type Dataset } from '../../src/data/dataset.js';
import { labelMapOfClasses, via3ToAva } from '../../src/data/convert.js';
import { formatAvaDetections } from '../../src/data/ava.js';
import { buildDetector } from '../../src/models/presets.js';
import { tinyModelConfig } from './tiny-model.js';
import type { ActionDetector } from '../../src/models/detector.js';
import { evaluateDetector, groundTruthOfSplit, type EvaluateOptions, type EvaluationResult } from '../../src/train/evaluate.js';
import { boxTableFromRows, evaluateFiles, evaluateFrameMAP, readAvaBoxCsv, type AvaBoxTable, type DetectionBox } from '../../src/eval/index.js';
import { memory } from '../../src/torch/index.js';
import { UserError } from '../../src/util/errors.js';

let tmp: { dir: string; cleanup: () => void };
let ds: Dataset;
let det: ActionDetector;
const cfg = tinyModelConfig();
const opts = (boxes: 'gt' | 'proposals'): EvaluateOptions => ({
  boxes,
  batchSize: 8,
  testShortSide: cfg.input.size,
  clip: { clipLen: cfg.input.frames, frameInterval: cfg.input.frameInterval },
  numWorkers: 0,
});

before(async () => {
  tmp = tempDir('stad-evaluate-');
  const out = join(tmp.dir, 'ds');
  await generateSynthDataset({ out, scale: 0.02, seed: 3, width: 64, height: 48, fps: 5, video: false, jobs: 1 });
  ds = await loadDataset(out);
  det = buildDetector(cfg);
});
/**
 * One pass per box kind, shared by the tests (each pass takes seconds here). The first test makes them,
 * checking the live-tensor count and the modes around them.
 */
const results = new Map<'gt' | 'proposals', EvaluationResult>();
async function resultFor(which: 'gt' | 'proposals'): Promise<EvaluationResult> {
  if (!results.has(which)) results.set(which, await evaluateDetector(det, ds, 'test', opts(which)));
  return results.get(which)!;
}

after(() => {
  det.dispose();
  tmp.cleanup();
});

/** Boxes with their keyframe and action in the split's keyframe order: the GT rows, keyed. */
function keyOf(r: { videoId: string; timestamp: number; x1: number; y1: number; x2: number; y2: number }): string {
  return [r.videoId, r.timestamp, r.x1, r.y1, r.x2, r.y2].map(String).join('|');
}

test('proposals and ground-truth boxes: well-formed rows at the keyframes, modes restored, live tensors flat', async () => {
  const videos = ds.splits.test!;
  const keyframes = videos.flatMap((v) => keyframesOf(v));
  const timestamps = new Map<string, Set<number>>(videos.map((v) => [v.name, new Set(keyframesOf(v).map((k) => k.avaTimestamp))]));
  det.train();
  det.backbone.eval(); // a mixed state must come back as it was
  const live = memory().liveTensors;
  for (const which of ['proposals', 'gt'] as const) {
    const { detections, report } = await resultFor(which);
    const boxes = keyframes.reduce((n, k) => n + (which === 'gt' ? k.gt.length : k.proposals.length), 0);
    assert.ok(boxes > 0, which);
    assert.equal(detections.length, boxes * 6, `${which}: one row per class (1..6) per box`);
    for (const d of detections) {
      assert.ok(timestamps.get(d.videoId)?.has(d.timestamp), `${which}: ${d.videoId}@${d.timestamp} is a keyframe`);
      assert.ok(0 <= d.x1 && d.x1 <= d.x2 && d.x2 <= 1 && 0 <= d.y1 && d.y1 <= d.y2 && d.y2 <= 1, `${which}: box ${JSON.stringify(d)}`);
      assert.ok(Number.isInteger(d.actionId) && d.actionId >= 1 && d.actionId <= 6);
      assert.ok(d.score >= 0 && d.score <= 1);
    }
    assert.deepEqual(report.videos.map((v) => v.videoId), videos.map((v) => v.name));
    assert.ok(report.pooled.mAP !== null && report.pooled.mAP >= 0 && report.pooled.mAP <= 1);
    assert.equal(memory().liveTensors, live, `${which}: live tensors`);
  }
  assert.equal(det.training, true);
  assert.equal(det.backbone.training, false);
  assert.equal(det.roiHead.training, true);
});

test('ground-truth boxes classified with a score of 1 for their true classes (0 otherwise) give mAP 1 per video and pooled', async () => {
  const { detections } = await resultFor('gt');
  const truth = new Map<string, Set<number>>();
  for (const g of groundTruthOfSplit(ds, 'test')) {
    const k = keyOf(g);
    if (!truth.has(k)) truth.set(k, new Set());
    truth.get(k)!.add(g.actionId);
  }
  // The boxes come back at the GT coordinates (within rounding of the resize and its inverse).
  const snap = (d: DetectionBox): DetectionBox => {
    for (const k of truth.keys()) {
      const [v, ts, x1, y1, x2, y2] = k.split('|');
      if (v === d.videoId && Number(ts) === d.timestamp && [x1, y1, x2, y2].every((c, i) => Math.abs(Number(c) - [d.x1, d.y1, d.x2, d.y2][i]!) < 1e-6)) {
        return { ...d, x1: Number(x1), y1: Number(y1), x2: Number(x2), y2: Number(y2) };
      }
    }
    assert.fail(`detection ${JSON.stringify(d)} is at no ground-truth box`);
  };
  const oracle = detections.map(snap).map((d) => ({ ...d, score: truth.get(keyOf(d))?.has(d.actionId) ? 1 : 0 }));
  const report = evaluateFrameMAP(boxTableFromRows(groundTruthOfSplit(ds, 'test')), boxTableFromRows(oracle), labelMapOfClasses(ds.classes));
  assert.equal(report.videos.length, 4);
  for (const v of report.videos) assert.equal(v.mAP, 1, v.videoId);
  assert.equal(report.pooled.mAP, 1);
  assert.equal(report.allMAP, 1);
});

function tableRows(t: AvaBoxTable, keep: (action: number) => boolean): unknown[] {
  const out: unknown[] = [];
  for (let r = 0; r < t.length; r++) {
    if (!keep(t.action[r]!)) continue;
    out.push([t.videoIds[t.video[r]!], t.timestamp[r], t.x1[r], t.y1[r], t.x2[r], t.y2[r], t.action[r], t.score[r]]);
  }
  return out;
}

test('the in-memory ground truth is what stad convert writes, and the report is what stad eval gives on the written files', async () => {
  const ava = join(tmp.dir, 'ava');
  via3ToAva(ds, ava);
  const lm = labelMapOfClasses(ds.classes);
  const inLabelMap = (a: number) => lm.ids.includes(a);
  const fromCsv = readAvaBoxCsv(join(ava, 'test.csv'), 'ground truth');
  const inMemory = boxTableFromRows(groundTruthOfSplit(ds, 'test'));
  assert.ok(inMemory.length > 0);
  assert.deepEqual(tableRows(inMemory, inLabelMap), tableRows(fromCsv, inLabelMap));

  const result = await resultFor('proposals');
  const detCsv = join(tmp.dir, 'detections.csv');
  writeFileSync(detCsv, formatAvaDetections(result.detections.map((d) => ({ videoId: d.videoId, timestamp: d.timestamp, box: [d.x1, d.y1, d.x2, d.y2], actionId: d.actionId, score: d.score }))));
  const fromFiles = evaluateFiles({ groundTruth: join(ava, 'test.csv'), detections: detCsv, labelMap: join(ava, 'label_map.pbtxt') });
  assert.deepEqual(result.report, fromFiles);
});

test('a detector with the wrong number of classes, or a split the dataset lacks, is a UserError', async () => {
  const other = buildDetector(tinyModelConfig(5));
  try {
    await assert.rejects(evaluateDetector(other, ds, 'test', opts('gt')), (e: unknown) => e instanceof UserError && /7 classes .* 5 outputs/.test(e.message));
  } finally {
    other.dispose();
  }
  await assert.rejects(evaluateDetector(det, ds, 'val', opts('gt')), (e: unknown) => e instanceof UserError && /no split 'val'/.test(e.message));
});
