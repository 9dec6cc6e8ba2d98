/** The tie-deciding orderings: numpy's argsort (checked against numpy itself) and the per-frame heap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers.js';
import { heapTopK, numpyArgsort, type TupleColumns } from '../../src/eval/orderings.js';

test('numpyArgsort equals np.argsort (numpy 1.24, default kind) on arrays full of ties, including its heapsort fallback', () => {
  // test/fixtures/eval/argsort.json is written by test/eval/oracle/gen_argsort.py with numpy
  const cases = JSON.parse(readFileSync(join(fixtures, 'eval', 'argsort.json'), 'utf8')) as { values: number[]; argsort: number[] }[];
  assert.ok(cases.length > 50);
  for (const c of cases) assert.deepEqual(Array.from(numpyArgsort(Float64Array.from(c.values))), c.argsort, `n=${c.values.length}`);
});

function columns(rows: [number, number, number, number, number, number][]): TupleColumns {
  return {
    score: Float64Array.from(rows, (r) => r[0]),
    action: Int32Array.from(rows, (r) => r[1]),
    y1: Float64Array.from(rows, (r) => r[2]),
    x1: Float64Array.from(rows, (r) => r[3]),
    y2: Float64Array.from(rows, (r) => r[4]),
    x2: Float64Array.from(rows, (r) => r[5]),
  };
}

test('heapTopK keeps the highest scores, replaces only on a strictly higher score, and orders ties as heapq leaves them', () => {
  // Python: h=[]; for t in rows: (heappush if len(h)<3 else heapreplace if t[0]>h[0][0]); sorted(h, key=-t[0])
  const rows: [number, number, number, number, number, number][] = [
    [0.5, 2, 0, 0, 1, 1],
    [0.5, 1, 0, 0, 1, 1],
    [0.9, 1, 0, 0, 1, 1],
    [0.5, 3, 0, 0, 1, 1], // tie with the smallest kept score: not taken
    [0.7, 1, 0, 0, 1, 1], // replaces the smallest tuple, (0.5, 1, ...)
  ];
  const c = columns(rows);
  const out = new Int32Array(5);
  const n = heapTopK(c, Int32Array.from([0, 1, 2, 3, 4]), 3, out);
  assert.deepEqual(Array.from(out.subarray(0, n)), [2, 4, 0]);
  // uncapped: heap array after pushes is [r1, r0, r2, r3, r4]; stable sort by -score: 2, 4, then the
  // 0.5s in heap order 1, 0, 3
  const all = heapTopK(c, Int32Array.from([0, 1, 2, 3, 4]), 0, out);
  assert.deepEqual(Array.from(out.subarray(0, all)), [2, 4, 1, 0, 3]);
});
