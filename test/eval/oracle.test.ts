/**
 * Agreement with the official AVA evaluator on randomized inputs: test/fixtures/eval/oracle/caseNN
 * hold inputs made by test/eval/oracle/gen_cases.py and the results of test/eval/oracle/ava_oracle.py
 * (the official algorithm on Python's heapq/sorted and numpy's argsort/argmax/sum, run with
 * /usr/bin/python3 and committed). Every AP, mAP and all_mAP must agree to 1e-9.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import { evaluateFiles, jsonReport } from '../../src/eval/index.js';

interface Expected {
  mAP: number | null;
  perClass: Record<string, number | null>;
  keyframes: number;
  allMAP: number | null;
  perVideo: { video: string; mAP: number | null; perClass: Record<string, number | null>; keyframes: number }[];
}

const root = join(fixtures, 'eval', 'oracle');
const cases = readdirSync(root).filter((d) => d.startsWith('case')).sort();

function close(actual: number | null | undefined, expected: number | null, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected null, got ${actual}`);
    return;
  }
  assert.ok(typeof actual === 'number', `${what}: expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: expected ${expected}, got ${actual}`);
}

test('there are oracle cases to check', () => {
  assert.ok(cases.length >= 20);
});

for (const name of cases) {
  test(`oracle ${name}: pooled, per-class, per-video and all_mAP agree to 1e-9`, () => {
    const dir = join(root, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const options = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as { maxPerFrame: number; scoreThreshold: number | null };
    const report = evaluateFiles(
      { groundTruth: join(dir, 'gt.csv'), detections: join(dir, 'det.csv'), labelMap: join(dir, 'labelmap.pbtxt'), excluded: join(dir, 'excluded.csv') },
      { maxPerFrame: options.maxPerFrame, scoreThreshold: options.scoreThreshold ?? undefined },
    );
    const got = jsonReport(report, true);
    close(got.mAP, expected.mAP, `${name} mAP`);
    assert.equal(got.keyframes, expected.keyframes, `${name} keyframes`);
    assert.deepEqual(Object.keys(got.perClass), Object.keys(expected.perClass));
    for (const [cls, ap] of Object.entries(expected.perClass)) close(got.perClass[cls], ap, `${name} AP ${cls}`);
    assert.equal(got.perVideo?.length, expected.perVideo.length);
    expected.perVideo.forEach((ev, i) => {
      const gv = got.perVideo![i]!;
      assert.equal(gv.video, ev.video);
      assert.equal(gv.keyframes, ev.keyframes, `${name} ${ev.video} keyframes`);
      close(gv.mAP, ev.mAP, `${name} ${ev.video} mAP`);
      for (const [cls, ap] of Object.entries(ev.perClass)) close(gv.perClass[cls], ap, `${name} ${ev.video} AP ${cls}`);
    });
    close(got.allMAP, expected.allMAP, `${name} all_mAP`);
  });
}
