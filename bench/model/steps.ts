/**
 * `node dist/bench/model/steps.js [--preset NAME] [--size PX] [--steps N] [--threads N]`: stad's side of
 * bench/model alone (the same model, inputs, boxes and step), N steps from a fresh process, one JSON
 * line per step on stdout right after it:
 *   {"step": i, "wall": s, "cpu": s, "sys": s, "faults": minor page faults, "maxRssMb": peak RSS so far}
 * For diagnostics that need one process per side: the allocator's behaviour from the first step on,
 * or a system-call trace (`strace -f --seccomp-bpf -e trace=mmap,munmap,brk,write ...`: the write of
 * line i ends step i). PyTorch's counterpart: `bench/reference/train_step.py --warmup 0 --steps N`,
 * whose per-step lines on stderr carry the same figures.
 */
import * as torch from '../../src/torch/index.js';
import { isModelPresetName, modelPreset, type ModelPresetName } from '../../src/models/index.js';
import { StadSide, makeRois } from './stad-side.js';

function parse(argv: string[]): { preset: ModelPresetName; size: number | null; steps: number; threads: number } {
  const o = { preset: 'slowfast_r50_8x8x1' as ModelPresetName, size: 224 as number | null, steps: 4, threads: torch.getNumThreads() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    const n = Number(v);
    if (a === '--preset') {
      if (v === undefined || !isModelPresetName(v)) throw new Error(`--preset: unknown preset ${v ?? ''}`);
      o.preset = v;
    } else if (a === '--size' && Number.isInteger(n) && n >= 32 && n % 16 === 0) o.size = n;
    else if (a === '--steps' && Number.isInteger(n) && n >= 1) o.steps = n;
    else if (a === '--threads' && Number.isInteger(n) && n >= 1) o.threads = n;
    else throw new Error(`bad argument ${a} ${v ?? ''} (see the comment at the top of bench/model/steps.ts)`);
  }
  // The tiny presets keep their own input size unless --size says otherwise; R50 defaults to the bench's 224.
  if (o.preset !== 'slowfast_r50_8x8x1' && !argv.includes('--size')) o.size = null;
  return o;
}

const o = parse(process.argv.slice(2));
torch.setNumThreads(o.threads);
const config = modelPreset(o.preset);
if (o.size !== null) config.input.size = o.size;
const side = new StadSide(config, 2, makeRois(2, 2, config.input.size));
try {
  for (let i = 0; i < o.steps; i++) {
    const r = side.step();
    const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`${JSON.stringify({ step: i + 1, wall: r.wall, cpu: r.cpu, sys: r.sys, faults: r.faults, maxRssMb, loss: r.loss })}\n`);
  }
} finally {
  side.dispose();
}
