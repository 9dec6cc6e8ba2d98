/**
 * `stad eval`: AVA frame mAP@0.5IoU of a detection CSV against a ground-truth CSV, exactly as the
 * official ActivityNet evaluator computes it, per video and pooled. Needs no tensors.
 */
import type { Command } from 'commander';
import { intFlag, numberFlag } from '../flags.js';

interface EvalFlags {
  gt: string;
  pred: string;
  labels: string;
  exclude?: string;
  perVideo?: boolean;
  json?: boolean;
  maxPerFrame: string;
  scoreThr?: string;
  iou: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Frame mAP@0.5IoU of AVA-format detections, as the official AVA evaluator computes it (per video and pooled)')
    .requiredOption('--gt <csv>', 'ground truth: video_id,timestamp,x1,y1,x2,y2,action_id,person_id')
    .requiredOption('--pred <csv>', 'detections: video_id,timestamp,x1,y1,x2,y2,action_id,score')
    .requiredOption('--labels <pbtxt>', 'label map (item { name: "..." id: N }); classes not in it are ignored')
    .option('--exclude <csv>', 'excluded timestamps: video_id,timestamp')
    .option('--per-video', 'add per-video results and all_mAP to the --json output (the text report always has them)')
    .option('--json', 'print JSON instead of text')
    .option('--max-per-frame <n>', 'keep at most n highest-scoring detections per frame, across classes (0 = no cap)', '50')
    .option('--score-thr <x>', 'drop detections scoring below x before evaluating')
    .option('--iou <x>', 'IoU threshold for a match', '0.5')
    .action(async (flags: EvalFlags) => {
      const maxPerFrame = intFlag('--max-per-frame', flags.maxPerFrame, 0);
      const iouThreshold = numberFlag('--iou', flags.iou, { above: 0, max: 1 });
      const scoreThreshold = flags.scoreThr === undefined ? undefined : numberFlag('--score-thr', flags.scoreThr);
      const { evaluateFiles, formatTextReport, jsonReport } = await import('../../eval/index.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const bar = process.stderr.isTTY ? new ProgressBar('eval') : undefined;
      // per-video results are in every text report, and in JSON only when asked for
      const perVideo = Boolean(flags.perVideo);
      const report = evaluateFiles(
        { groundTruth: flags.gt, detections: flags.pred, labelMap: flags.labels, excluded: flags.exclude },
        { maxPerFrame, iouThreshold, scoreThreshold, perVideo: perVideo || !flags.json, onProgress: bar?.callback() },
      );
      const text = flags.json ? `${JSON.stringify(jsonReport(report, perVideo), null, 2)}\n` : formatTextReport(report, { perVideo: true });
      // wait until the text is handed to the OS: the CLI exits right after, and a pipe is written asynchronously
      await new Promise<void>((done, failed) => process.stdout.write(text, (e) => (e ? failed(e) : done())));
    });
}
