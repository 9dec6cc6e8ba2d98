/**
 * `stad train --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] ...`: this
 * process becomes the launcher (src/distributed/launcher.ts) and runs `stad train ...` (the same
 * arguments without the launcher's) N times as workers. Each worker's libtorch gets cores / N threads
 * unless --threads says otherwise.
 */
import { availableCores } from '../../util/cpu.js';
import { UserError } from '../../util/errors.js';
import { launchWorkers } from '../../distributed/launcher.js';

export interface LaunchFlags {
  nprocPerNode?: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort?: number;
  threads?: number;
}

const LAUNCHER_FLAGS = ['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'];

/** argv without the launcher's flags (as `--flag value` or `--flag=value`). */
export function withoutLauncherFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (LAUNCHER_FLAGS.includes(a)) {
      i++; // its value
      continue;
    }
    if (LAUNCHER_FLAGS.some((f) => a.startsWith(`${f}=`))) continue;
    out.push(a);
  }
  return out;
}

export async function runLauncher(flags: LaunchFlags, argv: readonly string[] = process.argv): Promise<void> {
  if (process.env.RANK !== undefined) throw new UserError('--nproc-per-node: this process is already a distributed worker (RANK is set); torchrun launches the workers itself');
  if (flags.nodeRank >= flags.nnodes) throw new UserError(`--node-rank: ${flags.nodeRank} but --nnodes is ${flags.nnodes} (expected 0 .. ${flags.nnodes - 1})`);
  if (flags.nnodes > 1 && flags.masterAddr === '127.0.0.1') throw new UserError('--master-addr: required with --nnodes > 1 (the address of the machine with --node-rank 0)');
  const n = flags.nprocPerNode!;
  const script = argv[1]!;
  const args = withoutLauncherFlags(argv.slice(2));
  if (flags.threads === undefined) args.push('--threads', String(Math.max(1, Math.floor(availableCores() / n))));
  const r = await launchWorkers({
    nprocPerNode: n,
    nnodes: flags.nnodes,
    nodeRank: flags.nodeRank,
    masterAddr: flags.masterAddr,
    masterPort: flags.masterPort,
    workerArgv: [script, ...args],
  });
  if (r.exitCode !== 0) process.exitCode = r.exitCode;
}
