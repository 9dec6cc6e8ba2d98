/**
 * `stad proposals <video|frames dir> -o <dir>`: person boxes from the built-in detector (NanoDet on
 * libtorch; its files are fetched into the cache on first use) as a VIA3 proposals project and an AVA
 * proposals CSV.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';

interface ProposalsFlags {
  out: string;
  scoreThr: string;
  iou: string;
  every: string;
  format: string;
  video?: string;
}

function numberFlag(name: string, value: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UserError(`--${name}: expected ${expected}, got ${JSON.stringify(value)}`);
  return v;
}

export function registerProposals(program: Command): void {
  program
    .command('proposals')
    .description('person boxes for a video or a folder of frames from the built-in detector (NanoDet), as VIA3 proposals and AVA CSV')
    .argument('<input>', 'a video file (any format ffmpeg reads) or a folder of numbered frames (<video>_<frame:05d>.jpg)')
    .requiredOption('-o, --out <dir>', 'output folder (<video>_proposal.json, <video>_proposals.csv)')
    .option('--score-thr <x>', 'keep boxes whose person score is at least x', '0.3')
    .option('--iou <x>', 'non-maximum suppression IoU threshold', '0.6')
    .option('--every <n>', 'process every n-th frame, starting with the first', '1')
    .option('--format <list>', 'via3, ava, or via3,ava', 'via3,ava')
    .option('--video <id>', 'video id for file names and the CSV (default: the input name)')
    .action(async (input: string, flags: ProposalsFlags) => {
      const scoreThreshold = numberFlag('score-thr', flags.scoreThr, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
      const iouThreshold = numberFlag('iou', flags.iou, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
      const every = numberFlag('every', flags.every, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
      const formats = new Set(flags.format.split(',').map((s) => s.trim()));
      for (const f of formats) if (f !== 'via3' && f !== 'ava') throw new UserError(`--format: expected via3, ava or via3,ava, got ${JSON.stringify(flags.format)}`);
      const { openFrameSource, runProposals } = await import('../../proposals/run-proposals.js');
      // Check the input before loading (and perhaps downloading) the model.
      const opened = openFrameSource(input, flags.video);
      await opened.source.frameRange();
      const { NanoDetPersonDetector } = await import('../../proposals/nanodet.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const detector = await NanoDetPersonDetector.load({ scoreThreshold, iouThreshold });
      try {
        const bar = new ProgressBar('proposals');
        const s = await runProposals({ input, out: flags.out, detector, every, formats: formats as Set<'via3' | 'ava'>, video: flags.video, opened, onProgress: bar.callback() });
        process.stderr.write(`${s.video}: ${s.boxes} person boxes on ${s.frames} frames (${detector.name}); wrote ${s.files.join(', ')}\n`);
      } finally {
        detector.dispose();
      }
    });
}
