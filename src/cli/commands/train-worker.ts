/**
 * What `stad train` does differently in a worker of a distributed job (src/distributed): it joins the
 * process group, reports quietly unless it is rank 0, and turns a failed collective (usually: another
 * worker stopped) into one line and exit code 1 rather than a stack trace.
 */
import { DataParallel, CollectiveError } from '../../distributed/data-parallel.js';
import type { DistEnv } from '../../distributed/env.js';
import type { RunConfig } from '../../train/config.js';
import type { TrainEvent } from '../../train/progress.js';
import type { Device } from '../../torch/dtype.js';
import { UserError } from '../../util/errors.js';
import { exitWithLauncher } from '../../distributed/orphan.js';

/** Joins the job's process group; NCCL's collectives run on the worker's GPU, Gloo's on the CPU. */
export async function joinDataParallel(env: DistEnv, config: RunConfig, device: Device): Promise<DataParallel> {
  exitWithLauncher(); // a worker of stad's launcher does not outlive it
  const d = config.distributed;
  if (d.backend === 'nccl' && !device.startsWith('cuda')) throw new UserError(`distributed.backend: nccl needs --device cuda (got ${device})`);
  return DataParallel.join(env, { syncBN: d.syncBN, bucketCapMB: d.bucketCapMB, timeoutMs: d.timeoutSec * 1000, backend: d.backend, device: d.backend === 'nccl' ? device : 'cpu' });
}

/** Ranks other than 0 show their notes only (rank 0 shows progress, validation and checkpoints). */
export function workerReporter(err: NodeJS.WritableStream): { handle: (e: TrainEvent) => void } {
  return { handle: (e) => (e.kind === 'note' ? err.write(`${e.message}\n`) : undefined) };
}

/** Runs the training of a worker, leaving the process group at the end; undefined after a failed collective (reported). */
export async function runWorker<T>(parallel: DataParallel | null, fn: () => Promise<T>): Promise<T | undefined> {
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    if (!(e instanceof CollectiveError)) {
      parallel?.close();
      throw e;
    }
    // no close(): the group is broken, and the process ends now anyway
    process.stderr.write(`stad: ${e.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  parallel?.close();
  return result;
}
