/**
 * The arithmetic of bench/train, kept free of torch so that test/bench can check it: the command line,
 * and per-pair ratios (one stad epoch slice against PyTorch's steps on the same batches) reduced to a
 * median and a spread. Medians of per-pair ratios rather than a ratio of totals: on a shared machine a
 * burst of other work slows whichever side runs then, and pairing neighbours in time cancels most of it.
 */

export interface TrainBenchArgs {
  /** Dataset folder (a `stad synth` output). */
  dir: string;
  /** Interleaved (stad slice, PyTorch slice) pairs. */
  pairs: number;
  /** Batches per slice: the training subset is sized to give this many batches per epoch. */
  steps: number;
  /** Keep the temporary run folder and batch files (printed). */
  keep: boolean;
  /** Non-null: run the old comparison of (libtorch threads, loader workers) settings instead. */
  threadsSweep: [number, number][] | null;
}

export const DEFAULT_SWEEP: [number, number][] = [
  [2, 1],
  [1, 1],
  [2, 0],
  [1, 2],
];

function int(flag: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got ${v ?? 'nothing'}`);
  return n;
}

/** `[<dataset dir>] [--pairs N] [--steps K] [--keep] [--threads-sweep [threads,workers ...]]` */
export function parseTrainBenchArgs(argv: readonly string[]): TrainBenchArgs {
  const o: TrainBenchArgs = { dir: 'data/synth', pairs: 6, steps: 8, keep: false, threadsSweep: null };
  let dirSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--pairs') o.pairs = int(a, argv[++i], 1);
    else if (a === '--steps') o.steps = int(a, argv[++i], 2); // the first batch of a slice is not timed
    else if (a === '--keep') o.keep = true;
    else if (a === '--threads-sweep') {
      const settings: [number, number][] = [];
      while (i + 1 < argv.length && /^\d+,\d+$/.test(argv[i + 1]!)) {
        const [t, w] = argv[++i]!.split(',').map(Number) as [number, number];
        if (t < 1) throw new Error(`--threads-sweep: threads must be >= 1, got ${argv[i]}`);
        settings.push([t, w]);
      }
      o.threadsSweep = settings.length ? settings : DEFAULT_SWEEP;
    } else if (a.startsWith('-')) throw new Error(`unknown argument ${a} (see the comment at the top of bench/train/index.ts)`);
    else if (!dirSeen) {
      o.dir = a;
      dirSeen = true;
    } else throw new Error(`unexpected argument ${a}: one dataset folder only`);
  }
  return o;
}

/** What one side did in one slice: clips trained, wall seconds, process CPU seconds. */
export interface SliceTime {
  clips: number;
  wallS: number;
  cpuS: number;
}

export interface Pair {
  stad: SliceTime;
  torch: SliceTime;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PairSummary {
  /** stad clips/s over PyTorch clips/s, per pair. */
  ratios: number[];
  ratio: Spread;
  /** PyTorch CPU seconds per clip over stad's, per pair (> 1: stad spends less CPU). */
  cpuRatios: number[];
  cpuRatio: Spread;
  stadClipsPerS: Spread;
  torchClipsPerS: Spread;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export const clipsPerSecond = (s: SliceTime): number => s.clips / s.wallS;
export const cpuPerClip = (s: SliceTime): number => s.cpuS / s.clips;

export function summarizePairs(pairs: readonly Pair[]): PairSummary {
  const ratios = pairs.map((p) => clipsPerSecond(p.stad) / clipsPerSecond(p.torch));
  const cpuRatios = pairs.map((p) => cpuPerClip(p.torch) / cpuPerClip(p.stad));
  return {
    ratios,
    ratio: spread(ratios),
    cpuRatios,
    cpuRatio: spread(cpuRatios),
    stadClipsPerS: spread(pairs.map((p) => clipsPerSecond(p.stad))),
    torchClipsPerS: spread(pairs.map((p) => clipsPerSecond(p.torch))),
  };
}

/** Which side goes first in pair p: alternating (ABBA over two pairs), so that a drift in load favours neither. */
export const stadFirst = (p: number): boolean => p % 2 === 0;
