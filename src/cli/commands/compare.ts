/**
 * `stad compare <config>... --seeds N [--data <dir>] [--out <dir>] [--set k=v]... [--checkpoint last|best]`:
 * trains each recipe with the same N seeds, tests each, and reports the figures with bootstrap
 * intervals and the paired differences against the first recipe (src/compare). Finished runs are reused.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';
import { intFlag } from '../flags.js';

interface CompareFlags {
  seeds: string;
  data?: string;
  out?: string;
  set: string[];
  epochs?: string;
  checkpoint: string;
  resamples: string;
  bootstrapSeed: string;
  logEvery: string;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('train and test recipes with the same seeds; mAP with bootstrap intervals and paired differences against the first')
    .argument('<config...>', 'recipes: configs/ preset names or JSON files; the first is the baseline')
    .requiredOption('--seeds <n>', 'seeds per recipe (0..n-1, the same for every recipe)')
    .option('--data <dir>', "dataset folder (overrides every recipe's data.dir)")
    .option('--out <dir>', 'comparison folder (default runs/compare-<names>); run again to reuse its finished runs')
    .option('--set <key=value>', 'override a config field of every recipe (as stad train --set); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--epochs <n>', 'override epochs of every recipe')
    .option('--checkpoint <which>', "which checkpoint to test: 'last' (the end of training) or 'best' (best validation all_mAP: chosen on the test split itself, so optimistic)", 'last')
    .option('--resamples <n>', 'bootstrap resamples', '1000')
    .option('--bootstrap-seed <n>', 'seed of the bootstrap', '0')
    .option('--log-every <n>', 'off a terminal: one progress line every n steps', '20')
    .action(async (configs: string[], flags: CompareFlags) => {
      const seeds = intFlag('--seeds', flags.seeds, 1);
      if (flags.checkpoint !== 'last' && flags.checkpoint !== 'best') throw new UserError(`--checkpoint: expected last or best, got ${JSON.stringify(flags.checkpoint)}`);
      const resamples = intFlag('--resamples', flags.resamples, 1);
      const bootstrapSeed = intFlag('--bootstrap-seed', flags.bootstrapSeed, 0);
      const epochs = flags.epochs === undefined ? undefined : intFlag('--epochs', flags.epochs, 1);
      const logEvery = intFlag('--log-every', flags.logEvery, 1);
      const { runComparison } = await import('../../compare/compare.js');
      const r = await runComparison({ recipes: configs, seeds, data: flags.data, out: flags.out, sets: flags.set, epochs, checkpoint: flags.checkpoint, resamples, bootstrapSeed, logEvery });
      process.stderr.write(`compare: trained ${r.trained} runs, tested ${r.tested}; bootstrap ${r.bootstrapSeconds.toFixed(1)} s; wrote ${r.outDir}/compare.json\n`);
      await new Promise<void>((done, failed) => process.stdout.write(r.table, (e) => (e ? failed(e) : done())));
    });
}
