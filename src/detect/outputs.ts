/**
 * What `stad detect` writes about its predictions:
 *
 *   detections.csv    AVA detections `video_id,timestamp,x1,y1,x2,y2,action_id,score`, every class of
 *                     every box (as `stad test` writes them, so the two compare line by line)
 *   detections.json   the run (input, model, classes) and every prediction: frame, time, boxes with
 *                     their class scores and the labels at `--score-thr`
 *   detections.jsonl  (live input) one prediction per line, written as it is made
 */
import { formatAvaDetections, type AvaDetectionRow } from '../data/ava.js';
import type { ClassifiedBox } from './classify.js';
import { labelsOf } from './draw.js';

export const CSV_FILE = 'detections.csv';
export const JSON_FILE = 'detections.json';
export const JSONL_FILE = 'detections.jsonl';
export const VIDEO_FILE = 'detections.mp4';
export const SHEET_FILE = 'contact_sheet.png';

export interface Prediction {
  /** 0-based frame the clip is centred on. */
  frame: number;
  /** Seconds from the start (frame / fps). */
  time: number;
  /** The AVA timestamp of the rows (the boxes file's, else `time`). */
  timestamp: number;
  boxes: ClassifiedBox[];
}

/** AVA rows of the predictions, boxes in order, classes ascending. */
export function detectionRows(videoId: string, predictions: readonly Prediction[]): AvaDetectionRow[] {
  const rows: AvaDetectionRow[] = [];
  for (const p of predictions) {
    for (const b of p.boxes) {
      for (let c = 1; c < b.scores.length; c++) rows.push({ videoId, timestamp: p.timestamp, box: b.box, actionId: c, score: b.scores[c]! });
    }
  }
  return rows;
}

export function detectionsCsv(videoId: string, predictions: readonly Prediction[]): string {
  return formatAvaDetections(detectionRows(videoId, predictions));
}

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** One prediction as JSON: scores by class name, labels at the threshold. */
export function predictionJson(p: Prediction, classes: readonly string[], threshold: number): object {
  return {
    frame: p.frame,
    time: r6(p.time),
    timestamp: p.timestamp,
    boxes: p.boxes.map((b) => ({
      box: b.box.map(r6),
      personScore: r6(b.personScore),
      scores: Object.fromEntries(b.scores.flatMap((s, c) => (c > 0 ? [[classes[c] ?? `class${c}`, r6(s)]] : []))),
      labels: labelsOf(b, classes, threshold).map((l) => classes[l.cls] ?? `class${l.cls}`),
    })),
  };
}

export interface RunInfo {
  input: string;
  videoId: string;
  checkpoint: string;
  boxes: string;
  classes: readonly string[];
  scoreThreshold: number;
  width: number;
  height: number;
  fps: number;
  frames: number;
}

export function detectionsJson(info: RunInfo, predictions: readonly Prediction[]): string {
  return `${JSON.stringify({ ...info, predictions: predictions.map((p) => predictionJson(p, info.classes, info.scoreThreshold)) }, null, 1)}\n`;
}
