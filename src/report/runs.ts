/**
 * What the report reads from a run folder (src/train/checkpoint.ts describes the layout):
 *
 *   <run>/config.json                   the resolved run config (required: it makes a folder a run)
 *   <run>/metrics.jsonl                 train and val lines (required)
 *   <run>/test-<testSplit>/report.json  `stad test`'s figures (optional: results need it)
 *   <run>/test-<testSplit>/detections.csv, label_map.pbtxt   per-box scores (optional: examples need them)
 *
 * Every file is validated here, so that the sections below work on plain, typed values.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readAvaDetections, type NormalizedBox } from '../data/ava.js';
import { readJsonFile } from '../data/json-file.js';
import { readLabelMap } from '../data/labelmap.js';
import { DETECTIONS_FILE, REPORT_FILE } from '../train/test-outputs.js';
import { isSafeFileName } from '../util/names.js';
import { LABEL_MAP_FILE } from '../data/convert.js';
import { fail, UserError } from '../util/errors.js';
import { readTextFile } from '../util/fs.js';

/**
 * The file names src/train/checkpoint.ts writes (a test checks they agree). Not imported from there:
 * that module, like the full RunConfigSchema, loads libtorch, and `stad report` needs no tensors.
 */
export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';

/**
 * The part of a run's resolved config.json (src/train/config.ts RunConfigSchema) that the report shows.
 * Loose: the full config passes, and the report does not break when the config gains fields.
 */
export const RunConfigViewSchema = z.looseObject({
  description: z.string().optional(),
  model: z.looseObject({
    backbone: z.looseObject({ type: z.string(), depth: z.number().int() }),
    head: z.looseObject({ logitNorm: z.string() }),
  }),
  data: z.looseObject({ dir: z.string().min(1), testSplit: z.string().min(1), actionAttribute: z.string().optional() }),
  loss: z.looseObject({ name: z.string(), classWeights: z.string() }),
  batchSize: z.number().int().min(1),
  accumulate: z.number().int().min(1),
  epochs: z.number().int().min(1),
  seed: z.number().int().min(0),
});
export type RunConfigView = z.infer<typeof RunConfigViewSchema>;

const num = z.number();
/** JSON has no NaN: a NaN loss or an undefined AP is written as null. */
const maybeNum = z.number().nullable();

const TrainLineSchema = z.looseObject({
  type: z.literal('train'),
  epoch: z.number().int().min(1),
  batch: z.number().int().min(1),
  iter: z.number().int().min(0),
  loss: maybeNum,
  lr: num,
});

const ValLineSchema = z.looseObject({
  type: z.literal('val'),
  epoch: z.number().int().min(1),
  all_mAP: maybeNum,
  pooled_mAP: maybeNum,
  perVideo: z.array(z.strictObject({ video: z.string(), mAP: maybeNum })),
  perClass: z.array(z.strictObject({ class: z.string(), ap: maybeNum })),
});

const MetricsLineSchema = z.discriminatedUnion('type', [TrainLineSchema, ValLineSchema]);

export type TrainLine = z.infer<typeof TrainLineSchema>;
export type ValLine = z.infer<typeof ValLineSchema>;

/** eval/report.ts `JsonReport` with per-video entries, as `stad test` writes it. */
const TestReportSchema = z.looseObject({
  mAP: maybeNum,
  perClass: z.record(z.string(), maybeNum),
  allMAP: maybeNum,
  perVideo: z.array(z.looseObject({ video: z.string(), keyframes: z.number().int().min(0), mAP: maybeNum })),
});

export interface TestResults {
  /** Folder of `stad test`'s outputs. */
  dir: string;
  allMAP: number | null;
  pooledMAP: number | null;
  /** In the report's order. */
  perVideo: { video: string; mAP: number | null }[];
  /** Pooled AP per class name, in the report's order (names come from the file: a Map). */
  perClass: Map<string, number | null>;
  /** Predicted boxes keyed by `frameKey(video, timestamp)`; null without detections.csv + label_map.pbtxt. */
  boxes: Map<string, PredictedBox[]> | null;
}

/** One box `stad test` classified: its coordinates and the score of every class it was scored for. */
export interface PredictedBox {
  box: NormalizedBox;
  /** Class name -> score. */
  scores: Map<string, number>;
}

export interface RunInput {
  /** Absolute folder. */
  dir: string;
  /**
   * Display name: the folder's name, or `parent/name` when two runs share a name (stad compare writes
   * `<out>/<recipe>/seed-<n>`), with a suffix if that still repeats.
   */
  name: string;
  config: RunConfigView;
  train: TrainLine[];
  val: ValLine[];
  test: TestResults | null;
}

/** The key of one keyframe in maps of boxes: the AVA video id and timestamp. */
export function frameKey(video: string, timestamp: number): string {
  return `${video}\u0000${timestamp}`;
}

function readConfig(dir: string): RunConfigView {
  const f = join(dir, CONFIG_FILE);
  if (!existsSync(f)) throw new UserError(`${dir}: not a stad run (no ${CONFIG_FILE}; give folders written by stad train)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(f));
  } catch (e) {
    if (e instanceof UserError) throw e;
    fail(f, undefined, `not valid JSON (${(e as Error).message})`);
  }
  const r = RunConfigViewSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    fail(f, issue.path.length ? issue.path.map(String).join('.') : undefined, `${issue.message.replace(/^Invalid input: /, '')} (not a config.json written by stad train?)`);
  }
  return r.data;
}

function readMetrics(dir: string): { train: TrainLine[]; val: ValLine[] } {
  const f = join(dir, METRICS_FILE);
  if (!existsSync(f)) throw new UserError(`${f}: no such file (the run has not finished a training step; a run folder needs ${METRICS_FILE})`);
  const train: TrainLine[] = [];
  const val: ValLine[] = [];
  const lines = readTextFile(f).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // A run killed mid-write leaves a partial last line: skip it, refuse one anywhere else.
      if (i >= lines.length - 2) return;
      fail(f, `line ${i + 1}`, 'not valid JSON');
    }
    const r = MetricsLineSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      fail(f, `line ${i + 1}${issue.path.length ? `: ${issue.path.map(String).join('.')}` : ''}`, issue.message.replace(/^Invalid input: /, ''));
    }
    if (r.data.type === 'train') train.push(r.data);
    else val.push(r.data);
  });
  return { train, val };
}

function readTestResults(dir: string): TestResults {
  const report = readJsonFile(join(dir, REPORT_FILE), TestReportSchema);
  const det = join(dir, DETECTIONS_FILE);
  const lm = join(dir, LABEL_MAP_FILE);
  let boxes: Map<string, PredictedBox[]> | null = null;
  if (existsSync(det) && existsSync(lm)) {
    const labels = readLabelMap(lm);
    boxes = new Map();
    // Rows of one box are consecutive and share its coordinates (test-outputs.ts writes them so).
    let last: { key: string; box: PredictedBox } | null = null;
    for (const row of readAvaDetections(det)) {
      const name = row.actionId === null ? undefined : labels.names.get(row.actionId);
      if (name === undefined) fail(det, `video ${JSON.stringify(row.videoId)} at ${row.timestamp}`, `action id ${row.actionId} is not in ${lm}`);
      const key = frameKey(row.videoId, row.timestamp);
      const same = last !== null && last.key === key && last.box.box.every((v, k) => v === row.box[k]) && !last.box.scores.has(name);
      if (!same) {
        const box: PredictedBox = { box: row.box, scores: new Map() };
        const list = boxes.get(key);
        if (list) list.push(box);
        else boxes.set(key, [box]);
        last = { key, box };
      }
      last!.box.scores.set(name, row.score);
    }
  }
  return {
    dir,
    allMAP: report.allMAP,
    pooledMAP: report.mAP,
    perVideo: report.perVideo.map((v) => ({ video: v.video, mAP: v.mAP })),
    perClass: new Map(Object.entries(report.perClass)),
    boxes,
  };
}

/** Reads and validates run folders; `testDir` overrides where `stad test` wrote (relative to each run). */
export function readRuns(dirs: readonly string[], opts: { testDir?: string } = {}): RunInput[] {
  if (dirs.length === 0) throw new UserError('give at least one run folder (written by stad train)');
  const runs = dirs.map((d) => {
    const dir = resolve(d);
    if (!existsSync(dir)) throw new UserError(`${d}: no such folder`);
    const config = readConfig(dir);
    const { train, val } = readMetrics(dir);
    // The split name comes from a file: it becomes one path component only if it is a safe one.
    const testName = opts.testDir ?? `test-${config.data.testSplit}`;
    if (!isSafeFileName(testName)) fail(join(dir, CONFIG_FILE), 'data.testSplit', `${JSON.stringify(testName)} cannot be a folder name; give --test-dir`);
    const testDir = join(dir, testName);
    const test = existsSync(join(testDir, REPORT_FILE)) ? readTestResults(testDir) : null;
    return { dir, name: basename(dir), config, train, val, test };
  });
  const count = (names: readonly string[], n: string): number => names.filter((x) => x === n).length;
  const first = runs.map((r) => r.name);
  const second = runs.map((r) => (count(first, r.name) > 1 ? `${basename(dirname(r.dir))}/${r.name}` : r.name));
  const seen = new Map<string, number>();
  for (const [i, r] of runs.entries()) {
    const n = (seen.get(second[i]!) ?? 0) + 1;
    seen.set(second[i]!, n);
    r.name = n === 1 ? second[i]! : `${second[i]} (${n})`;
  }
  return runs;
}
