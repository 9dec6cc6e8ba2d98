/**
 * `stad detect <input> --checkpoint <file> [--boxes <file>] -o <dir> [--predict-every 8] [--score-thr 0.5]
 * [--contact-sheet] [--device cpu]`: runs a trained detector on a video file (any container and codec
 * ffmpeg reads) or a live stream (rtsp://, udp://, http://, /dev/videoN). Files: detections.csv,
 * detections.json, detections.mp4 (and contact_sheet.png) written into -o all at once, with progress and
 * ETA. Streams: detections.jsonl as predictions are made, a status line every few seconds, and the CSV
 * and JSON when the stream ends or on Ctrl-C.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';
import { parseDeviceFlag, requireDevice } from '../device-flag.js';

interface DetectFlags {
  checkpoint: string;
  boxes?: string;
  out: string;
  predictEvery: string;
  scoreThr: string;
  contactSheet?: boolean;
  device: string;
  labelMap?: string;
  inputTimeout: string;
  statusEvery: string;
}

function numberFlag(name: string, value: string, min: number, max: number, integer: boolean): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UserError(`--${name}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return v;
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('run a trained detector on a video file or a live stream: detections (AVA CSV, JSON) and an annotated MP4')
    .argument('<input>', 'a video file, a stream URL (rtsp://, udp://, http://, ...) or a capture device (/dev/video0)')
    .requiredOption('--checkpoint <file>', 'a .safetensors checkpoint written by stad train')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--boxes <file>', 'person boxes: an AVA proposals CSV or a VIA3 proposals project (default: the built-in person detector)')
    .option('--predict-every <n>', 'frames between predictions with the person detector (with --boxes: the file\'s keyframes)', '8')
    .option('--score-thr <x>', 'labels scoring at least x are drawn and listed', '0.5')
    .option('--contact-sheet', 'also write contact_sheet.png (video files)')
    .option('--label-map <file>', 'a label map (.pbtxt) the checkpoint\'s classes must match')
    .option('--device <device>', 'cpu, cuda or cuda:N (the action model and the person detector; frames are decoded on the CPU)', 'cpu')
    .option('--input-timeout <s>', 'live input: seconds without a frame that end the stream', '5')
    .option('--status-every <s>', 'live input: seconds between status lines', '5')
    .action(async (input: string, flags: DetectFlags) => {
      const predictEvery = numberFlag('predict-every', flags.predictEvery, 1, 1e6, true);
      const scoreThreshold = numberFlag('score-thr', flags.scoreThr, 0, 1, false);
      const inputTimeout = numberFlag('input-timeout', flags.inputTimeout, 0.1, 3600, false);
      const statusEvery = numberFlag('status-every', flags.statusEvery, 0.1, 3600, false);
      const device = parseDeviceFlag(flags.device);
      await requireDevice(device);

      const { runDetect } = await import('../../detect/detect-run.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const bar = new ProgressBar('detect');
      const r = await runDetect({
        input,
        checkpoint: flags.checkpoint,
        out: flags.out,
        boxes: flags.boxes,
        labelMap: flags.labelMap,
        predictEvery,
        scoreThreshold,
        contactSheet: Boolean(flags.contactSheet),
        device,
        inputTimeout,
        statusEvery,
        onProgress: bar.callback(),
        onStatus: (line) => process.stderr.write(`${line}\n`),
      });
      if (r.kind === 'file') {
        process.stderr.write(`${r.frames} frames, ${r.predictions} predictions, ${r.boxes} boxes; wrote ${r.files.join(', ')} to ${r.outDir}\n`);
      } else {
        const s = r.stats;
        process.stderr.write(
          `${s.ended}: ${s.framesIn} frames in ${s.seconds.toFixed(1)} s, ${s.predictions} predictions (${s.skippedPoints} points skipped), ${s.dropped} frames dropped, latency ${s.meanLatency.toFixed(2)} s mean ${s.maxLatency.toFixed(2)} s max; wrote ${r.files.join(', ')} to ${r.outDir}\n`,
        );
      }
    });
}
