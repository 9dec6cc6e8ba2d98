/**
 * Intervals for frame mAP, AP per class and their paired differences between recipes, by resampling.
 *
 * What is resampled. Test keyframes (the evaluator's frames), stratified by video: each replicate keeps
 * half of each video's frames, drawn without replacement (a balanced half-sample), so per-video mAP (and
 * all_mAP, their mean) stays defined and every replicate has the test split's composition. The seeds
 * are resampled with replacement (the same seed draw for every recipe, so that the pairs stay pairs):
 * the interval then covers both the choice of test keyframes and the seed-to-seed variation of
 * training. With one seed only the keyframes vary.
 *
 * Why half-samples and not the usual bootstrap (n frames drawn with replacement). AP is not a mean: a
 * frame drawn twice puts two copies of each of its detections side by side in the ranking, and the
 * precision envelope of the interpolated AP rises on such runs of true positives. Bootstrap replicates
 * of AP are therefore biased upward, by as much as their spread: on the built-in dataset at scale 1, the
 * 95 % percentile interval of the "oracle-who" reference, [0.252, 0.279], did not contain its own
 * estimate, 0.243, and BCE's estimate, 0.470, sat at the bottom of its [0.454, 0.524]; each interval's
 * midpoint was 0.008-0.022 above the estimate. A half-sample has no copies. For a mean
 * of N values, a half-sample's mean has exactly the variance of the full sample's (sigma^2 (1/M - 1/N)
 * with M = N/2); the spread of the replicates, scaled by sqrt((1/N) / (1/M - 1/N)) for odd counts, is
 * taken as the standard error (the half-sample, or delete-N/2 jackknife, estimate of variance), and the
 * interval is the estimate on all frames and seeds +- z * that standard error, cut to [0, 1] (to [-1, 1]
 * for a difference). It always contains the estimate, and a paired difference of identical detections gets the degenerate [0, 0].
 *
 * The statistic of a recipe in one replicate is the mean over its (drawn) seeds of each seed's own
 * figure on the drawn keyframes ("average per seed", not "pool the seeds' detections"): that is the
 * quantity whose point estimate the report gives, the mean over seeds. The difference of recipe r
 * against the baseline is the mean over the drawn seeds of (r - baseline) for that seed. A difference
 * exceeds the noise when its interval excludes 0.
 *
 * Speed. Matching never looks across frames (src/eval/frame-map.ts, rules 1-6), so each run is matched
 * once (`matchDetections`), each class's detections are ranked once (RunIndex), and a replicate only
 * walks the rankings with each frame's multiplicity (0 or 1 here; the walk allows more) and takes the
 * evaluator's AP of the flags (`averagePrecisionRanked`). Measured on the built-in dataset at scale 1
 * (2856 test proposals, 6 classes, 4 videos): 3 recipes x 3 seeds, 1000 replicates in 19 s (sorting
 * per replicate, the first version, took 160 s; on the shared 2-core machine at load 8-12).
 */
import { averagePrecisionRanked, nanMean } from '../eval/ap.js';
import { numpyArgsort } from '../eval/orderings.js';
import type { FrameMatches } from '../eval/index.js';
import { Rng } from '../data/rng.js';

/** An interval; NaN bounds when the figure is undefined (e.g. a class without ground truth). */
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
 * (numpy's argsort of the scores in emission order, highest first), with their universe frames; and
 * ranked once more per video, as the evaluator ranks a video's detections for its per-video mAP (an
 * argsort of that video's detections alone: numpy's sort is not stable, so with tied scores a video's
 * order is not the pooled order restricted to the video). A replicate walks each ranking with the
 * multiplicity of each frame; ties between different detections keep the full-data order.
 */
interface RunIndex {
  /** Per class: universe frame of each ranked detection. */
  frames: Int32Array[];
  /** Per class: true-positive flag of each ranked detection. */
  tp: Uint8Array[];
  /** Per (class * V + universe video): universe frame of each of the video's ranked detections. */
  videoFrames: Int32Array[];
  /** Per (class * V + universe video): true-positive flags in that ranking. */
  videoTp: Uint8Array[];
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
  const uvideo = new Map(u.videos.map((name, v) => [name, v]));
  const V = u.videos.length;
  const frames: Int32Array[] = [];
  const tp: Uint8Array[] = [];
  const videoFrames: Int32Array[] = [];
  const videoTp: Uint8Array[] = [];
  // emitted detections (indices into emit*) in emission order, ranked highest score first
  const ranked = (emitted: readonly number[]): { frames: Int32Array; tp: Uint8Array } => {
    const order = numpyArgsort(Float64Array.from(emitted, (e) => m.emitScore[e]!), new Int32Array(emitted.length));
    const n = emitted.length;
    return {
      frames: Int32Array.from({ length: n }, (_, k) => uframe[m.emitFrame[emitted[order[n - 1 - k]!]!]!]!),
      tp: Uint8Array.from({ length: n }, (_, k) => m.emitTp[emitted[order[n - 1 - k]!]!]!),
    };
  };
  for (let c = 0; c < C; c++) {
    const ofClass: number[] = [];
    const ofVideo: number[][] = Array.from({ length: V }, () => []);
    for (let e = 0; e < m.numEmitted; e++) {
      if (m.emitClass[e] !== c) continue;
      ofClass.push(e);
      const v = uvideo.get(m.videoNames[m.frameVideo[m.emitFrame[e]!]!]!);
      if (v !== undefined) ofVideo[v]!.push(e);
    }
    const pooled = ranked(ofClass);
    frames.push(pooled.frames);
    tp.push(pooled.tp);
    for (const emitted of ofVideo) {
      const r = ranked(emitted);
      videoFrames.push(r.frames);
      videoTp.push(r.tp);
    }
  }
  return { frames, tp, videoFrames, videoTp, gt };
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
      const k = mult[frames[i]!]!;
      if (k > 0) pooled.push(tp[i]!, k);
    }
    for (let v = 0; v < V; v++) {
      const vf = run.videoFrames[c * V + v]!;
      const vt = run.videoTp[c * V + v]!;
      for (let i = 0; i < vf.length; i++) {
        const k = mult[vf[i]!]!;
        if (k > 0) perVideo[v]!.push(vt[i]!, k);
      }
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

  // The estimates: every frame once, every seed once.
  mult.fill(1);
  const full = indexed.map((runs) => runs.map((r) => flat(figuresOf(r, C, V, mult, videoOf, pooled, perVideo))));
  const everySeed = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
  const estimates = full.map((runs) => Array.from({ length: S }, (_, s) => meanOver(everySeed(runs.length), (k) => runs[k]![s]!)));
  const diffEstimates = diffs.map((d, gi) => (d ? Array.from({ length: 2 + C }, (_, s) => meanOver(everySeed(full[gi]!.length), (k) => full[gi]![k]![s]! - full[0]![k]![s]!)) : null));

  // Half of each video's frames, without replacement (a partial Fisher-Yates shuffle of a scratch copy).
  const scratch = u.framesOfVideo.map((frames) => [...frames]);
  const half = (n: number): number => Math.max(1, Math.round(n / 2));
  const N = u.framesOfVideo.reduce((a, f) => a + f.length, 0);
  const M = u.framesOfVideo.reduce((a, f) => a + (f.length > 0 ? half(f.length) : 0), 0);
  // sd(half-sample statistic) * scale = the full sample's standard error (exact for a mean)
  const scale = M < N ? Math.sqrt(1 / N / (1 / M - 1 / N)) : 0;
  for (let b = 0; b < B; b++) {
    const rng = new Rng(o.seed, 'bootstrap', b);
    mult.fill(0);
    for (const frames of scratch) {
      const n = frames.length;
      if (n === 0) continue;
      const m = half(n);
      for (let i = 0; i < m; i++) {
        const j = rng.int(i, n - 1);
        const f = frames[j]!;
        frames[j] = frames[i]!;
        frames[i] = f;
        mult[f] = 1;
      }
    }
    const figures = indexed.map((runs) => runs.map((r) => flat(figuresOf(r, C, V, mult, videoOf, pooled, perVideo))));
    // one seed draw per replicate, shared by every group with that many seeds (pairs stay pairs)
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

  const z = normalQuantile(1 - (1 - level) / 2);
  // AP lies in [0, 1] and a difference of two in [-1, 1]: the normal interval is cut there.
  const interval = (estimate: number, x: Float64Array, min = 0): Interval => {
    const se = scale * standardDeviation(x);
    if (Number.isNaN(estimate) || Number.isNaN(se)) return { lo: Number.NaN, hi: Number.NaN };
    return { lo: Math.max(min, estimate - z * se), hi: Math.min(1, estimate + z * se) };
  };
  const intervals = (est: number[], x: Float64Array[], from: number, to: number, min = 0): Interval[] => x.slice(from, to).map((xs, i) => interval(est[from + i]!, xs, min));
  return {
    resamples: B,
    level,
    videos: u.videos,
    groups: stats.map((st, gi) => {
      const est = estimates[gi]!;
      return {
        allMAP: interval(est[0]!, st[0]!),
        pooledMAP: interval(est[1]!, st[1]!),
        classAP: intervals(est, st, 2, 2 + C),
        videoMAP: intervals(est, st, 2 + C, S),
      };
    }),
    differences: diffs.map((d, gi) => {
      const est = diffEstimates[gi];
      return d && est ? { allMAP: interval(est[0]!, d[0]!, -1), pooledMAP: interval(est[1]!, d[1]!, -1), classAP: intervals(est, d, 2, 2 + C, -1) } : null;
    }),
  };
}

/** Sample standard deviation of the non-NaN values (NaN with fewer than two; 0 when all are equal). */
export function standardDeviation(values: ArrayLike<number>): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return n < 2 ? Number.NaN : Math.sqrt(Math.max(0, m2) / (n - 1));
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9; no
 * statistics package is a dependency, and this one function is all the intervals need).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
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
