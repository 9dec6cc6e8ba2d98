/**
 * A run stopped by shouldStop in the middle of an epoch, with a decode thread (workers >= 1, as every
 * preset has), returns: the soak benchmark's own run, cut to 200 steps, ends with its figures. Before
 * the fix in the loader's WorkerPool.close, Node found the event loop empty while the threads were
 * being terminated, and train() never returned (the bench exited with code 13, unsettled top-level
 * await). In a child process: the test runner's own handles would keep the loop alive and hide it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

test('a run stopped mid-epoch with a loader thread returns (bench/soak, 200 steps)', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', join(repoRoot, 'dist', 'bench', 'soak', 'index.js'), '--steps', '200', '--every', '100', '--warmup', '50'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.notEqual(r.status, 13, `train() never returned (exit 13):\n${r.stderr}`);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { bench: string; steps: number };
  assert.equal(last.bench, 'soak');
  assert.equal(last.steps, 200);
});
