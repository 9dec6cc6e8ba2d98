/**
 * What `stad train` does differently in a worker of a distributed job (src/distributed): it joins the
 * process group, reports quietly unless it is rank 0, and turns a failed collective (usually: another
 * worker stopped) into one line and exit code 1 rather than a stack trace.
 */
import { DataParallel, CollectiveError } from '../../distributed/data-parallel.js';
import type { DistEnv } from '../../distributed/env.js';
import type { RunConfig } from '../../train/config.js';
import type { TrainEvent } from '../../train/progress.js';

export async function joinDataParallel(env: DistEnv, config: RunConfig): Promise<DataParallel> {
  const d = config.distributed;
  return DataParallel.join(env, { syncBN: d.syncBN, bucketCapMB: d.bucketCapMB, timeoutMs: d.timeoutSec * 1000, backend: d.backend, device: d.backend === 'nccl' ? `cuda:${env.localRank}` : 'cpu' });
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
