/**
 * Data-parallel training end to end, 2 CPU processes on loopback (Gloo) through `stad train
 * --nproc-per-node 2`: the same data, seed and global batch as a 1-process run give the same weights,
 * and a worker killed with SIGKILL ends the job with one clear line instead of a hang.
 *
 * What makes the comparison exact (up to float summation order):
 * - SyncBatchNorm: BatchNorm statistics over the global batch, as one process computes them (per-rank
 *   statistics of 2 clips would differ from those of 4);
 * - no dropout: each rank draws its own masks for its own RoIs, which one process draws differently;
 * - numRois above the boxes any clip has, so the assigner samples nothing at random;
 * - a loss that is a mean over RoIs (bce), which the ranks weight by their share of the global batch's RoIs;
 * - a clip count that the global batch divides (else the distributed sampler pads the last batch).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointWeights } from './checkpoint-weights.js';
import { samplesOfSplit } from '../../src/data/samples.js';
import { repoRoot, runCli } from '../helpers.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';

let fx: Awaited<ReturnType<typeof tinyDataset>>;
before(async () => {
  fx = await tinyDataset();
});
after(() => fx.cleanup());

function configFile(name: string, over: Record<string, unknown>): string {
  const c = tinyConfig(fx.data, { epochs: 1, valInterval: 1, assigner: { numRois: 64 }, ...over });
  c.model.head = { ...c.model.head, dropout: 0, logitNorm: 'none' };
  const p = join(fx.dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(c));
  return p;
}

function lastVal(run: string): number {
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; all_mAP?: number });
  return lines.filter((l) => l.type === 'val').pop()!.all_mAP!;
}

test('2 processes with 2 clips each train the same weights as 1 process with 4 (SyncBatchNorm, no dropout)', () => {
  const n = samplesOfSplit(fx.dataset, 'train').length;
  // the global batch must divide the epoch (see the top); 4 or 2 clips per global batch
  const global = n % 4 === 0 ? 4 : 2;
  assert.equal(n % global, 0, `${n} training keyframes`);
  const one = join(fx.dir, 'one');
  const two = join(fx.dir, 'two');
  const r1 = runCli(['train', '--config', configFile('one', { batchSize: global }), '--out', one], { env: { CI: 'true' } });
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = runCli(['train', '--config', configFile('two', { batchSize: global / 2, distributed: { syncBN: true, timeoutSec: 60 } }), '--out', two, '--nproc-per-node', '2'], {
    env: { CI: 'true' },
  });
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /distributed: 2 processes x \d clips/);
  assert.match(r2.stderr, /\[rank 1\] rank 1 of 2/);
  const a = checkpointWeights(join(one, 'latest.safetensors'));
  const b = checkpointWeights(join(two, 'latest.safetensors'));
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  let worst = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) {
      // float32 sums in another order (all-reduce, SyncBatchNorm): rounding-level differences only
      const d = Math.abs(x[i]! - y[i]!) / (1e-3 + Math.abs(x[i]!));
      worst = Math.max(worst, d);
    }
  }
  assert.ok(worst < 1e-3, `largest relative weight difference ${worst}`);
  // validation over both ranks' shards, gathered: the same score as one process
  assert.ok(Math.abs(lastVal(one) - lastVal(two)) < 1e-6, `all_mAP ${lastVal(one)} vs ${lastVal(two)}`);
});

test('a worker killed with SIGKILL ends the job with a clear message, not a hang', { timeout: 180_000 }, async () => {
  const cfg = configFile('long', { batchSize: 2, epochs: 200, distributed: { timeoutSec: 30 } });
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'train', '--config', cfg, '--out', join(fx.dir, 'killed'), '--nproc-per-node', '2'], {
    env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let killedAt = 0;
  child.stdout.resume();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr += s;
    // rank 1 says its pid once it has joined
    const pid = /\[rank 1\] rank 1 of 2 \(pid (\d+)\)/.exec(stderr)?.[1];
    if (pid && killedAt === 0) {
      killedAt = performance.now();
      setTimeout(() => process.kill(Number(pid), 'SIGKILL'), 1500); // while it trains (the run is far longer)
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.ok(killedAt > 0, `rank 1 was never killed:\n${stderr}`);
  assert.notEqual(code, 0);
  assert.match(stderr, /stad train: rank 1 \(pid \d+\) was killed by SIGKILL; stopping the other 1 worker/);
  // no wall-clock assertion: a hang would time the test out (node:test's own timeout below)
});
