import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatAvaDetections,
  formatAvaExcluded,
  formatAvaGroundTruth,
  parseAvaDetections,
  parseAvaExcluded,
  parseAvaGroundTruth,
  readAvaGroundTruth,
  type AvaGroundTruthRow,
} from '../../src/data/ava.js';
import { UserError } from '../../src/util/errors.js';

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message));
}

test('ground truth: 8 columns, or 7 without person id; CRLF and blank lines; zero-padded timestamps', () => {
  const rows = parseAvaGroundTruth('-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,80,1\r\n\r\nvid2,3,0,0,1,1,12\n', 'gt.csv');
  assert.deepEqual(rows, [
    { videoId: '-5KQ66BBWC4', timestamp: 902, box: [0.077, 0.151, 0.283, 0.811], actionId: 80, personId: 1 },
    { videoId: 'vid2', timestamp: 3, box: [0, 0, 1, 1], actionId: 12, personId: null },
  ]);
});

test('ground truth, detections and excluded timestamps survive a write/read cycle exactly', () => {
  const gt: AvaGroundTruthRow[] = [
    { videoId: 'seq1', timestamp: 17, box: [1 / 3, 0.1, 2 / 3, 0.9], actionId: 2, personId: 0 },
    { videoId: 'seq1', timestamp: 2.5, box: [0, 0, 0.5, 0.5], actionId: null, personId: null },
  ];
  assert.deepEqual(parseAvaGroundTruth(formatAvaGroundTruth(gt), 'x'), gt);
  const det = [
    { videoId: 'a', timestamp: 1, box: [0.1, 0.2, 0.3, 0.4] as [number, number, number, number], actionId: 3, score: 0.8125 },
    { videoId: 'a', timestamp: 1, box: [0.1, 0.2, 0.3, 0.4] as [number, number, number, number], actionId: null, score: 1 },
  ];
  const text = formatAvaDetections(det);
  assert.equal(text.split('\n')[1], 'a,1,0.1,0.2,0.3,0.4,,1');
  assert.deepEqual(parseAvaDetections(text, 'x'), det);
  const ex = [{ videoId: 'b', timestamp: 902 }];
  assert.equal(formatAvaExcluded(ex), 'b,902\n');
  assert.deepEqual(parseAvaExcluded(formatAvaExcluded(ex), 'x'), ex);
});

test('bad rows name file:line and the column', () => {
  throwsUser(() => parseAvaGroundTruth('v,1,0,0,1,1,1,0\nv,1,1.5,0,1,1,1,0\n', 'gt.csv'), /^gt\.csv:2: x1 \(column 3\): expected a coordinate normalised to \[0, 1\], got 1\.5$/);
  throwsUser(() => parseAvaGroundTruth('v,1,0,0,1\n', 'gt.csv'), /^gt\.csv:1: expected 7 or 8 columns \(video_id,timestamp,x1,y1,x2,y2,action_id,person_id\), got 5$/);
  throwsUser(() => parseAvaGroundTruth('v,1,0.5,0,0.2,1,1,0\n', 'gt.csv'), /^gt\.csv:1: x2 \(column 5\) 0\.2 is left of x1 0\.5$/);
  throwsUser(() => parseAvaGroundTruth('v,abc,0,0,1,1,1,0\n', 'gt.csv'), /^gt\.csv:1: timestamp \(column 2\): expected a number, got "abc"$/);
  throwsUser(() => parseAvaGroundTruth('v,1,0,0,1,1,1.5,0\n', 'gt.csv'), /^gt\.csv:1: action_id \(column 7\): expected an integer >= 0/);
  throwsUser(() => parseAvaGroundTruth(',1,0,0,1,1,1,0\n', 'gt.csv'), /^gt\.csv:1: video_id \(column 1\) is empty$/);
  throwsUser(() => parseAvaDetections('v,1,0,0,1,1,1\n', 'det.csv'), /^det\.csv:1: expected 8 columns/);
  throwsUser(() => parseAvaDetections('v,1,0,0,1,1,1,high\n', 'det.csv'), /^det\.csv:1: score \(column 8\): expected a number, got "high"$/);
  throwsUser(() => parseAvaExcluded('v\n', 'ex.csv'), /^ex\.csv:1: expected 2 columns/);
  throwsUser(() => readAvaGroundTruth('/nonexistent/gt.csv'), /^\/nonexistent\/gt\.csv: cannot read AVA CSV: ENOENT$/);
  throwsUser(() => formatAvaGroundTruth([{ videoId: 'a,b', timestamp: 1, box: [0, 0, 1, 1], actionId: 1, personId: 0 }]), /video id "a,b" cannot be written/);
});
