/**
 * Mixed precision on the CPU (or a GPU): the tiny preset's (configs/synth_tiny_bce.json) training step
 * time and loss in float32 and under `amp: bf16`, measured in one run, the two alternating step by step
 * so that the shared machine's noise falls on both alike.
 *
 *   npm run bench -- amp [--steps 20] [--warmup 3] [--device cpu] [--preset synth_tiny_bce]
 *
 * Prints a table and, last, one JSON line. bf16 pays off where the CPU has bf16 instructions
 * (AVX-512 BF16, AMX): the line says which /proc/cpuinfo lists.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as torch from '../../src/torch/index.js';
import { PresetStep } from './preset-step.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    device: { type: 'string', default: 'cpu' },
    preset: { type: 'string', default: 'synth_tiny_bce' },
    threads: { type: 'string' },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const device = values.device as torch.Device;
if (values.threads) torch.setNumThreads(Number(values.threads));

function cpuFlags(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? []);
    return ['avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const sync = (): void => {
  if (device !== 'cpu') torch.cuda.synchronize(device);
};

const t0 = performance.now();
const f32 = new PresetStep(values.preset, { device, amp: 'none', dropout: 0 });
const bf16 = new PresetStep(values.preset, { device, amp: 'bf16', dropout: 0 });
const loss = { f32: [] as number[], bf16: [] as number[] };
const ms = { f32: [] as number[], bf16: [] as number[] };
try {
  for (let i = 0; i < warmup + steps; i++) {
    for (const [name, s] of [['f32', f32], ['bf16', bf16]] as const) {
      sync();
      const a = performance.now();
      const l = s.step();
      sync();
      const dt = performance.now() - a;
      loss[name].push(l);
      if (i >= warmup) ms[name].push(dt);
    }
  }
} finally {
  f32.dispose();
  bf16.dispose();
}
const c = f32.config;
const mF = median(ms.f32);
const mB = median(ms.bf16);
const maxRel = Math.max(...loss.f32.map((l, i) => Math.abs(loss.bf16[i]! - l) / Math.max(1e-6, Math.abs(l))));
console.log(`preset ${values.preset}: ${c.model.backbone.type} depth ${c.model.backbone.depth}, batch ${c.batchSize}, ${c.model.input.frames}x${c.model.input.size}x${c.model.input.size}, device ${device}, ${torch.getNumThreads()} threads; cpu flags: ${cpuFlags().join(' ') || 'none of avx512f/avx512_bf16/amx'}`);
console.log('precision  step ms (median)  first loss  loss after ' + (warmup + steps) + ' steps');
console.log(`float32    ${mF.toFixed(1).padStart(15)}  ${loss.f32[0]!.toFixed(5).padStart(10)}  ${loss.f32.at(-1)!.toFixed(5)}`);
console.log(`bf16       ${mB.toFixed(1).padStart(15)}  ${loss.bf16[0]!.toFixed(5).padStart(10)}  ${loss.bf16.at(-1)!.toFixed(5)}`);
console.log(`bf16 / float32 step time: ${(mB / mF).toFixed(3)}; largest relative loss difference over the run: ${maxRel.toExponential(2)}`);
console.log(
  JSON.stringify({
    bench: 'amp',
    preset: values.preset,
    device,
    threads: torch.getNumThreads(),
    cpuFlags: cpuFlags(),
    steps,
    msFloat32: Number(mF.toFixed(2)),
    msBf16: Number(mB.toFixed(2)),
    bf16OverFloat32: Number((mB / mF).toFixed(3)),
    firstLossFloat32: loss.f32[0],
    firstLossBf16: loss.bf16[0],
    lastLossFloat32: loss.f32.at(-1),
    lastLossBf16: loss.bf16.at(-1),
    maxRelLossDiff: maxRel,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  }),
);
