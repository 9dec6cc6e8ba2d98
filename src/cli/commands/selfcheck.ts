/**
 * `stad selfcheck`: a quick proof that the installation works: loads libtorch through the binding and
 * trains a tiny motion classifier end to end (src/train/selfcheck.ts), in seconds.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

export function registerSelfcheck(program: Command): void {
  program
    .command('selfcheck')
    .description('check the installation: load libtorch and train a tiny 3D ConvNet on a motion task (seconds)')
    .option('--steps <n>', 'training steps of the self-check', '60')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { steps: string; json?: boolean }) => {
      const steps = Number(opts.steps);
      if (!Number.isInteger(steps) || steps < 1) throw new UserError(`--steps: expected a positive integer, got '${opts.steps}'`);
      const { runSelfcheck } = await import('../../train/selfcheck.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const bar = new ProgressBar('self-check', { logEveryMs: 2000 });
      const r = runSelfcheck({ steps, onProgress: bar.callback() });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...r, build: { ...r.build, parallelInfo: undefined } })}\n`);
      } else {
        const b = r.build;
        process.stdout.write(
          [
            `libtorch ${b.torchVersion} from ${b.torchSource}; CUDA ${b.cudaAvailable ? `available (${b.cudaDeviceCount} GPU)` : 'not available'}; ${b.numThreads} threads; oneDNN ${b.mkldnn ? 'on' : 'off'}`,
            `trained a tiny 3D ConvNet on moving squares: loss ${r.firstLoss.toFixed(4)} (first step) -> ${r.lastLoss.toFixed(4)} (mean of the last 10) in ${r.steps} steps (${r.seconds.toFixed(1)} s)`,
            `held-out accuracy ${(100 * r.accuracy).toFixed(1)}% (chance 50%)`,
            `live tensors: ${r.liveTensorsBefore} after the first step, ${r.liveTensorsAfter} after the last`,
          ].join('\n') + '\n',
        );
      }
      if (r.accuracy < 0.9 || r.liveTensorsAfter !== r.liveTensorsBefore) {
        process.stderr.write('stad: self-check FAILED\n');
        process.exitCode = 1;
      }
    });
}
