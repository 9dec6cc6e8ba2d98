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
 * Speed. Matching never looks across frames (src/eval/frame-map.ts, rules 1-6), so each run is matched
 * once (`matchDetections`), each class's detections are ranked once (RunIndex), and a resample only walks
 * the rankings with each frame's drawn multiplicity and takes the evaluator's AP of the flags
 * (`averagePrecisionRanked`). A frame drawn twice contributes its detections and its ground truth
 * twice, as two copies of the frame would. Measured on the built-in dataset at scale 1 (2856 test
 * proposals, 6 classes, 4 videos): 3 recipes x 3 seeds, 1000 resamples in 19 s (sorting per resample,
 * the first version, took 160 s; on the shared 2-core machine at load 8-12).
 */
import { averagePrecisionRanked, nanMean } from '../eval/ap.js';
import { numpyArgsort } from '../eval/orderings.js';
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

/**
 * A run's detections of each class ranked once, as the evaluator ranks them on the full test split
 * (numpy's argsort of the scores in emission order, highest first), with their universe frames. A
 * resample walks each ranking with the drawn multiplicity of each frame: a frame drawn k times puts k
 * adjacent copies of its detections at their rank (copies of one detection tie; among them the order
 * cannot matter). Ties between different detections keep the full-data order in every resample.
 */
interface RunIndex {
  /** Per class: universe frame of each ranked detection. */
  frames: Int32Array[];
  /** Per class: true-positive flag of each ranked detection. */
  tp: Uint8Array[];
  /** Per (universe frame * C + class): ground-truth boxes. */
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
  const uframe = new Int32Array(numFrames).fill(-1);
  const gt = new Int32Array(u.keys.size * C);
  for (let f = 0; f < numFrames; f++) {
    if (m.frameExcluded[f]) continue;
    const uf = u.keys.get(frameKey(m.videoNames[m.frameVideo[f]!]!, m.frameTimestamp[f]!))!;
    uframe[f] = uf;
    for (let c = 0; c < C; c++) gt[uf * C + c] = m.frameGt[f * C + c]!;
  }
  const frames: Int32Array[] = [];
  const tp: Uint8Array[] = [];
  for (let c = 0; c < C; c++) {
    const ofClass: number[] = [];
    for (let e = 0; e < m.numEmitted; e++) if (m.emitClass[e] === c) ofClass.push(e);
    const order = numpyArgsort(Float64Array.from(ofClass, (e) => m.emitScore[e]!), new Int32Array(ofClass.length));
    const n = ofClass.length;
    frames.push(Int32Array.from({ length: n }, (_, k) => uframe[m.emitFrame[ofClass[order[n - 1 - k]!]!]!]!));
    tp.push(Uint8Array.from({ length: n }, (_, k) => m.emitTp[ofClass[order[n - 1 - k]!]!]!));
  }
  return { frames, tp, gt };
}

/** Growable buffer of ranked true-positive flags. */
class Ranked {
  tp = new Uint8Array(4096);
  n = 0;
  push(flag: number, copies: number): void {
    if (this.n + copies > this.tp.length) {
      const b = new Uint8Array(Math.max(this.n + copies, this.tp.length * 2));
      b.set(this.tp.subarray(0, this.n));
      this.tp = b;
    }
    this.tp.fill(flag, this.n, this.n + copies);
    this.n += copies;
  }
}

const orNaN = (x: number | null): number => (x === null ? Number.NaN : x);
const toNullable = (a: Float64Array): (number | null)[] => Array.from(a, (x) => (Number.isNaN(x) ? null : x));

/**
 * A run's figures on one resample: `mult[f]` is how often universe frame f was drawn, `videoOf[f]` its
 * video. Per class, one walk over the ranking fills the pooled list and each video's list.
 */
function figuresOf(run: RunIndex, C: number, V: number, mult: Int32Array, videoOf: Int32Array, pooled: Ranked, perVideo: Ranked[]): RunFigures {
  const classAP = new Float64Array(C);
  const videoAP = new Float64Array(V * C);
  const gtPooled = new Float64Array(C);
  const gtVideo = new Float64Array(V * C);
  for (let f = 0; f < mult.length; f++) {
    const k = mult[f]!;
    if (k === 0) continue;
    const v = videoOf[f]!;
    for (let c = 0; c < C; c++) {
      const g = k * run.gt[f * C + c]!;
      gtPooled[c] += g;
      gtVideo[v * C + c] += g;
    }
  }
  for (let c = 0; c < C; c++) {
    pooled.n = 0;
    for (const r of perVideo) r.n = 0;
    const frames = run.frames[c]!;
    const tp = run.tp[c]!;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const k = mult[f]!;
      if (k === 0) continue;
      pooled.push(tp[i]!, k);
      perVideo[videoOf[f]!]!.push(tp[i]!, k);
    }
    classAP[c] = gtPooled[c]! > 0 ? averagePrecisionRanked(pooled.tp, pooled.n, gtPooled[c]!) : Number.NaN;
    for (let v = 0; v < V; v++) {
      videoAP[v * C + c] = gtVideo[v * C + c]! > 0 ? averagePrecisionRanked(perVideo[v]!.tp, perVideo[v]!.n, gtVideo[v * C + c]!) : Number.NaN;
    }
  }
  const videoMAP = new Float64Array(V);
  let sum = 0;
  let count = 0;
  for (let v = 0; v < V; v++) {
    videoMAP[v] = orNaN(nanMean(toNullable(videoAP.subarray(v * C, v * C + C))));
    if (!Number.isNaN(videoMAP[v]!)) {
      sum += videoMAP[v]!;
      count++;
    }
  }
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

  const videoOf = new Int32Array(u.keys.size);
  u.framesOfVideo.forEach((frames, v) => frames.forEach((f) => (videoOf[f] = v)));
  const mult = new Int32Array(u.keys.size);
  const pooled = new Ranked();
  const perVideo = u.videos.map(() => new Ranked());
  for (let b = 0; b < B; b++) {
    const rng = new Rng(o.seed, 'bootstrap', b);
    mult.fill(0);
    for (const frames of u.framesOfVideo) for (let i = 0; i < frames.length; i++) mult[frames[rng.int(0, frames.length - 1)]!]++;
    const figures = indexed.map((runs) => runs.map((r) => flat(figuresOf(r, C, V, mult, videoOf, pooled, perVideo))));
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
