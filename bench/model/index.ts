/**
 * `npm run bench -- model [--quick] [--threads N] [--r50-steps N] [--tiny-steps N] [--warmup N] [--tiny-warmup N] [--size PX]
 * [--reference-flag FLAG]... [--reference-env NAME=VALUE]...`:
 * one training step (forward, BCE-with-logits on random multi-hot targets without the background
 * column, backward, SGD with momentum 0.9 and weight decay 1e-5) of SlowFast R50 8x8x1 (batch 2,
 * 32x224x224, 2 RoIs per clip; 3 warm-up and 6 timed rounds) and of the small CPU preset
 * slowfast_r18_tiny (batch 2 at its own input, 16x112x112; 5 warm-up and 24 timed rounds), in stad
 * and in PyTorch (bench/reference/train_step.py --serve, run with Debian's /usr/bin/python3: the same
 * libtorch), with the same thread count and the same boxes.
 *
 * The machine is shared and noisy, so the two sides run in the same run as rounds of one stad step and
 * one PyTorch step, in ABBA order (stad-torch, torch-stad, torch-stad, stad-torch, ...), after
 * warm-up rounds (the first 2-3 R50 steps of a process fault in the memory its heap grows to; see
 * bench/RESULTS.md). Each round gives a ratio of its two steps; reported are the median of these
 * per-round ratios with their interquartile range and extremes, for wall-clock time and for process
 * CPU time, and the median minor page faults per step of each side (a count that does not depend on
 * the load). About 3 minutes on a quiet 2-core machine. `--quick` runs the tiny preset only.
 *
 * `--reference-flag` passes a flag on to train_step.py (diagnostics: --relu-out-of-place,
 * --channels-last); `--reference-env NAME=VALUE` sets an environment variable for the Python side
 * only (e.g. the glibc malloc settings stad's binding applies to itself, MALLOC_MMAP_MAX_=0 and
 * MALLOC_TRIM_THRESHOLD_=..., to compare like with like).
 *
 * Prints a table, then LAST one JSON line:
 *   {"bench":"model","ratio": median per-round stad/torch speed for R50,"ratioSpread":{"r50","tiny"},
 *    "stad":{"r50","tiny"} clips/s,"torch":{...},"tinyRatio","cpuRatio":{"r50","tiny"} (median per-round
 *    PyTorch CPU s over stad's),"cpuRatioSpread","faults":{"r50":{"stad","torch"},...},"threads","steps","size"}
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import { modelPreset, type ModelConfig, type ModelPresetName } from '../../src/models/index.js';
import { median, pairedRatios, sideOrder, type Spread, type StepTime } from './pairs.js';
import { StadSide, makeRois } from './stad-side.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const referenceScript = resolve(repoRoot, 'bench', 'reference', 'train_step.py');
const python = process.env.STAD_BENCH_PYTHON ?? '/usr/bin/python3';

interface Options {
  quick: boolean;
  threads: number;
  /** Timed rounds (one step per side each) of R50. */
  r50Steps: number;
  tinySteps: number;
  /** Warm-up rounds before the R50 measurement. */
  warmup: number;
  /** Warm-up rounds for the tiny preset (its first steps are slow on both sides while the allocator settles). */
  tinyWarmup: number;
  size: number;
  batch: number;
  boxes: number;
  /** Extra flags for train_step.py (diagnostics such as --relu-out-of-place or --channels-last). */
  referenceFlags: string[];
  /** Extra environment variables for the Python side only. */
  referenceEnv: Map<string, string>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false,
    threads: torch.getNumThreads(),
    r50Steps: 6,
    tinySteps: 24,
    warmup: 3,
    tinyWarmup: 5,
    size: 224,
    batch: 2,
    boxes: 2,
    referenceFlags: [],
    referenceEnv: new Map(),
  };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer >= ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--threads') o.threads = int(a, argv[++i], 1);
    else if (a === '--r50-steps') o.r50Steps = int(a, argv[++i], 1);
    else if (a === '--tiny-steps') o.tinySteps = int(a, argv[++i], 1);
    else if (a === '--warmup') o.warmup = int(a, argv[++i], 0);
    else if (a === '--tiny-warmup') o.tinyWarmup = int(a, argv[++i], 0);
    else if (a === '--size') o.size = int(a, argv[++i], 32);
    else if (a === '--batch') o.batch = int(a, argv[++i], 1);
    else if (a === '--boxes') o.boxes = int(a, argv[++i], 1);
    else if (a === '--reference-flag') o.referenceFlags.push(argv[++i] ?? '');
    else if (a === '--reference-env') {
      const kv = argv[++i] ?? '';
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--reference-env needs NAME=VALUE, got ${kv}`);
      o.referenceEnv.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else throw new Error(`unknown argument ${a} (see the comment at the top of bench/model/index.ts)`);
  }
  if (o.size % 16 !== 0) throw new Error(`--size must be a multiple of 16, got ${o.size}`);
  return o;
}

/** The PyTorch side: train_step.py --serve, one step per request. */
class TorchSide {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private readonly buffered: string[] = [];
  private stderr = '';

  constructor(args: string[], env: ReadonlyMap<string, string>) {
    this.child = spawn(python, [referenceScript, '--serve', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...Object.fromEntries(env) } });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (l) => {
      const w = this.pending.shift();
      if (w) w(l);
      else this.buffered.push(l);
    });
    this.child.on('exit', (code) => {
      for (const w of this.pending.splice(0)) w(JSON.stringify({ error: `${python} ${referenceScript} exited with ${code}: ${this.stderr.trim()}` }));
    });
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((res, rej) => {
      const take = (l: string) => {
        const v = JSON.parse(l) as Record<string, unknown>;
        if (typeof v.error === 'string') rej(new Error(v.error));
        else res(v);
      };
      const b = this.buffered.shift();
      if (b !== undefined) take(b);
      else this.pending.push(take);
    });
  }

  async ready(): Promise<{ parameters: number; threads: number; torch: string }> {
    const r = await this.next();
    return { parameters: Number(r.parameters), threads: Number(r.threads), torch: String(r.torch) };
  }

  async step(): Promise<StepTime & { loss: number }> {
    this.child.stdin.write('step\n');
    const r = await this.next();
    return { wall: Number(r.step_s), cpu: Number(r.cpu_s), sys: Number(r.sys_s), faults: Number(r.minflt), loss: Number(r.loss) };
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}

interface CaseResult {
  name: string;
  preset: ModelPresetName;
  shape: string;
  parameters: { stad: number; torch: number };
  /** Timed steps, index i of both sides from the same round. */
  stad: StepTime[];
  torch: StepTime[];
  warmup: number;
  /** Per-round ratios, PyTorch over stad: wall (= stad's speed over PyTorch's) and CPU seconds. */
  ratio: { wall: Spread; cpu: Spread };
  stadClipsPerS: number;
  torchClipsPerS: number;
}

/** Python arguments that build the same architecture as a stad preset. */
function referenceArgs(c: ModelConfig, batch: number, rois: number[][], threads: number): string[] {
  const b = c.backbone;
  if (b.type !== 'slowfast' || b.resampleRate !== 4 || b.speedRatio !== 4) throw new Error('the reference builds SlowFast with tau 4, alpha 4 only');
  return [
    '--threads', String(threads),
    '--depth', String(b.depth),
    '--width', String(b.baseChannels / 64),
    '--channel-ratio', String(b.channelRatio),
    '--fusion-kernel', String(b.fusionKernel),
    '--classes', String(c.head.numClasses),
    '--batch', String(batch),
    '--frames', String(c.input.frames),
    '--size', String(c.input.size),
    '--rois', JSON.stringify(rois),
  ];
}

async function runCase(name: string, preset: ModelPresetName, config: ModelConfig, o: Options, steps: number, warmup: number): Promise<CaseResult> {
  const rois = makeRois(o.batch, o.boxes, config.input.size);
  const shape = `${o.batch}x3x${config.input.frames}x${config.input.size}x${config.input.size}, ${rois.length} RoIs`;
  console.error(`[${name}] ${preset}: ${shape}; starting PyTorch (${python})`);
  const py = new TorchSide([...referenceArgs(config, o.batch, rois, o.threads), ...o.referenceFlags], o.referenceEnv);
  const stad = new StadSide(config, o.batch, rois);
  try {
    const info = await py.ready();
    if (info.parameters !== stad.parameters) throw new Error(`[${name}] not the same architecture: stad has ${stad.parameters} parameters, PyTorch ${info.parameters}`);
    if (info.threads !== o.threads) throw new Error(`[${name}] PyTorch runs ${info.threads} threads, stad ${o.threads}`);
    const log = (side: string, round: number, r: StepTime & { loss: number }) =>
      console.error(
        `[${name}] ${side} ${round < warmup ? `warm-up ${round + 1}/${warmup}` : `round ${round - warmup + 1}/${steps}`}: ` +
          `${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU (${r.sys.toFixed(2)} system), ${r.faults} faults, loss ${r.loss.toFixed(4)}`,
      );
    const s: StepTime[] = [];
    const t: StepTime[] = [];
    for (let round = 0; round < warmup + steps; round++) {
      // ABBA: a slow drift in the machine's load favours neither side, within a round or across rounds.
      for (const side of sideOrder(round)) {
        const r = side === 'stad' ? stad.step() : await py.step();
        log(side === 'stad' ? 'stad ' : 'torch', round, r);
        if (round >= warmup) (side === 'stad' ? s : t).push(r);
      }
    }
    return {
      name,
      preset,
      shape,
      parameters: { stad: stad.parameters, torch: info.parameters },
      stad: s,
      torch: t,
      warmup,
      ratio: pairedRatios(s, t),
      stadClipsPerS: o.batch / median(s.map((x) => x.wall)),
      torchClipsPerS: o.batch / median(t.map((x) => x.wall)),
    };
  } finally {
    py.close();
    stad.dispose();
  }
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;
const f3 = (x: number) => x.toFixed(3);
/** "median (IQR q1-q3, min-max)" */
const showSpread = (x: Spread) => `${f3(x.median)} (IQR ${f3(x.q1)}-${f3(x.q3)}, range ${f3(x.min)}-${f3(x.max)})`;
const jsonSpread = (x: Spread) => ({ iqr: [r4(x.q1), r4(x.q3)], range: [r4(x.min), r4(x.max)] });

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  torch.setNumThreads(o.threads);
  const results: CaseResult[] = [];
  results.push(await runCase('tiny', 'slowfast_r18_tiny', modelPreset('slowfast_r18_tiny'), o, o.tinySteps, o.tinyWarmup));
  if (!o.quick) {
    const c = modelPreset('slowfast_r50_8x8x1');
    c.input.size = o.size;
    results.push(await runCase('r50', 'slowfast_r50_8x8x1', c, o, o.r50Steps, o.warmup));
  }

  const rows = [['case', 'input', 'params', 'side', 'median step s', 'median CPU s', 'of which system', 'faults/step', 'clips/s']];
  for (const r of results) {
    for (const [side, xs, params, clips] of [['stad', r.stad, r.parameters.stad, r.stadClipsPerS], ['PyTorch', r.torch, r.parameters.torch, r.torchClipsPerS]] as const) {
      rows.push([
        side === 'stad' ? r.name : '',
        side === 'stad' ? r.shape : '',
        String(params),
        side,
        f3(median(xs.map((x) => x.wall))),
        f3(median(xs.map((x) => x.cpu))),
        f3(median(xs.map((x) => x.sys))),
        String(Math.round(median(xs.map((x) => x.faults)))),
        clips.toFixed(4),
      ]);
    }
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((row) => row[j]!.length)));
  for (const row of rows) console.log(row.map((c, j) => (j >= 4 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  '));
  console.log('per-round ratios, PyTorch over stad (above 1: stad faster / less CPU): median (interquartile range, min-max)');
  for (const r of results) {
    console.log(`  ${r.name} wall ${showSpread(r.ratio.wall)}`);
    console.log(`  ${r.name} CPU  ${showSpread(r.ratio.cpu)}`);
  }
  if (o.referenceFlags.length) console.log(`PyTorch side run with ${o.referenceFlags.join(' ')}`);
  if (o.referenceEnv.size) console.log(`PyTorch side run with ${[...o.referenceEnv].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  console.log(`threads: ${o.threads} (both sides); rounds (one step per side each, ABBA): ${results.map((r) => `${r.name} ${r.stad.length} after ${r.warmup} warm-up`).join(', ')}; step times in order:`);
  for (const r of results) {
    console.log(`  ${r.name} stad  ${r.stad.map((x) => x.wall.toFixed(2)).join(', ')}`);
    console.log(`  ${r.name} torch ${r.torch.map((x) => x.wall.toFixed(2)).join(', ')}`);
  }

  const tiny = results.find((r) => r.name === 'tiny')!;
  const r50 = results.find((r) => r.name === 'r50');
  const faults = (r: CaseResult) => ({ stad: Math.round(median(r.stad.map((x) => x.faults))), torch: Math.round(median(r.torch.map((x) => x.faults))) });
  const json = {
    bench: 'model',
    ratio: r50 ? r4(r50.ratio.wall.median) : null,
    ratioSpread: { r50: r50 ? jsonSpread(r50.ratio.wall) : null, tiny: jsonSpread(tiny.ratio.wall) },
    stad: { r50: r50 ? r4(r50.stadClipsPerS) : null, tiny: r4(tiny.stadClipsPerS) },
    torch: { r50: r50 ? r4(r50.torchClipsPerS) : null, tiny: r4(tiny.torchClipsPerS) },
    tinyRatio: r4(tiny.ratio.wall.median),
    cpuRatio: { r50: r50 ? r4(r50.ratio.cpu.median) : null, tiny: r4(tiny.ratio.cpu.median) },
    cpuRatioSpread: { r50: r50 ? jsonSpread(r50.ratio.cpu) : null, tiny: jsonSpread(tiny.ratio.cpu) },
    faults: { r50: r50 ? faults(r50) : null, tiny: faults(tiny) },
    threads: o.threads,
    steps: { r50: r50?.stad.length ?? 0, tiny: tiny.stad.length, warmup: o.warmup, tinyWarmup: o.tinyWarmup },
    size: o.size,
  };
  console.log(JSON.stringify(json));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
