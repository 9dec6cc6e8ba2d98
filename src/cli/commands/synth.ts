/**
 * `stad synth`: generate the built-in synthetic dataset (see src/data/synth/generate.ts).
 */
import type { Command } from 'commander';
import { intOption, numberOption } from '../flags.js';

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('Generate the built-in synthetic dataset (20 sequences, VIA3 projects, frames, videos)')
    .option('--out <dir>', 'output folder', 'data/synth')
    .option('--scale <s>', 'multiply the reference class counts (0.1 for a quick run)', numberOption('--scale'), 1)
    .option('--seed <n>', 'random seed', intOption('--seed'), 1)
    .option('--width <px>', 'frame width', intOption('--width'), 160)
    .option('--height <px>', 'frame height', intOption('--height'), 120)
    .option('--fps <n>', 'frames per second', intOption('--fps'), 15)
    .option('--keyframe-stride <frames>', 'frames between annotated keyframes (default: fps, one per second)', intOption('--keyframe-stride'))
    .option('--no-video', 'skip the MP4 files (frames and annotations only)')
    .option('--jobs <n>', 'sequences rendered in parallel (default: CPUs, at most 8)', intOption('--jobs'))
    .option('--force', 'replace a non-empty output folder')
    .action(async (opts: { out: string; scale: number; seed: number; width: number; height: number; fps: number; keyframeStride?: number; video: boolean; jobs?: number; force?: boolean }) => {
      const { generateSynthDataset } = await import('../../data/synth/generate.js');
      const { ProgressBar } = await import('../../util/progress.js');
      const bar = new ProgressBar('synth frames');
      const s = await generateSynthDataset(
        {
          out: opts.out,
          scale: opts.scale,
          seed: opts.seed,
          width: opts.width,
          height: opts.height,
          fps: opts.fps,
          keyframeStride: opts.keyframeStride,
          video: opts.video,
          jobs: opts.jobs,
          force: opts.force ?? false,
        },
        bar.callback(),
      );
      const lines = [`wrote ${s.out}: ${s.sequences.length} sequences, ${s.frames} frames${s.paths.videos ? ', videos' : ''}`];
      for (const split of ['train', 'test'] as const) {
        const c = s.counts[split];
        lines.push(`  ${split.padEnd(5)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}; None ${s.noneBoxes[split]}; two-label boxes ${s.multiLabelBoxes[split]}`);
      }
      const at09 = (split: 'train' | 'test'): string => {
        const m = s.proposalIou[split].matchedAt09;
        return m === null ? 'n/a' : `${(100 * m).toFixed(1)}%`;
      };
      lines.push(`  proposals: train ${at09('train')}, test ${at09('test')} of those on a person at IoU >= 0.9 (histogram in README.txt)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
