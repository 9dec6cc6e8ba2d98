/**
 * `stad test --checkpoint <file> [--data <dir>] [--split test] [--gt-boxes] [--out <dir>] [--json]`:
 * runs a trained detector over a split and evaluates it (frame mAP@0.5IoU per video and pooled, as
 * `stad eval` computes it). Writes detections.csv, label_map.pbtxt, report.json and
 * detections_via3/<video>.json into --out (default `<checkpoint dir>/test-<split>/`), all at once.
 * The model configuration comes from the checkpoint (src/train/checkpoint-model.ts).
 */
import type { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../data/defaults.js';
import { UserError } from '../../util/errors.js';
import { parseDeviceFlag, requireDevice } from '../device-flag.js';
import { intFlag, numberFlag } from '../flags.js';

interface TestFlags {
  checkpoint: string;
  data: string;
  split: string;
  gtBoxes?: boolean;
  out?: string;
  batchSize: string;
  workers?: string;
  scoreThr: string;
  device: string;
  json?: boolean;
}

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('run a trained detector over a test split: detections (AVA CSV and VIA3) and frame mAP@0.5IoU per video')
    .requiredOption('--checkpoint <file>', 'a .safetensors checkpoint written by stad train')
    .option('--data <dir>', 'dataset folder', DEFAULT_DATA_DIR)
    .option('--split <name>', 'split to evaluate', 'test')
    .option('--gt-boxes', 'classify the ground-truth boxes instead of the person proposals')
    .option('--out <dir>', 'output folder (default: <checkpoint dir>/test-<split>)')
    .option('--batch-size <n>', 'clips per forward pass', '8')
    .option('--workers <n>', 'frame-decoding threads (default: cores - 1)')
    .option('--score-thr <x>', 'classes scoring at least x label a box in detections_via3/', '0.5')
    .option('--device <device>', 'cpu, cuda or cuda:N (frames are decoded on the CPU)', 'cpu')
    .option('--json', 'print the report as JSON instead of text')
    .action(async (flags: TestFlags) => {
      const batchSize = intFlag('--batch-size', flags.batchSize, 1);
      const numWorkers = flags.workers === undefined ? undefined : intFlag('--workers', flags.workers, 0);
      const scoreThreshold = numberFlag('--score-thr', flags.scoreThr, { min: 0, max: 1 });
      const device = parseDeviceFlag(flags.device);
      await requireDevice(device);

      const { runTest } = await import('../../train/test-run.js');
      const { formatTextReport, jsonReport } = await import('../../eval/index.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const bar = new ProgressBar('test');
      const r = await runTest({
        checkpoint: flags.checkpoint,
        data: flags.data,
        split: flags.split,
        gtBoxes: Boolean(flags.gtBoxes),
        out: flags.out,
        batchSize,
        numWorkers,
        scoreThreshold,
        device,
        onProgress: bar.callback(),
      });
      const text = flags.json ? `${JSON.stringify(jsonReport(r.report, true), null, 2)}\n` : formatTextReport(r.report, { perVideo: true });
      // On stderr, so that stdout holds only the report.
      process.stderr.write(`wrote ${r.detections} detections and the report to ${r.outDir}\n`);
      await new Promise<void>((done, failed) => process.stdout.write(text, (e) => (e ? failed(e) : done())));
    });
}
