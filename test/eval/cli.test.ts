/** `stad eval` end to end: the report forms, flags and error handling (exit 2, file and line). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, runCli, sharedFixtures } from '../helpers.js';

const dir = join(fixtures, 'eval');
const gt = join(dir, 'two-videos-gt.csv');
const pred = join(dir, 'two-videos-det.csv');
const labels = join(dir, 'labelmap-oneline.pbtxt');

test('two videos: the per-video report in the reference form, then all_mAP and the pooled figures', () => {
  const r = runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, readFileSync(join(dir, 'two-videos-report.txt'), 'utf8'));
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'Evaluating seq5 with 2 keyframes');
  assert.equal(lines[1], 'mAP@0.5IOU= 0.8333');
  assert.equal(lines[2], 'PerformanceByCategory/AP@0.5IOU/handshake= 1.0000');
  assert.ok(lines.includes('Evaluating seq10 with 2 keyframes'));
  assert.ok(lines.includes('all_mAP@0.5IOU: 0.7083'));
  assert.ok(lines.includes('mAP@0.5IOU (pooled over all test videos): 0.7292'));
});

test('--json: pooled mAP and per-class APs (null without ground truth); --per-video adds each video', () => {
  const r = runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels, '--json']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout) as { mAP: number; perClass: Record<string, number | null>; perVideo?: unknown };
  assert.ok(Math.abs(j.mAP - 0.7291666666666666) < 1e-12);
  assert.deepEqual(Object.keys(j.perClass), ['handshake', 'point', 'hug', 'push', 'kick', 'punch']);
  assert.equal(j.perClass.point, null);
  assert.equal(j.perClass.kick, 0.5);
  assert.equal(j.perVideo, undefined);
  const pv = JSON.parse(runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels, '--json', '--per-video']).stdout) as {
    allMAP: number;
    perVideo: { video: string; keyframes: number; mAP: number; perClass: Record<string, number | null> }[];
  };
  assert.deepEqual(pv.perVideo.map((v) => v.video), ['seq5', 'seq10']);
  assert.ok(Math.abs(pv.perVideo[1]!.mAP - 0.5833333333333334) < 1e-12);
  assert.equal(pv.perVideo[1]!.perClass.hug, null);
  assert.ok(Math.abs(pv.allMAP - 0.7083333333333333) < 1e-12);
});

test('--exclude, --score-thr and --max-per-frame change what is evaluated', () => {
  const ex = JSON.parse(runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels, '--json', '--per-video', '--exclude', join(dir, 'two-videos-excluded.csv')]).stdout) as {
    perVideo: { video: string; keyframes: number; mAP: number | null }[];
  };
  assert.deepEqual(ex.perVideo.map((v) => [v.video, v.keyframes, v.mAP]), [
    ['seq5', 0, null],
    ['seq10', 2, 0.5833333333333333],
  ]);
  // dropping detections below 0.5 removes the punch TPs (0.35, 0.3) -> punch AP 0
  const thr = JSON.parse(runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels, '--json', '--score-thr', '0.5']).stdout) as { perClass: Record<string, number> };
  assert.equal(thr.perClass.punch, 0);
  // one detection per frame: seq5/903 keeps only handshake .7 -> kick AP 0
  const cap = JSON.parse(runCli(['eval', '--gt', gt, '--pred', pred, '--labels', labels, '--json', '--max-per-frame', '1']).stdout) as { perClass: Record<string, number> };
  assert.equal(cap.perClass.kick, 0);
});

test('the real AVA label map works with the multi-line layout (60 classes)', () => {
  const r = runCli(['eval', '--gt', gt, '--pred', pred, '--labels', join(sharedFixtures, 'ava', 'ava_action_list_v2.1_for_activitynet_2018.pbtxt'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { perClass: Record<string, number | null> };
  assert.equal(Object.keys(j.perClass).length, 60);
  assert.equal(j.perClass['bend/bow (at the waist)'], 0.75); // id 1 = our handshake rows
  assert.equal(j.perClass['crouch/kneel'], 1); // id 3
  assert.equal(j.perClass['fall down'], 0.5); // id 5
  assert.equal(j.perClass['get up'], 0.6666666666666666); // id 6
  assert.equal(j.perClass['dance'], null); // id 4: no ground truth
});

function expectUserError(args: string[], pattern: RegExp): void {
  const r = runCli(['eval', ...args]);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('malformed input: one line naming the file and the line, exit code 2', () => {
  expectUserError(['--gt', gt, '--pred', join(dir, 'bad-columns.csv'), '--labels', labels], /^stad: .*bad-columns\.csv: line 3: expected 7 or 8 comma-separated columns .*got 6$/);
  expectUserError(['--gt', gt, '--pred', join(dir, 'bad-score.csv'), '--labels', labels], /^stad: .*bad-score\.csv: line 2: score: expected a number, got "high"$/);
  expectUserError(['--gt', gt, '--pred', pred, '--labels', join(dir, 'labelmap-dup.pbtxt')], /^stad: .*labelmap-dup\.pbtxt: line 7: duplicate class id 1 \(first on line 3\)$/);
  expectUserError(['--gt', join(dir, 'no_such_file.csv'), '--pred', pred, '--labels', labels], /^stad: .*no_such_file\.csv: cannot read ground truth: no such file$/);
  expectUserError(['--gt', gt, '--pred', pred, '--labels', join(dir, 'nope.pbtxt')], /^stad: .*nope\.pbtxt: cannot read label map: no such file$/);
  expectUserError(['--gt', gt, '--pred', pred, '--labels', labels, '--exclude', join(dir, 'bad-score.csv')], /bad-score\.csv: line 1: expected 2 comma-separated columns/);
});

test('bad flags are usage errors with exit code 2', () => {
  expectUserError(['--gt', gt, '--pred', pred, '--labels', labels, '--max-per-frame', '-1'], /--max-per-frame: expected an integer >= 0, got "-1"$/);
  expectUserError(['--gt', gt, '--pred', pred, '--labels', labels, '--score-thr', 'abc'], /--score-thr: expected a number/);
  expectUserError(['--gt', gt, '--pred', pred, '--labels', labels, '--iou', '0'], /--iou: expected a number in \(0, 1\]/);
  const r = runCli(['eval', '--gt', gt]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /required option/);
});
