/**
 * Where a worker stands in a distributed job, from the environment that `torchrun` sets (RANK,
 * WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), which stad's own launcher sets
 * the same way. Under Slurm (`srun`), SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID stand in for the
 * ranks when RANK is absent, so a batch script needs only MASTER_ADDR and MASTER_PORT.
 */
import { UserError } from '../util/errors.js';
import type { Device } from '../torch/dtype.js';

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = env[name]!;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`environment ${name}: expected an integer from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

/**
 * The worker's place in the job, or null when the environment names none (a plain 1-process run).
 * UserError for inconsistent or missing variables.
 */
export function distEnvFromProcess(env: Env = process.env): DistEnv | null {
  const slurm = env.RANK === undefined && env.SLURM_PROCID !== undefined && env.SLURM_NTASKS !== undefined && env.MASTER_ADDR !== undefined;
  const names = slurm
    ? { rank: 'SLURM_PROCID', world: 'SLURM_NTASKS', local: 'SLURM_LOCALID', localWorld: 'SLURM_NTASKS_PER_NODE' }
    : { rank: 'RANK', world: 'WORLD_SIZE', local: 'LOCAL_RANK', localWorld: 'LOCAL_WORLD_SIZE' };
  if (env[names.rank] === undefined && env[names.world] === undefined) return null;
  for (const n of [names.rank, names.world, 'MASTER_ADDR', 'MASTER_PORT']) {
    if (env[n] === undefined) throw new UserError(`environment ${n}: not set (a distributed worker needs ${names.rank}, ${names.world}, MASTER_ADDR and MASTER_PORT)`);
  }
  const worldSize = intVar(env, names.world, 1);
  const rank = intVar(env, names.rank, 0, worldSize - 1);
  const localRank = env[names.local] !== undefined ? intVar(env, names.local, 0) : 0;
  // SLURM_NTASKS_PER_NODE may read "2(x3)"; only its leading count matters here
  const localWorldRaw = env[names.localWorld]?.match(/^\d+/)?.[0];
  const localWorldSize = localWorldRaw !== undefined ? Math.max(1, Number(localWorldRaw)) : 1;
  const masterAddr = env.MASTER_ADDR!.trim();
  if (masterAddr === '') throw new UserError('environment MASTER_ADDR: empty');
  const masterPort = intVar(env, 'MASTER_PORT', 1, 65535);
  return { rank, worldSize, localRank, localWorldSize, masterAddr, masterPort };
}

/** The variables a worker gets from the launcher (as torchrun sets them). */
export function workerEnv(d: DistEnv): Record<string, string> {
  return {
    RANK: String(d.rank),
    WORLD_SIZE: String(d.worldSize),
    LOCAL_RANK: String(d.localRank),
    LOCAL_WORLD_SIZE: String(d.localWorldSize),
    MASTER_ADDR: d.masterAddr,
    MASTER_PORT: String(d.masterPort),
  };
}

/** A worker's device: plain `cuda` means the GPU of its local rank (as torchrun scripts pick it); anything else as given. */
export function rankDevice(device: Device, env: DistEnv | null): Device {
  return env !== null && device === 'cuda' ? `cuda:${env.localRank}` : device;
}
