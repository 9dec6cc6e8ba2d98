/** The comparison in the reference's text form, one column per recipe (src/demo/side-by-side.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSideBySide } from '../../src/demo/side-by-side.js';
import type { FrameMapReport } from '../../src/eval/index.js';

function report(a: number, b: number | null): FrameMapReport {
  const classes = (x: number | null, y: number | null) => [
    { id: 1, name: 'kick', ap: x, groundTruth: 1, detections: 1 },
    { id: 2, name: 'punch', ap: y, groundTruth: 1, detections: 1 },
  ];
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.reduce((s, x) => s + x, 0) / v.length;
  };
  return {
    iouThreshold: 0.5,
    pooled: { mAP: mean([a, b]), classes: classes(a, b), keyframes: 5 },
    videos: [
      { videoId: 'seq5', mAP: a, classes: classes(a, null), keyframes: 3 },
      { videoId: 'seq10', mAP: mean([b]), classes: classes(null, b), keyframes: 2 },
    ],
    allMAP: mean([a, mean([b])]),
  };
}

test('one block per video, all_mAP and the pooled figures, one column per recipe; seeds averaged', () => {
  const text = formatSideBySide([
    { name: 'bce', reports: [report(0.5, 0.25)] },
    { name: 'focal_bn', reports: [report(1, 0.5), report(0.5, 0.5)] },
  ]);
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^\s+bce  focal_bn$/);
  assert.equal(lines[1], 'Evaluating seq5 with 3 keyframes');
  assert.match(lines[2]!, /^mAP@0\.5IOU=\s+0\.5000\s+0\.7500$/);
  assert.match(lines[3]!, /^PerformanceByCategory\/AP@0\.5IOU\/kick=\s+0\.5000\s+0\.7500$/);
  assert.match(lines[4]!, /^PerformanceByCategory\/AP@0\.5IOU\/punch=\s+nan\s+nan$/);
  assert.equal(lines[5], 'Evaluating seq10 with 2 keyframes');
  assert.match(text, /\nall_mAP@0\.5IOU:\s+0\.3750\s+0\.6250\n/);
  assert.match(text, /\nmAP@0\.5IOU \(pooled over all test videos\):\s+0\.3750\s+0\.6250\n/);
  // every numeric line has its columns right-aligned at the same place
  const ends = lines.filter((l) => /\d$/.test(l)).map((l) => l.length);
  assert.ok(ends.every((e) => e === ends[0]));
  assert.equal(formatSideBySide([]), '');
});
