/**
 * Workers started by `torchrun` itself join the job: the binding's collectives over 2 CPU processes on
 * loopback (test/distributed/collectives-worker.ts), once with torchrun's c10d rendezvous
 * (`--standalone`: rank 0 serves the store on the MASTER_PORT the agent picked) and once with its static
 * rendezvous (`--master_addr/--master_port`: the agent serves the store, TORCHELASTIC_USE_AGENT_STORE);
 * then `stad train` itself, 2 workers under `torchrun --standalone`, to the end of a tiny run.
 *
 * `--redirects 9:0 --tee 9:0`: Debian's torchrun 1.13 on Python 3.11 fails before starting any worker
 * with the defaults ("0" parses to None there: Python 3.11's IntFlag no longer iterates the zero flag,
 * and `to_map` then calls `.get` on None); a mapping that names an absent local rank leaves every
 * worker's output as it is and parses on any version. Skipped where torchrun is missing or still fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/distributed/launcher.js';
import { samplesOfSplit } from '../../src/data/samples.js';
import { repoRoot, tempDir } from '../helpers.js';
import { tinyConfig, tinyDataset } from '../train/fixture.js';

const TORCHRUN = process.env.TORCHRUN ?? 'torchrun';
const WORKAROUND = ['--redirects', '9:0', '--tee', '9:0'];
const worker = join(dirname(fileURLToPath(import.meta.url)), 'collectives-worker.js');

function torchrun(args: string[]): { status: number | null; output: string; missing: boolean } {
  const r = spawnSync(TORCHRUN, [...WORKAROUND, ...args], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, STAD_NUM_THREADS: '1', CI: 'true', FORCE_COLOR: '0' },
  });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, missing };
}

/** Why torchrun cannot start workers here, or null when it can (one worker running `true`). */
function unusable(): string | null {
  const r = torchrun(['--standalone', '--nproc_per_node', '1', '--no_python', 'true']);
  if (r.missing) return `${TORCHRUN} not found`;
  if (r.status !== 0) return `${TORCHRUN} fails here: ${r.output.trim().split('\n').pop() ?? `exit ${r.status}`}`;
  return null;
}

const skip = unusable();

async function collectivesUnder(launch: string[]): Promise<void> {
  const { dir, cleanup } = tempDir('stad-torchrun-');
  try {
    const out = join(dir, 'result.json');
    const r = torchrun([...launch, '--nproc_per_node', '2', '--no_python', process.execPath, worker, out]);
    assert.equal(r.status, 0, r.output);
    const res = JSON.parse(readFileSync(out, 'utf8')) as { allReduce: number[]; broadcast: number[]; allGather: number[][]; bytes: string[] };
    assert.deepEqual(res.allReduce, [3, 30, 3]);
    assert.deepEqual(res.broadcast, [1, 1, 1]);
    assert.deepEqual(res.allGather, [[0, 1], [2, 3]]);
    assert.deepEqual(res.bytes, ['xx', 'xxx']);
  } finally {
    cleanup();
  }
}

test('2 workers started by torchrun --standalone join and run the collectives', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await collectivesUnder(['--standalone']);
});

test("2 workers started by torchrun's static rendezvous join through the agent's store", { skip: skip ?? false, timeout: 300_000 }, async () => {
  const port = await freePort();
  await collectivesUnder(['--nnodes', '1', '--node_rank', '0', '--master_addr', '127.0.0.1', '--master_port', String(port)]);
});

test('stad train: 2 workers started by torchrun --standalone train to the end, rank 0 writes the run', { skip: skip ?? false, timeout: 600_000 }, async () => {
  const fx = await tinyDataset();
  try {
    const n = samplesOfSplit(fx.dataset, 'train').length;
    const global = n % 4 === 0 ? 4 : 2; // a global batch that divides the epoch (no padded last batch)
    const c = tinyConfig(fx.data, { epochs: 1, valInterval: 1, batchSize: global / 2, distributed: { timeoutSec: 60 } });
    const cfg = join(fx.dir, 'torchrun.json');
    writeFileSync(cfg, JSON.stringify(c));
    const out = join(fx.dir, 'run');
    const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
    const r = torchrun(['--standalone', '--nproc_per_node', '2', '--no_python', process.execPath, cli, 'train', '--config', cfg, '--out', out]);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /rank 0 of 2/);
    assert.ok(existsSync(join(out, 'latest.safetensors')), r.output);
    const kinds = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    assert.ok(kinds.includes('val'), kinds.join(' '));
  } finally {
    fx.cleanup();
  }
});
