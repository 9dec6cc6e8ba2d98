/**
 * `stad convert via3-to-ava --data <dir> --out <dir>` and `stad convert ava-to-via3 --in <dir> --out <dir>`:
 * between stad's VIA3 projects and AVA CSVs + label map (the mapping is documented in src/data/convert.ts);
 * `stad convert checkpoint <in.pth> <out.safetensors>` (convert-checkpoint.ts).
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';
import { DEFAULT_DATA_DIR } from '../../data/defaults.js';
import { addCheckpointSubcommand } from './convert-checkpoint.js';

export function registerConvert(program: Command): void {
  const convert = program
    .command('convert')
    .description('convert annotations between VIA3 projects and AVA CSVs, and import PyTorch checkpoints')
    .action(() => {
      throw new UserError('convert: expected a subcommand, via3-to-ava, ava-to-via3 or checkpoint (see stad convert --help)');
    });
  addCheckpointSubcommand(convert);

  convert
    .command('via3-to-ava')
    .description('write AVA ground-truth and proposal CSVs, label_map.pbtxt and stad-ava.json from a dataset')
    .option('--data <dir>', 'dataset folder', DEFAULT_DATA_DIR)
    .requiredOption('--out <dir>', 'folder for the AVA files')
    .option('--no-background', 'leave out boxes labelled only None (action_id 0) and unlabelled boxes')
    .option('--action-attribute <name>', 'VIA3 action attribute (name or id) when projects have several')
    .action(async (flags: { data: string; out: string; background: boolean; actionAttribute?: string }) => {
      const { loadDataset } = await import('../../data/dataset.js');
      const { via3ToAva } = await import('../../data/convert.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const ds = await loadDataset(flags.data, { actionAttribute: flags.actionAttribute });
      const bar = new ProgressBar('via3-to-ava');
      const s = via3ToAva(ds, flags.out, { includeBackground: flags.background, onProgress: bar.callback() });
      for (const [split, t] of Object.entries(s.splits)) {
        process.stdout.write(`${split}: ${t.videos} videos, ${t.boxes} boxes -> ${t.rows} ground-truth rows, ${t.proposalRows} proposal rows\n`);
      }
      if (s.clipped > 0) process.stdout.write(`${s.clipped} boxes reached outside the frame and were clipped to it\n`);
      if (s.omitted > 0) process.stdout.write(`${s.omitted} background/unlabelled boxes left out (--no-background)\n`);
      process.stdout.write(`wrote ${s.files.join(', ')}\n`);
    });

  convert
    .command('ava-to-via3')
    .description('write one VIA3 project per video (annotations/<split>/<video>.json) from AVA CSVs')
    .requiredOption('--in <dir>', 'folder with <split>.csv (+ <split>_proposals.csv, label_map.pbtxt or stad-ava.json)')
    .requiredOption('--out <dir>', 'dataset folder to write annotations/ into')
    .option('--frame-size <WxH>', 'frame size of every video, when the folder has no stad-ava.json')
    .option('--style <style>', 'image (one file per keyframe, the reference form) or video (z = [t])', 'image')
    .action(async (flags: { in: string; out: string; frameSize?: string; style: string }) => {
      if (flags.style !== 'image' && flags.style !== 'video') throw new UserError(`--style: expected image or video, got ${JSON.stringify(flags.style)}`);
      let frameSize: { width: number; height: number } | undefined;
      if (flags.frameSize !== undefined) {
        const m = /^(\d+)x(\d+)$/.exec(flags.frameSize);
        if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new UserError(`--frame-size: expected WIDTHxHEIGHT such as 320x240, got ${JSON.stringify(flags.frameSize)}`);
        frameSize = { width: Number(m[1]), height: Number(m[2]) };
      }
      const { avaToVia3 } = await import('../../data/convert.js');
      const s = avaToVia3(flags.in, flags.out, { frameSize, style: flags.style });
      process.stdout.write(`${s.videos} videos, ${s.boxes} boxes, ${s.proposals} proposals -> ${s.files.length} VIA3 projects under ${flags.out}\n`);
    });
}
