/**
 * Bootstrap intervals for frame mAP, AP per class and their paired differences between recipes.
 *
 * What is resampled. Test keyframes (the evaluator's frames), with replacement, stratified by video: each
 * resample draws as many frames from each video as it has, so per-video mAP (and all_mAP, their mean)
 * stays defined and every resample has the test split's composition. The seeds are resampled too (with
 * replacement, the same seed draw for every recipe so that the pairs stay pairs): the interval then
 * covers both the choice of test keyframes and the seed-to-seed variation of training. With one seed
 * only the keyframes vary.
 *
 * The statistic of a recipe in one resample is the mean over its (drawn) seeds of each seed's own figure
 * on the drawn keyframes ("average per seed", not "pool the seeds' detections"): that is the quantity
 * whose point estimate the report gives, the mean over seeds. The difference of recipe r against the
 * baseline is the mean over the drawn seeds of (r - baseline) for that seed. A difference exceeds the
 * noise when its 95 % percentile interval excludes 0.
 *
 * Speed. Matching never looks across frames (src/eval/frameMap.ts, rules 1-6), so each run is matched
 * once (`matchDetections`) and a resample only concatenates the drawn frames' scores and true-positive
 * flags per class and takes the evaluator's `averagePrecision` of them. A frame drawn twice contributes
 * its detections and its ground truth twice, as two copies of the frame would.
 */
import { averagePrecision, nanMean } from '../eval/ap.js';
import type { FrameMatches } from '../eval/index.js';
import { Rng } from '../data/rng.js';

/** A percentile interval; NaN bounds when no resample had a value (e.g. a class without ground truth). */
export interface Interval {
  lo: number;
  hi: number;
}

/** One group of runs: a recipe (one run per seed, in seed order) or a reference. */
export interface BootstrapGroup {
  runs: readonly FrameMatches[];
  /** Paired with group 0 (same seeds, same order): its differences against group 0 are computed. */
  paired: boolean;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Coverage of the intervals (default 0.95). */
  level?: number;
}

export interface GroupIntervals {
  allMAP: Interval;
  pooledMAP: Interval;
  /** Per class, in label-map order. */
  classAP: Interval[];
  /** Per video, in `videos` order. */
  videoMAP: Interval[];
}

export interface DifferenceIntervals {
  allMAP: Interval;
  pooledMAP: Interval;
  classAP: Interval[];
}

export interface BootstrapResult {
  resamples: number;
  level: number;
  videos: string[];
  groups: GroupIntervals[];
  /** Per group: against group 0, or null when not paired (and for group 0 itself). */
  differences: (DifferenceIntervals | null)[];
}

/** The figures of one run on one resample. NaN stands for "not defined" (null in the evaluator). */
interface RunFigures {
  allMAP: number;
  pooledMAP: number;
  classAP: Float64Array;
  videoMAP: Float64Array;
}

/** A run's matches laid out per (frame, class): the slice of its detections in emission order. */
interface RunIndex {
  /** Universe frame -> the run's frame, or -1. */
  frameOf: Int32Array;
  /** (frame * C + c) -> start in score/tp; length frames * C + 1. */
  start: Int32Array;
  score: Float64Array;
  tp: Uint8Array;
  gt: Int32Array;
}

const frameKey = (video: string, ts: number): string => `${video}\u0000${ts}`;

/** Frames of every run together, grouped by video (ground-truth videos of the first run first). */
interface Universe {
  videos: string[];
  /** Per universe video: its universe frames. */
  framesOfVideo: number[][];
  keys: Map<string, number>;
}

function buildUniverse(all: readonly FrameMatches[]): Universe {
  const videoIndex = new Map<string, number>();
  const videos: string[] = [];
  const framesOfVideo: number[][] = [];
  const keys = new Map<string, number>();
  for (const m of all) {
    for (let f = 0; f < m.frameVideo.length; f++) {
      if (m.frameExcluded[f]) continue;
      const name = m.videoNames[m.frameVideo[f]!]!;
      const key = frameKey(name, m.frameTimestamp[f]!);
      if (keys.has(key)) continue;
      let v = videoIndex.get(name);
      if (v === undefined) {
        v = videos.length;
        videos.push(name);
        videoIndex.set(name, v);
        framesOfVideo.push([]);
      }
      keys.set(key, keys.size);
      framesOfVideo[v]!.push(keys.size - 1);
    }
  }
  return { videos, framesOfVideo, keys };
}

function indexRun(m: FrameMatches, u: Universe): RunIndex {
  const C = m.numClasses;
  const numFrames = m.frameVideo.length;
  const frameOf = new Int32Array(u.keys.size).fill(-1);
  for (let f = 0; f < numFrames; f++) {
    if (m.frameExcluded[f]) continue;
    frameOf[u.keys.get(frameKey(m.videoNames[m.frameVideo[f]!]!, m.frameTimestamp[f]!))!] = f;
  }
  // stable counting sort of the detections by (frame, class): emission order kept within each slice
  const start = new Int32Array(numFrames * C + 1);
  for (let e = 0; e < m.numEmitted; e++) start[m.emitFrame[e]! * C + m.emitClass[e]! + 1]++;
  for (let k = 0; k < numFrames * C; k++) start[k + 1] += start[k]!;
  const fill = start.slice(0, numFrames * C);
  const score = new Float64Array(m.numEmitted);
  const tp = new Uint8Array(m.numEmitted);
  for (let e = 0; e < m.numEmitted; e++) {
    const at = fill[m.emitFrame[e]! * C + m.emitClass[e]!]!++;
    score[at] = m.emitScore[e]!;
    tp[at] = m.emitTp[e]!;
  }
  return { frameOf, start, score, tp, gt: m.frameGt };
}

/** Growable scratch buffers for one class's concatenated detections. */
class Scratch {
  score = new Float64Array(4096);
  tp = new Uint8Array(4096);
  n = 0;
  reset(): void {
    this.n = 0;
  }
  append(score: Float64Array, tp: Uint8Array, from: number, to: number): void {
    const need = this.n + to - from;
    if (need > this.score.length) {
      const cap = Math.max(need, this.score.length * 2);
      const s = new Float64Array(cap);
      s.set(this.score.subarray(0, this.n));
      const t = new Uint8Array(cap);
      t.set(this.tp.subarray(0, this.n));
      this.score = s;
      this.tp = t;
    }
    this.score.set(score.subarray(from, to), this.n);
    this.tp.set(tp.subarray(from, to), this.n);
    this.n = need;
  }
}

const scratch = new Scratch();

/** AP of class c over the given universe frames of a run (NaN without ground truth). */
function classApOver(run: RunIndex, C: number, frames: ArrayLike<number>, c: number): number {
  scratch.reset();
  let numGt = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = run.frameOf[frames[i]!]!;
    if (f < 0) continue;
    const k = f * C + c;
    numGt += run.gt[k]!;
    scratch.append(run.score, run.tp, run.start[k]!, run.start[k + 1]!);
  }
  if (numGt === 0) return Number.NaN;
  return averagePrecision(scratch.score.subarray(0, scratch.n), scratch.tp.subarray(0, scratch.n), numGt);
}

const orNaN = (x: number | null): number => (x === null ? Number.NaN : x);
const toNullable = (a: Float64Array): (number | null)[] => Array.from(a, (x) => (Number.isNaN(x) ? null : x));

/** A run's figures on a draw of frames per video. */
function figuresOf(run: RunIndex, C: number, drawn: readonly Int32Array[], pooled: Int32Array): RunFigures {
  const classAP = new Float64Array(C);
  for (let c = 0; c < C; c++) classAP[c] = classApOver(run, C, pooled, c);
  const videoMAP = new Float64Array(drawn.length);
  const perClass = new Float64Array(C);
  let sum = 0;
  let count = 0;
  drawn.forEach((frames, v) => {
    for (let c = 0; c < C; c++) perClass[c] = classApOver(run, C, frames, c);
    videoMAP[v] = orNaN(nanMean(toNullable(perClass)));
    if (!Number.isNaN(videoMAP[v]!)) {
      sum += videoMAP[v]!;
      count++;
    }
  });
  return { allMAP: count > 0 ? sum / count : Number.NaN, pooledMAP: orNaN(nanMean(toNullable(classAP))), classAP, videoMAP };
}

/** numpy's default percentile (linear interpolation) of the non-NaN values. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** True when the interval lies on one side of 0 (a degenerate [0, 0] does not). */
export function excludesZero(i: Interval): boolean {
  return i.lo > 0 || i.hi < 0;
}

export function bootstrap(groups: readonly BootstrapGroup[], o: BootstrapOptions): BootstrapResult {
  if (groups.length === 0 || groups.some((g) => g.runs.length === 0)) throw new Error('bootstrap: every group needs at least one run');
  if (!Number.isInteger(o.resamples) || o.resamples < 1) throw new Error(`bootstrap: resamples must be a positive integer, got ${o.resamples}`);
  const level = o.level ?? 0.95;
  const C = groups[0]!.runs[0]!.numClasses;
  const all = groups.flatMap((g) => g.runs);
  if (all.some((m) => m.numClasses !== C)) throw new Error('bootstrap: every run must have the same classes');
  const seeds = groups[0]!.runs.length;
  for (const g of groups) if (g.paired && g.runs.length !== seeds) throw new Error('bootstrap: a paired group needs as many runs (seeds) as group 0');

  const u = buildUniverse(all);
  const indexed = groups.map((g) => g.runs.map((m) => indexRun(m, u)));
  const V = u.videos.length;
  const B = o.resamples;
  // [group][statistic][resample]: statistics 0 all_mAP, 1 pooled mAP, 2.. classes, then videos
  const S = 2 + C + V;
  const stats = groups.map(() => Array.from({ length: S }, () => new Float64Array(B)));
  const diffs = groups.map((g, i) => (g.paired && i > 0 ? Array.from({ length: 2 + C }, () => new Float64Array(B)) : null));

  for (let b = 0; b < B; b++) {
    const rng = new Rng(o.seed, 'bootstrap', b);
    const drawn = u.framesOfVideo.map((frames) => {
      const d = new Int32Array(frames.length);
      for (let i = 0; i < frames.length; i++) d[i] = frames[rng.int(0, frames.length - 1)]!;
      return d;
    });
    const pooled = new Int32Array(drawn.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of drawn) {
      pooled.set(d, at);
      at += d.length;
    }
    const figures = indexed.map((runs) => runs.map((r) => flat(figuresOf(r, C, drawn, pooled))));
    // one seed draw per resample, shared by every group with that many seeds (pairs stay pairs)
    const seedRng = new Rng(o.seed, 'bootstrap-seeds', b);
    const drawCache = new Map<number, number[]>();
    const seedDraw = (n: number): number[] => {
      let d = drawCache.get(n);
      if (!d) drawCache.set(n, (d = n === 1 ? [0] : Array.from({ length: n }, () => seedRng.int(0, n - 1))));
      return d;
    };
    groups.forEach((g, gi) => {
      const draw = seedDraw(g.runs.length);
      for (let s = 0; s < S; s++) stats[gi]![s]![b] = meanOver(draw, (k) => figures[gi]![k]![s]!);
      const d = diffs[gi];
      if (d) for (let s = 0; s < 2 + C; s++) d[s]![b] = meanOver(draw, (k) => figures[gi]![k]![s]! - figures[0]![k]![s]!);
    });
  }

  const lowQ = (100 * (1 - level)) / 2;
  const interval = (x: Float64Array): Interval => ({ lo: percentile(x, lowQ), hi: percentile(x, 100 - lowQ) });
  return {
    resamples: B,
    level,
    videos: u.videos,
    groups: stats.map((st) => ({
      allMAP: interval(st[0]!),
      pooledMAP: interval(st[1]!),
      classAP: st.slice(2, 2 + C).map(interval),
      videoMAP: st.slice(2 + C).map(interval),
    })),
    differences: diffs.map((d) => (d ? { allMAP: interval(d[0]!), pooledMAP: interval(d[1]!), classAP: d.slice(2).map(interval) } : null)),
  };
}

function flat(f: RunFigures): number[] {
  return [f.allMAP, f.pooledMAP, ...f.classAP, ...f.videoMAP];
}

/** Mean over the drawn seeds; NaN when any is NaN (a figure undefined on this resample). */
function meanOver(draw: readonly number[], value: (k: number) => number): number {
  let s = 0;
  for (const k of draw) s += value(k);
  return s / draw.length;
}
