/**
 * Decisions the ranks of a distributed job must take together, end to end with 2 CPU processes on
 * loopback (Gloo):
 * - a non-finite loss on one rank only (STAD_TEST_NONFINITE in that worker's environment): every rank
 *   skips that step (a rank that skipped its backward while the others all-reduced would hang them),
 *   so the weights are those of a 1-process run that skipped the same step. The workers are started
 *   as torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment), which
 *   also covers joining without stad's launcher; the same with gradient accumulation, the NaN in a
 *   batch that does not end its group (the rank's NaN gradients stay local until the group's last batch
 *   averages them, src/distributed/step-agreement.ts);
 * - SIGINT to stad's launcher: passed to every worker once, the ranks stop after the same step, rank 0
 *   alone saves, the job exits 130, and `--resume` with the same launch finishes the run;
 * - the launcher killed with SIGKILL: its workers (in their own process group) stop by themselves.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointWeights } from './checkpoint-weights.js';
import { samplesOfSplit } from '../../src/data/samples.js';
import { freePort } from '../../src/distributed/launcher.js';
import { repoRoot, runCli } from '../helpers.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';

const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

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

/** The largest relative difference between two runs' final weights (float32 sums in another order,
 * all-reduce and SyncBatchNorm, give rounding-level differences only). */
function largestWeightDifference(runA: string, runB: string): number {
  const x = checkpointWeights(join(runA, 'latest.safetensors'));
  const y = checkpointWeights(join(runB, 'latest.safetensors'));
  let worst = 0;
  for (const [k, u] of x) {
    const v = y.get(k)!;
    for (let i = 0; i < u.length; i++) worst = Math.max(worst, Math.abs(u[i]! - v[i]!) / (1e-3 + Math.abs(u[i]!)));
  }
  return worst;
}

function metrics(run: string): { type: string; iter?: number; reason?: string }[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; iter?: number; reason?: string });
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

test('a non-finite loss on one rank only: every rank skips the step (workers joined as torchrun starts them)', { timeout: 600_000 }, async () => {
  const n = samplesOfSplit(fx.dataset, 'train').length;
  const global = n % 4 === 0 ? 4 : 2;
  assert.equal(n % global, 0, `${n} training keyframes`);
  assert.ok(n / global >= 3, `${n / global} batches: iteration 2 must be one of several`);
  const one = join(fx.dir, 'one');
  const two = join(fx.dir, 'two');
  const r1 = runCli(['train', '--config', configFile('one', { batchSize: global }), '--out', one], { env: { CI: 'true', STAD_TEST_NONFINITE: '2' } });
  assert.equal(r1.code, 0, r1.stderr);
  const cfg = configFile('two', { batchSize: global / 2, distributed: { syncBN: true, timeoutSec: 60 } });
  const port = await freePort();
  const common = { WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), LOCAL_WORLD_SIZE: '2' };
  const args = ['train', '--config', cfg, '--out', two];
  const [a, b] = await Promise.all([
    run(args, { ...common, RANK: '0', LOCAL_RANK: '0' }),
    run(args, { ...common, RANK: '1', LOCAL_RANK: '1', STAD_TEST_NONFINITE: '2' }), // only rank 1's loss is NaN
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const skipped = metrics(two).filter((m) => m.type === 'skipped-step');
  assert.deepEqual(skipped.map((m) => m.iter), [2], JSON.stringify(skipped));
  assert.match(skipped[0]!.reason!, /non-finite loss on another rank/);
  assert.deepEqual(metrics(one).filter((m) => m.type === 'skipped-step').map((m) => m.iter), [2]);
  const worst = largestWeightDifference(one, two);
  assert.ok(worst < 1e-3, `largest relative weight difference ${worst}`);
});

test('with gradient accumulation, a non-finite loss on one rank in a batch that does not end the group: every rank skips the group', { timeout: 600_000 }, async () => {
  const n = samplesOfSplit(fx.dataset, 'train').length;
  const global = n % 4 === 0 && n / 4 >= 4 ? 4 : 2;
  assert.equal(n % global, 0, `${n} training keyframes`); // (an odd batch count ends the epoch on a group of 1, in both runs)
  assert.ok(n / global >= 4, `${n / global} batches: groups of 2 batches, iteration 3 starts the second`);
  // iteration 3 opens the second group of 2: rank 1's NaN gradients stay local until iteration 4 averages them
  const one = join(fx.dir, 'acc-one');
  const two = join(fx.dir, 'acc-two');
  const r1 = runCli(['train', '--config', configFile('acc-one', { batchSize: global, accumulate: 2 }), '--out', one], { env: { CI: 'true', STAD_TEST_NONFINITE: '3' } });
  assert.equal(r1.code, 0, r1.stderr);
  const cfg = configFile('acc-two', { batchSize: global / 2, accumulate: 2, distributed: { syncBN: true, timeoutSec: 60 } });
  const port = await freePort();
  const common = { WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), LOCAL_WORLD_SIZE: '2' };
  const args = ['train', '--config', cfg, '--out', two];
  const [a, b] = await Promise.all([run(args, { ...common, RANK: '0', LOCAL_RANK: '0' }), run(args, { ...common, RANK: '1', LOCAL_RANK: '1', STAD_TEST_NONFINITE: '3' })]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(metrics(two).filter((m) => m.type === 'skipped-step').map((m) => m.iter), [4]);
  assert.deepEqual(metrics(one).filter((m) => m.type === 'skipped-step').map((m) => m.iter), [4]);
  const worst = largestWeightDifference(one, two);
  assert.ok(worst < 1e-3, `largest relative weight difference ${worst}`);
});

test("SIGINT to stad's launcher: the workers stop after the same step, rank 0 saves once, --resume finishes", { timeout: 600_000 }, async () => {
  const out = join(fx.dir, 'interrupted');
  const cfg = configFile('interrupted', { batchSize: 1, epochs: 2, distributed: { timeoutSec: 60 } });
  // slow steps, so that the signal arrives mid-epoch
  const env = { ...process.env, CI: 'true', FORCE_COLOR: '0', STAD_TEST_STEP_DELAY_MS: '300' };
  const child = spawn(process.execPath, [cli, 'train', '--config', cfg, '--out', out, '--nproc-per-node', '2'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr += s;
    // rank 1 has joined and both train: a few 300 ms steps later, Ctrl-C
    if (!sent && /\[rank 1\] rank 1 of 2/.test(stderr)) {
      sent = true;
      setTimeout(() => child.kill('SIGINT'), 3000);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  assert.equal(stderr.match(/SIGINT: saved .*latest\.safetensors/g)?.length, 1, stderr);
  assert.doesNotMatch(stderr, /stopping the other|failed/);
  assert.ok(existsSync(join(out, 'latest.safetensors')));
  const resumed = runCli(['train', '--resume', out, '--nproc-per-node', '2'], { env: { CI: 'true' } });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resumed .* (in epoch|after epoch)/);
  assert.match(resumed.stdout, /done: 2 epochs/);
});

test('the launcher killed with SIGKILL: its workers notice and exit', { timeout: 300_000 }, async () => {
  const cfg = configFile('orphaned', { batchSize: 1, epochs: 50, distributed: { timeoutSec: 60 } });
  const env = { ...process.env, CI: 'true', FORCE_COLOR: '0', STAD_TEST_STEP_DELAY_MS: '300' };
  const child = spawn(process.execPath, [cli, 'train', '--config', cfg, '--out', join(fx.dir, 'orphaned'), '--nproc-per-node', '2'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const pids = await new Promise<number[]>((resolve) => {
    child.stderr.on('data', (s: string) => {
      stderr += s;
      const found = [...stderr.matchAll(/rank \d of 2 \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      if (found.length === 2) resolve(found);
    });
  });
  child.kill('SIGKILL');
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // no wall-clock assertion: a worker that never noticed would time the test out
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 200));
  assert.ok(!pids.some(alive));
});
