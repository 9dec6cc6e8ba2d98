/** The opt-in leak report: origins recorded only when asked, live tensors grouped by where they were made. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { runCli } from '../helpers.js';

function makesTwoAndLeaksThem(): torch.Tensor[] {
  return [0, 1].map(() => torch.zeros([2, 3])); // one origin (the same line), two tensors
}

function leaksOneInATidy(): torch.Tensor {
  return torch.tidy(() => torch.zeros([4]).add(1));
}

test('leakReport groups the live tensors by origin (function and file), largest group first; disposed ones leave it', () => {
  torch.setLeakTracking(true);
  try {
    const before = torch.leakReport().reduce((n, g) => n + g.count, 0);
    assert.equal(before, 0);
    const two = makesTwoAndLeaksThem();
    const one = leaksOneInATidy();
    torch.tidy(() => {
      torch.zeros([8]).mul(2); // freed by its scope (nothing returned): not reported
    });
    const groups = torch.leakReport();
    assert.equal(groups.length, 2, torch.formatLeakReport(groups));
    assert.equal(groups[0]!.count, 2);
    assert.match(groups[0]!.origin.split('\n')[0]!, /leak-report\.test\.js:\d+:\d+/);
    assert.match(groups[0]!.origin, /at makesTwoAndLeaksThem /);
    assert.deepEqual(groups[0]!.kinds, ['[2, 3] float32']);
    assert.match(groups[1]!.origin, /leaksOneInATidy/);
    const text = torch.formatLeakReport(groups);
    assert.match(text, /^leak report: 3 tensors still alive, from 2 places\n  2 x \[2, 3\] float32 made at\n {6}at .*leak-report\.test\.js/);
    torch.dispose(two);
    one.dispose();
    assert.deepEqual(torch.leakReport(), []);
    assert.equal(torch.formatLeakReport([]), '');
  } finally {
    torch.setLeakTracking(false);
  }
});

test('off by default: nothing recorded', () => {
  const t = torch.zeros([1]);
  try {
    assert.deepEqual(torch.leakReport(), []);
  } finally {
    t.dispose();
  }
});

test('STAD_LEAK_REPORT=1: a command reports at exit (stad demo trains and frees everything)', () => {
  const r = runCli(['demo'], { env: { STAD_LEAK_REPORT: '1' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stad: leak report: no tensor left alive\n$/);
});
