/** AVA CSVs with the lenient rules (conversion input), the two modes side by side, and the writers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTempFile } from '../helpers.js';
import {
  formatAvaDetections,
  formatAvaGroundTruth,
  readAvaBoxCsv,
  readAvaDetections,
  readAvaGroundTruth,
  scanAvaBoxCsv,
  type AvaCsvMode,
  type AvaDetectionRow,
  type AvaGroundTruthRow,
} from '../../src/data/ava.js';
import { UserError } from '../../src/util/errors.js';

const withFile = <T>(content: string, fn: (path: string) => T): T => withTempFile('gt.csv', content, fn);

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && !e.message.includes('\n') && pattern.test(e.message));
}

test('ground truth: 8 columns, or 7 without person id; CRLF and blank lines; zero-padded timestamps', () => {
  const rows = withFile('-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,80,1\r\n\r\nvid2,3,0,0,1,1,12\n', readAvaGroundTruth);
  assert.deepEqual(rows, [
    { videoId: '-5KQ66BBWC4', timestamp: 902, box: [0.077, 0.151, 0.283, 0.811], actionId: 80, personId: 1 },
    { videoId: 'vid2', timestamp: 3, box: [0, 0, 1, 1], actionId: 12, personId: null },
  ]);
});

test('ground truth and detections survive a write/read cycle exactly', () => {
  const gt: AvaGroundTruthRow[] = [
    { videoId: 'seq1', timestamp: 17, box: [1 / 3, 0.1, 2 / 3, 0.9], actionId: 2, personId: 0 },
    { videoId: 'seq1', timestamp: 2.5, box: [0, 0, 0.5, 0.5], actionId: null, personId: null },
  ];
  assert.deepEqual(withFile(formatAvaGroundTruth(gt), readAvaGroundTruth), gt);
  const det: AvaDetectionRow[] = [
    { videoId: 'a', timestamp: 1, box: [0.1, 0.2, 0.3, 0.4], actionId: 3, score: 0.8125 },
    { videoId: 'a', timestamp: 1, box: [0.1, 0.2, 0.3, 0.4], actionId: null, score: 1 },
  ];
  const text = formatAvaDetections(det);
  assert.equal(text.split('\n')[1], 'a,1,0.1,0.2,0.3,0.4,,1');
  assert.deepEqual(withFile(text, readAvaDetections), det);
});

test('one reader, two modes: what each accepts', () => {
  // [row, strict reads it, lenient reads it]
  const cases: [string, boolean, boolean][] = [
    ['v,0902,0.1,0.2,0.3,0.4,5,0.5', true, true],
    ['v,2.5,0.1,0.2,0.3,0.4,5,0.5', false, true], // decimal seconds: only for conversion
    ['v,1,0.1,0.2,0.3,0.4,,0.5', false, true], // no action (a proposal)
    ['v,-1,0.1,0.2,0.3,0.4,5,0.5', true, false], // Python's int() reads it; no time is negative
    ['v,1,-0.1,0.2,0.3,0.4,5,0.5', true, false], // the official evaluator takes any number; conversion needs [0, 1]
    ['v,1,0.3,0.2,0.1,0.4,5,0.5', true, false], // x2 < x1: an empty box to the evaluator, an error to conversion
    ['v,1,0.1,0.2,0.3,0.4,-5,0.5', true, false], // an id outside the label map is dropped by the evaluator
    ['v,1,0.1,0.2,0.3,0.4,5', true, true], // 7 columns: score 1.0
    ['v,1,0.1,0.2,0.3,0.4,5,x', false, false],
    ['v,1,0.1,0.2,0.3,0.4', false, false],
  ];
  const reads = (row: string, mode: AvaCsvMode): boolean =>
    withFile(`${row}\n`, (p) => {
      try {
        scanAvaBoxCsv(p, 'detections', mode, () => {});
        return true;
      } catch (e) {
        if (!(e instanceof UserError) || !/gt\.csv: line 1: /.test(e.message)) throw e;
        return false;
      }
    });
  for (const [row, strict, lenient] of cases) assert.deepEqual([reads(row, 'strict'), reads(row, 'lenient')], [strict, lenient], row);
  // Both modes read the same values from a row both accept.
  const strictTable = withFile('v,0902,0.1,0.2,0.3,0.4,5,0.25\nv,7,0,0,1,1,2\n', (p) => readAvaBoxCsv(p, 'detections'));
  const lenientRows = withFile('v,0902,0.1,0.2,0.3,0.4,5,0.25\nv,7,0,0,1,1,2\n', readAvaDetections);
  assert.deepEqual(
    lenientRows.map((r) => [r.timestamp, ...r.box, r.actionId, r.score]),
    [0, 1].map((i) => [strictTable.timestamp[i], strictTable.x1[i], strictTable.y1[i], strictTable.x2[i], strictTable.y2[i], strictTable.action[i], strictTable.score[i]]),
  );
});

test('bad rows name file, line and column', () => {
  const gt = (text: string) => () => withFile(text, readAvaGroundTruth);
  throwsUser(gt('v,1,0,0,1,1,1,0\nv,1,1.5,0,1,1,1,0\n'), /gt\.csv: line 2: x1: expected a coordinate normalised to \[0, 1\], got 1\.5$/);
  throwsUser(gt('v,1,0,0,1\n'), /gt\.csv: line 1: expected 7 or 8 comma-separated columns \(video_id,timestamp,x1,y1,x2,y2,action_id\[,person_id\]\), got 5$/);
  throwsUser(gt('v,1,0.5,0,0.2,1,1,0\n'), /gt\.csv: line 1: x2 0\.2 is left of x1 0\.5$/);
  throwsUser(gt('v,abc,0,0,1,1,1,0\n'), /gt\.csv: line 1: timestamp: expected a number >= 0, got "abc"$/);
  throwsUser(gt('v,1,0,0,1,1,1.5,0\n'), /gt\.csv: line 1: action_id: expected an integer >= 0, got "1\.5"$/);
  throwsUser(gt('v,1,0,0,1,1,1,0.5\n'), /gt\.csv: line 1: person_id: expected an integer >= 0, got "0\.5"$/);
  throwsUser(gt(',1,0,0,1,1,1,0\n'), /gt\.csv: line 1: video_id is empty$/);
  throwsUser(() => withFile('v,1,0,0,1,1,1,high\n', readAvaDetections), /gt\.csv: line 1: score: expected a number, got "high"$/);
  throwsUser(() => withFile('v,1,0,0,1,1,1,\n', readAvaDetections), /gt\.csv: line 1: score: expected a number, got ""$/);
  throwsUser(() => readAvaGroundTruth('/nonexistent/gt.csv'), /^\/nonexistent\/gt\.csv: cannot read ground truth: no such file$/);
  throwsUser(() => formatAvaGroundTruth([{ videoId: 'a,b', timestamp: 1, box: [0, 0, 1, 1], actionId: 1, personId: 0 }]), /video id "a,b" cannot be written/);
  throwsUser(() => formatAvaDetections([{ videoId: '"q', timestamp: 1, box: [0, 0, 1, 1], actionId: 1, score: 1 }]), /video id "\\"q" cannot be written/);
});
