/**
 * Moving data between stad (VIA3 projects) and the Python tools (AVA CSVs), both ways, without loss.
 *
 * `via3ToAva(dataset, outDir)` writes, per split:
 *   `<split>.csv`            ground truth `video_id,timestamp,x1,y1,x2,y2,action_id,person_id`
 *   `<split>_proposals.csv`  proposals `video_id,timestamp,x1,y1,x2,y2,,score` (when the split has any)
 * and for the whole dataset
 *   `label_map.pbtxt`        `item { name: "..." id: N }` for every class but the background
 *   `stad-ava.json`          what the CSVs cannot say: classes with their VIA3 option ids, and per video
 *                            the split, frame size, fps and timestamp unit (read back by `avaToVia3`).
 *
 * Mapping:
 * - action_id = the class index of via3/read.ts (1..C-1, the label map's ids). A box labelled only with
 *   the background ("None") is written with action_id 0, which the label map does not contain, so the
 *   official evaluator ignores it; a box with no option ticked is written with an empty action_id. Both
 *   keep the round trip lossless; `includeBackground: false` leaves them out.
 * - A box with several labels is one row per label, sharing the box and the person id.
 * - person_id = the box's position among its keyframe's boxes (VIA3 has no person tracks).
 * - timestamp: for image projects (frames named `<video>_<frame>.jpg`) the *frame index*, as the
 *   reference dataset keys its keyframes by frame number; that is exact, where seconds = frame / fps
 *   would need rounding. For video projects the time in seconds (`z[0]`), an integer when it is one,
 *   else a decimal. `stad-ava.json` records which (`timestamp: "frame" | "seconds"`) per video.
 * - Coordinates are divided by the frame size (from the dataset description) and written with full
 *   precision; a box reaching outside the frame is clipped to it (counted in the summary).
 * - Proposal scores: from the proposals project's `score` attribute; VIA3 projects in the reference form
 *   carry none, and then the score is 1.0.
 *
 * `avaToVia3(avaDir, outDir)` reverses it for ground truth (and proposals): one VIA3 project per video at
 * `annotations/<split>/<video>.json` (+ `<video>_proposal.json`), in the conventional dataset layout.
 * Without `stad-ava.json` (CSVs from elsewhere) classes come from `label_map.pbtxt` (VIA3 option ids =
 * AVA action ids), frame size from `frameSize`, and the style from `style`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { writeOutputFiles } from '../util/fs.js';
import { jsonMap, jsonObjectOf } from '../util/json-map.js';
import { requireSafeName } from '../util/names.js';
import type { ProgressCallback } from '../util/progress.js';
import {
  formatAvaDetections,
  formatAvaGroundTruth,
  readAvaDetections,
  readAvaGroundTruth,
  type AvaDetectionRow,
  type AvaGroundTruthRow,
  type NormalizedBox,
} from './ava.js';
import { formatLabelMap, makeLabelMap, readLabelMap, type LabelMap } from './labelmap.js';
import { allVideos, naturalCompare, type Dataset, type DatasetVideo, type FrameSize } from './dataset.js';
import type { Via3Box } from './via3/read.js';
import { serializeVia3Project, type Via3BoxToWrite } from './via3/write.js';
import { readJsonFile } from './json-file.js';

export const AVA_SIDECAR = 'stad-ava.json';
export const LABEL_MAP_FILE = 'label_map.pbtxt';

const sidecarSchema = z.object({
  format: z.literal('stad-ava/1'),
  classes: z.array(z.string()),
  optionIds: z.array(z.string().nullable()),
  actionAttribute: z.string(),
  videos: jsonMap(
    z.object({
      split: z.string(),
      width: z.number().positive(),
      height: z.number().positive(),
      fps: z.number().positive(),
      timestamp: z.enum(['frame', 'seconds']),
      videoFile: z.string().optional(),
    }),
  ),
});
export type AvaSidecar = z.infer<typeof sidecarSchema>;
type SidecarVideo = AvaSidecar['videos'] extends Map<string, infer V> ? V : never;

export interface Via3ToAvaOptions {
  /** Write background-only and unlabelled boxes too (default true: lossless). */
  includeBackground?: boolean;
  onProgress?: ProgressCallback;
}

export interface ConversionSummary {
  files: string[];
  splits: Record<string, { videos: number; boxes: number; rows: number; proposalRows: number }>;
  /** Boxes clipped to the frame. */
  clipped: number;
  /** Boxes left out (background/unlabelled when `includeBackground` is false). */
  omitted: number;
}

export function via3ToAva(ds: Dataset, outDir: string, opts: Via3ToAvaOptions = {}): ConversionSummary {
  const includeBackground = opts.includeBackground ?? true;
  const videos = allVideos(ds);
  // Null prototype: split names come from files.
  const summary: ConversionSummary = { files: [], splits: Object.create(null) as ConversionSummary['splits'], clipped: 0, omitted: 0 };
  if (ds.classes.length === 0) {
    throw new UserError(`${ds.root}: no project has a CHECKBOX action attribute on regions; nothing to convert`);
  }
  const sidecar: AvaSidecar = {
    format: 'stad-ava/1',
    classes: ds.classes,
    optionIds: firstWithAttribute(videos)?.gt.optionIds ?? ds.classes.map((_, i) => String(i)),
    actionAttribute: firstWithAttribute(videos)?.gt.actionAttribute?.name ?? 'person',
    videos: new Map<string, SidecarVideo>(),
  };
  let done = 0;
  const outputs = new Map<string, string>();
  for (const [split, vids] of Object.entries(ds.splits)) {
    requireSafeName(split, ds.root, undefined, 'split name');
    const gtRows: AvaGroundTruthRow[] = [];
    const propRows: AvaDetectionRow[] = [];
    let boxes = 0;
    let hasProposals = false;
    for (const v of vids) {
      const size = requireFrameSize(v);
      const style = v.gt.boxes.some((b) => b.time !== null) || v.gt.files.some((f) => f.kind === 'video') ? 'seconds' : 'frame';
      sidecar.videos.set(v.name, {
        split,
        width: size.width,
        height: size.height,
        fps: v.fps,
        timestamp: style,
        ...(v.gt.files[0]?.kind === 'video' ? { videoFile: v.gt.files[0].fileName } : {}),
      });
      const counts = { boxes: 0, clipped: 0, omitted: 0 };
      gtRows.push(...groundTruthRowsOfVideo(v, { includeBackground }, counts));
      boxes += counts.boxes;
      summary.clipped += counts.clipped;
      summary.omitted += counts.omitted;
      if (v.proposalBoxes) {
        hasProposals = true;
        for (const [ts, group] of byKeyframe(v.proposalBoxes.boxes)) {
          for (const b of group) propRows.push({ videoId: v.name, timestamp: ts, box: normalise(b.box, size, summary), actionId: null, score: b.score ?? 1 });
        }
      }
      opts.onProgress?.({ done: ++done, total: videos.length, info: v.name });
    }
    outputs.set(`${split}.csv`, formatAvaGroundTruth(gtRows));
    if (hasProposals) outputs.set(`${split}_proposals.csv`, formatAvaDetections(propRows));
    summary.splits[split] = { videos: vids.length, boxes, rows: gtRows.length, proposalRows: propRows.length };
  }
  outputs.set(LABEL_MAP_FILE, formatLabelMap(labelMapOfClasses(ds.classes), `${ds.root}: classes of the VIA3 projects`));
  outputs.set(AVA_SIDECAR, `${JSON.stringify({ ...sidecar, videos: jsonObjectOf(sidecar.videos) }, null, 2)}\n`);
  // Everything is computed first and written all or nothing, so an error leaves no partial output.
  summary.files.push(...writeOutputFiles(outDir, outputs));
  return summary;
}

function firstWithAttribute(videos: DatasetVideo[]): DatasetVideo | undefined {
  return videos.find((v) => v.gt.actionAttribute !== null);
}

function requireFrameSize(v: DatasetVideo): FrameSize {
  if (v.frameSize) return v.frameSize;
  const where = v.frames.kind === 'frames' ? `no image in ${v.frames.dir}` : v.frames.kind === 'video' ? `cannot probe ${v.frames.file} (is ffprobe installed?)` : 'no frames or video found';
  throw new UserError(`${v.annotations}: frame size of video ${JSON.stringify(v.name)} unknown (${where}); AVA coordinates are normalised, so give "width" and "height" in dataset.json`);
}

/** Groups boxes by keyframe (frame index, else time), keyframes in ascending order, boxes in project order. */
function byKeyframe(boxes: readonly Via3Box[]): [number, Via3Box[]][] {
  const m = new Map<number, Via3Box[]>();
  for (const b of boxes) {
    const key = b.frameIndex ?? b.time ?? 0;
    const list = m.get(key);
    if (list) list.push(b);
    else m.set(key, [b]);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

function normalise(box: readonly number[], size: FrameSize, counts: { clipped: number }): NormalizedBox {
  const raw = [box[0]! / size.width, box[1]! / size.height, box[2]! / size.width, box[3]! / size.height];
  const out = raw.map((v) => Math.min(1, Math.max(0, v))) as NormalizedBox;
  if (out.some((v, i) => v !== raw[i])) counts.clipped++;
  return out;
}

/** The label map of a dataset's classes (index 0, the background, left out): id i is `classes[i]`. */
export function labelMapOfClasses(classes: readonly string[]): LabelMap {
  return makeLabelMap(classes.slice(1).map((name, i) => [i + 1, name] as const));
}

/**
 * The ground-truth rows of one video exactly as `via3ToAva` writes them to `<split>.csv`: keyframes in
 * ascending order, boxes in project order, one row per label, person id = position in its keyframe.
 * `stad test` evaluates against these rows in memory, so its figures are those of convert + eval.
 */
export function groundTruthRowsOfVideo(
  v: DatasetVideo,
  opts: { includeBackground?: boolean } = {},
  counts: { boxes: number; clipped: number; omitted: number } = { boxes: 0, clipped: 0, omitted: 0 },
): AvaGroundTruthRow[] {
  const includeBackground = opts.includeBackground ?? true;
  const size = requireFrameSize(v);
  const rows: AvaGroundTruthRow[] = [];
  for (const [ts, group] of byKeyframe(v.gt.boxes)) {
    group.forEach((b, personId) => {
      const box = normalise(b.box, size, counts);
      const actions = b.labels.filter((l) => l > 0);
      if (actions.length === 0 && !includeBackground) {
        counts.omitted++;
        return;
      }
      counts.boxes++;
      if (b.labels.length === 0) rows.push({ videoId: v.name, timestamp: ts, box, actionId: null, personId });
      for (const l of includeBackground ? b.labels : actions) rows.push({ videoId: v.name, timestamp: ts, box, actionId: l, personId });
    });
  }
  return rows;
}

export interface AvaToVia3Options {
  /** Frame size for every video, when there is no stad-ava.json. */
  frameSize?: FrameSize;
  /** Project style when there is no stad-ava.json (default `image`, the reference form). */
  style?: 'image' | 'video';
  /** Name of the action attribute (default: the sidecar's, else `person`). */
  attributeName?: string;
}

export interface AvaToVia3Summary {
  files: string[];
  videos: number;
  boxes: number;
  proposals: number;
}

/** Reads `<avaDir>/<split>.csv` (+ proposals) and writes VIA3 projects under `<outDir>/annotations/<split>/`. */
export function avaToVia3(avaDir: string, outDir: string, opts: AvaToVia3Options = {}): AvaToVia3Summary {
  const sidecarPath = join(avaDir, AVA_SIDECAR);
  const sidecar = existsSync(sidecarPath) ? readSidecar(sidecarPath) : null;
  let classes: string[];
  let optionIds: (string | null)[];
  /** AVA action id -> class index. */
  const classOfAction = new Map<number, number>();
  if (sidecar) {
    classes = sidecar.classes;
    optionIds = sidecar.optionIds;
    classes.forEach((_, i) => classOfAction.set(i, i));
  } else {
    const lmPath = join(avaDir, LABEL_MAP_FILE);
    if (!existsSync(lmPath)) throw new UserError(`${avaDir}: neither ${AVA_SIDECAR} nor ${LABEL_MAP_FILE}; the class names are unknown`);
    const lm = readLabelMap(lmPath);
    const items = [...lm.ids].sort((a, b) => a - b).map((id) => ({ id, name: lm.names.get(id)! }));
    classes = ['None', ...items.map((i) => i.name)];
    optionIds = ['0', ...items.map((i) => String(i.id))];
    classOfAction.set(0, 0);
    items.forEach((it, i) => classOfAction.set(it.id, i + 1));
  }

  const splitFiles = readdirSync(avaDir)
    .filter((f) => f.endsWith('.csv') && !f.endsWith('_proposals.csv') && !f.includes('excluded') && !f.includes('detections'))
    .sort(naturalCompare);
  if (splitFiles.length === 0) throw new UserError(`${avaDir}: no ground-truth CSV (<split>.csv) found`);

  const summary: AvaToVia3Summary = { files: [], videos: 0, boxes: 0, proposals: 0 };
  const outputs = new Map<string, string>();
  for (const f of splitFiles) {
    const split = f.slice(0, -'.csv'.length);
    const gtPath = join(avaDir, f);
    requireSafeName(split, gtPath, undefined, 'split name');
    const gt = groupGroundTruth(readAvaGroundTruth(gtPath), gtPath, classOfAction);
    const propPath = join(avaDir, `${split}_proposals.csv`);
    const proposals = existsSync(propPath) ? groupDetections(readAvaDetections(propPath)) : new Map<string, RowBox[]>();
    for (const video of [...new Set([...gt.keys(), ...proposals.keys()])].sort(naturalCompare)) {
      // Video ids and split names become annotations/<split>/<video>.json.
      requireSafeName(video, gtPath, undefined, 'video id');
      const info = sidecar?.videos.get(video);
      if (info) requireSafeName(info.split, join(avaDir, AVA_SIDECAR), `videos[${JSON.stringify(video)}].split`, 'split name');
      const size = info ? { width: info.width, height: info.height } : opts.frameSize;
      if (!size) throw new UserError(`${gtPath}: frame size of video ${JSON.stringify(video)} unknown; give --frame-size WxH (or convert with the ${AVA_SIDECAR} that via3-to-ava writes)`);
      const style = info ? (info.timestamp === 'frame' ? 'image' : 'video') : (opts.style ?? 'image');
      const toWrite = (boxes: RowBox[]): Via3BoxToWrite[] =>
        boxes.map((b) => {
          if (style === 'image' && !Number.isInteger(b.timestamp)) {
            throw new UserError(`${gtPath}: video ${JSON.stringify(video)}: timestamp ${b.timestamp} is not a frame index; use the video style for times in seconds`);
          }
          return {
            frameIndex: style === 'image' ? b.timestamp : null,
            time: style === 'video' ? b.timestamp : null,
            box: [px(b.box[0] * size.width), px(b.box[1] * size.height), px(b.box[2] * size.width), px(b.box[3] * size.height)],
            labels: b.labels,
            score: b.score,
          };
        });
      const common = { style, videoId: video, classes, optionIds, attributeName: opts.attributeName ?? sidecar?.actionAttribute ?? 'person', videoFileName: info?.videoFile } as const;
      const dir = `annotations/${info?.split ?? split}`;
      const gtBoxes = gt.get(video);
      if (gtBoxes) {
        outputs.set(`${dir}/${video}.json`, serializeVia3Project(toWrite(gtBoxes), common));
        summary.videos++;
        summary.boxes += gtBoxes.length;
      }
      const propBoxes = proposals.get(video);
      if (propBoxes) {
        outputs.set(`${dir}/${video}_proposal.json`, serializeVia3Project(toWrite(propBoxes.map((b) => ({ ...b, labels: [0] }))), common));
        summary.proposals += propBoxes.length;
      }
    }
  }
  summary.files.push(...writeOutputFiles(outDir, outputs));
  return summary;
}

interface RowBox {
  timestamp: number;
  box: NormalizedBox;
  labels: number[];
  score: number | null;
}

/** Pixels back from normalised coordinates, rounded to 1e-6 px to undo the division's rounding. */
function px(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Rows -> boxes per video: rows with the same timestamp, person id and box are one box with several labels. */
function groupGroundTruth(rows: AvaGroundTruthRow[], file: string, classOfAction: Map<number, number>): Map<string, RowBox[]> {
  const out = new Map<string, RowBox[]>();
  const index = new Map<string, RowBox>();
  rows.forEach((r, i) => {
    const key = `${r.videoId}\u0000${r.timestamp}\u0000${r.personId ?? ''}\u0000${r.box.join(',')}`;
    let box = index.get(key);
    if (!box) {
      box = { timestamp: r.timestamp, box: r.box, labels: [], score: null };
      index.set(key, box);
      const list = out.get(r.videoId);
      if (list) list.push(box);
      else out.set(r.videoId, [box]);
    }
    if (r.actionId !== null) {
      const cls = classOfAction.get(r.actionId);
      if (cls === undefined) throw new UserError(`${file}: row ${i + 1}: action_id ${r.actionId} is not in the label map`);
      if (!box.labels.includes(cls)) box.labels.push(cls);
      box.labels.sort((a, b) => a - b);
    }
  });
  return out;
}

function groupDetections(rows: AvaDetectionRow[]): Map<string, RowBox[]> {
  const out = new Map<string, RowBox[]>();
  for (const r of rows) {
    const list = out.get(r.videoId) ?? [];
    list.push({ timestamp: r.timestamp, box: r.box, labels: [], score: r.score });
    out.set(r.videoId, list);
  }
  return out;
}

function readSidecar(path: string): AvaSidecar {
  return readJsonFile(path, sidecarSchema);
}

