/**
 * `stad demo [--full] [--data <dir>] [--out <dir>]`: the main job on the built-in dataset (src/demo):
 * the dataset and its statistics, the recipes trained and tested side by side, the HTML report.
 * Running it again reuses the dataset and every finished run. STAD_DEMO_SIZE=tiny shrinks it for tests.
 */
import type { Command } from 'commander';
import { intFlag } from '../flags.js';
import { UserError } from '../../util/errors.js';

interface DemoFlags {
  full?: boolean;
  data?: string;
  out?: string;
  logEvery: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: the built-in dataset, bce vs the reference recipe vs the best one trained and tested side by side, an HTML report (about 8 minutes on 2 cores)')
    .option('--full', 'the multi-seed comparison at the reference size (stad synth --scale 1, 3 seeds, the CPU presets as they are: hours); resumable')
    .option('--data <dir>', 'use this dataset instead of generating the built-in one')
    .option('--out <dir>', 'the demo folder (default runs/demo, or runs/demo-full with --full); run again to reuse its finished work')
    .option('--log-every <n>', 'off a terminal: one progress line every n training steps', '20')
    .action(async (flags: DemoFlags) => {
      const logEvery = intFlag('--log-every', flags.logEvery, 1);
      const { DEMO_SIZES } = await import('../../demo/sizes.js');
      const env = process.env.STAD_DEMO_SIZE;
      if (env !== undefined && env !== 'tiny') throw new UserError(`STAD_DEMO_SIZE: expected 'tiny' or unset, got ${JSON.stringify(env)}`);
      if (env !== undefined && flags.full) throw new UserError('--full: not with STAD_DEMO_SIZE=tiny');
      const size = DEMO_SIZES[env === 'tiny' ? 'tiny' : flags.full ? 'full' : 'demo'];
      const { runDemo } = await import('../../demo/demo.js');
      await runDemo({ size, data: flags.data, out: flags.out, logEvery });
    });
}
