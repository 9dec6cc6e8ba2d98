/** The streaming AVA CSV reader with the strict (official) rules: values, frame keys, chunk boundaries, quoting, and errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures, withTempFile } from '../helpers.js';
import { readAvaBoxCsv, readExcludedTimestamps } from '../../src/data/ava.js';
import { parseFloatBytes, parseIntBytes } from '../../src/data/byte-numbers.js';
import { UserError } from '../../src/util/errors.js';

const withFile = <T>(content: string | Buffer, fn: (path: string) => T): T => withTempFile('x.csv', content, fn);

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
    ['v,1.5,0,0,1,1,1,0.5\n', /line 1: timestamp: expected integer seconds \(the official evaluator keys frames by int\(timestamp\)\), got "1.5"/],
    ['v,1,0,zero,1,1,1,0.5\n', /line 1: y1: expected a number, got "zero"/],
    ['v,1,0,0,1,1,a,0.5\n', /line 1: action_id: expected an integer, got "a"/],
    [',1,0,0,1,1,1,0.5\n', /line 1: video_id is empty/],
    ['v,1,0,0,1,1,,0.5\n', /line 1: action_id is empty: the official evaluator needs an action per row; class-agnostic boxes \(person proposals\) cannot be scored per class$/],
    ['v,1,0,0,1,1,1,nan\n', /line 1: score: expected a number, got "nan"/],
  ];
  for (const [text, pattern] of bad) {
    withFile(text, (p) => assert.throws(() => readAvaBoxCsv(p, 'detections'), (e: unknown) => e instanceof UserError && pattern.test(e.message), text));
  }
  withFile('v,1,0,0,1,1,1,pid\n', (p) => assert.throws(() => readAvaBoxCsv(p, 'ground truth'), /person_id: expected a number/));
  withFile('v,1,0,0,1,1,,0\n', (p) => assert.throws(() => readAvaBoxCsv(p, 'ground truth'), /line 1: action_id is empty: .*a box without a label \(`stad convert via3-to-ava --no-background` leaves those out\)$/));
  assert.throws(() => readAvaBoxCsv(join(fixtures, 'eval', 'missing.csv'), 'ground truth'), /missing\.csv: cannot read ground truth: no such file/);
});

test('excluded timestamps: video_id,timestamp with integer seconds', () => {
  assert.deepEqual(withFile('a,0902\nb,7\n', (p) => readExcludedTimestamps(p)), [
    { videoId: 'a', timestamp: 902 },
    { videoId: 'b', timestamp: 7 },
  ]);
  withFile('a,0902,1\n', (p) => assert.throws(() => readExcludedTimestamps(p), /line 1: expected 2 comma-separated columns/));
});

test('fuzzed rows: the fast path reads exactly what a plain split-and-Number() reference reads, or fails with a UserError', () => {
  // deterministic PRNG
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const pieces = ['0', '1', '9', '.', '-', '+', 'e', 'E', ' ', ',', 'x', '5', '00', '0.5', '1e-5', '123456789012345678'];
  const NUM = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  const refNumber = (s: string): number => {
    const t = s.trim();
    if (!NUM.test(t)) return Number.NaN;
    const v = Number(t);
    return Number.isFinite(v) ? v : Number.NaN;
  };
  const refInt = (s: string): number => (/^[+-]?[0-9]+$/.test(s.trim()) && Math.abs(Number(s)) <= 2147483647 ? Number(s) : Number.NaN);
  let parsed = 0;
  let rejected = 0;
  for (let k = 0; k < 400; k++) {
    const fields = ['vid', String(900 + (k % 50)), (rand() * 0.9).toFixed(3), '0.25', (0.5 + rand() * 0.4).toPrecision(1 + Math.floor(rand() * 17)), '0.75', String(1 + (k % 80)), String(rand())];
    let line = fields.join(',');
    const edits = Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) {
      const at = 4 + Math.floor(rand() * (line.length - 4));
      const op = rand();
      if (op < 0.4) line = line.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + line.slice(at);
      else if (op < 0.8) line = line.slice(0, at) + line.slice(at + 1);
      else line = line.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + line.slice(at + 1);
    }
    const cols = line.split(',');
    const nums = cols.length === 7 || cols.length === 8 ? [refInt(cols[1]!), ...cols.slice(2, 6).map(refNumber), refInt(cols[6]!), cols.length === 8 ? refNumber(cols[7]!) : 1] : [Number.NaN];
    const ok = nums.every((v) => !Number.isNaN(v));
    withFile(`${line}\n`, (p) => {
      if (ok) {
        const t = readAvaBoxCsv(p, 'detections');
        assert.deepEqual([t.timestamp[0], t.x1[0], t.y1[0], t.x2[0], t.y2[0], t.action[0], t.score[0]], nums, line);
        parsed++;
      } else {
        assert.throws(() => readAvaBoxCsv(p, 'detections'), (e: unknown) => e instanceof UserError && /x\.csv: line 1: /.test(e.message), line);
        rejected++;
      }
    });
  }
  assert.ok(parsed > 100 && rejected > 50, `parsed ${parsed}, rejected ${rejected}`);
});
