import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, runCli, tempDir } from '../helpers.js';
import { buildDetector } from '../../src/models/presets.js';
import { saveCheckpoint, toRaw } from '../../src/nn/checkpoint.js';
import { writeSafetensors } from '../../src/serialization/safetensors.js';
import { readVia3 } from '../../src/data/via3/read.js';
import { readAvaDetections } from '../../src/data/ava.js';
import { tinyModelConfig } from '../train/tiny-model.js';

// The hand-made reference-style dataset (64x48 frames; test: seqB, 2 keyframes, 3 boxes), copied so that
// a test can break it, with the ground truth as seqB's proposals (the fixture has none for seqB; seqA's
// frames have a gap that an 8-frame clip runs into).
const CLASSES = ['None', 'handshake', 'point', 'hug', 'push', 'kick', 'punch'];
let tmp: { dir: string; cleanup: () => void };
let data: string;
let ckRun: string;
let ckModelOnly: string;
let ckNoModel: string;
let ckOtherClasses: string;

before(() => {
  tmp = tempDir('stad-test-cmd-');
  data = join(tmp.dir, 'data');
  cpSync(join(fixtures, 'data', 'ref-style'), data, { recursive: true });
  cpSync(join(data, 'annotations', 'test', 'seqB.json'), join(data, 'annotations', 'test', 'seqB_proposal.json'));
  const cfg = tinyModelConfig();
  const det = buildDetector(cfg);
  try {
    ckRun = join(tmp.dir, 'run', 'best.safetensors');
    saveCheckpoint(ckRun, det, { config: { model: cfg, classes: CLASSES }, state: { epoch: 1 } });
    ckNoModel = join(tmp.dir, 'nomodel', 'x.safetensors');
    saveCheckpoint(ckNoModel, det, { state: { epoch: 1 } });
    ckOtherClasses = join(tmp.dir, 'other', 'x.safetensors');
    saveCheckpoint(ckOtherClasses, det, { config: { model: cfg, classes: ['None', 'walk', 'wave', 'run', 'sit', 'stand', 'jump'] } });
    // A checkpoint from elsewhere with only a `model` key.
    ckModelOnly = join(tmp.dir, 'plain', 'model.safetensors');
    const tensors = Object.fromEntries([...det.stateDict()].map(([k, t]) => [k, toRaw(t)]));
    writeSafetensors(ckModelOnly, tensors, { model: JSON.stringify(cfg) });
  } finally {
    det.dispose();
  }
});
after(() => tmp.cleanup());

const common = ['--workers', '0', '--batch-size', '2'];

test('stad test --gt-boxes writes the detections, label map, VIA3 projects and report, and prints the reference form', () => {
  const out = join(tmp.dir, 'out-gt');
  const r = runCli(['test', '--checkpoint', ckRun, '--data', data, '--gt-boxes', '--out', out, ...common]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Evaluating seqB with 2 keyframes$/m);
  assert.match(r.stdout, /^PerformanceByCategory\/AP@0\.5IOU\/punch= /m);
  assert.match(r.stdout, /^all_mAP@0\.5IOU: \d\.\d{4}$/m);
  assert.match(r.stderr, /test 2\/2 100%.*ETA/); // progress (plain lines: stderr is not a terminal here)
  assert.deepEqual(readdirSync(out).sort(), ['detections.csv', 'detections_via3', 'label_map.pbtxt', 'report.json']);
  const rows = readAvaDetections(join(out, 'detections.csv'));
  assert.equal(rows.length, 3 * 6); // 3 GT boxes, 6 classes each
  assert.ok(rows.every((d) => d.videoId === 'seqB' && (d.timestamp === 3 || d.timestamp === 4) && d.box.every((c) => c >= 0 && c <= 1)));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { perVideo: { video: string }[]; allMAP: number };
  assert.deepEqual(report.perVideo.map((v) => v.video), ['seqB']);
  assert.equal(typeof report.allMAP, 'number');
  assert.match(readFileSync(join(out, 'label_map.pbtxt'), 'utf8'), /name: "handshake"\n\s+id: 1\n/);
  const via3 = readVia3(join(out, 'detections_via3', 'seqB.json'));
  assert.equal(via3.boxes.length, 3);
  assert.deepEqual(via3.classes, CLASSES);
  assert.deepEqual([...new Set(via3.boxes.map((b) => b.frameIndex))].sort(), [3, 4]);
  // The boxes come back at the ground truth's pixels.
  const gt = readVia3(join(data, 'annotations', 'test', 'seqB.json'));
  const px = (bs: { box: readonly number[] }[]) => bs.map((b) => b.box.map((c) => Math.round(c * 1000) / 1000)).sort();
  assert.deepEqual(px(via3.boxes), px(gt.boxes));
});

test('stad test on proposals, a checkpoint holding only `model`, the default output folder and --json', () => {
  const r = runCli(['test', '--checkpoint', ckModelOnly, '--data', data, '--json', ...common]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { mAP: number; perVideo: { video: string; keyframes: number }[] };
  assert.deepEqual(report.perVideo.map((v) => [v.video, v.keyframes]), [['seqB', 2]]);
  const out = join(tmp.dir, 'plain', 'test-test');
  assert.equal(readAvaDetections(join(out, 'detections.csv')).length, 3 * 6);
  assert.ok(existsSync(join(out, 'detections_via3', 'seqB.json')));
  // Run again: the folder is replaced as a whole, nothing is left beside it.
  writeFileSync(join(out, 'stale.txt'), 'from an earlier run');
  const again = runCli(['test', '--checkpoint', ckModelOnly, '--data', data, ...common]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readdirSync(join(tmp.dir, 'plain')).sort(), ['model.safetensors', 'test-test']);
  assert.ok(!existsSync(join(out, 'stale.txt')));
});

test('bad input is one line naming the file and field, exit code 2, and nothing written', () => {
  const notSafetensors = join(tmp.dir, 'bad.safetensors');
  writeFileSync(notSafetensors, 'this is not a checkpoint, but long enough to have a header length');
  const noFrames = join(tmp.dir, 'noframes');
  cpSync(data, noFrames, { recursive: true });
  rmSync(join(noFrames, 'images', 'test', 'seqB', 'seqB_00004.jpg'));
  const cases: [string[], RegExp][] = [
    [['--checkpoint', join(tmp.dir, 'missing.safetensors'), '--data', data], /missing\.safetensors: no such checkpoint file/],
    [['--checkpoint', notSafetensors, '--data', data], /bad\.safetensors: header/],
    [['--checkpoint', ckNoModel, '--data', data], /x\.safetensors: __metadata__: no model configuration/],
    [['--checkpoint', ckOtherClasses, '--data', data], /x\.safetensors: __metadata__\.config\.classes: the checkpoint's classes \[None, walk/],
    [['--checkpoint', ckRun, '--data', data, '--split', 'val'], /annotations: the dataset has no split 'val' \(it has train, test\)/],
    [['--checkpoint', ckRun, '--data', noFrames, '--gt-boxes'], /seqB.*keyframe 4 is outside its frames 3-3/],
    [['--checkpoint', ckRun, '--data', data, '--batch-size', '0'], /--batch-size: expected a positive integer, got "0"/],
    [['--checkpoint', ckRun, '--data', data, '--score-thr', 'x'], /--score-thr: expected a number in \[0, 1\]/],
  ];
  for (const [args, message] of cases) {
    const out = join(tmp.dir, 'never');
    const r = runCli(['test', ...args, '--out', out, '--workers', '0']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('stad:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(out), `${args.join(' ')}: wrote ${out}`);
    assert.ok(!readdirSync(tmp.dir).some((f) => f.startsWith('.never')), 'no temporary folder left');
  }
});
