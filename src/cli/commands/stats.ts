/**
 * `stad stats --data <dir> [--json] [--out <dir>]`: per-class box counts per split, imbalance ratio,
 * per-video counts, label co-occurrence, class weights, how the proposals cover the ground truth (IoU
 * histogram, false positives, missed people), and a grouped bar chart (SVG + PNG).
 */
import type { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../data/defaults.js';

interface StatsFlags {
  data: string;
  json?: boolean;
  out: string;
  chart: boolean;
  actionAttribute?: string;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('class counts per split, imbalance, class weights, proposal quality, and a bar chart of a dataset')
    .option('--data <dir>', 'dataset folder (dataset.json or annotations/{train,test}/<video>.json)', DEFAULT_DATA_DIR)
    .option('--json', 'print the statistics as JSON on stdout instead of tables')
    .option('--out <dir>', 'folder for class_counts.svg, class_counts.png and stats.json', 'runs/stats')
    .option('--no-chart', 'do not write the chart and stats.json')
    .option('--action-attribute <name>', 'VIA3 action attribute (name or id) when projects have several')
    .action(async (flags: StatsFlags) => {
      const { loadDataset } = await import('../../data/dataset.js');
      const { computeStats, formatStatsTable, statsToJson } = await import('../../data/stats.js');
      const ds = await loadDataset(flags.data, { actionAttribute: flags.actionAttribute, probe: false });
      const stats = computeStats(ds);
      const json = statsToJson(stats);
      if (flags.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      else process.stdout.write(formatStatsTable(stats));
      if (!flags.chart) return;
      const { writeOutputFiles } = await import('../../util/fs.js');
      const { classCountsSpec, renderVegaLite } = await import('../../report/charts.js');
      const counts = Object.fromEntries(Object.entries(stats.splits).map(([k, s]) => [k, s.counts]));
      const chart = await renderVegaLite(classCountsSpec(stats.classes, counts));
      // All three or none: a failure on the last must not leave the first two beside an old stats.json.
      const files = writeOutputFiles(
        flags.out,
        new Map<string, string | Uint8Array>([
          ['class_counts.svg', chart.svg],
          ['class_counts.png', chart.png],
          ['stats.json', `${JSON.stringify(json, null, 2)}\n`],
        ]),
      );
      // On stderr, so that `--json` output on stdout stays machine-readable.
      process.stderr.write(`wrote ${files.join(', ')}\n`);
    });
}
