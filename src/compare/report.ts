/**
 * The comparison's figures: per recipe (and per reference) the mean and standard deviation over seeds of
 * all_mAP, pooled mAP, each video's mAP and each class's AP, with their resampling intervals; per recipe
 * after the first, the paired differences against it (per seed, their mean, the interval, and whether the
 * interval excludes 0). `compareJson` is what compare.json holds; `formatCompareTable` the terminal view.
 * Names from files (classes, videos, recipes) are values in lists here, never object keys.
 */
import type { FrameMapReport } from '../eval/index.js';
import { excludesZero, standardDeviation, type BootstrapResult, type Interval } from './bootstrap.js';

export interface SeedResult {
  seed: number;
  dir: string | null;
  report: FrameMapReport;
  trainSeconds: number | null;
}

export interface GroupInput {
  name: string;
  kind: 'recipe' | 'reference';
  /** The config file of a recipe; a one-line description of a reference. */
  source: string;
  seeds: SeedResult[];
}

export interface Summary {
  mean: number | null;
  /** Sample standard deviation over seeds (null with one seed). */
  sd: number | null;
  ci: [number | null, number | null];
}

export interface Difference {
  perSeed: (number | null)[];
  mean: number | null;
  ci: [number | null, number | null];
  exceedsNoise: boolean;
}

export interface GroupSummary {
  name: string;
  kind: 'recipe' | 'reference';
  source: string;
  runs: { seed: number; dir: string | null; allMAP: number | null; pooledMAP: number | null; perVideo: { video: string; mAP: number | null }[]; perClass: { class: string; ap: number | null }[]; trainSeconds: number | null }[];
  allMAP: Summary;
  pooledMAP: Summary;
  perVideo: ({ video: string } & Summary)[];
  perClass: ({ class: string } & Summary)[];
  /** Against the first recipe (null for it and for the references). */
  difference: { baseline: string; allMAP: Difference; pooledMAP: Difference; perClass: ({ class: string } & Difference)[] } | null;
}

export interface CompareSummary {
  classes: string[];
  videos: string[];
  groups: GroupSummary[];
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const ci = (i: Interval): [number | null, number | null] => [num(i.lo), num(i.hi)];

function meanSd(values: readonly (number | null)[]): { mean: number | null; sd: number | null } {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return { mean: null, sd: null };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, sd: v.length < 2 ? null : standardDeviation(v) };
}

function difference(a: readonly (number | null)[], b: readonly (number | null)[], interval: Interval): Difference {
  const perSeed = a.map((x, i) => (x === null || b[i] === null || b[i] === undefined ? null : x - b[i]!));
  return { perSeed, mean: meanSd(perSeed).mean, ci: ci(interval), exceedsNoise: excludesZero(interval) };
}

/** Groups in the order given (recipes first, the first recipe the baseline); `boot.groups` in the same order. */
export function summarize(groups: readonly GroupInput[], boot: BootstrapResult): CompareSummary {
  const first = groups[0]!.seeds[0]!.report;
  const classes = first.pooled.classes.map((c) => c.name);
  const videos = boot.videos;
  const videoMap = (r: FrameMapReport, v: string): number | null => r.videos.find((x) => x.videoId === v)?.mAP ?? null;
  const base = groups[0]!;
  return {
    classes,
    videos,
    groups: groups.map((g, gi) => {
      const bi = boot.groups[gi]!;
      const reports = g.seeds.map((s) => s.report);
      const col = (f: (r: FrameMapReport) => number | null) => reports.map(f);
      const summary = (values: (number | null)[], interval: Interval): Summary => ({ ...meanSd(values), ci: ci(interval) });
      const d = boot.differences[gi];
      const baseReports = base.seeds.map((s) => s.report);
      return {
        name: g.name,
        kind: g.kind,
        source: g.source,
        runs: g.seeds.map((s) => ({
          seed: s.seed,
          dir: s.dir,
          allMAP: s.report.allMAP,
          pooledMAP: s.report.pooled.mAP,
          perVideo: s.report.videos.map((v) => ({ video: v.videoId, mAP: v.mAP })),
          perClass: s.report.pooled.classes.map((c) => ({ class: c.name, ap: c.ap })),
          trainSeconds: s.trainSeconds,
        })),
        allMAP: summary(col((r) => r.allMAP), bi.allMAP),
        pooledMAP: summary(col((r) => r.pooled.mAP), bi.pooledMAP),
        perVideo: videos.map((v, vi) => ({ video: v, ...summary(col((r) => videoMap(r, v)), bi.videoMAP[vi]!) })),
        perClass: classes.map((c, ci_) => ({ class: c, ...summary(col((r) => r.pooled.classes[ci_]!.ap), bi.classAP[ci_]!) })),
        difference: d
          ? {
              baseline: base.name,
              allMAP: difference(col((r) => r.allMAP), baseReports.map((r) => r.allMAP), d.allMAP),
              pooledMAP: difference(col((r) => r.pooled.mAP), baseReports.map((r) => r.pooled.mAP), d.pooledMAP),
              perClass: classes.map((c, k) => ({
                class: c,
                ...difference(col((r) => r.pooled.classes[k]!.ap), baseReports.map((r) => r.pooled.classes[k]!.ap), d.classAP[k]!),
              })),
            }
          : null,
      };
    }),
  };
}

const f4 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4));
const f3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));
const signed = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const meanCell = (s: Summary): string => `${f4(s.mean)}${s.sd === null ? '' : ` ±${f4(s.sd)}`}`;
const ciCell = (s: { ci: [number | null, number | null] }): string => `[${f3(s.ci[0])}, ${f3(s.ci[1])}]`;

/** The terminal view: the figures per recipe, AP per class, the differences against the first recipe. */
export function formatCompareTable(s: CompareSummary, o: { seeds: number; resamples: number; checkpoint: string }): string {
  const out: string[] = [];
  out.push(`mean ±sd over seeds, [95% interval] (${o.resamples} half-samples of the test keyframes, seeds resampled); ${o.checkpoint} checkpoint`);
  out.push(
    table(
      ['', 'all_mAP', 'interval', 'pooled mAP', 'interval', ...s.videos],
      s.groups.map((g) => [`${g.name}${g.kind === 'reference' ? ' (ref.)' : ''}`, meanCell(g.allMAP), ciCell(g.allMAP), meanCell(g.pooledMAP), ciCell(g.pooledMAP), ...g.perVideo.map((v) => f4(v.mean))]),
    ),
  );
  out.push('');
  out.push('AP per class (pooled over the test videos): mean over seeds [95% interval]');
  out.push(table(['class', ...s.groups.map((g) => g.name)], s.classes.map((c, k) => [c, ...s.groups.map((g) => `${f3(g.perClass[k]!.mean)} ${ciCell(g.perClass[k]!)}`)])));
  const diffs = s.groups.filter((g) => g.difference);
  if (diffs.length > 0) {
    out.push('');
    out.push(`paired differences against ${s.groups[0]!.name} (same seeds): mean [95% interval], * = the interval excludes 0`);
    const cell = (d: Difference) => `${signed(d.mean)} ${ciCell(d)}${d.exceedsNoise ? ' *' : '  '}`;
    const rows: string[][] = [['all_mAP', ...diffs.map((g) => cell(g.difference!.allMAP))], ['pooled mAP', ...diffs.map((g) => cell(g.difference!.pooledMAP))]];
    s.classes.forEach((c, k) => rows.push([c, ...diffs.map((g) => cell(g.difference!.perClass[k]!))]));
    out.push(table(['', ...diffs.map((g) => `${g.name} - ${s.groups[0]!.name}`)], rows));
  }
  return `${out.join('\n')}\n`;
}

export interface CompareMeta {
  data: string;
  split: string;
  checkpoint: string;
  seeds: number[];
  bootstrap: { resamples: number; seed: number; level: number };
}

/** compare.json: the settings, how the intervals were made, and every figure. */
export function compareJson(s: CompareSummary, meta: CompareMeta): unknown {
  return {
    ...meta,
    bootstrap: {
      ...meta.bootstrap,
      resampled: 'half of each video\'s test keyframes without replacement (balanced half-samples; drawing with replacement biases AP upward), and the seeds with replacement (one seed draw shared by every recipe, so pairs stay pairs)',
      interval: 'the estimate on all keyframes and seeds +- z * standard error; the standard error is the spread of the half-sample replicates, scaled to the full sample (exact for a mean)',
      statistic: "the mean over the drawn seeds of each seed's figure on the drawn keyframes (average per seed, not pooled detections)",
      exceedsNoise: 'the 95% interval of the paired difference excludes 0',
    },
    classes: s.classes,
    videos: s.videos,
    recipes: s.groups.filter((g) => g.kind === 'recipe'),
    references: s.groups.filter((g) => g.kind === 'reference'),
  };
}
