/**
 * `stad train --config <preset|file> [--data <dir>] [--out <runs/name>] [--set k=v]... [--resume <dir>]
 * [--load-from <ckpt>] [--epochs N] [--batch-size N] [--no-scale-lr] [--device cuda[:N]] [--amp bf16]
 * [--cudnn-benchmark] [--deterministic] [--nproc-per-node N [--nnodes M --node-rank R --master-addr A
 * --master-port P]]`: trains a detector with
 * validation each epoch (src/train). Everything a user can get wrong (the config, the dataset, the run
 * folder, the checkpoint) is checked before the run folder is created.
 */
import type { Command } from 'commander';
import { intOption } from '../flags.js';
import { UserError } from '../../util/errors.js';
import type { TrainCommandFlags } from './train-run.js';
import type { LaunchFlags } from './train-launch.js';

type TrainFlags = TrainCommandFlags;

function ampMode(v: string): string {
  if (v !== 'none' && v !== 'bf16') throw new UserError(`--amp: expected bf16 or none, got "${v}"`);
  return v;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a detector: validation every epoch, checkpoints, resumable (configs/ holds the presets)')
    .option('--config <preset|file>', 'a preset name from configs/ or a JSON file')
    .option('--data <dir>', "dataset folder (overrides the config's data.dir)")
    .option('--out <dir>', 'run folder (default runs/<config name>); must be absent or empty')
    .option('--set <key=value>', 'override a config field before validation, e.g. optim.lr=0.01 (value as JSON, else text); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--resume <dir>', 'continue a stopped run from <dir>/latest.safetensors with its saved config')
    .option('--load-from <ckpt>', 'initialise the backbone from a Kinetics-400 checkpoint (safetensors from `stad convert checkpoint`)')
    .option('--epochs <n>', 'override epochs', intOption('--epochs', 1))
    .option('--batch-size <n>', 'override batchSize (the lr scales linearly unless --no-scale-lr)', intOption('--batch-size', 1))
    .option('--no-scale-lr', 'keep optim.lr as written whatever the batch size')
    .option('--workers <n>', 'override workers (loader threads)', intOption('--workers', 0))
    .option('--threads <n>', "override threads (libtorch's intra-op threads)", intOption('--threads', 1))
    .option('--log-every <n>', 'off a terminal: one progress line every n steps', intOption('--log-every', 1), 20)
    .option('--device <device>', 'cpu, cuda or cuda:N (the loader stays on the CPU)', 'cpu')
    .option('--amp <mode>', "override amp: 'bf16' (forward pass in bfloat16 under autocast, float32 weights and loss) or 'none'", ampMode)
    .option('--cudnn-benchmark', "set cudnnBenchmark (cuDNN's autotuner)")
    .option('--deterministic', 'set deterministic (deterministic algorithms only)')
    .option('--nproc-per-node <n>', 'data-parallel training: start and supervise n worker processes on this machine (as torchrun); batchSize is per process', intOption('--nproc-per-node', 1))
    .option('--nnodes <n>', 'with --nproc-per-node: machines in the job', intOption('--nnodes', 1), 1)
    .option('--node-rank <r>', "with --nproc-per-node: this machine's index (0 .. nnodes-1)", intOption('--node-rank', 0), 0)
    .option('--master-addr <host>', 'with --nproc-per-node: the rendezvous host (the machine of node rank 0)', '127.0.0.1')
    .option('--master-port <port>', 'with --nproc-per-node: the rendezvous port (default: a free one on one machine, 29500 across machines)', intOption('--master-port', 1))
    .action(async (flags: TrainFlags & LaunchFlags) => {
      if (flags.nprocPerNode !== undefined) {
        const { runLauncher } = await import('./train-launch.js');
        await runLauncher(flags);
        return;
      }
      const { runTrainCommand } = await import('./train-run.js');
      await runTrainCommand(flags);
    });
}
