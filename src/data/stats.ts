/**
 * Dataset statistics, the first thing to look at on a new dataset: how imbalanced the classes are.
 *
 * Definitions (counts are of the ground truth; proposals have their own section, the last below):
 * - A class count is the number of labelled boxes carrying that class; a box with two labels counts once
 *   for each. The background ("None", class index 0) is not a class here; boxes labelled only None are
 *   counted apart (`backgroundBoxes`), as are boxes with no option ticked (`unlabelledBoxes`).
 * - share = class count / sum of the split's class counts; largest/smallest = the ratio of the largest
 *   to the smallest non-zero class count (classes with no box are listed in `absentClasses`).
 * - Per video: `boxes` = rectangles in the project; `keyframes` = distinct frames (image projects) or
 *   times (video projects) that carry at least one box (a frame without boxes is not a keyframe);
 *   `people` = the most boxes on one keyframe (VIA3 has no person ids, so this is the best count of
 *   people visible at once).
 * - Co-occurrence per split: m[i][j] = boxes carrying both class i and class j; the diagonal is the class
 *   count.
 * - Class weights, from the training split (the split named `train`, else all splits): inverse
 *   frequency w_c ∝ 1 / n_c, and effective number (Cui et al., CVPR 2019) w_c ∝ (1 - β) / (1 - β^n_c)
 *   for β = 0.999 and 0.9999; each normalised so the weights of the classes present sum to their number.
 *   A class with no training box gets weight 0 (no finite weight exists).
 * - Proposals per split: the histogram of each proposal's best IoU with the ground truth of its keyframe,
 *   false positives and missed people (definitions in proposal-iou.ts); null when no video of the split
 *   has a proposals project.
 */
import type { Dataset, DatasetVideo } from './dataset.js';
import { PROPOSAL_IOU_BIN_NAMES, proposalIouHistogram, type ProposalIouHistogram } from './proposal-iou.js';
import type { Via3SkipCounts } from './via3/read.js';

export const EFFECTIVE_NUMBER_BETAS = [0.999, 0.9999] as const;

export interface SplitStats {
  videos: number;
  /** Rectangles in the ground truth. */
  boxes: number;
  /** Boxes with at least one (non-background) class. */
  actionBoxes: number;
  backgroundBoxes: number;
  unlabelledBoxes: number;
  keyframes: number;
  /** Per class (parallel to `DatasetStats.classes`). */
  counts: number[];
  /** Sum of `counts` (label instances). */
  labels: number;
  share: number[];
  /** Largest / smallest non-zero class count; null when no class has a box. */
  largestToSmallest: number | null;
  absentClasses: string[];
  /** Boxes carrying both class i and class j. */
  cooccurrence: number[][];
  /** How the proposals cover the ground truth; null without proposals. */
  proposals: ProposalIouHistogram | null;
}

export interface VideoStats {
  name: string;
  split: string;
  boxes: number;
  actionBoxes: number;
  backgroundBoxes: number;
  unlabelledBoxes: number;
  keyframes: number;
  people: number;
  counts: number[];
  proposals: number | null;
}

export interface ClassWeights {
  /** Split the weights were computed from. */
  basis: string;
  inverseFrequency: number[];
  /** Keyed by β as text ("0.999"). */
  effectiveNumber: Record<string, number[]>;
}

export interface DatasetStats {
  /** Action classes, background excluded (class index i + 1 in the VIA3 class list). */
  classes: string[];
  background: string | null;
  splits: Record<string, SplitStats>;
  videos: VideoStats[];
  weights: ClassWeights;
  skipped: Via3SkipCounts;
}

export function computeStats(ds: Dataset): DatasetStats {
  const classes = ds.classes.slice(1);
  const C = classes.length;
  // Null prototype: split names come from files.
  const splits = Object.create(null) as Record<string, SplitStats>;
  const videos: VideoStats[] = [];
  const skipped: Via3SkipCounts = { temporalSegment: 0, fileLevel: 0, nonRectangle: 0, otherFile: 0 };

  for (const [split, vids] of Object.entries(ds.splits)) {
    const s: SplitStats = {
      videos: vids.length,
      boxes: 0,
      actionBoxes: 0,
      backgroundBoxes: 0,
      unlabelledBoxes: 0,
      keyframes: 0,
      counts: new Array<number>(C).fill(0),
      labels: 0,
      share: [],
      largestToSmallest: null,
      absentClasses: [],
      cooccurrence: Array.from({ length: C }, () => new Array<number>(C).fill(0)),
      proposals: proposalIouHistogram(vids),
    };
    for (const v of vids) {
      const vs = videoStats(v, C);
      videos.push(vs);
      for (const k of Object.keys(skipped) as (keyof Via3SkipCounts)[]) skipped[k] += v.gt.skipped[k];
      s.boxes += vs.boxes;
      s.actionBoxes += vs.actionBoxes;
      s.backgroundBoxes += vs.backgroundBoxes;
      s.unlabelledBoxes += vs.unlabelledBoxes;
      s.keyframes += vs.keyframes;
      vs.counts.forEach((n, i) => (s.counts[i]! += n));
      for (const b of v.gt.boxes) {
        const cls = b.labels.filter((l) => l > 0).map((l) => l - 1);
        for (const i of cls) for (const j of cls) s.cooccurrence[i]![j]!++;
      }
    }
    s.labels = s.counts.reduce((a, b) => a + b, 0);
    s.share = s.counts.map((n) => (s.labels > 0 ? n / s.labels : 0));
    const present = s.counts.filter((n) => n > 0);
    s.largestToSmallest = present.length > 0 ? Math.max(...present) / Math.min(...present) : null;
    s.absentClasses = classes.filter((_, i) => s.counts[i] === 0);
    splits[split] = s;
  }

  const basis = splits.train ? 'train' : 'all';
  const basisCounts = splits.train ? splits.train.counts : sumCounts(Object.values(splits), C);
  const weights: ClassWeights = {
    basis,
    inverseFrequency: normaliseWeights(basisCounts.map((n) => (n > 0 ? 1 / n : 0))),
    effectiveNumber: Object.fromEntries(EFFECTIVE_NUMBER_BETAS.map((beta) => [String(beta), effectiveNumberWeights(basisCounts, beta)])),
  };
  return { classes, background: ds.classes[0] ?? null, splits, videos, weights, skipped };
}

/** Cui et al. 2019: w_c ∝ (1 - β) / (1 - β^n_c), normalised to sum to the number of present classes. */
export function effectiveNumberWeights(counts: readonly number[], beta: number): number[] {
  return normaliseWeights(counts.map((n) => (n > 0 ? (1 - beta) / (1 - Math.pow(beta, n)) : 0)));
}

/** Inverse frequency w_c ∝ 1 / n_c, normalised the same way. */
export function inverseFrequencyWeights(counts: readonly number[]): number[] {
  return normaliseWeights(counts.map((n) => (n > 0 ? 1 / n : 0)));
}

function normaliseWeights(raw: number[]): number[] {
  const present = raw.filter((w) => w > 0).length;
  const sum = raw.reduce((a, b) => a + b, 0);
  return sum > 0 ? raw.map((w) => (w * present) / sum) : raw.map(() => 0);
}

function sumCounts(splits: SplitStats[], C: number): number[] {
  const out = new Array<number>(C).fill(0);
  for (const s of splits) s.counts.forEach((n, i) => (out[i]! += n));
  return out;
}

function videoStats(v: DatasetVideo, C: number): VideoStats {
  const counts = new Array<number>(C).fill(0);
  const perKeyframe = new Map<number, number>();
  let actionBoxes = 0;
  let backgroundBoxes = 0;
  let unlabelledBoxes = 0;
  for (const b of v.gt.boxes) {
    const key = b.frameIndex ?? b.time ?? 0;
    perKeyframe.set(key, (perKeyframe.get(key) ?? 0) + 1);
    const cls = b.labels.filter((l) => l > 0);
    if (cls.length > 0) actionBoxes++;
    else if (b.labels.length > 0) backgroundBoxes++;
    else unlabelledBoxes++;
    for (const l of cls) counts[l - 1]!++;
  }
  return {
    name: v.name,
    split: v.split,
    boxes: v.gt.boxes.length,
    actionBoxes,
    backgroundBoxes,
    unlabelledBoxes,
    keyframes: perKeyframe.size,
    people: Math.max(0, ...perKeyframe.values()),
    counts,
    proposals: v.proposalBoxes ? v.proposalBoxes.boxes.length : null,
  };
}

/**
 * The machine-readable form (`stad stats --json`). `classes` and `splits.<split>.<class>` (box counts)
 * are the stable core; the rest adds detail.
 */
export function statsToJson(st: DatasetStats): Record<string, unknown> {
  const byClass = (values: readonly number[]): Record<string, number> => Object.fromEntries(st.classes.map((c, i) => [c, values[i]!]));
  return {
    classes: st.classes,
    background: st.background,
    splits: Object.fromEntries(Object.entries(st.splits).map(([k, s]) => [k, byClass(s.counts)])),
    splitDetails: Object.fromEntries(
      Object.entries(st.splits).map(([k, s]) => [
        k,
        {
          videos: s.videos,
          boxes: s.boxes,
          actionBoxes: s.actionBoxes,
          backgroundBoxes: s.backgroundBoxes,
          unlabelledBoxes: s.unlabelledBoxes,
          keyframes: s.keyframes,
          labels: s.labels,
          share: byClass(s.share),
          largestToSmallest: s.largestToSmallest,
          absentClasses: s.absentClasses,
          cooccurrence: s.cooccurrence,
        },
      ]),
    ),
    videos: st.videos.map((v) => ({ ...v, counts: byClass(v.counts) })),
    classWeights: {
      basis: st.weights.basis,
      inverseFrequency: byClass(st.weights.inverseFrequency),
      effectiveNumber: Object.fromEntries(Object.entries(st.weights.effectiveNumber).map(([b, w]) => [b, byClass(w)])),
    },
    proposals: Object.fromEntries(Object.entries(st.splits).map(([k, s]) => [k, s.proposals ? proposalIouToJson(s.proposals) : null])),
    skipped: st.skipped,
  };
}

/** A histogram with its bins keyed by name ("<0.5", ..., ">=0.9"). */
export function proposalIouToJson(h: ProposalIouHistogram): Record<string, unknown> {
  const byBin = <T>(values: readonly T[]): Record<string, T> => Object.fromEntries(PROPOSAL_IOU_BIN_NAMES.map((b, i) => [b, values[i]!]));
  return {
    proposals: h.proposals,
    bins: byBin(h.counts),
    meanScore: byBin(h.meanScore),
    falsePositives: h.falsePositives,
    matched: h.matched,
    matchedAt09: h.matchedAt09,
    gtBoxes: h.gtBoxes,
    misses: h.misses,
    offKeyframe: h.offKeyframe,
    videos: h.videos,
  };
}

/**
 * The proposals section: per split, the share of proposals in each IoU bin, the share of matched
 * proposals at >= 0.9 (the assigner's positives), missed people, and the mean score per bin.
 */
export function formatProposalIou(hists: Readonly<Record<string, ProposalIouHistogram | null>>): string {
  const present = Object.entries(hists).filter((e): e is [string, ProposalIouHistogram] => e[1] !== null);
  if (present.length === 0) return 'Proposals: none (no <video>_proposal.json project)';
  const rows = present.map(([split, h]) => [
    split,
    String(h.proposals),
    ...h.counts.map((n) => `${n} ${pct(h.proposals > 0 ? n / h.proposals : 0)}`),
    h.matchedAt09 === null ? 'n/a' : pct(h.matchedAt09),
    `${h.misses} ${pct(h.gtBoxes > 0 ? h.misses / h.gtBoxes : 0)}`,
  ]);
  const bins = PROPOSAL_IOU_BIN_NAMES.map((b, i) => (i === 0 ? `${b} (false pos.)` : b));
  const lines = [
    "Proposals: each one's best IoU with a ground-truth box of its keyframe (training positives need >= 0.9)",
    table(['split', 'proposals', ...bins, '>=0.9 of matched', 'missed people'], rows),
  ];
  for (const [split, h] of present) {
    if (h.meanScore.some((m) => m !== null)) {
      lines.push(`${split}: mean score ${h.meanScore.map((m, i) => `${PROPOSAL_IOU_BIN_NAMES[i]} ${m === null ? 'n/a' : m.toFixed(3)}`).join(', ')}`);
    }
    if (h.offKeyframe > 0) lines.push(`${split}: ${h.offKeyframe} proposals on frames without ground truth, not counted`);
  }
  return lines.join('\n');
}

/** Terminal tables: classes per split with shares and weights, then videos, then co-occurrences. */
export function formatStatsTable(st: DatasetStats): string {
  const splitNames = Object.keys(st.splits);
  const out: string[] = [];
  const header = ['class', ...splitNames.flatMap((s) => [s, 'share']), 'w inv-freq', ...Object.keys(st.weights.effectiveNumber).map((b) => `w EN ${b}`)];
  const rows: string[][] = st.classes.map((c, i) => [
    c,
    ...splitNames.flatMap((s) => [String(st.splits[s]!.counts[i]), pct(st.splits[s]!.share[i]!)]),
    st.weights.inverseFrequency[i]!.toFixed(3),
    ...Object.values(st.weights.effectiveNumber).map((w) => w[i]!.toFixed(3)),
  ]);
  rows.push(['total', ...splitNames.flatMap((s) => [String(st.splits[s]!.labels), '']), '', ...Object.keys(st.weights.effectiveNumber).map(() => '')]);
  if (st.classes.length === 0) out.push('No project has an action attribute (a CHECKBOX on regions, anchor FILE1_Z0_XY1 or FILE1_Z1_XY1): no classes to count.');
  out.push(`Labelled boxes per class (a box with two labels counts for both; weights from ${st.weights.basis})`);
  out.push(table(header, rows));
  for (const s of splitNames) {
    const sp = st.splits[s]!;
    const ratio = sp.largestToSmallest === null ? 'n/a' : sp.largestToSmallest.toFixed(2);
    const absent = sp.absentClasses.length ? `; no boxes for ${sp.absentClasses.join(', ')}` : '';
    out.push(
      `${s}: ${sp.videos} videos, ${sp.keyframes} keyframes, ${sp.boxes} boxes (${sp.actionBoxes} with an action, ${sp.backgroundBoxes} ${st.background ?? 'background'} only, ${sp.unlabelledBoxes} unlabelled); largest/smallest class ${ratio}${absent}`,
    );
  }
  out.push('');
  out.push('Per video');
  out.push(
    table(
      ['video', 'split', 'boxes', 'keyframes', 'people', st.background ?? 'background', 'proposals'],
      st.videos.map((v) => [v.name, v.split, String(v.boxes), String(v.keyframes), String(v.people), String(v.backgroundBoxes), v.proposals === null ? '-' : String(v.proposals)]),
    ),
  );
  const pairs: string[] = [];
  for (const s of splitNames) {
    const m = st.splits[s]!.cooccurrence;
    for (let i = 0; i < st.classes.length; i++) {
      for (let j = i + 1; j < st.classes.length; j++) if (m[i]![j]! > 0) pairs.push(`${s}: ${st.classes[i]} + ${st.classes[j]}: ${m[i]![j]}`);
    }
  }
  out.push('');
  out.push(pairs.length ? `Label co-occurrence (boxes carrying both)\n  ${pairs.join('\n  ')}` : 'Label co-occurrence: no box carries two classes');
  out.push('');
  out.push(formatProposalIou(Object.fromEntries(splitNames.map((s) => [s, st.splits[s]!.proposals]))));
  const sk = st.skipped;
  const skippedTotal = sk.temporalSegment + sk.fileLevel + sk.nonRectangle + sk.otherFile;
  if (skippedTotal > 0) {
    out.push(
      `Skipped VIA3 entries (not boxes): ${sk.temporalSegment} temporal segments, ${sk.fileLevel} whole-file labels, ${sk.nonRectangle} non-rectangle shapes, ${sk.otherFile} on non-image/video files`,
    );
  }
  return `${out.join('\n')}\n`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
