/**
 * The files `stad test` writes, as contents keyed by relative path (written together by the caller):
 *
 *   detections.csv              AVA detections `video_id,timestamp,x1,y1,x2,y2,action_id,score`
 *   label_map.pbtxt             the dataset's classes (convert's label map)
 *   report.json                 per video and pooled frame mAP (eval/report.ts `jsonReport`)
 *   detections_via3/<video>.json  one VIA3 project per video of the split, in the style of its ground
 *                               truth (image or video project), each box with the classes scoring at
 *                               least `scoreThreshold` ("None" when no class does)
 */
import { formatAvaDetections } from '../data/ava.js';
import { labelMapOfClasses, LABEL_MAP_FILE } from '../data/convert.js';
import { formatLabelMap } from '../data/labelmap.js';
import type { Dataset, DatasetVideo } from '../data/dataset.js';
import { serializeVia3Project, type Via3BoxToWrite } from '../data/via3/write.js';
import { jsonReport, type DetectionBox } from '../eval/index.js';
import type { EvaluationResult } from './evaluate.js';
import { fail } from '../util/errors.js';
import { requireSafeName } from '../util/names.js';

export const DETECTIONS_FILE = 'detections.csv';
export const REPORT_FILE = 'report.json';
export const VIA3_DIR = 'detections_via3';

/** One classified box: the consecutive detection rows that share video, timestamp and coordinates. */
interface DetectedBox {
  timestamp: number;
  box: [number, number, number, number];
  scores: Map<number, number>;
}

function groupBoxes(rows: readonly DetectionBox[]): Map<string, DetectedBox[]> {
  const out = new Map<string, DetectedBox[]>();
  let prev: DetectionBox | null = null;
  let cur: DetectedBox | null = null;
  for (const r of rows) {
    const same = prev !== null && prev.videoId === r.videoId && prev.timestamp === r.timestamp && prev.x1 === r.x1 && prev.y1 === r.y1 && prev.x2 === r.x2 && prev.y2 === r.y2 && !cur!.scores.has(r.actionId);
    if (!same) {
      cur = { timestamp: r.timestamp, box: [r.x1, r.y1, r.x2, r.y2], scores: new Map() };
      const list = out.get(r.videoId);
      if (list) list.push(cur);
      else out.set(r.videoId, [cur]);
    }
    cur!.scores.set(r.actionId, r.score);
    prev = r;
  }
  return out;
}

/** Pixels from normalised coordinates, rounded to 1e-6 px as convert does. */
function px(v: number, size: number): number {
  return Math.round(v * size * 1e6) / 1e6;
}

function via3Project(v: DatasetVideo, boxes: readonly DetectedBox[], classes: readonly string[], scoreThreshold: number): string {
  const style = v.gt.boxes.some((b) => b.time !== null) || v.gt.files.some((f) => f.kind === 'video') ? 'video' : 'image';
  const size = v.frameSize;
  if (!size) fail(v.annotations, undefined, `frame size of video ${JSON.stringify(v.name)} unknown; give "width" and "height" in dataset.json`);
  const toWrite: Via3BoxToWrite[] = boxes.map((b) => {
    const labels = [...b.scores].filter(([, s]) => s >= scoreThreshold).map(([c]) => c).sort((a, z) => a - z);
    return {
      frameIndex: style === 'image' ? b.timestamp : null,
      time: style === 'video' ? b.timestamp : null,
      box: [px(b.box[0], size.width), px(b.box[1], size.height), px(b.box[2], size.width), px(b.box[3], size.height)],
      labels: labels.length > 0 ? labels : [0],
    };
  });
  const videoFile = v.gt.files.find((f) => f.kind === 'video');
  return serializeVia3Project(toWrite, {
    style,
    videoId: v.name,
    classes,
    optionIds: v.gt.actionAttribute ? v.gt.optionIds : undefined,
    attributeName: v.gt.actionAttribute?.name,
    videoFileName: videoFile?.fileName,
    projectName: `${v.name} detections`,
  });
}

/** Every output file of a test run, keyed by path relative to the output folder. */
export function testOutputs(ds: Dataset, split: string, result: EvaluationResult, scoreThreshold: number): Map<string, string> {
  const files = new Map<string, string>();
  files.set(DETECTIONS_FILE, formatAvaDetections(result.detections.map((d) => ({ videoId: d.videoId, timestamp: d.timestamp, box: [d.x1, d.y1, d.x2, d.y2], actionId: d.actionId, score: d.score }))));
  files.set(LABEL_MAP_FILE, formatLabelMap(labelMapOfClasses(ds.classes), `${ds.root}: classes of the VIA3 projects`));
  files.set(REPORT_FILE, `${JSON.stringify(jsonReport(result.report, true), null, 2)}\n`);
  const byVideo = groupBoxes(result.detections);
  for (const v of ds.splits[split] ?? []) {
    requireSafeName(v.name, v.annotations, undefined, 'video name');
    files.set(`${VIA3_DIR}/${v.name}.json`, via3Project(v, byVideo.get(v.name) ?? [], ds.classes, scoreThreshold));
  }
  return files;
}
