/** The binding's c10d collectives and SyncBatchNorm, 2 CPU processes on loopback (Gloo). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchWorkers } from '../../src/distributed/launcher.js';
import { tempDir } from '../helpers.js';

interface Result {
  allReduce: number[];
  max: number;
  broadcast: number[];
  allGather: number[][];
  bytes: string[];
  sync: Record<'y' | 'dx' | 'runningMean' | 'runningVar', number[]> & { dw: number[][]; db: number[][] };
  single: Record<'y' | 'dx' | 'dw' | 'db' | 'runningMean' | 'runningVar', number[]>;
}

function close(a: readonly number[], b: readonly number[], what: string): void {
  assert.equal(a.length, b.length, what);
  // float32 sums in another order: rounding-level differences only
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= 1e-4 * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${x} vs ${b[i]}`));
}

test('all-reduce, broadcast, all-gather (tensors and bytes) and SyncBatchNorm over 2 processes', { timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir('stad-dist-');
  try {
    const out = join(dir, 'result.json');
    const worker = join(dirname(fileURLToPath(import.meta.url)), 'collectives-worker.js');
    const r = await launchWorkers({ nprocPerNode: 2, nnodes: 1, nodeRank: 0, masterAddr: '127.0.0.1', workerArgv: [worker, out], env: { STAD_NUM_THREADS: '1' } });
    assert.equal(r.exitCode, 0, r.failure ?? '');
    const res = JSON.parse(readFileSync(out, 'utf8')) as Result;
    assert.deepEqual(res.allReduce, [3, 30, 3]);
    assert.equal(res.max, 1);
    assert.deepEqual(res.broadcast, [1, 1, 1]);
    assert.deepEqual(res.allGather, [[0, 1], [2, 3]]);
    assert.deepEqual(res.bytes, ['xx', 'xxx']);
    // SyncBatchNorm over 2 x 2 clips = BatchNorm over 4: outputs, input gradients, running statistics,
    // and the ranks' parameter gradients sum to the 1-process ones (DDP then averages them)
    close(res.sync.y, res.single.y, 'y');
    close(res.sync.dx, res.single.dx, 'dx');
    close(res.sync.dw[0]!.map((v, i) => v + res.sync.dw[1]![i]!), res.single.dw, 'dweight');
    close(res.sync.db[0]!.map((v, i) => v + res.sync.db[1]![i]!), res.single.db, 'dbias');
    close(res.sync.runningMean, res.single.runningMean, 'running_mean');
    close(res.sync.runningVar, res.single.runningVar, 'running_var');
  } finally {
    cleanup();
  }
});
