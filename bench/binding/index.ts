/**
 * `npm run bench -- binding [--threads N] [--rounds R] [--conv-rounds R] [--conv-reps K] [--python PATH]`
 *
 * stad's binding against PyTorch in Python on the same libtorch (Debian's python3-torch), in one run:
 * (a) per-operator overhead: microseconds per addition of two 4-element float32 tensors over 100,000
 *     additions, each result freed (stad: `a.add(b).dispose()`, also with `tidy` and the raw binding;
 *     Python: `z = a.add(b)`, also `a + b` and `torch.add(a, b)`);
 * (b) conv3d forward+backward throughput (input 2x64x8x56x56 and weight 64x64x3x3x3 requiring grad,
 *     padding 1, backward of a fixed upstream gradient) in GFLOP/s, both sides with the same threads.
 * The machine is shared and noisy, so the two sides run interleaved (ABBA rounds) against one
 * long-lived Python child (reference.py) and every figure is a median over rounds.
 * Prints a table, then last one JSON line of the figures.
 */
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import { CONV_INPUT, CONV_WEIGHT, OVERHEAD_ITERS, OVERHEAD_NUMEL, conv3dStepFlops, median, range, sideOrder, type CallTiming, type StepTimes } from './cases.js';
import { DEFAULT_PYTHON, PythonPeer, ensureTorchPython, type PythonAddVariant } from './peer.js';
import { Conv3dStep, TinyAdd, breakdown, type OverheadBreakdown, type StadAddVariant } from './stad.js';

interface Options {
  threads: number;
  iters: number;
  rounds: number;
  convWarmup: number;
  convRounds: number;
  convReps: number;
  python: string;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    threads: availableParallelism(),
    iters: OVERHEAD_ITERS,
    rounds: 9,
    convWarmup: 2,
    convRounds: 6,
    convReps: 2,
    python: process.env.STAD_PYTHON ?? DEFAULT_PYTHON,
  };
  const intFlags: Record<string, keyof Omit<Options, 'python'>> = {
    '--threads': 'threads',
    '--iters': 'iters',
    '--rounds': 'rounds',
    '--conv-warmup': 'convWarmup',
    '--conv-rounds': 'convRounds',
    '--conv-reps': 'convReps',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag === '--python' && value !== undefined) {
      o.python = value;
      i++;
      continue;
    }
    const key = intFlags[flag];
    const n = value === undefined ? NaN : Number(value);
    if (key === undefined || !Number.isInteger(n) || n < (key === 'convWarmup' ? 0 : 1)) {
      throw new Error(`bench binding: bad argument ${flag}${value === undefined ? '' : ' ' + value}; flags: ${[...Object.keys(intFlags), '--python'].join(', ')} (positive integers, --python PATH)`);
    }
    o[key] = n;
    i++;
  }
  return o;
}

const log = (line: string): void => {
  process.stderr.write(`[bench binding] ${line}\n`);
};

const STAD_ADD: readonly StadAddVariant[] = ['dispose', 'tidy', 'raw'];
const TORCH_ADD: readonly PythonAddVariant[] = ['method', 'operator', 'function'];
const STAD_LABEL: Record<StadAddVariant, string> = {
  dispose: 'stad  const z = a.add(b); z.dispose()',
  tidy: 'stad  tidy(() => { a.add(b) })',
  raw: 'stad  native.free(native.add(ha, hb))',
};
const TORCH_LABEL: Record<PythonAddVariant, string> = {
  method: 'torch z = a.add(b)',
  operator: 'torch z = a + b',
  function: 'torch z = torch.add(a, b)',
};

const fmt = (x: number, digits = 3): string => x.toFixed(digits);

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled to dist/bench/binding/; the Python script stays in the source tree.
  const script = join(here, '..', '..', '..', 'bench', 'binding', 'reference.py');

  const ensured = ensureTorchPython(opts.python, log);
  if (!ensured.ok) {
    process.stderr.write(`${ensured.message}\n`);
    process.exitCode = 1;
    return;
  }

  const peer = new PythonPeer(opts.python, script);
  try {
    const peerInfo = await peer.info();
    const stadInfo = torch.buildInfo();
    torch.setNumThreads(opts.threads);
    const torchThreads = await peer.setThreads(opts.threads);
    const stadThreads = torch.getNumThreads();
    if (!peerInfo.torchVersion.startsWith(stadInfo.torchVersion)) {
      log(`warning: stad uses libtorch ${stadInfo.torchVersion} (${stadInfo.torchSource}) but ${opts.python} has torch ${peerInfo.torchVersion}`);
    }
    log(`stad: libtorch ${stadInfo.torchVersion} (${stadInfo.torchSource}), ${stadThreads} threads; PyTorch ${peerInfo.torchVersion} (Python ${peerInfo.python}, ${relative(process.cwd(), script)}), ${torchThreads} threads`);

    // ---- (a) per-operator overhead ------------------------------------------------------------
    const add = new TinyAdd();
    const stadT: Record<StadAddVariant, CallTiming[]> = { dispose: [], tidy: [], raw: [] };
    const torchT: Record<PythonAddVariant, CallTiming[]> = { method: [], operator: [], function: [] };
    // Warm-up: JIT on the JavaScript side, allocator caches on both.
    for (const v of STAD_ADD) add.overhead(v, opts.iters);
    for (const v of TORCH_ADD) await peer.overhead(v, opts.iters);
    for (let r = 0; r < opts.rounds; r++) {
      log(`overhead round ${r + 1}/${opts.rounds}`);
      for (const side of sideOrder(r)) {
        if (side === 'stad') for (const v of STAD_ADD) stadT[v].push(add.overhead(v, opts.iters));
        else for (const v of TORCH_ADD) torchT[v].push(await peer.overhead(v, opts.iters));
      }
    }
    const parts: OverheadBreakdown[] = [];
    for (let r = 0; r < 3; r++) parts.push(breakdown(add, opts.iters));
    add.dispose();
    const part = (k: keyof OverheadBreakdown): number => median(parts.map((p) => p[k]));

    // ---- (b) conv3d forward+backward ----------------------------------------------------------
    const conv = new Conv3dStep();
    const stadSteps: StepTimes = { seconds: [], cpuSeconds: [] };
    const torchSteps: StepTimes = { seconds: [], cpuSeconds: [] };
    const append = (to: StepTimes, from: StepTimes): void => {
      to.seconds.push(...from.seconds);
      to.cpuSeconds.push(...from.cpuSeconds);
    };
    log(`conv3d warm-up (${opts.convWarmup} steps each side)`);
    conv.run(opts.convWarmup);
    if (opts.convWarmup > 0) await peer.conv3d(opts.convWarmup);
    for (let r = 0; r < opts.convRounds; r++) {
      log(`conv3d round ${r + 1}/${opts.convRounds}`);
      for (const side of sideOrder(r)) {
        if (side === 'stad') append(stadSteps, conv.run(opts.convReps));
        else append(torchSteps, await peer.conv3d(opts.convReps));
      }
    }
    conv.dispose();

    // ---- report -------------------------------------------------------------------------------
    const wall = (ts: readonly CallTiming[]): number => median(ts.map((t) => t.us));
    const cpu = (ts: readonly CallTiming[]): number => median(ts.map((t) => t.cpuUs));
    const spread = (ts: readonly CallTiming[]): string => {
      const [lo, hi] = range(ts.map((t) => t.us));
      return `${fmt(lo)}..${fmt(hi)}`;
    };
    const flops = conv3dStepFlops();
    const stadOverhead = wall(stadT.dispose);
    const torchOverhead = wall(torchT.method);
    const stadGflops = flops / median(stadSteps.seconds) / 1e9;
    const torchGflops = flops / median(torchSteps.seconds) / 1e9;
    const stadCpuSec = median(stadSteps.cpuSeconds);
    const torchCpuSec = median(torchSteps.cpuSeconds);

    const w = [44, 10, 16, 10];
    const lines: string[] = [];
    lines.push(`Per-operator overhead: ${opts.iters.toLocaleString('en-US')} additions of ${OVERHEAD_NUMEL}-element float32 tensors, result freed each time; median of ${opts.rounds} interleaved rounds`);
    lines.push(row(['', 'us/call', 'wall min..max', 'CPU us'], w));
    for (const v of STAD_ADD) lines.push(row([STAD_LABEL[v], fmt(wall(stadT[v])), spread(stadT[v]), fmt(cpu(stadT[v]))], w));
    for (const v of TORCH_ADD) lines.push(row([TORCH_LABEL[v], fmt(wall(torchT[v])), spread(torchT[v]), fmt(cpu(torchT[v]))], w));
    lines.push(row(['ratio stad dispose / torch a.add(b)', fmt(stadOverhead / torchOverhead), '', fmt(cpu(stadT.dispose) / cpu(torchT.method))], w));
    lines.push('');
    lines.push("Where stad's raw path goes (wall, median of 3 blocks, us/call):");
    lines.push(row(['  native.isLive(h)   (bare Node-API call)', fmt(part('napiCall')), '', ''], w));
    lines.push(row(['  native.add(ha, hb) (no free)', fmt(part('rawAdd')), '', ''], w));
    lines.push(row(['  native.free(h)', fmt(part('rawFree')), '', ''], w));
    lines.push(row(['  torch.tidy(() => {}) (empty scope)', fmt(part('emptyTidy')), '', ''], w));
    lines.push('');
    lines.push(`conv3d forward+backward: input ${CONV_INPUT.join('x')}, weight ${CONV_WEIGHT.join('x')}, padding 1, ${fmt(flops / 1e9, 1)} GFLOP/step; ${opts.convRounds} interleaved rounds of ${opts.convReps} steps after ${opts.convWarmup} warm-up`);
    lines.push(row(['', 'GFLOP/s', 's/step min..max', 'CPU s'], w));
    const [sLo, sHi] = range(stadSteps.seconds);
    const [tLo, tHi] = range(torchSteps.seconds);
    lines.push(row([`stad  (${stadThreads} threads)`, fmt(stadGflops, 1), `${fmt(sLo)}..${fmt(sHi)}`, fmt(stadCpuSec)], w));
    lines.push(row([`torch (${torchThreads} threads)`, fmt(torchGflops, 1), `${fmt(tLo)}..${fmt(tHi)}`, fmt(torchCpuSec)], w));
    lines.push(row(['ratio stad / torch throughput', fmt(stadGflops / torchGflops), '', fmt(torchCpuSec / stadCpuSec)], w));
    lines.push('(CPU: process CPU time, all threads; it leaves out time spent waiting for a core on a shared machine.)');
    console.log(lines.join('\n'));

    const round = (x: number, d = 4): number => Number(x.toFixed(d));
    console.log(
      JSON.stringify({
        bench: 'binding',
        overheadUs: { stad: round(stadOverhead), torch: round(torchOverhead) },
        overheadRatio: round(stadOverhead / torchOverhead),
        conv3dRatio: round(stadGflops / torchGflops),
        threads: { stad: stadThreads, torch: torchThreads },
        conv3dGflops: { stad: round(stadGflops, 2), torch: round(torchGflops, 2) },
        overheadCpuUs: { stad: round(cpu(stadT.dispose)), torch: round(cpu(torchT.method)) },
        // The fastest round of each side: on a shared machine the least disturbed estimate of the cost.
        overheadMinUs: { stad: round(range(stadT.dispose.map((t) => t.us))[0]), torch: round(range(torchT.method.map((t) => t.us))[0]) },
        overheadCpuRatio: round(cpu(stadT.dispose) / cpu(torchT.method)),
        conv3dCpuRatio: round(torchCpuSec / stadCpuSec),
        overheadVariantsUs: {
          stad: Object.fromEntries(STAD_ADD.map((v) => [v, round(wall(stadT[v]))])),
          torch: Object.fromEntries(TORCH_ADD.map((v) => [v, round(wall(torchT[v]))])),
        },
        rawBreakdownUs: {
          napiCall: round(part('napiCall')),
          add: round(part('rawAdd')),
          free: round(part('rawFree')),
          emptyTidy: round(part('emptyTidy')),
        },
        iters: opts.iters,
        rounds: opts.rounds,
        convSteps: stadSteps.seconds.length,
        torchVersion: { stad: stadInfo.torchVersion, torch: peerInfo.torchVersion },
      }),
    );
  } finally {
    await peer.close();
  }
}

await main();
