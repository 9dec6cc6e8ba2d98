/** `stad selfcheck`: the quick proof that the installation works (a tiny 3D ConvNet learns a motion task). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers.js';

test('stad selfcheck loads libtorch, trains the tiny model to a high held-out accuracy, leaks no tensor', () => {
  const r = runCli(['selfcheck']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^libtorch \S+ from .*; CUDA .*; \d+ threads; oneDNN (on|off)$/m);
  assert.match(r.stdout, /^held-out accuracy \d+\.\d% \(chance 50%\)$/m);
  const j = runCli(['selfcheck', '--json', '--steps', '60']);
  assert.equal(j.code, 0, j.stderr);
  const res = JSON.parse(j.stdout) as { accuracy: number; liveTensorsBefore: number; liveTensorsAfter: number; steps: number };
  assert.equal(res.steps, 60);
  assert.ok(res.accuracy >= 0.9, String(res.accuracy));
  assert.equal(res.liveTensorsAfter, res.liveTensorsBefore);
});

test('stad selfcheck --steps 0: exit 2, one line', () => {
  const r = runCli(['selfcheck', '--steps', '0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^stad: --steps: expected a positive integer/);
});
