/**
 * `stad report <run>... [--data <dir>] [-o report.html] [--examples N] [--compare <compare.json>]`:
 * one self-contained HTML page about training runs (the first is the baseline): the dataset, training
 * curves, test results and example frames. Opens in any browser without a network.
 */
import type { Command } from 'commander';
import { intFlag } from '../flags.js';

interface ReportFlags {
  data?: string;
  out: string;
  examples: string;
  compare?: string;
  testDir?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('one self-contained HTML report of training runs: dataset, curves, test results, example frames')
    .argument('<runs...>', 'run folders written by stad train (the first is the baseline)')
    .option('--data <dir>', "dataset folder (default: the first run's data.dir)")
    .option('-o, --out <file>', 'the HTML file to write', 'report.html')
    .option('--examples <n>', 'example frames of each kind (0: none)', '6')
    .option('--compare <file>', 'compare.json written by stad compare: AP over seeds with intervals')
    .option('--test-dir <name>', "folder of stad test's outputs inside each run (default: test-<testSplit>)")
    .action(async (runs: string[], flags: ReportFlags) => {
      const examples = intFlag('--examples', flags.examples, 0);
      const { buildReport } = await import('../../report/build.js');
      const r = await buildReport({ runs, data: flags.data, out: flags.out, examples, compare: flags.compare, testDir: flags.testDir });
      process.stderr.write(`wrote ${r.out} (${Math.round(r.bytes / 1024)} KiB: ${r.sections.join(', ')})\n`);
    });
}
