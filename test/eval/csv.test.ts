/** The streaming AVA CSV reader: values, frame keys, chunk boundaries, quoting, and errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures, tempDir } from '../helpers.js';
import { readAvaBoxCsv, readExcludedTimestamps } from '../../src/eval/csv.js';
import { parseFloatBytes, parseIntBytes } from '../../src/eval/numbers.js';
import { UserError } from '../../src/util/errors.js';

function withFile<T>(content: string | Buffer, fn: (path: string) => T): T {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'x.csv');
    writeFileSync(p, content);
    return fn(p);
  } finally {
    cleanup();
  }
}

test('numbers parse exactly as Python float()/int() would', () => {
  const f = (s: string) => parseFloatBytes(Buffer.from(s), 0, Buffer.byteLength(s));
  const cases = ['0', '1', '-0.5', '.25', '3.', '1e-3', '2.5E+2', ' 0.125 ', '0.1', '0.30000000000000004', '123456789012345678901234567890', '1e-400', '0.000000000000000000000000001234', '9007199254740993', '-7.00000000000000000001'];
  for (const s of cases) assert.equal(f(s), Number(s.trim()), s);
  for (const s of ['', ' ', 'nan', 'inf', '0x10', '1e', '--1', '1.2.3', 'abc', '1,5', '.', 'e5', '1e999']) assert.ok(Number.isNaN(f(s)), s);
  const i = (s: string) => parseIntBytes(Buffer.from(s), 0, s.length);
  assert.equal(i('0902'), 902);
  assert.equal(i('00902'), 902);
  assert.equal(i(' 7 '), 7);
  assert.equal(i('-3'), -3);
  for (const s of ['902.0', '9e2', '', '+', 'x', '99999999999']) assert.ok(Number.isNaN(i(s)), s);
});

test('rows are read into columns; 7-column rows get score 1.0; video ids are interned in order', () => {
  const t = withFile('\ufeffvidA,0902,0.1,0.2,0.3,0.4,12,0.75\r\nvidB,5,0,0,1,1,3\n\nvidA,902,0.5,0.5,0.6,0.6,1,7\n', (p) => readAvaBoxCsv(p, 'detections'));
  assert.equal(t.length, 3);
  assert.deepEqual(t.videoIds, ['vidA', 'vidB']);
  assert.deepEqual([...t.video], [0, 1, 0]);
  assert.deepEqual([...t.timestamp], [902, 5, 902]);
  assert.deepEqual([...t.x1], [0.1, 0, 0.5]);
  assert.deepEqual([...t.y2], [0.4, 1, 0.6]);
  assert.deepEqual([...t.action], [12, 3, 1]);
  assert.deepEqual([...t.score], [0.75, 1, 7]);
});

test('lines split across read chunks and quoted fields are read the same', () => {
  const lines: string[] = [];
  for (let k = 0; k < 500; k++) lines.push(`video_${k % 7},${900 + (k % 13)},0.${k % 10}1,0.2,0.9,0.95,${1 + (k % 5)},0.${(k * 37) % 1000}`);
  const text = `${lines.join('\n')}\n"quoted,id",0903,0.1,0.1,0.2,0.2,1,"0.5"`;
  const whole = withFile(text, (p) => readAvaBoxCsv(p, 'detections'));
  const chunked = withFile(text, (p) => readAvaBoxCsv(p, 'detections', { chunkSize: 17 }));
  assert.equal(whole.length, 501);
  assert.deepEqual(chunked, whole);
  assert.equal(whole.videoIds[whole.video[500]!], 'quoted,id');
  assert.equal(whole.score[500], 0.5);
});

test('errors name the file and the line', () => {
  const bad: [string, RegExp][] = [
    ['v,1,0,0,1,1,1,0.5\nv,1,0,0,1,1\n', /x\.csv: line 2: expected 7 or 8 comma-separated columns .* got 6$/],
    ['v,1,0,0,1,1,1,0.5,9\n', /line 1: expected 7 or 8 .* got 9$/],
    ['v,1,0,0,1,1,1,high\n', /line 1: score: expected a number, got "high"/],
    ['v,1.5,0,0,1,1,1,0.5\n', /line 1: timestamp: expected integer seconds, got "1.5"/],
    ['v,1,0,zero,1,1,1,0.5\n', /line 1: y1: expected a number, got "zero"/],
    ['v,1,0,0,1,1,a,0.5\n', /line 1: action_id: expected an integer, got "a"/],
    [',1,0,0,1,1,1,0.5\n', /line 1: video_id is empty/],
    ['v,1,0,0,1,1,1,nan\n', /line 1: score: expected a number, got "nan"/],
  ];
  for (const [text, pattern] of bad) {
    withFile(text, (p) => assert.throws(() => readAvaBoxCsv(p, 'detections'), (e: unknown) => e instanceof UserError && pattern.test(e.message), text));
  }
  withFile('v,1,0,0,1,1,1,pid\n', (p) => assert.throws(() => readAvaBoxCsv(p, 'ground truth'), /person_id: expected a number/));
  assert.throws(() => readAvaBoxCsv(join(fixtures, 'eval', 'missing.csv'), 'ground truth'), /missing\.csv: cannot read ground truth: no such file/);
});

test('excluded timestamps: video_id,timestamp with integer seconds', () => {
  assert.deepEqual(withFile('a,0902\nb,7\n', (p) => readExcludedTimestamps(p)), [
    { videoId: 'a', timestamp: 902 },
    { videoId: 'b', timestamp: 7 },
  ]);
  withFile('a,0902,1\n', (p) => assert.throws(() => readExcludedTimestamps(p), /line 1: expected 2 comma-separated columns/));
});
