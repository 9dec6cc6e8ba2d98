/**
 * `npm run bench -- soak [--steps 5000] [--every 100] [--warmup 500] [--batch-size 2] [--size 32] [--frames 4]`
 *
 * Memory over a long training run: `stad train`'s loop (loader, step, checkpoint every epoch, no
 * validation) on the CPU preset synth_tiny_bce's model (SlowOnly R18, 8 base channels: the smallest
 * preset that is a real model), on a small generated dataset, for --steps steps. Every --every steps it
 * records live tensors, the bytes of their storages (native) and the process RSS (after a full garbage
 * collection when --expose-gc is on, as `npm run bench` runs it); after --warmup steps
 * each series must stay within 5 % of its first post-warm-up value (flat: nothing grows with the step
 * count). Batch, input size and frames are cut down from the preset (flags) so that 5,000 steps take
 * minutes, not hours, on the 2-core machine.
 *
 * `npm run bench` starts it with V8's young generation fixed, as the `stad` command starts (YOUNG_GENERATION_FLAG,
 * src/util/young-generation.ts); run without it (`node --expose-gc dist/bench/soak/index.js`) for the control.
 *
 * Prints the series summary, then last one JSON line of the figures. Exit code 1 when a series is not flat.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as torch from '../../src/torch/index.js';
import { generateSynthDataset } from '../../src/data/synth/generate.js';
import { loadDataset } from '../../src/data/dataset.js';
import { loadRunConfig } from '../../src/train/config.js';
import { train } from '../../src/train/loop.js';
import { processMemory, type ProcessMemory } from '../../src/util/process-memory.js';

interface Options {
  steps: number;
  every: number;
  warmup: number;
  batchSize: number;
  size: number;
  frames: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { steps: 5000, every: 100, warmup: 500, batchSize: 2, size: 32, frames: 4 };
  const flags = new Map<string, keyof Options>([
    ['--steps', 'steps'],
    ['--every', 'every'],
    ['--warmup', 'warmup'],
    ['--batch-size', 'batchSize'],
    ['--size', 'size'],
    ['--frames', 'frames'],
  ]);
  for (let i = 0; i < argv.length; i++) {
    const key = flags.get(argv[i]!);
    const n = Number(argv[i + 1]);
    if (!key || !Number.isInteger(n) || n < (key === 'warmup' ? 0 : 1)) {
      throw new Error(`bench soak: ${argv[i]} ${argv[i + 1] ?? ''}: flags are ${[...flags.keys()].join(' ')} with a positive integer`);
    }
    o[key] = n;
    i++;
  }
  if (o.warmup >= o.steps) o.warmup = Math.floor(o.steps / 10);
  return o;
}

/** One sample: the tensors, and where the process's memory is (src/util/process-memory.ts). */
type Sample = { step: number; seconds: number; liveTensors: number; nativeMB: number } & Omit<ProcessMemory, 'maps'> & Partial<NonNullable<ProcessMemory['maps']>>;

/** Spread of a series after warm-up, relative to its first post-warm-up value. */
function spread(xs: readonly number[]): { first: number; min: number; max: number; last: number; rel: number } {
  const first = xs[0]!;
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  return { first, min, max, last: xs[xs.length - 1]!, rel: first > 0 ? (max - min) / first : 0 };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'stad-soak-'));
  const t0 = performance.now();
  try {
    const data = join(dir, 'data');
    await generateSynthDataset({ out: data, scale: 0.05, seed: 1, width: 80, height: 64, fps: 5, video: false, jobs: 1 });
    const ds = await loadDataset(data);
    const base = loadRunConfig('synth_tiny_bce', { sets: [], data }).config;
    const config = {
      ...base,
      model: { ...base.model, input: { ...base.model.input, frames: o.frames, size: o.size } },
      data: { ...base.data, augmentation: { ...base.data.augmentation, shortSideRange: [o.size, o.size + 8] as [number, number], cropSize: o.size } },
      batchSize: o.batchSize,
      epochs: 1_000_000, // stopped by step count below (stopAfterEpochs)
      workers: 1,
      threads: 1,
    };
    const samples: Sample[] = [];
    let steps = 0;
    let batchesPerEpoch = 0;
    const result = await train({
      config,
      dataset: ds,
      outDir: dir,
      validator: null,
      shouldStop: () => steps >= o.steps,
      onEvent: (e) => {
        if (e.kind !== 'step') return;
        steps++;
        batchesPerEpoch = e.batches;
        if (steps % o.every === 0) {
          // a full collection first (the bench runs with --expose-gc): RSS then counts what is held, not
          // garbage V8 has yet to collect (the first 5,000-step run, without it, swung by 10 %)
          (globalThis as { gc?: () => void }).gc?.();
          const m = torch.memory();
          const { maps, ...pm } = processMemory();
          samples.push({ step: steps, seconds: (performance.now() - t0) / 1000, liveTensors: m.liveTensors, nativeMB: m.bytes / 2 ** 20, ...pm, ...maps });
          if (process.stderr.isTTY || steps % (o.every * 10) === 0) process.stderr.write(`step ${steps}/${o.steps}: ${samples[samples.length - 1]!.rssMB.toFixed(1)} MB RSS\n`);
        }
      },
    });
    result.detector.dispose();
    const seconds = (performance.now() - t0) / 1000;
    const after = samples.filter((s) => s.step > o.warmup);
    const series = {
      liveTensors: spread(after.map((s) => s.liveTensors)),
      nativeMB: spread(after.map((s) => s.nativeMB)),
      rssMB: spread(after.map((s) => s.rssMB)),
    };
    const flat = Object.values(series).every((s) => s.rel <= 0.05);
    // where the RSS is (not part of the verdict: they say whose memory moved)
    const parts = ['heapTotalMB', 'heapUsedMB', 'newSpaceMB', 'largeObjectMB', 'externalMB', 'arrayBuffersMB', 'brkHeapMB', 'anonMB', 'fileMB'] as const;
    const memory = Object.fromEntries(parts.filter((k) => after.every((s) => s[k] !== undefined)).map((k) => [k, spread(after.map((s) => s[k]!))]));
    const rows = Object.entries({ ...series, ...memory }).map(([k, s]) => `${k.padEnd(14)} ${s.first.toFixed(1).padStart(9)} ${s.min.toFixed(1).padStart(9)} ${s.max.toFixed(1).padStart(9)} ${s.last.toFixed(1).padStart(9)} ${(100 * s.rel).toFixed(2).padStart(7)}%`);
    process.stdout.write(
      [
        `soak: ${steps} steps (${batchesPerEpoch} per epoch) of synth_tiny_bce's model at batch ${o.batchSize}, ${o.frames} frames of ${o.size} px; ${seconds.toFixed(0)} s; sampled every ${o.every}, warm-up ${o.warmup}; V8 flags: ${process.execArgv.join(' ') || 'none'}`,
        `series          first       min       max      last  spread (after warm-up)`,
        ...rows,
        `all within 5 %: ${flat ? 'yes' : 'NO'}`,
        JSON.stringify({ bench: 'soak', steps, v8Flags: process.execArgv, every: o.every, warmup: o.warmup, seconds: Math.round(seconds), flat, series, memory, samples }),
      ].join('\n') + '\n',
    );
    if (!flat) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
