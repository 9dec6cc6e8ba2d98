import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distEnvFromProcess, rankDevice, workerEnv } from '../../src/distributed/env.js';
import { withoutLauncherFlags } from '../../src/cli/commands/train-launch.js';

test('no distributed variables: a 1-process run', () => {
  assert.equal(distEnvFromProcess({}), null);
});

test("torchrun's variables, and the launcher writes the same", () => {
  const env = { RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500' };
  const d = distEnvFromProcess(env)!;
  assert.deepEqual(d, { rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: 'node0', masterPort: 29500 });
  assert.deepEqual(workerEnv(d), env);
});

test("Slurm's variables stand in for the ranks", () => {
  const d = distEnvFromProcess({ SLURM_PROCID: '5', SLURM_NTASKS: '8', SLURM_LOCALID: '1', SLURM_NTASKS_PER_NODE: '4(x2)', MASTER_ADDR: 'n1', MASTER_PORT: '1234' })!;
  assert.deepEqual(d, { rank: 5, worldSize: 8, localRank: 1, localWorldSize: 4, masterAddr: 'n1', masterPort: 1234 });
});

test('bad or missing variables are one-line user errors naming the variable', () => {
  assert.throws(() => distEnvFromProcess({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'x' }), /environment MASTER_PORT: not set/);
  assert.throws(() => distEnvFromProcess({ RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'x', MASTER_PORT: '1' }), /environment RANK: expected an integer from 0 to 1, got "2"/);
  assert.throws(() => distEnvFromProcess({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'x', MASTER_PORT: '70000' }), /environment MASTER_PORT/);
});

test("the launcher's flags are taken out of the workers' arguments", () => {
  assert.deepEqual(
    withoutLauncherFlags(['train', '--nproc-per-node', '2', '--config', 'c.json', '--master-port=1234', '--nnodes', '1', '--out', 'x']),
    ['train', '--config', 'c.json', '--out', 'x'],
  );
});

test("a worker's plain cuda is its local rank's GPU; cpu and an explicit cuda:N stay", () => {
  const d = distEnvFromProcess({ RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', MASTER_ADDR: 'x', MASTER_PORT: '1' });
  assert.equal(rankDevice('cuda', d), 'cuda:1');
  assert.equal(rankDevice('cpu', d), 'cpu');
  assert.equal(rankDevice('cuda:0', d), 'cuda:0');
  assert.equal(rankDevice('cuda', null), 'cuda');
});
